"""The code-block tests run as the build runs pages, draw every figure and record what
they show (tools/literate/pytest_blocks.py); test_site_build.py compares that with the build."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from literate import pytest_blocks
from literate.execute import execute
from literate.fences import python_blocks


def write_page(tmp_path, text):
    path = tmp_path / "page.md"
    path.write_text(text, encoding="utf-8")
    return path


def compare(tmp_path, root, text):
    path = write_page(tmp_path, text)
    build = execute("page.md", python_blocks(text), root)
    pytest_blocks.end_page()
    return pytest_blocks.differences(path, python_blocks(text), build, pytest_blocks.run_page_blocks(path))


def test_a_missing_glyph_fails_the_code_block_test_at_once():
    pytest_blocks.start_page()  # the build's style and Japanese font, as before a page's first block
    try:
        fig, ax = plt.subplots()
        ax.set_title("グリフのない文字 \U0001f600")
        with pytest.raises(UserWarning, match="missing from font"):
            plt.show()  # filterwarnings = error: the warning fails the block's test
    finally:
        pytest_blocks.end_page()


PAGE = """# page

```python
import numpy as np
import matplotlib.pyplot as plt

x = np.random.rand(3)
print("first", x.round(6))
```

<!--pytest-codeblocks:cont-->
```python
fig, ax = plt.subplots()
ax.plot(x)
ax.set_title("三つの点")
plt.show()
print("after the figure")
```

```python
import numpy as np

print("second", np.random.rand(2).round(6))
```
"""


def test_a_page_shows_the_same_in_the_build_and_in_its_tests(tmp_path, root):
    assert compare(tmp_path, root, PAGE) == []


def test_a_difference_is_reported_with_the_test_and_the_output(tmp_path, root):
    # the last block reads a name the build's shared namespace has but its test does not
    text = PAGE.replace('print("second", np.random.rand(2).round(6))', 'print("second", globals().get("x") is None)')
    problems = compare(tmp_path, root, text)
    assert len(problems) == 1 and "page.md, code-block test at line 20: printed text differs" in problems[0]


def test_figures_are_compared_byte_for_byte(tmp_path, root):
    # the figure's data come from the global RNG, which another number of draws moves
    text = PAGE.replace("x = np.random.rand(3)", "x = np.random.rand(3)\nif __name__ == '__zerodl_page__':\n    x = x + 1")
    problems = compare(tmp_path, root, text)
    assert any("figure 1 ('三つの点') differs" in p for p in problems), problems


def test_blocks_that_do_not_line_up_are_reported(tmp_path, root):
    path = write_page(tmp_path, PAGE)
    build = execute("page.md", python_blocks(PAGE), root)
    pytest_blocks.end_page()
    problems = pytest_blocks.differences(path, python_blocks(PAGE)[:2], build[:2], pytest_blocks.run_page_blocks(path))
    assert problems and "do not line up" in problems[-1]
