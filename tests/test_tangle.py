"""The tangle tool on small fixture projects (not on the real chapters)."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

from literate import tangle
from literate import render
from literate.pages import PageError
from literate.pages import fences as python_blocks


def make_project(tmp_path: Path, pages: dict[str, str], nav: list[str] | None = None) -> Path:
    (tmp_path / "docs").mkdir(parents=True)
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
        ("#| file: lib/elsewhere.py", "must name a .py module inside src/zerodl/"),
        ("#| file: src/zerodl/notes.txt", "must name a .py module inside src/zerodl/"),
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


# --- export paths, redefinitions, markers and unreadable pages -----------------------------------


def one_block(marker: str, body: str = "x = 1") -> dict[str, str]:
    return {"one.md": f"# One\n\n```python\n{marker}\n{body}\n```\n"}


@pytest.mark.parametrize(
    "target",
    [
        "src/zerodl/../../../outside.py",
        "src/zerodl/../x.py",
        "/src/zerodl/x.py",
        "src\\zerodl\\x.py",
        "src/zerodl/my-module.py",
        "src/zerodl/sub.dir/x.py",
    ],
)
def test_export_paths_outside_the_package_or_not_modules_are_refused(tmp_path, target):
    root = make_project(tmp_path / "project", one_block(f"#| file: {target}"))
    with pytest.raises(tangle.TangleError, match=r"docs/one\.md:3: .*must name a \.py module inside src/zerodl/"):
        tangle.write(root)
    assert not (tmp_path / "outside.py").exists() and not (root / "src").exists(), "nothing was written"


def test_an_export_through_a_symlink_out_of_the_package_is_refused(tmp_path):
    root = make_project(tmp_path / "project", one_block("#| file: src/zerodl/linked/x.py"))
    (tmp_path / "elsewhere").mkdir()
    (root / "src" / "zerodl").mkdir(parents=True)
    (root / "src" / "zerodl" / "linked").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(tangle.TangleError, match="through a symbolic link"):
        tangle.write(root)
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_spellings_of_one_module_are_one_module(tmp_path):
    """`src/zerodl//a.py` and `./src/zerodl/a.py` add to src/zerodl/a.py; neither replaces it."""
    pages = {
        "one.md": "# One\n\n```python\n#| file: src/zerodl/a.py\ndef first():\n    pass\n```\n",
        "two.md": "# Two\n\n```python\n#| file: src/zerodl//a.py\ndef second():\n    pass\n```\n",
        "three.md": "# Three\n\n```python\n#| file: ./src/zerodl/./a.py\ndef third():\n    pass\n```\n",
    }
    root = make_project(tmp_path, pages)
    tangle.write(root)
    assert sorted(p.name for p in (root / "src/zerodl").glob("*.py")) == ["__init__.py", "a.py"]
    assert '__all__ = ["first", "second", "third"]' in (root / "src/zerodl/a.py").read_text()


def test_a_later_chapter_may_not_redefine_an_exported_name(tmp_path):
    pages = {
        "one.md": "# One\n\n```python\n#| file: src/zerodl/opt.py\nclass SGD:\n    pass\n```\n",
        "two.md": "# Two\n\n```python\n#| file: src/zerodl//opt.py\nclass SGD:\n    lr = 2\n```\n",
    }
    root = make_project(tmp_path, pages)
    with pytest.raises(tangle.TangleError, match=r"docs/two\.md:3: SGD is already defined in src/zerodl/opt\.py by docs/one\.md:3"):
        tangle.write(root)


@pytest.mark.parametrize(
    "first_lines, line",
    [
        ("#| File: src/zerodl/a.py", 4),
        ("# | file: src/zerodl/a.py", 4),
        ("#|file : src/zerodl/a.py", 4),
        ("#| file: src/zerodl/a b.py", 4),
        ("import numpy as np\n#| file: src/zerodl/a.py", 5),
        ("\n#| file: src/zerodl/a.py", 5),
    ],
)
def test_a_misspelt_or_misplaced_export_marker_is_an_error(tmp_path, first_lines, line):
    root = make_project(tmp_path, one_block(first_lines))
    with pytest.raises(tangle.TangleError, match=rf"docs/one\.md, line {line}: (misspelt )?export marker"):
        tangle.write(root)
    assert not (root / "src").exists()


BAD_PAGES = {
    "an unterminated fence": (b"# One\n\n```python\nx = 1\n", "line 3: code fence ```python is never closed"),
    "a BOM": (b"\xef\xbb\xbf# One\n", "line 1: the file starts with a byte order mark"),
    "bytes that are not UTF-8": (b"# One\n\ncaf\xe9\n", "line 3: byte 0xe9 is not UTF-8"),
    "a tab-indented fence": (b"# One\n\n!!! note\n\n\t```python\n\tx = 1\n\t```\n", "line 5: a code fence indented with a tab"),
}


@pytest.mark.parametrize("problem", list(BAD_PAGES))
def test_unreadable_pages_name_file_and_line_in_the_tangle(tmp_path, problem):
    data, message = BAD_PAGES[problem]
    root = make_project(tmp_path, {"one.md": "# placeholder\n"})
    (root / "docs" / "one.md").write_bytes(data)
    with pytest.raises(tangle.TangleError, match=re.escape(f"docs/one.md, {message}")):
        tangle.write(root)
    assert tangle.main(["--root", str(root)]) == 2


@pytest.mark.parametrize("problem", list(BAD_PAGES))
def test_unreadable_pages_name_file_and_line_in_the_build(tmp_path, problem):
    data, message = BAD_PAGES[problem]
    root = make_project(tmp_path, {"one.md": "# placeholder\n"})
    (root / "docs" / "one.md").write_bytes(data)
    with pytest.raises(PageError, match=re.escape(f"docs/one.md, {message}")):
        render.site_pages(root)


def test_a_crlf_checkout_tangles_to_the_same_files_and_converges(tmp_path):
    root = make_project(tmp_path, {"one.md": CH1, "two.md": CH2})
    tangle.write(root)
    lf = tangle.actual_files(root)
    for page in ("one.md", "two.md"):
        path = root / "docs" / page
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert tangle.write(root) == [] and tangle.diff(root) == [] and tangle.actual_files(root) == lf


@pytest.mark.parametrize("target, message", [
    ("src/zerodl/__pycache__/x.py", "Python's own"),
    ("src/zerodl/__main__.py", "Python's own"),
    ("src/zerodl/__INIT__.py", "Python's own"),
])
def test_dunder_names_are_refused(tmp_path, target, message):
    root = make_project(tmp_path, one_block(f"#| file: {target}"))
    with pytest.raises(tangle.TangleError, match=re.escape(message)):
        tangle.write(root)


def test_modules_that_differ_only_in_case_are_refused(tmp_path):
    root = make_project(tmp_path, {"one.md": "# One\n\n```python\n#| file: src/zerodl/Opt.py\nA = 1\n```\n\n"
                                            "```python\n#| file: src/zerodl/opt.py\nB = 1\n```\n"})
    with pytest.raises(tangle.TangleError, match="differ only in case"):
        tangle.write(root)


@pytest.mark.parametrize("later", [
    "step = lambda x: x * 100",
    "step: object = None",
    "from os.path import join as step",
    "async def step(x):\n    return x",
    "if True:\n    def step(x):\n        return x",
    "try:\n    pass\nfinally:\n    def step(x):\n        return x",
    "for step in range(3):\n    pass",
    "class step:\n    pass",
])
def test_no_later_binding_replaces_an_exported_name(tmp_path, later):
    root = make_project(tmp_path, {
        "one.md": "# One\n\n```python\n#| file: src/zerodl/m.py\ndef step(x):\n    return x\n```\n",
        "two.md": f"# Two\n\n```python\n#| file: src/zerodl/m.py\n{later}\n```\n"})
    with pytest.raises(tangle.TangleError, match=r"docs/two\.md:3: step is already defined"):
        tangle.write(root)


def test_async_functions_are_listed_in_all(tmp_path):
    root = make_project(tmp_path, {"one.md": "# One\n\n```python\n#| file: src/zerodl/m.py\nasync def fetch():\n    pass\n```\n"})
    tangle.write(root)
    assert '__all__ = ["fetch"]' in (root / "src" / "zerodl" / "m.py").read_text(encoding="utf-8")


def test_generated_files_are_readable_by_others_under_the_usual_umask(tmp_path):
    import os
    import stat

    root = make_project(tmp_path, {"one.md": CH1})
    old = os.umask(0o022)
    try:
        tangle.write(root)
    finally:
        os.umask(old)
    for path in (root / "src").rglob("*.py"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
