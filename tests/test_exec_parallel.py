"""literate.execute: pages run side by side in worker processes give exactly
what they give in the build process; errors name the page and line; the cache
key follows the data files a page names."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from literate import execute as ex
from literate.fences import python_blocks

PAGE = """# A page

```python
import numpy as np
import matplotlib.pyplot as plt

rng = np.random.default_rng(8)
values = rng.normal(size=5)
print("sum", values.sum())
```

<!--pytest-codeblocks:cont-->
```python
fig, ax = plt.subplots()
ax.plot(values)
ax.set_title("five values")
plt.show()
print("unseeded", np.random.rand())
```
"""

BROKEN = """# Broken

```python
x = 1
```

```python
raise RuntimeError("this block fails on purpose")
```
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "docs" / "data").mkdir(parents=True)
    monkeypatch.setenv("ZERODL_EXEC_CACHE", "off")
    yield tmp_path
    ex.shutdown()


def test_a_page_run_in_a_worker_gives_what_it_gives_in_process(project, monkeypatch, capfd):
    blocks = python_blocks(PAGE)
    monkeypatch.setenv("ZERODL_EXEC_JOBS", "1")
    here = ex.run_page("a.md", blocks, project)
    monkeypatch.setenv("ZERODL_EXEC_JOBS", "2")
    ex.prefetch([("a.md", blocks)], project)
    assert ("a.md", ex.cache_key("a.md", blocks, project)) in ex._pending
    there = ex.run_page("a.md", blocks, project)
    assert not ex._pending
    assert [[o.kind for o in outs] for outs in there] == [["text"], ["svg", "text"]]
    assert there == here  # text, SVG bytes and alt text alike
    assert there[1][0].alt == "five values"
    assert ex.execute("a.md", blocks, project) == here  # and what it gives in this process


def test_a_failing_block_in_a_worker_names_page_and_line(project, monkeypatch):
    monkeypatch.setenv("ZERODL_EXEC_JOBS", "2")
    blocks = python_blocks(BROKEN)
    ex.prefetch([("broken.md", blocks)], project)
    with pytest.raises(ex.BlockError, match=r"docs/broken\.md, code block at line 7 failed(.|\n)*fails on purpose"):
        ex.run_page("broken.md", blocks, project)


def test_exec_jobs_must_be_a_positive_number(monkeypatch):
    monkeypatch.setenv("ZERODL_EXEC_JOBS", "two")
    with pytest.raises(ValueError, match="ZERODL_EXEC_JOBS"):
        ex.jobs()
    monkeypatch.setenv("ZERODL_EXEC_JOBS", "3")
    assert ex.jobs() == 3


def test_cache_key_follows_the_data_files_a_page_names(project):
    data = project / "docs" / "data"
    (data / "bench.json").write_text("{}", encoding="utf-8")
    (data / "other.json").write_text("{}", encoding="utf-8")
    blocks = python_blocks('```python\nprint(open("docs/data/bench.json").read())\n```\n')
    key = ex.cache_key("p.md", blocks, project)
    (data / "other.json").write_text('{"changed": 1}', encoding="utf-8")
    assert ex.cache_key("p.md", blocks, project) == key
    (data / "bench.json").write_text('{"changed": 1}', encoding="utf-8")
    assert ex.cache_key("p.md", blocks, project) != key


# --- a block that ends its process, runs forever or outlives the build ---------------------------

ENDINGS = {
    "sys.exit": "import sys\nsys.exit(0)",
    "exit()": "exit()",
    "KeyboardInterrupt": "raise KeyboardInterrupt",
    "os._exit": "import os\nos._exit(0)",
    "a crash": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)",
}


def page_with(code: str) -> str:
    return f"# Page\n\n```python\nx = 1\n```\n\n```python\n{code}\n```\n"


@pytest.mark.parametrize("how", list(ENDINGS))
def test_a_block_that_ends_its_process_fails_the_page_naming_the_line(project, monkeypatch, capfd, how):
    """Never a silent second run in the build process (which the block would end, with status 0)."""
    monkeypatch.setenv("ZERODL_EXEC_JOBS", "1")
    blocks = python_blocks(page_with(ENDINGS[how]))
    with pytest.raises(ex.BlockError, match=r"docs/end\.md, code block at line 7 (raised|ended the process)"):
        ex.run_page("end.md", blocks, project)
    assert not ex._live


def test_the_same_through_prefetch(project, monkeypatch):
    monkeypatch.setenv("ZERODL_EXEC_JOBS", "2")
    blocks = python_blocks(page_with(ENDINGS["os._exit"]))
    ex.prefetch([("end.md", blocks)], project)
    with pytest.raises(ex.BlockError, match=r"docs/end\.md, code block at line 7 ended the process"):
        ex.run_page("end.md", blocks, project)


def test_in_process_execute_refuses_system_exit_too(project):
    with pytest.raises(ex.BlockError, match=r"line 7 raised SystemExit"):
        ex.execute("end.md", python_blocks(page_with("raise SystemExit(3)")), project)


def test_a_page_over_the_time_limit_is_stopped_naming_the_block(project, monkeypatch):
    monkeypatch.setenv("ZERODL_EXEC_JOBS", "1")
    monkeypatch.setenv("ZERODL_EXEC_TIMEOUT", "3")
    blocks = python_blocks(page_with("while True:\n    pass"))
    start = time.monotonic()
    with pytest.raises(ex.BlockError, match=r"docs/loop\.md, code block at line 7 did not finish within 3 s(.|\n)*ZERODL_EXEC_TIMEOUT"):
        ex.run_page("loop.md", blocks, project)
    assert time.monotonic() - start < 30
    assert not ex._live


@pytest.mark.parametrize("setting", ["0", "-5", "ten", "inf", "nan"])
def test_time_limit_must_be_positive_seconds(monkeypatch, setting):
    monkeypatch.setenv("ZERODL_EXEC_TIMEOUT", setting)
    with pytest.raises(ValueError, match="ZERODL_EXEC_TIMEOUT"):
        ex.time_limit()


def test_time_limit_default_is_generous(monkeypatch):
    monkeypatch.delenv("ZERODL_EXEC_TIMEOUT", raising=False)
    assert ex.time_limit() == 600


BUILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tools!r})
from literate import execute as ex
from literate.fences import python_blocks
root = Path({root!r})
blocks = python_blocks("```python\\nimport os, time\\nopen({pidfile!r}, 'w').write(str(os.getpid()))\\nwhile True:\\n    time.sleep(0.1)\\n```\\n")
ex.prefetch([("loop.md", blocks)], root)
while not Path({pidfile!r}).exists():
    time.sleep(0.1)
print("started", flush=True)
{ending}
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and SIGKILL")
@pytest.mark.parametrize("ending", ["import os; os.kill(os.getpid(), 9)", "sys.exit(0)"])
def test_workers_die_with_the_build_process(project, tmp_path, ending):
    """Killed outright (SIGKILL) or ending normally (Ctrl-C on mkdocs serve ends in sys.exit),
    the build process takes its running workers with it."""
    pidfile = tmp_path / "worker.pid"
    script = BUILD.format(tools=str(Path(ex.__file__).parents[1]), root=str(project), pidfile=str(pidfile), ending=ending)
    env = dict(os.environ, ZERODL_EXEC_JOBS="2", ZERODL_EXEC_CACHE="off")
    build = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert "started" in build.stdout, build.stderr
    worker = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker), "the worker outlived the build process"


def test_workers_import_the_checkouts_package(project, monkeypatch):
    """What runs is what the cache key hashes: src/zerodl of the project, not an installed zerodl."""
    package = project / "src" / "zerodl"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('WHERE = "fixture checkout"\n', encoding="utf-8")
    monkeypatch.setenv("ZERODL_EXEC_JOBS", "1")
    blocks = python_blocks("```python\nimport zerodl\nprint(zerodl.WHERE)\n```\n")
    assert ex.run_page("pkg.md", blocks, project) == [[ex.Output("text", "fixture checkout\n")]]
    key = ex.cache_key("pkg.md", blocks, project)
    (package / "__init__.py").write_text('WHERE = "changed"\n', encoding="utf-8")
    assert ex.cache_key("pkg.md", blocks, project) != key
