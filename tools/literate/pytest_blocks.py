"""pytest plugin: run the chapters' code blocks the way the build runs them, and record what they show.

Loaded by the project's root ``conftest.py`` for every pytest run (also
``pytest docs/08-x.md`` alone). It does three things to pytest-codeblocks:

* **Same conditions as the build** (``literate.execute.execute``): before the
  first block of a page, matplotlib's defaults + the Japanese font + ``STYLE``,
  every figure closed, ``np.random.seed(0)``, the ``zerodl`` modules dropped
  from ``sys.modules`` (restored after the page's last block); one BLAS thread
  for the whole session.
* **Every figure is drawn.** ``plt.show()`` saves each open figure as SVG with
  the build's settings, so a glyph missing from the font (matplotlib's
  "Glyph ... missing from font" warning, an error under pytest's
  ``filterwarnings = error``) fails the block's test in a second instead of the
  build a minute later.
* **Outputs are recorded**: what each code-block test printed and the SVG of
  every figure it showed, per page. ``tests/test_site_build.py`` compares them
  with the outputs the build recorded in its execution cache: the test run's
  execution of a page is the independent second execution that proves the
  page deterministic (the build runs all blocks of a page in one namespace;
  pytest-codeblocks runs each block, or each ``cont`` chain, in a fresh one).

A page counts as recorded only when every one of its code-block tests passed
in this session, in page order. ``run_page_blocks`` executes a page the same
way without pytest, for a session that did not run the page's blocks.

**Handing the records to another process.** ``make test`` runs the code blocks
and the other tests as two pytest processes side by side
(``tools/literate/testrun.py``). It names a folder in ``ZERODL_BLOCK_RECORDS``:
the code-block process writes each page's records there (atomically) as soon
as the page's last test ran, complete or not; ``records_from_other_process``
waits for them in the process that compares them with the build.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from literate.atomic import atomic_write  # noqa: E402
from literate.execute import STYLE, Output, draw_open_figures  # noqa: E402

# One BLAS thread, as at build time (literate.execute): the same numbers as on
# the site, and no OpenBLAS threads fighting over the cores. The environment
# variable reaches the processes tests start (builds, kernels).
threadpool_limits(limits=1, user_api="blas")
import os  # noqa: E402

os.environ["OPENBLAS_NUM_THREADS"] = "1"


@dataclass
class PageRecord:
    """What the code-block tests of one page showed, by the line of each test's first fence."""

    blocks: dict[int, list[Output]] = field(default_factory=dict)
    expected: list[int] = field(default_factory=list)  # linenos of the page's python tests, in order
    passed: list[int] = field(default_factory=list)  # linenos whose tests passed, in the order they ran

    @property
    def complete(self) -> bool:
        return bool(self.expected) and self.passed == self.expected


RECORDS: dict[str, PageRecord] = {}  # by path relative to docs/ ("01-gradient-descent.md")

_current: list[Output] | None = None  # outputs of the block being recorded
_stdout: io.StringIO | None = None  # what the block being recorded has printed and not yet flushed
_saved_modules: dict[str, object] | None = None


def _flush_text() -> None:
    if _stdout is None or _current is None:
        return
    text = _stdout.getvalue()
    if text:
        _current.append(Output("text", text))
        _stdout.seek(0)
        _stdout.truncate()


def show(*args: object, **kwargs: object) -> None:
    """``plt.show()`` under pytest: draw every open figure as the build does, record it, close it."""
    _flush_text()
    figures = draw_open_figures(plt)
    if _current is not None:
        _current.extend(figures)


plt.show = show


@contextlib.contextmanager
def recording(outputs: list[Output]):
    """Record into ``outputs`` what the code inside prints (captured, as pytest-codeblocks does) and shows."""
    global _current, _stdout
    _current, _stdout = outputs, io.StringIO()
    old = sys.stdout
    sys.stdout = _stdout
    try:
        yield _stdout
        _flush_text()
    finally:
        sys.stdout = old
        _current = _stdout = None


def start_page() -> None:
    """What ``literate.execute.execute`` does before a page's first block."""
    global _saved_modules
    import matplotlib_fontja
    import numpy as np

    matplotlib.rcdefaults()
    matplotlib_fontja.japanize()
    matplotlib.rcParams.update(STYLE)
    plt.close("all")
    names = [m for m in sys.modules if m == "zerodl" or m.startswith("zerodl.")]
    if _saved_modules is None:
        _saved_modules = {name: sys.modules[name] for name in names}
    for name in names:
        del sys.modules[name]
    np.random.seed(0)


def end_page() -> None:
    """After a page: the figures it left open closed, the session's own zerodl modules back."""
    global _saved_modules
    plt.close("all")
    if _saved_modules is None:
        return
    for name in [m for m in sys.modules if m == "zerodl" or m.startswith("zerodl.")]:
        del sys.modules[name]
    sys.modules.update(_saved_modules)
    _saved_modules = None


def docs_path(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root/docs`` (``None`` outside it)."""
    try:
        return Path(path).resolve().relative_to(root / "docs").as_posix()
    except ValueError:
        return None


def python_tests(path: Path) -> list:
    """pytest-codeblocks' blocks of a page that are python tests, in order (a cont chain is one)."""
    from pytest_codeblocks.main import extract_from_file

    return [block for block in extract_from_file(path) if block.syntax == "python"]


def run_page_blocks(path: Path) -> dict[int, list[Output]]:
    """Run a page's code-block tests as pytest-codeblocks runs them (each in a fresh namespace,
    under the conditions above) and return what each showed; the first failure raises."""
    results: dict[int, list[Output]] = {}
    start_page()
    try:
        for block in python_tests(path):
            if any("skip" in mark or "xfail" in mark for mark in block.marks) or block.importorskip:
                raise RuntimeError(f"{path}: line {block.lineno} is marked {block.marks or block.importorskip}; "
                                   "its outputs cannot be compared with the build's")
            outputs: list[Output] = []
            with recording(outputs):
                exec(block.code, {"__MODULE__": "__main__"})
            results[block.lineno] = outputs
    finally:
        end_page()
    return results


# --- hooks ------------------------------------------------------------------------------

_ROOT = Path(__file__).resolve().parents[2]
_page_of_last_item: str | None = None


def _is_block(item: pytest.Item) -> bool:
    return type(item).__name__ == "TestBlock" and getattr(getattr(item, "obj", None), "syntax", None) == "python"


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        if _is_block(item):
            page = docs_path(item.path, _ROOT)
            if page is not None and page not in RECORDS:
                RECORDS[page] = PageRecord(expected=[b.lineno for b in python_tests(item.path)])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    global _page_of_last_item
    if not _is_block(item):
        return (yield)
    page = docs_path(item.path, _ROOT)
    if page != _page_of_last_item:
        if _page_of_last_item is not None:
            end_page()
        start_page()
        _page_of_last_item = page
    import pytest_codeblocks.plugin as plugin

    outputs: list[Output] = []
    original = plugin.stdout_io
    plugin.stdout_io = lambda stdout=None: recording(outputs)
    try:
        result = yield
    finally:
        plugin.stdout_io = original
    record = RECORDS.get(page) if page else None
    if record is not None:
        record.blocks[item.obj.lineno] = outputs
        record.passed.append(item.obj.lineno)
    return result


def pytest_runtest_teardown(item, nextitem):
    global _page_of_last_item
    if _page_of_last_item is not None and (nextitem is None or not _is_block(nextitem)
                                           or docs_path(nextitem.path, _ROOT) != _page_of_last_item):
        end_page()
        folder = records_folder()
        if folder is not None and _page_of_last_item in RECORDS:
            write_records(folder, _page_of_last_item, RECORDS[_page_of_last_item])
        _page_of_last_item = None


# --- handing the records to the process that compares them (make test) -----------------

from literate.testrun import DOCS_EXIT, RECORDS_ENV  # noqa: E402


def records_folder() -> Path | None:
    """Where the code-block process of ``make test`` leaves each page's records (``ZERODL_BLOCK_RECORDS``)."""
    folder = os.environ.get(RECORDS_ENV, "").strip()
    return Path(folder) if folder else None


def records_file(folder: Path, page: str) -> Path:
    return folder / f"{page.replace('/', '__')}.json"


def write_records(folder: Path, page: str, record: PageRecord) -> None:
    """The page's records, complete or not, in one file that appears whole or not at all."""
    data = {
        "page": page,
        "expected": record.expected,
        "passed": record.passed,
        "blocks": {str(line): [asdict(o) for o in outs] for line, outs in record.blocks.items()},
    }
    atomic_write(records_file(folder, page), json.dumps(data, ensure_ascii=False))


class RecordsMissing(Exception):
    """The code-block process did not record a page completely."""


def records_from_other_process(folder: Path, page: str, timeout: float = 1800.0,
                               poll: float = 0.2) -> dict[int, list[Output]] | None:
    """The records of ``page`` written by the code-block process: wait until they are there.

    ``None`` when that process passed without running the page (``-k``, as
    ``pytest tests/`` alone: the caller runs the page itself). Raises
    ``RecordsMissing``, naming the page, when some of the page's code-block
    tests did not pass, when that process failed or died without recording the
    page, or after ``timeout`` seconds."""
    path = records_file(folder, page)
    start = time.monotonic()
    while not path.is_file():
        done = folder / DOCS_EXIT
        if done.is_file() and not path.is_file():
            status = json.loads(done.read_text(encoding="utf-8")).get("returncode")
            if status in (0, 5):  # passed, or collected nothing: this page's blocks were not selected
                return None
            raise RecordsMissing(
                f"{page}: the code-block process (pytest docs) ended with status {status} without recording "
                f"this page's code-block tests; see its output above (did it stop early, or not collect {page}?)")
        if time.monotonic() - start > timeout:
            raise RecordsMissing(f"{page}: no records from the code-block process after {timeout:.0f} s "
                                 f"(looked for {path.name} in {RECORDS_ENV}={folder})")
        time.sleep(poll)
    data = json.loads(path.read_text(encoding="utf-8"))
    expected, passed = data["expected"], data["passed"]
    if not expected or passed != expected:
        failed = [line for line in expected if line not in passed]
        raise RecordsMissing(
            f"{page}: not every code-block test of the page passed in the code-block process "
            f"(tests at lines {failed} did not pass; {len(passed)} of {len(expected)} did); see its output above")
    return {int(line): [Output(**o) for o in outs] for line, outs in data["blocks"].items()}


# --- comparing with the build -----------------------------------------------------------


def _merged(outputs: list[Output]) -> list[Output]:
    """Consecutive printed texts as one (the build flushes text at each block's end)."""
    merged: list[Output] = []
    for out in outputs:
        if out.kind == "text" and merged and merged[-1].kind == "text":
            merged[-1] = Output("text", merged[-1].data + out.data)
        else:
            merged.append(out)
    return merged


def _lines(code: str) -> str:
    """The code without blank lines (pytest-codeblocks drops those of indented blocks)."""
    return "".join(line for line in code.splitlines(keepends=True) if line.strip())


def differences(path: Path, build_blocks: list, build_outputs: list[list[Output]],
                test_outputs: dict[int, list[Output]]) -> list[str]:
    """Where the outputs of the build (one list per ```python block, as ``literate.execute``
    records them) differ from those of the code-block tests of the same page (one list per
    test; a ``cont`` chain is one test made of several blocks)."""
    problems: list[str] = []
    i = 0
    for test in python_tests(path):
        want, code, outputs = _lines(test.code), "", []
        while len(code) < len(want) and i < len(build_blocks):
            code += _lines(build_blocks[i].code)
            outputs += build_outputs[i]
            i += 1
        if code != want:
            return problems + [f"{path.name}: the build's blocks do not line up with the code-block test at line "
                               f"{test.lineno} (a cont marker attached to a non-python fence?)"]
        ours, theirs = _merged(outputs), _merged(test_outputs.get(test.lineno, []))
        where = f"{path.name}, code-block test at line {test.lineno}"
        if len(ours) != len(theirs) or any(a.kind != b.kind for a, b in zip(ours, theirs)):
            problems.append(f"{where}: the build showed {[o.kind for o in ours]}, the test {[o.kind for o in theirs]}")
            continue
        figures = 0
        for a, b in zip(ours, theirs):
            figures += a.kind == "svg"
            if a.kind == "text" and a.data != b.data:
                problems.append(f"{where}: printed text differs\n  build: {a.data[:300]!r}\n  test:  {b.data[:300]!r}")
            elif a.kind == "svg" and (a.data != b.data or a.alt != b.alt):
                at = next((k for k, (x, y) in enumerate(zip(a.data, b.data)) if x != y), min(len(a.data), len(b.data)))
                problems.append(f"{where}: figure {figures} ({a.alt!r}) differs from byte {at} on: "
                                f"build {a.data[at:at + 80]!r}, test {b.data[at:at + 80]!r}")
    if i != len(build_blocks):
        problems.append(f"{path.name}: {len(build_blocks) - i} blocks at the end ran in the build but in no test")
    return problems
