"""The render step on small projects of its own: a page runs once, in processes that leave nothing
behind, starts from the same state whatever ran before, and fails clearly, naming page and block."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import ROOT
from literate import render
from literate.run import PageFailed, run_page

LINUX = sys.platform.startswith("linux")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project with this checkout's package and a nav of the pages a test writes."""
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "docs").mkdir()
    monkeypatch.setenv("ZERODL_EXEC_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("ZERODL_EXEC_TIMEOUT", raising=False)
    return tmp_path


def write(project: Path, pages: dict[str, str]) -> None:
    nav = "".join(f"  - {name}\n" for name in pages)
    (project / "mkdocs.yml").write_text(f"site_name: t\nnav:\n{nav}", encoding="utf-8")
    for name, text in pages.items():
        (project / "docs" / name).write_text(textwrap.dedent(text), encoding="utf-8")


def fence(code: str) -> str:
    return f"```python\n{textwrap.dedent(code).strip()}\n```\n"


EXECUTED: list[str] = []  # what results_of ran, across calls of one test


def results_of(project: Path) -> dict:
    results = render.Results(project)
    try:
        pages = render.site_pages(project)
        return {p.src: results.result(p) for p in pages}
    finally:
        results.close()
        EXECUTED.extend(results.executed)


def texts(result: dict) -> list[str]:
    return ["".join(o["data"] for o in outs if o["kind"] == "text") for outs in render.outputs_by_fence(result)]


def alive(pattern: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    return [pid for pid in found if int(pid) != os.getpid()]


def test_each_chain_runs_in_a_fresh_namespace_and_prints_after_its_block(project):
    write(project, {"a.md": "# A\n\n" + fence("x = 1\nprint('one')") + "\n<!--pytest-codeblocks:cont-->\n"
                    + fence("print(x + 1)") + "\n" + fence("print('x' in dir())")})
    result = results_of(project)["a.md"]
    assert texts(result) == ["one\n", "2\n", "False\n"]
    rendered = render.render(render.load_page(project, "a.md"), result).markdown
    assert rendered.index("one") < rendered.index("print(x + 1)") < rendered.index("\n2\n") < rendered.index("'x' in")


def test_a_page_runs_once_then_comes_from_the_cache_until_its_code_or_imports_change(project):
    write(project, {"a.md": "# A\n\n" + fence("from zerodl.util import *\nprint(1)"), "b.md": "# B\n\n" + fence("print(2)")})
    results_of(project)
    EXECUTED.clear()
    results_of(project)
    assert EXECUTED == []
    util = project / "src" / "zerodl" / "util.py"
    util.write_text(util.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    results_of(project)
    assert EXECUTED == ["a.md"], "only the page that imports the changed module runs again"
    EXECUTED.clear()


@pytest.mark.parametrize("entry", ["[]", "null", '{"key": 5}', "not json", "BROKEN-SHAPE"])
def test_an_unreadable_cache_entry_is_run_again(project, entry):
    write(project, {"a.md": "# A\n\n" + fence("print('fresh')")})
    results_of(project)
    path = next((project / "cache" / "pages").glob("*.json"))
    if entry == "BROKEN-SHAPE":  # the right key, outputs of another shape
        stored = json.loads(path.read_text(encoding="utf-8"))
        stored["result"]["chains"][0]["fences"] = [[{"kind": "text"}]]
        entry = json.dumps(stored)
    path.write_text(entry, encoding="utf-8")
    EXECUTED.clear()
    assert texts(results_of(project)["a.md"]) == ["fresh\n"] and EXECUTED == ["a.md"]
    EXECUTED.clear()


def test_a_cache_that_cannot_be_written_is_reported_and_the_page_published(project, monkeypatch, capfd):
    (project / "cache-file").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("ZERODL_EXEC_CACHE", str(project / "cache-file"))
    write(project, {"a.md": "# A\n\n" + fence("print('still here')")})
    assert texts(results_of(project)["a.md"]) == ["still here\n"]
    err = capfd.readouterr().err
    assert "could not write the execution cache" in err and "cache-file" in err


def test_cache_entries_of_similar_names_do_not_collide(project):
    (project / "docs" / "x").mkdir()
    write(project, {"x/y.md": "# A\n\n" + fence("print('a')"), "x__y.md": "# B\n\n" + fence("print('b')")})
    results_of(project)
    EXECUTED.clear()
    results_of(project)
    assert EXECUTED == [] and len(list((project / "cache" / "pages").glob("*.json"))) == 2


STATE_CHANGES = [
    "import numpy as np; np.set_printoptions(precision=2)",
    "import numpy as np; np.seterr(all='ignore')",
    "import os; os.chdir('/')",
    "import os; os.environ['ZERODL_LEAK'] = '1'",
    "import sys; sys.path.insert(0, '/nonexistent')",
    "import warnings; warnings.simplefilter('ignore')",
    "import matplotlib; matplotlib.rcParams['lines.linewidth'] = 9",
    "import numpy as np; np.random.seed(123)",
]
PROBE = """
import os, sys, warnings
import numpy as np, matplotlib
print(np.array([1/3]), np.geterr()['divide'], os.getcwd() == ROOT, 'ZERODL_LEAK' in os.environ,
      '/nonexistent' in sys.path, matplotlib.rcParams['lines.linewidth'], np.random.rand())
"""


@pytest.mark.parametrize("change", STATE_CHANGES)
def test_a_page_starts_from_the_same_state_whatever_the_page_before_did(project, change):
    probe = PROBE.replace("ROOT", repr(str(project)))
    write(project, {"a.md": "# A\n\n" + fence(probe)})
    clean = texts(results_of(project)["a.md"])
    write(project, {"b.md": "# B\n\n" + fence(change), "a.md": "# A\n\n" + fence(probe)})
    shutil.rmtree(project / "cache")
    assert texts(results_of(project)["a.md"]) == clean


ENDINGS = {
    "import sys; sys.exit(0)": "raised SystemExit",
    "raise KeyboardInterrupt": "raised KeyboardInterrupt",
    "import os; os._exit(3)": "exit status 3",
    "import os, signal; os.kill(os.getpid(), signal.SIGKILL)": "signal SIGKILL",
}


@pytest.mark.parametrize("code", list(ENDINGS))
def test_a_block_that_ends_its_process_fails_the_page_naming_the_line(project, code):
    write(project, {"a.md": "# A\n\n" + fence("print(1)") + "\n" + fence(code)})
    page = render.load_page(project, "a.md")
    with pytest.raises(render.RenderError, match=rf"docs/a\.md, code block at line 7.*{ENDINGS[code]}"):
        render.render(page, results_of(project)["a.md"])


def test_a_failing_block_names_page_line_and_the_error(project):
    write(project, {"a.md": "# A\n\n" + fence("x = 1\ny = x / 0")})
    with pytest.raises(render.RenderError, match=r"(?s)docs/a\.md, code block at line 3 failed.*y = x / 0.*ZeroDivisionError"):
        render.render(render.load_page(project, "a.md"), results_of(project)["a.md"])


def test_output_has_a_size_limit_that_names_the_block(project):
    write(project, {"a.md": "# A\n\n" + fence("print('x' * 2_000_000)")})
    with pytest.raises(render.RenderError, match=r"line 3 printed more than 1,000,000 characters"):
        render.render(render.load_page(project, "a.md"), results_of(project)["a.md"])


def test_a_page_over_the_time_limit_is_stopped_naming_the_block(project, monkeypatch):
    monkeypatch.setenv("ZERODL_EXEC_TIMEOUT", "2")
    write(project, {"a.md": "# A\n\n" + fence("print(1)") + "\n" + fence("while True:\n    pass")})
    start = time.monotonic()
    with pytest.raises(render.RenderError, match=r"line 7 did not finish within 2 s"):
        render.render(render.load_page(project, "a.md"), results_of(project)["a.md"])
    assert time.monotonic() - start < 15


@pytest.mark.parametrize("setting", ["0", "-5", "ten", "inf", "nan"])
def test_time_limit_must_be_positive_seconds(monkeypatch, setting):
    monkeypatch.setenv("ZERODL_EXEC_TIMEOUT", setting)
    with pytest.raises(render.RenderError, match="ZERODL_EXEC_TIMEOUT must be a number of seconds"):
        render.time_limit()


@pytest.mark.skipif(not LINUX, reason="the subreaper and /proc are Linux's")
@pytest.mark.parametrize("spawn, number", [
    ("subprocess.Popen(['sleep', '1001'])", 1001),  # inherits the page's standard output
    ("subprocess.Popen(['setsid', 'sleep', '1002'])", 1002),  # leaves the page's session
    ("subprocess.Popen(['sh', '-c', '(sleep 1003 &) ; exit 0'])", 1003),  # a daemon: its parent exits at once
])
def test_nothing_a_page_started_outlives_it_and_the_page_does_not_wait_for_it(project, spawn, number):
    write(project, {"a.md": "# A\n\n" + fence(f"import subprocess, time\n{spawn}\ntime.sleep(0.3)\nprint('done')")})
    start = time.monotonic()
    assert texts(results_of(project)["a.md"]) == ["done\n"]
    assert time.monotonic() - start < 30, "the page waited for its child"
    time.sleep(0.2)
    assert not alive(f"sleep {number}"), f"sleep {number} outlived the page"


@pytest.mark.skipif(not LINUX, reason="the subreaper and /proc are Linux's")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_nothing_of_a_page_outlives_the_process_that_ran_it(project, how):
    """`timeout`, CI cancellation and systemd send SIGTERM; SIGKILL leaves no time to clean up."""
    write(project, {"a.md": "# A\n\n" + fence("import subprocess, time\nsubprocess.Popen(['setsid', 'sleep', '1004'])\n"
                                             "print('started', flush=True)\ntime.sleep(1000)")})
    script = (f"import sys; sys.path[:0] = [{str(ROOT / 'tools')!r}]\n"
              "from pathlib import Path\nfrom literate import render\n"
              f"r = render.Results(Path({str(project)!r})); r.result(render.load_page(Path({str(project)!r}), 'a.md'))\n")
    parent = subprocess.Popen([sys.executable, "-c", script], env=dict(os.environ))
    for _ in range(300):
        if alive("sleep 1004"):
            break
        time.sleep(0.1)
    assert alive("sleep 1004")
    parent.send_signal(how)
    parent.wait(timeout=30)
    for _ in range(50):
        if not alive("sleep 1004"):
            break
        time.sleep(0.1)
    assert not alive("sleep 1004")


def test_a_changed_page_cancels_its_running_run(project):
    write(project, {"a.md": "# A\n\n" + fence("while True:\n    pass")})
    cancelled = {"now": False}
    results = render.Results(project, cancelled=lambda: cancelled["now"])
    page = render.load_page(project, "a.md")
    future = results.future(page)
    time.sleep(1.0)
    cancelled["now"] = True
    result = future.result(timeout=30)
    results.close()
    assert "stopped, the page was changed while it ran" in render.failures(page, result)[0]


def test_a_page_that_imports_another_checkouts_zerodl_is_refused(project, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    shutil.copytree(ROOT / "src" / "zerodl", other / "zerodl", ignore=shutil.ignore_patterns("__pycache__"))
    write(project, {"a.md": "# A\n\n" + fence(f"import sys\nsys.path.insert(0, {str(other)!r})\nimport zerodl")})
    with pytest.raises(render.RenderError, match="not from this checkout"):
        render.render(render.load_page(project, "a.md"), results_of(project)["a.md"])


def test_run_page_reports_progress_so_a_hang_names_its_block(project):
    job = {"page": "p.md", "chains": [[[3, "print(1)\n"]], [[9, "import time\ntime.sleep(100)\n"]]]}
    with pytest.raises(PageFailed, match="code block at line 9 did not finish"):
        run_page(job, project, 2.0)
