"""literate.execute: pages run side by side in worker processes give exactly
what they give in the build process; errors name the page and line; the cache
key follows the data files a page names."""

from __future__ import annotations

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
    assert "worker" not in capfd.readouterr().err  # it did run in the worker, not in the fallback


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
