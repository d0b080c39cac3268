"""The render step: ``docs/`` → a rendered tree that any Markdown site generator can lay out.

    python -m literate.render [--out build/rendered] [--jobs N]      (PYTHONPATH=tools)

Every page of the nav with code runs **once** (``literate.run``: each chain of
blocks as pytest-codeblocks groups them, in a process of its own, nothing left
running afterwards) and the result is cached by content, so a prose edit runs
nothing and the tests, the site build and ``mkdocs serve`` share one execution.
What a page gets:

* its Markdown with the ``#| file:`` line made the block's title, after each
  block what it printed (a box titled 出力; a Markdown table it printed is a
  table, its cells plain text) and the figures it showed (SVG files under
  ``figures/<page>/``, their title as alt text, their size set so nothing moves
  when they load), and a download button for its notebook;
* ``notebooks/<page>.ipynb``: the page as a notebook, with the outputs of this run;
* a notebook-shaped experiment (``docs/experiments/*.py``, jupytext) runs as one
  chain; it becomes an executed ``.ipynb`` (laid out by mkdocs-jupyter) and a
  Markdown page (for generators without notebook support).

The cache key of a page is everything that can change its outputs: its code,
the modules of ``src/zerodl`` it imports (and what they import), the files
under ``docs/data/`` its code names, the runner and the library versions. An
edit of an exported block therefore re-runs exactly the pages that import it.
The cache is an optimisation: an entry that cannot be read is run again, one
that cannot be written is reported and the page is published all the same.

Pages run side by side, as many as there are cores. Settings:
``ZERODL_EXEC_TIMEOUT`` (seconds a page may run, default 600),
``ZERODL_EXEC_CACHE`` (a folder, or ``off``).
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import functools
import hashlib
import html
import json
import os
import posixpath
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from literate import pages as pagelib
from literate import typeset
from literate.atomic import atomic_write
from literate.config import nav_pages
from literate.svg import compact_svg

FORMAT = 2
EXPERIMENT_SUFFIX = ".py"
DEFAULT_TIME_LIMIT = 600.0


class RenderError(Exception):
    """A page cannot be rendered (the message names the page and block and says what to do)."""


# --- settings -----------------------------------------------------------------------------


def time_limit() -> float:
    setting = os.environ.get("ZERODL_EXEC_TIMEOUT", "").strip()
    if not setting:
        return DEFAULT_TIME_LIMIT
    try:
        value = float(setting)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise RenderError(f"ZERODL_EXEC_TIMEOUT must be a number of seconds > 0; got {setting!r}")
    return value


def cache_dir(root: Path) -> Path | None:
    setting = os.environ.get("ZERODL_EXEC_CACHE", "")
    if setting.lower() in {"off", "0", "no", "false"}:
        return None
    return Path(setting) if setting else root / ".cache" / "zerodl-render"


# --- pages ----------------------------------------------------------------------------------


@dataclass
class Page:
    src: str  # path under docs/
    text: str  # the Markdown (or the jupytext source of an experiment)
    chains: list  # [[(lineno, code), ...], ...]
    fences: list = field(default_factory=list)  # pages.Fence of a Markdown page
    notebook: object = None  # the nbformat notebook of an experiment

    @property
    def is_experiment(self) -> bool:
        return self.src.endswith(EXPERIMENT_SUFFIX)


def load_page(root: Path, src: str) -> Page | None:
    """The page's code, or None when it has none."""
    name = f"docs/{src}"
    text = pagelib.read_text(root / "docs" / src, name)
    if src.endswith(EXPERIMENT_SUFFIX):
        import jupytext

        notebook = jupytext.reads(text, fmt="py:percent")
        cells = [c for c in notebook.cells if c.cell_type == "code"]
        return Page(src, text, [[(i + 1, c.source + "\n") for i, c in enumerate(cells)]], notebook=notebook)
    chains = pagelib.chains(text, name)
    if not chains:
        return None
    return Page(src, text, [[(f.lineno, f.code) for f in chain.fences] for chain in chains],
                fences=[f for chain in chains for f in chain.fences])


def experiments(root: Path) -> list[str]:
    """The experiments of the nav: an entry ``experiments/x.ipynb`` is made from ``docs/experiments/x.py``."""
    return [src[: -len(".ipynb")] + EXPERIMENT_SUFFIX for src in nav_pages(root, (".ipynb",))
            if (root / "docs" / (src[: -len(".ipynb")] + EXPERIMENT_SUFFIX)).is_file()]


def site_pages(root: Path) -> list[Page]:
    """The nav's pages that have code, in reading order."""
    found = []
    for src in nav_pages(root, (".md",)) + experiments(root):
        page = load_page(root, src)
        if page is not None:
            found.append(page)
    return found


# --- the cache key ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)  # a module's imports are read for every page that imports it
def _imports(code: str, package: str = "zerodl", current: str | None = None) -> frozenset[str]:
    """Modules of ``package`` that ``code`` imports (``zerodl.x``), relative imports resolved from ``current``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return frozenset({package})  # it fails anyway; depend on everything
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == package}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and current:
                parts = current.split(".")[: -node.level]
                base = ".".join(parts + ([base] if base else []))
            if base.split(".")[0] == package:
                found.add(base)
                found |= {f"{base}.{a.name}" for a in node.names}  # a submodule, if it is one
    return frozenset(found)


def package_closure(root: Path, code: str) -> list[Path]:
    """The files of ``src/zerodl`` that ``code`` runs when it imports what it imports."""
    src = root / "src"
    todo, seen, files = list(_imports(code)), set(), []
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        for index in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__, a/b/__init__ …
            base = src.joinpath(*parts[:index])
            for path, name in ((base / "__init__.py", ".".join(parts[:index]) + ".__init__"), (base.with_suffix(".py"), ".".join(parts[:index]))):
                if path.is_file() and path not in files:
                    files.append(path)
                    dotted = name.removesuffix(".__init__")
                    current = name if name.endswith(".__init__") else dotted
                    todo += list(_imports(path.read_text(encoding="utf-8"), current=current))
    return sorted(files)


def cache_key(root: Path, page: Page) -> str:
    import matplotlib
    import numpy

    h = hashlib.sha256()
    runner = (Path(__file__).parent / "run.py").read_text(encoding="utf-8")
    figures = (Path(__file__).parent / "figures.py").read_text(encoding="utf-8")
    for part in (str(FORMAT), page.src, sys.version, numpy.__version__, matplotlib.__version__, runner, figures):
        h.update(part.encode() + b"\0")
    code = "".join(c for chain in page.chains for _, c in chain)
    h.update(json.dumps(page.chains).encode() + b"\0")
    data = sorted(p for p in (root / "docs" / "data").rglob("*") if p.is_file()
                  and p.relative_to(root).as_posix() in code) if (root / "docs" / "data").is_dir() else []
    for path in package_closure(root, code) + data:
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


# --- the cache ----------------------------------------------------------------------------------


def _entry(folder: Path | None, src: str) -> Path | None:
    return folder / "pages" / f"{urllib.parse.quote(src, safe='')}.json" if folder else None


def _valid_output(o) -> bool:
    return (isinstance(o, dict) and o.get("kind") in ("text", "svg") and isinstance(o.get("data"), str)
            and (o["kind"] == "text" or isinstance(o.get("alt"), str)))


def _valid(result, page: Page) -> bool:
    """A stored result of the shape this page's chains produce, every chain passed."""
    chains = result.get("chains") if isinstance(result, dict) else None
    if not isinstance(chains, list) or len(chains) != len(page.chains):
        return False
    for stored, chain in zip(chains, page.chains):
        if not isinstance(stored, dict) or stored.get("error") is not None:
            return False
        fences = stored.get("fences")
        if not isinstance(fences, list) or len(fences) != len(chain):
            return False
        if not all(isinstance(outs, list) and all(_valid_output(o) for o in outs) for outs in fences):
            return False
    return True


def cached(folder: Path | None, page: Page, key: str) -> dict | None:
    """The stored result of ``page`` in the cache ``folder`` (:func:`cache_dir`), if ``key`` matches."""
    entry = _entry(folder, page.src)
    if entry is None:
        return None
    try:
        stored = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key or not _valid(stored.get("result"), page):
        return None
    return stored["result"]


def warn(message: str) -> None:
    print(f"literate: {message}", file=sys.stderr)


def store(folder: Path | None, page: Page, key: str, result: dict) -> None:
    entry = _entry(folder, page.src)
    if entry is None:
        return
    try:
        atomic_write(entry, json.dumps({"format": FORMAT, "page": page.src, "key": key, "result": result},
                                       ensure_ascii=False))
    except OSError as exc:
        warn(f"could not write the execution cache {entry} ({exc.strerror or exc}); the page is published "
             "all the same, but will run again next time (set ZERODL_EXEC_CACHE to a writable folder, or off)")


def _times(folder: Path | None) -> dict:
    try:
        times = json.loads((folder / "seconds.json").read_text(encoding="utf-8")) if folder else {}
    except (OSError, ValueError):
        return {}
    return times if isinstance(times, dict) else {}


# --- executing ----------------------------------------------------------------------------------


class Results:
    """Each page's result (from the cache or run), computed once per process, pages side by side."""

    def __init__(self, root: Path, workers: int | None = None, cancelled=lambda: False) -> None:
        self.root = root
        self.folder = cache_dir(root)  # fixed for this object's life, whatever the environment does later
        self.workers = workers or os.cpu_count() or 1
        self.limit = time_limit()
        self.cancelled = cancelled
        self._pool = concurrent.futures.ThreadPoolExecutor(self.workers, thread_name_prefix="zerodl-render")
        self._futures: dict[tuple[str, str], concurrent.futures.Future] = {}
        self._lock = threading.Lock()
        self.executed: list[str] = []  # the pages run (not taken from the cache), in the order they ended

    def start(self, pages: list[Page]) -> None:
        """Begin computing ``pages`` (those with a known run time longest first)."""
        times = _times(self.folder)
        for page in sorted(pages, key=lambda p: -float(times.get(p.src, 0) or 0)):
            self.future(page)

    def future(self, page: Page) -> concurrent.futures.Future:
        key = cache_key(self.root, page)
        with self._lock:
            if (page.src, key) not in self._futures:
                self._futures[page.src, key] = self._pool.submit(self._compute, page, key)
            return self._futures[page.src, key]

    def result(self, page: Page) -> dict:
        """``{"chains": [...], "seconds": s}``; a failed chain has its message in ``"error"``."""
        return self.future(page).result()

    def _compute(self, page: Page, key: str) -> dict:
        from literate.run import PageFailed, run_page

        result = cached(self.folder, page, key)
        if result is not None:
            return dict(result, key=key)
        job = {"page": page.src, "chains": page.chains}
        try:
            result = run_page(job, self.root, self.limit, self.cancelled)
        except PageFailed as exc:
            result = {"chains": [{"lineno": c[0][0], "error": str(exc), "fences": []} for c in page.chains],
                      "seconds": 0.0, "failed": str(exc)}
        self.executed.append(page.src)
        if all(c["error"] is None for c in result["chains"]):
            store(self.folder, page, key, result)
            times = _times(self.folder)
            times[page.src] = round(result["seconds"], 2)
            if self.folder is not None:
                try:
                    atomic_write(self.folder / "seconds.json", json.dumps(times, indent=1, sort_keys=True))
                except OSError:
                    pass  # only the order in which pages start
        return dict(result, key=key)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def failures(page: Page, result: dict) -> list[str]:
    """The messages of the chains that failed; the first failure says it all when the process died."""
    if result.get("failed"):
        return [result["failed"]]
    return [c["error"] for c in result["chains"] if c["error"]]


# --- Markdown for a page ------------------------------------------------------------------------


@dataclass
class Rendered:
    markdown: str
    files: dict[str, bytes]  # generated files: figures, notebooks (paths relative to the tree)


_TABLE_ROW = re.compile(r"^\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def visible(text: str) -> str:
    """``text`` with control characters (NUL, ESC, …) shown as ``\\xNN`` instead of sent raw."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text.replace("\r\n", "\n"))


def text_output(data: str) -> list[str]:
    """Markdown for what a block printed: printed Markdown tables become tables, the rest a box titled 出力."""
    rendered: list[str] = []
    for is_table, part in _split_tables(visible(data).rstrip("\n").split("\n")):
        if is_table:
            rendered += ["", *(_table_text(line) for line in part), ""]
            continue
        while part and not part[0].strip():
            part = part[1:]
        while part and not part[-1].strip():
            part = part[:-1]
        if part:
            ticks = "```"
            while any(ticks in line for line in part):
                ticks += "`"
            rendered += ["", f'{ticks}text title="出力"', *part, ticks]
    return rendered


def _split_tables(lines: list[str]) -> list[tuple[bool, list[str]]]:
    parts: list[tuple[bool, list[str]]] = []
    text: list[str] = []
    i = 0
    while i < len(lines):
        if i + 1 < len(lines) and _TABLE_ROW.match(lines[i]) and _TABLE_RULE.match(lines[i + 1]):
            j = i + 2
            while j < len(lines) and _TABLE_ROW.match(lines[j]):
                j += 1
            if text:
                parts.append((False, text))
                text = []
            parts.append((True, lines[i:j]))
            i = j
        else:
            text.append(lines[i])
            i += 1
    if text:
        parts.append((False, text))
    return parts


# In a printed table, inline code and math stay as they are (Markdown escapes the text of a code
# span, the build-time typesetting that of math); everything else is text: HTML is escaped and Markdown's link,
# image and attribute syntax backslash-escaped, so that a cell can neither run script nor load anything.
_TABLE_CODE = re.compile(r"(?<![\\`])(`+)(?!`).+?(?<!`)\1(?!`)")
_TABLE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])(?:\\.|[^\\$])+?(?<![\s\\])\$(?![\d$])")
_TABLE_PLAIN = re.compile(r"[\\`\[\]{}<>&*_$]")
_MATH_UNSAFE = re.compile(r"[<>&\"'`|]")


def _table_text(line: str) -> str:
    out, i = [], 0
    while i < len(line):
        code, math = _TABLE_CODE.search(line, i), _TABLE_MATH.search(line, i)
        spans = [m for m in (code, math) if m is not None and "|" not in m.group()]
        spans = [m for m in spans if m is code or not _MATH_UNSAFE.search(m.group())]
        span = min(spans, key=lambda m: m.start(), default=None)
        end = span.start() if span is not None else len(line)
        out.append(_plain(line[i:end]))
        if span is None:
            break
        out.append(span.group())
        i = span.end()
    return "".join(out)


def _plain(text: str) -> str:
    def one(m: re.Match) -> str:
        c = m.group()
        return {"<": "&lt;", ">": "&gt;", "&": "&amp;", "$": "&#36;"}.get(c, "\\" + c)

    return _TABLE_PLAIN.sub(one, text)


def attribute(text: str) -> str:
    """``text`` as an HTML attribute value no Markdown or math extension will touch."""
    return "".join(f"&#{ord(c)};" if c in "\\`*_[]{}$|~" else c for c in html.escape(visible(text), quote=True))


_SVG_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"', re.S)


def figure_size(svg: str) -> tuple[int, int] | None:
    """The figure's size in CSS px (matplotlib writes it in pt), or None if the SVG does not say."""
    size = _SVG_SIZE.search(svg)
    return (round(float(size.group(1)) * 4 / 3), round(float(size.group(2)) * 4 / 3)) if size else None


def figure_markdown(src: str, svg: str, alt: str) -> str:
    """The figure as a Markdown image (each generator resolves its path as it resolves links) whose
    size is known before it loads, so nothing moves; its alt text survives any character.

    The image is a link to its own SVG file: a tap, or Enter on the focused link, opens the figure
    full size (the link's name is the image's alt text)."""
    size = figure_size(svg)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    image = f'![{attribute(alt)}]({src}){{ .zerodl-figure{dims} loading="lazy" decoding="async" }}'
    return f'[{image}]({src}){{ .zerodl-zoom }}'


def outputs_by_fence(result: dict) -> list[list[dict]]:
    return [outs for chain in result["chains"] for outs in chain["fences"]]


def figure_uri(page: Page, number: int) -> str:
    return f"figures/{page.src.rsplit('.', 1)[0]}/{number}.svg"


def render_markdown(page: Page, result: dict) -> Rendered:
    """The page's Markdown with titles, outputs, figures and the notebook button."""
    from literate import notebooks

    stem = page.src.rsplit(".", 1)[0]
    here = posixpath.dirname(page.src) or "."
    lines = page.text.split("\n")
    files: dict[str, bytes] = {}
    per_fence = outputs_by_fence(result)
    numbers = iter(range(1, 10**6))
    inserts = []
    for fence, outs in zip(page.fences, per_fence):
        rendered: list[str] = []
        for out in outs:
            if out["kind"] == "svg":
                uri = figure_uri(page, next(numbers))
                files[uri] = compact_svg(out["data"]).encode()
                rendered += ["", figure_markdown(posixpath.relpath(uri, here), out["data"], out["alt"] or "図"), ""]
            else:
                rendered += text_output(out["data"])
        inserts.append((fence, rendered))
    for fence, rendered in reversed(inserts):
        lines[fence.end:fence.end] = [fence.indent + line if line else line for line in rendered]
        if fence.target is not None:
            del lines[fence.lineno]
            lines[fence.lineno - 1] = f'{fence.indent}{fence.ticks}python title="{fence.target}"'
    uri = f"notebooks/{stem}.ipynb"
    files[uri] = notebooks.chapter_notebook(page, per_fence).encode()
    button = (f"[:material-download: ノートブック (.ipynb)]({posixpath.relpath(uri, here)})"
              f'{{ .md-button .zerodl-notebook download="{posixpath.basename(uri)}" }}' + notebooks.colab_button(uri))
    took = notebooks.run_time(page.src, "".join(f.code for f in page.fences))
    for i, line in enumerate(lines):
        if line.startswith("# "):
            lines[i + 1:i + 1] = ["", button] + (["", took, "{: .zerodl-run-time }"] if took else [])
            break
    typeset.markdown(page.text, f"docs/{page.src}")  # a bad formula is named by its line in the source
    return Rendered(typeset.markdown("\n".join(lines), f"docs/{page.src} with its outputs"), files)


def render_experiment(page: Page, result: dict) -> Rendered:
    """An experiment: the executed notebook (for mkdocs-jupyter), its download, and a Markdown page."""
    from literate import notebooks

    stem = page.src.rsplit(".", 1)[0]
    per_cell = outputs_by_fence(result)
    files: dict[str, bytes] = {}
    numbers = iter(range(1, 10**6))
    figures = []
    for outs in per_cell:
        for out in outs:
            if out["kind"] == "svg":
                uri = figure_uri(page, next(numbers))
                files[uri] = compact_svg(out["data"]).encode()
                figures.append(uri)
    page_url = stem + "/"
    site_nb, download, markdown = notebooks.experiment_outputs(page, per_cell, figures, page_url)
    files[f"{stem}.ipynb"] = site_nb.encode()
    files[f"notebooks/{stem}.ipynb"] = download.encode()
    files[f"notebooks/{stem}.py"] = page.text.encode()
    return Rendered(markdown, files)


_rendered: dict[tuple[str, str, str], Rendered] = {}  # what this process rendered (mkdocs serve builds again)


def render(page: Page, result: dict) -> Rendered:
    problems = failures(page, result)
    if problems:
        raise RenderError("\n\n".join(problems))
    memo = (page.src, page.text, result.get("key") or hashlib.sha256(json.dumps(result).encode()).hexdigest())
    if memo not in _rendered:
        _rendered[memo] = render_experiment(page, result) if page.is_experiment else render_markdown(page, result)
    return _rendered[memo]


# --- the whole tree ------------------------------------------------------------------------------


def render_site(root: Path, results: Results | None = None) -> dict[str, Rendered]:
    """Every page with code, rendered (run where the cache has no result). Raises RenderError
    naming every page that failed."""
    from literate.notebooks import NotebookPageError

    own = results is None
    results = results or Results(root)
    try:
        found = site_pages(root)
        results.start(found)
        rendered, problems = {}, []
        for page in found:
            try:
                rendered[page.src] = render(page, results.result(page))
            except (RenderError, typeset.MathError, NotebookPageError) as exc:
                problems.append(str(exc))
        for src in nav_pages(root, (".md",)):  # pages without code: their math
            if src not in rendered:
                try:
                    rendered[src] = Rendered(typeset.markdown(pagelib.read_text(root / "docs" / src, f"docs/{src}"),
                                                              f"docs/{src}"), {})
                except typeset.MathError as exc:
                    problems.append(str(exc))
        if problems:
            raise RenderError("\n\n".join(problems))
        add_package(root, rendered)
        return rendered
    finally:
        if own:
            results.close()


# --- the package, published with the site ---------------------------------------------------------
# A reader installs zerodl from the site itself (no PyPI, no clone):
#     pip install "zerodl[notebook] @ <site_url>zerodl-<version>-py3-none-any.whl"
# The wheel is built from the checkout (pyproject.toml, README.md, src/zerodl) with the project's own
# build backend; its zip entries carry one fixed date, so the same sources give the same bytes.

WHEEL_EPOCH = "315532800"  # 1980-01-01 00:00 UTC, the earliest date a zip entry can hold


def package_sources(root: Path) -> list[Path]:
    """What the wheel is built from: pyproject.toml, README.md and the package's files (no caches)."""
    package = sorted(p for p in (root / "src" / "zerodl").rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"))
    return [root / "pyproject.toml", root / "README.md", *package]


def wheel_name(root: Path) -> str:
    import tomllib

    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return f"{project['name']}-{project['version']}-py3-none-any.whl"


def package_wheel(root: Path) -> tuple[str, bytes]:
    """``(file name, bytes)`` of zerodl's wheel, built with ``pip wheel --no-deps`` from a copy of the
    sources (the checkout is left as it is); kept in the render cache, keyed by the sources' content."""
    import subprocess

    import setuptools

    name = wheel_name(root)
    h = hashlib.sha256(f"{WHEEL_EPOCH}\0{setuptools.__version__}\0".encode())
    for path in package_sources(root):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    folder = cache_dir(root)
    entry = folder / "wheels" / h.hexdigest() / name if folder else None
    if entry is not None and entry.is_file():
        return name, entry.read_bytes()
    with tempfile.TemporaryDirectory(prefix="zerodl-wheel-") as tmp:
        source, dist = Path(tmp) / "source", Path(tmp) / "dist"
        for path in package_sources(root):
            copy = source / path.relative_to(root)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(path.read_bytes())
            copy.chmod(0o644)  # the zip entries' modes, whatever the umask
        env = dict(os.environ, SOURCE_DATE_EPOCH=WHEEL_EPOCH, PIP_DISABLE_PIP_VERSION_CHECK="1")
        built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                                "--no-cache-dir", "-q", "-w", str(dist), str(source)],
                               env=env, capture_output=True, text=True)
        wheel = dist / name
        if built.returncode != 0 or not wheel.is_file():
            raise RenderError(f"could not build the package's wheel {name} (pip wheel):\n"
                              f"{built.stdout[-3000:]}{built.stderr[-3000:]}")
        data = wheel.read_bytes()
    if entry is not None:
        try:
            atomic_write(entry, data)
        except OSError as exc:
            warn(f"could not keep the wheel in the cache {entry} ({exc.strerror or exc}); it is built again next time")
    return name, data


SITE_URL_PLACEHOLDER = "<このサイトの URL>"  # in docs/index.md's install line; the build writes the real one


def add_package(root: Path, rendered: dict[str, Rendered]) -> None:
    """The wheel joins the home page's generated files: it is served at ``<site_url><wheel name>``.
    The home page's install line gets the site's URL (the notebooks' line), when the build has one."""
    from literate.notebooks import wheel_url

    name, data = package_wheel(root)
    home = rendered.get("index.md") or Rendered(
        typeset.markdown(pagelib.read_text(root / "docs" / "index.md", "docs/index.md"), "docs/index.md"), {})
    url = wheel_url(root)
    markdown = home.markdown.replace(SITE_URL_PLACEHOLDER + name, url) if url else home.markdown
    rendered["index.md"] = Rendered(markdown, {**home.files, name: data})


def write_tree(root: Path, out: Path, rendered: dict[str, Rendered]) -> None:
    """``docs/`` with every page replaced by its rendered form, written whole or not at all."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        shutil.copytree(root / "docs", tmp, dirs_exist_ok=True)
        for src, page in rendered.items():
            if src.endswith(EXPERIMENT_SUFFIX):
                (tmp / src).unlink()
                src = src[: -len(EXPERIMENT_SUFFIX)] + ".md"
            (tmp / src).write_text(page.markdown, encoding="utf-8")
            for uri, data in page.files.items():
                (tmp / uri).parent.mkdir(parents=True, exist_ok=True)
                (tmp / uri).write_bytes(data)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("build/rendered"), help="the rendered tree (default build/rendered)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project root (default: .)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    start = time.perf_counter()
    results = Results(root)
    try:
        rendered = render_site(root, results)
        write_tree(root, args.out if args.out.is_absolute() else root / args.out, rendered)
    except (RenderError, pagelib.PageError) as exc:
        sys.stderr.write(f"render: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("render: interrupted; nothing was written, and no page is left running\n")
        return 130
    finally:
        results.close()
    ran = results.executed
    print(f"render: {len(rendered)} pages into {args.out} in {time.perf_counter() - start:.1f} s; "
          f"ran {len(ran)} ({', '.join(ran) or 'none'}), the rest from the cache")
    return 0


if __name__ == "__main__":
    from literate.render import main as _main  # the importable module, not __main__

    raise SystemExit(_main())
