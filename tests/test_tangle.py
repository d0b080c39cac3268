"""The tangle tool on small fixture projects (not on the real chapters)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from literate import tangle
from literate.fences import python_blocks


def make_project(tmp_path: Path, pages: dict[str, str], nav: list[str] | None = None) -> Path:
    (tmp_path / "docs").mkdir()
    for name, text in pages.items():
        path = tmp_path / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    nav = nav if nav is not None else list(pages)
    lines = ["site_name: fixture", "nav:"] + [f"  - Page {i}: {name}" for i, name in enumerate(nav)]
    lines += ["markdown_extensions:", "  - toc:", "      slugify: !!python/object/apply:pymdownx.slugs.slugify", "        kwds: {case: lower}"]
    (tmp_path / "mkdocs.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


CH1 = '''
    # One

    ```python
    #| file: src/zerodl/alpha.py
    import numpy as np


    def first():
        return np.zeros(1)
    ```

    Not exported:

    ```python
    print(first())
    ```

    ````markdown
    ```python
    #| file: src/zerodl/never.py
    ```
    ````
'''

CH2 = '''
    # Two

    ```python
    #| file: src/zerodl/alpha.py
    import numpy as np


    def second():
        return np.ones(1)


    def _private():
        pass
    ```

    !!! example

        ```python
        #| file: src/zerodl/sub/beta.py
        class Gamma:
            pass
        ```
'''


def test_fences_follow_pytest_codeblocks_rules():
    text = "```py\nx = 1\n```\n```python title=\"a\"\ny = 2\n```\n````markdown\n```python\nz = 3\n```\n````\n  ```python\n  w = 4\n  ```\n"
    blocks = python_blocks(text)
    assert [b.code for b in blocks] == ["w = 4\n"]
    assert blocks[0].indent == "  " and blocks[0].lineno == 12


def test_fences_agree_with_pytest_codeblocks_on_the_real_chapters(root):
    """The build and the tangle run exactly the code that the tests run."""
    from pytest_codeblocks.main import extract_from_file

    def lines(code: str) -> list[str]:
        # pytest-codeblocks drops blank lines inside indented fences; they mean nothing to Python
        return [line for line in code.splitlines() if line.strip()]

    pages = sorted((root / "docs").rglob("*.md"))
    assert pages
    for page in pages:
        ours = lines("".join(b.code for b in python_blocks(page.read_text(encoding="utf-8"))))
        theirs = lines("".join(b.code for b in extract_from_file(page) if b.syntax == "python"))
        assert ours == theirs, f"{page}: fences parsed differently from pytest-codeblocks"


def test_unclosed_fence_is_an_error():
    with pytest.raises(ValueError, match="line 1"):
        python_blocks("```python\nx = 1\n")


def test_modules_follow_nav_order_with_header_and_all(tmp_path):
    # nav order (two before one) decides the order, not the file names
    root = make_project(tmp_path, {"one.md": CH1, "two.md": CH2}, nav=["two.md", "one.md"])
    assert tangle.write(root)
    alpha = (root / "src/zerodl/alpha.py").read_text()
    assert alpha.startswith("# Generated from docs/two.md, docs/one.md by tools/literate/tangle.py.")
    assert '__all__ = ["second", "first"]' in alpha
    assert alpha.index("def second") < alpha.index("def first")
    assert alpha.count("import numpy as np") == 1, "a repeated import is written once"
    assert "#| file:" not in alpha and "print(first())" not in alpha
    assert not (root / "src/zerodl/never.py").exists(), "fences inside a text fence are not code"
    beta = (root / "src/zerodl/sub/beta.py").read_text()
    assert '__all__ = ["Gamma"]' in beta, "indented blocks (admonitions) are exported too"
    for init in ["src/zerodl/__init__.py", "src/zerodl/sub/__init__.py"]:
        assert (root / init).read_text().startswith("# Generated from ")
    namespace: dict = {}
    exec(alpha, namespace)
    assert namespace["first"]().shape == (1,)


def test_check_passes_when_in_sync_and_shows_a_diff_after_a_hand_edit(tmp_path):
    root = make_project(tmp_path, {"one.md": CH1, "two.md": CH2})
    tangle.write(root)
    assert tangle.diff(root) == []
    path = root / "src/zerodl/alpha.py"
    path.write_text(path.read_text().replace("np.zeros(1)", "np.zeros(2)"))
    problems = tangle.diff(root)
    assert len(problems) == 1
    assert "src/zerodl/alpha.py: differs" in problems[0]
    assert "-    return np.zeros(1)\n+    return np.zeros(2)" in problems[0]
    assert tangle.main(["--check", "--root", str(root)]) == 1


def test_check_fails_when_a_chapter_changed_or_a_file_is_extra(tmp_path):
    root = make_project(tmp_path, {"one.md": CH1, "two.md": CH2})
    tangle.write(root)
    page = root / "docs/one.md"
    page.write_text(page.read_text().replace("np.zeros(1)", "np.zeros(3)"))
    (root / "src/zerodl/handmade.py").write_text("x = 1\n")
    problems = "\n".join(tangle.diff(root))
    assert "src/zerodl/alpha.py: differs" in problems
    assert "src/zerodl/handmade.py: no chapter produces this file" in problems


def test_files_no_longer_produced_are_removed(tmp_path):
    root = make_project(tmp_path, {"one.md": CH1, "two.md": CH2})
    tangle.write(root)
    assert (root / "src/zerodl/sub/beta.py").exists()
    page = root / "docs/two.md"
    page.write_text(page.read_text().replace("#| file: src/zerodl/sub/beta.py\n", ""))
    changed = tangle.write(root)
    assert "src/zerodl/sub/beta.py" in changed
    assert not (root / "src/zerodl/sub").exists(), "an emptied package folder goes too"
    assert tangle.diff(root) == []


def test_hand_written_file_is_not_silently_deleted(tmp_path):
    root = make_project(tmp_path, {"one.md": CH1})
    tangle.write(root)
    (root / "src/zerodl/handmade.py").write_text("x = 1\n")
    with pytest.raises(tangle.TangleError, match="handmade.py was not generated"):
        tangle.write(root)


@pytest.mark.parametrize(
    "marker, message",
    [
        ("#| file: lib/elsewhere.py", "must name a .py file under src/zerodl/"),
        ("#| file: src/zerodl/notes.txt", "must name a .py file under src/zerodl/"),
        ("#| file: src/zerodl/sub/__init__.py", "only src/zerodl/__init__.py may be exported"),
    ],
)
def test_bad_targets_are_refused_with_the_place(tmp_path, marker, message):
    root = make_project(tmp_path, {"one.md": f"# One\n\n```python\n{marker}\nx = 1\n```\n"})
    with pytest.raises(tangle.TangleError, match=message) as info:
        tangle.write(root)
    assert "docs/one.md:3" in str(info.value)


def test_exported_top_level_init_replaces_the_generated_one_and_keeps_its_all(tmp_path):
    init = '\n```python\n#| file: src/zerodl/__init__.py\n"""Top level."""\nfrom zerodl.alpha import first\n\n__all__ = ["first"]\n```\n'
    root = make_project(tmp_path, {"one.md": CH1, "api.md": "# API\n" + init})
    tangle.write(root)
    text = (root / "src/zerodl/__init__.py").read_text()
    assert text.startswith("# Generated from docs/api.md by tools/literate/tangle.py.")
    assert text.count("__all__") == 1, "the block's own __all__, no generated one"
    assert ast.get_docstring(ast.parse(text)) == "Top level.", "the block's docstring stays the module's"
    assert "def first" in (root / "src/zerodl/alpha.py").read_text()
    assert tangle.diff(root) == []


def test_syntax_error_in_exported_block_names_the_chapter(tmp_path):
    root = make_project(tmp_path, {"one.md": "# One\n\n```python\n#| file: src/zerodl/a.py\ndef broken(:\n```\n"})
    with pytest.raises(tangle.TangleError, match="docs/one.md:3: syntax error"):
        tangle.write(root)


def test_exporting_page_outside_the_nav_is_refused(tmp_path):
    root = make_project(tmp_path, {"one.md": CH1, "loose.md": CH2}, nav=["one.md"])
    with pytest.raises(tangle.TangleError, match="docs/loose.md exports code but is not in the nav"):
        tangle.write(root)
