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

A build runs the pages that are not cached side by side, each in a fresh
Python process (``prefetch``, called by the MkDocs hook before any page is
rendered; the longest pages of the last build start first). On two cores the
slowest chapter then runs while the others run beside it. ``ZERODL_EXEC_JOBS``
sets how many run at once (default: the number of cores);
``ZERODL_EXEC_JOBS=1`` runs every page in the build process itself. A page
gives the same outputs either way: fresh namespace, same seeds, one BLAS thread.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
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
    code = "\n".join(block.code for block in blocks)
    data = [p for p in (project_root / "docs" / "data").rglob("*") if p.is_file()]
    hash_files(h, project_root, package_files(project_root))
    hash_files(h, project_root, sorted(p for p in data if p.relative_to(project_root).as_posix() in code))
    return h.hexdigest()


def package_files(project_root: Path) -> list[Path]:
    """The modules of the tangled package, whose changes invalidate executed pages."""
    return sorted((project_root / "src" / "zerodl").rglob("*.py"))


def hash_files(h: "hashlib._Hash", project_root: Path, paths: list[Path]) -> None:
    """Feed each file's project-relative name and bytes into ``h``."""
    for path in paths:
        h.update(path.relative_to(project_root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")


def _entry(page: str, project_root: Path) -> Path | None:
    directory = cache_dir(project_root)
    return directory / f"{page.replace('/', '__')}.json" if directory else None


def _cached(page: str, key: str, project_root: Path) -> list[list[Output]] | None:
    entry = _entry(page, project_root)
    if entry is None or not entry.exists():
        return None
    try:
        stored = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("key") != key:
        return None
    return [[Output(**o) for o in outs] for outs in stored["outputs"]]


def jobs() -> int:
    """How many pages ``prefetch`` runs at once (``ZERODL_EXEC_JOBS``, default: the number of cores)."""
    setting = os.environ.get("ZERODL_EXEC_JOBS", "").strip()
    if not setting:
        return os.cpu_count() or 1
    if not setting.isdigit() or int(setting) < 1:
        raise ValueError(f"ZERODL_EXEC_JOBS must be a whole number >= 1 (1: no worker processes); got {setting!r}")
    return int(setting)


class WorkerError(Exception):
    """A worker process ended without a result (crashed, or could not start)."""


_threads: concurrent.futures.ThreadPoolExecutor | None = None
_pending: dict[tuple[str, str], concurrent.futures.Future] = {}


def _times_file(project_root: Path) -> Path:
    """Seconds each page took when it last ran: only used to start the longest first."""
    return project_root / ".cache" / "zerodl-exec-seconds.json"


def _read_times(project_root: Path) -> dict[str, float]:
    try:
        times = json.loads(_times_file(project_root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return times if isinstance(times, dict) else {}


def prefetch(pages: list[tuple[str, list[Block]]], project_root: Path) -> None:
    """Start running, in worker processes, the pages whose outputs are not cached.

    Returns at once; ``run_page`` collects each page's outputs when the build
    reaches it. Does nothing with ``ZERODL_EXEC_JOBS=1``.
    """
    global _threads
    workers = jobs()
    if workers < 2:
        return
    todo = []
    for page, blocks in pages:
        key = cache_key(page, blocks, project_root)
        if (page, key) not in _pending and _cached(page, key, project_root) is None:
            todo.append((page, blocks, key))
    if not todo:
        return
    times = _read_times(project_root)
    todo.sort(key=lambda job: -float(times.get(job[0], 0)))  # stable: unknown pages keep their order
    if _threads is None:
        _threads = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="zerodl-exec")
    for page, blocks, key in todo:
        _pending[page, key] = _threads.submit(_run_in_worker, page, blocks, project_root)


def shutdown() -> None:
    """End of a build: drop pages that were never collected and stop the worker threads."""
    global _threads
    for future in _pending.values():
        future.cancel()
    _pending.clear()
    if _threads is not None:
        _threads.shutdown(wait=True, cancel_futures=True)
        _threads = None


def _run_in_worker(page: str, blocks: list[Block], project_root: Path) -> tuple[list[list[Output]], float]:
    """``execute`` in a fresh interpreter (``python -m literate.execute JOB RESULT``)."""
    with tempfile.TemporaryDirectory(prefix="zerodl-exec-") as tmp:
        job, result = Path(tmp) / "job.pickle", Path(tmp) / "result.pickle"
        job.write_bytes(pickle.dumps((page, blocks, str(project_root))))
        tools = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (tools, os.environ.get("PYTHONPATH", "")) if p)
        process = subprocess.run(
            [sys.executable, "-m", "literate.execute", str(job), str(result)],
            env=dict(os.environ, PYTHONPATH=path),
            capture_output=True,
            text=True,
        )
        if process.returncode != 0 or not result.exists():
            raise WorkerError(f"exit status {process.returncode}: {process.stderr.strip()[-2000:]}")
        status, value, seconds = pickle.loads(result.read_bytes())
    if status == "error":
        raise BlockError(value)
    return [[Output(**o) for o in outs] for outs in value], seconds


def _worker_main(job: str, result: str) -> None:
    page, blocks, root = pickle.loads(Path(job).read_bytes())
    start = time.perf_counter()
    try:
        outputs = execute(page, blocks, Path(root))
        payload = ("ok", [[o.__dict__ for o in outs] for outs in outputs], time.perf_counter() - start)
    except BlockError as exc:
        payload = ("error", str(exc), 0.0)
    Path(result).write_bytes(pickle.dumps(payload))


def run_page(page: str, blocks: list[Block], project_root: Path) -> list[list[Output]]:
    """Outputs of each block of ``page`` (from the cache when nothing changed)."""
    entry = _entry(page, project_root)
    key = cache_key(page, blocks, project_root)
    outputs = _cached(page, key, project_root)
    if outputs is not None:
        return outputs
    future = _pending.pop((page, key), None)
    seconds = None
    if future is not None:
        try:
            outputs, seconds = future.result()
        except WorkerError as exc:
            print(f"literate.execute: the worker for {page} failed ({exc}); running the page in the build process", file=sys.stderr)
    if outputs is None:
        start = time.perf_counter()
        outputs = execute(page, blocks, project_root)
        seconds = time.perf_counter() - start
    times = _read_times(project_root)
    times[page] = round(seconds, 2)
    try:
        atomic_write(_times_file(project_root), json.dumps(times, indent=1, sort_keys=True))
    except OSError:
        pass  # only a scheduling hint
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


if __name__ == "__main__":  # a worker started by _run_in_worker
    from literate.execute import _worker_main as main  # the importable module, not __main__

    main(*sys.argv[1:3])
