"""Run the Python blocks of one page at build time.

All blocks of a page run in one namespace, in order. What a block prints and
every figure it shows with ``plt.show()`` are recorded as that block's outputs.
A failing block raises :class:`BlockError` naming the page and line, which fails
the build.

Results are cached by a hash of everything that can change them: the page's
code, the tangled package ``src/zerodl``, the files under ``docs/data/``
whose path the page's code names (e.g. the committed benchmark results),
this file and the library versions.
A prose-only edit therefore re-renders the page without running anything.
Set ``ZERODL_EXEC_CACHE=off`` to always execute, or to a folder to cache there.

Pages run with one BLAS thread. The chapters' matrices are small, so a second
thread gains little even on an idle machine, while on a busy one OpenBLAS
threads fighting for the cores make training several times slower. One thread
also makes every number on the page the same on every machine (a parallel
matmul sums in a different order).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

from literate.atomic import atomic_write
from literate.fences import Block

CACHE_FORMAT = 1

# Matplotlib writes a timestamp and its URL into SVG metadata; drop them so two
# builds give the same bytes (they would also land in the search index).
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
STYLE = {
    "svg.hashsalt": "zerodl",
    "svg.fonttype": "path",
    "figure.figsize": (6.0, 4.0),
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


class BlockError(Exception):
    """A code block failed while the site was built."""


@dataclass(frozen=True)
class Output:
    kind: str  # "text" or "svg"
    data: str
    alt: str = ""  # for figures: their titles, used as the image's alt text


def cache_dir(project_root: Path) -> Path | None:
    setting = os.environ.get("ZERODL_EXEC_CACHE", "")
    if setting.lower() in {"off", "0", "no", "false"}:
        return None
    return Path(setting) if setting else project_root / ".cache" / "zerodl-exec"


def cache_key(page: str, blocks: list[Block], project_root: Path) -> str:
    import matplotlib
    import numpy

    h = hashlib.sha256()
    for part in (
        str(CACHE_FORMAT),
        page,
        sys.version,
        numpy.__version__,
        matplotlib.__version__,
        Path(__file__).read_text(encoding="utf-8"),
    ):
        h.update(part.encode() + b"\0")
    for block in blocks:
        h.update(block.code.encode() + b"\0")
    package = project_root / "src" / "zerodl"
    code = "\n".join(block.code for block in blocks)
    data = [p for p in (project_root / "docs" / "data").rglob("*") if p.is_file()]
    inputs = sorted(package.rglob("*.py")) + sorted(p for p in data if p.relative_to(project_root).as_posix() in code)
    for path in inputs:
        h.update(path.relative_to(project_root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def run_page(page: str, blocks: list[Block], project_root: Path) -> list[list[Output]]:
    """Outputs of each block of ``page`` (from the cache when nothing changed)."""
    directory = cache_dir(project_root)
    key = cache_key(page, blocks, project_root)
    entry = directory / f"{page.replace('/', '__')}.json" if directory else None
    if entry is not None and entry.exists():
        try:
            stored = json.loads(entry.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        if stored.get("key") == key:
            return [[Output(**o) for o in outs] for outs in stored["outputs"]]
    outputs = execute(page, blocks, project_root)
    if entry is not None:
        payload = {"key": key, "outputs": [[o.__dict__ for o in outs] for outs in outputs]}
        atomic_write(entry, json.dumps(payload, ensure_ascii=False))
    return outputs


def execute(page: str, blocks: list[Block], project_root: Path) -> list[list[Output]]:
    """Run the blocks in one fresh namespace and record what each one shows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib_fontja
    import numpy as np

    matplotlib.rcdefaults()
    matplotlib_fontja.japanize()
    matplotlib.rcParams.update(STYLE)
    plt.close("all")
    for name in [m for m in sys.modules if m == "zerodl" or m.startswith("zerodl.")]:
        del sys.modules[name]  # `mkdocs serve` may have imported an older tangle
    np.random.seed(0)  # unseeded code still gives the same page twice

    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _run_blocks(page, blocks, plt)


def _run_blocks(page: str, blocks: list[Block], plt) -> list[list[Output]]:
    namespace: dict[str, object] = {"__name__": "__zerodl_page__"}
    results: list[list[Output]] = []
    original_show = plt.show
    for block in blocks:
        events: list[Output] = []
        stdout = io.StringIO()

        def flush_text() -> None:
            text = stdout.getvalue()
            if text:
                events.append(Output("text", text))
                stdout.seek(0)
                stdout.truncate()

        def show(*args: object, **kwargs: object) -> None:
            flush_text()
            for number in plt.get_fignums():
                figure = plt.figure(number)
                buffer = io.StringIO()
                figure.savefig(buffer, format="svg", bbox_inches="tight", metadata=SVG_METADATA)
                events.append(Output("svg", buffer.getvalue(), _titles(figure)))
                plt.close(figure)

        plt.show = show
        try:
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(stdout):
                warnings.simplefilter("always")
                exec(compile(block.code, f"{page}:{block.lineno}", "exec"), namespace)
            flush_text()
        except Exception as exc:
            detail = "".join(traceback.format_exception(exc)[-6:])
            raise BlockError(
                f"docs/{page}, code block at line {block.lineno} failed:\n{detail}"
            ) from exc
        finally:
            plt.show = original_show
        glyphs = [str(w.message) for w in caught if "missing from font" in str(w.message)]
        if glyphs:
            raise BlockError(f"docs/{page}, code block at line {block.lineno}: {glyphs[0]}")
        results.append(events)
    plt.close("all")
    return results


def _titles(figure: object) -> str:
    """The figure's suptitle and axes titles, joined: a figure's natural alt text."""
    titles = [figure._suptitle.get_text()] if getattr(figure, "_suptitle", None) else []
    titles += [ax.get_title() for ax in figure.axes if ax.get_title()]
    return " / ".join(titles)
