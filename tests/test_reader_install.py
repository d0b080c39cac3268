"""A reader installs zerodl with one line, from the site itself: ``pip install "zerodl[notebook] @
<site_url>zerodl-<version>-py3-none-any.whl"``. The site publishes that wheel (the same bytes from the
same sources), the home page, the README and every notebook give that line, and a notebook's first
code cell runs it only where ``import zerodl`` fails. (Running every notebook in a virtualenv that
has only that line is `make notebooks`, tests/test_notebooks_run.py.)"""

from __future__ import annotations

import ast
import importlib.metadata
import io
import json
import re
import subprocess
import sys
import tomllib
import zipfile

import pytest

from conftest import ROOT
from literate import notebooks, render

SITE = "https://example.org/zerodl/"
WHEEL = render.wheel_name(ROOT)


def extras() -> dict[str, list[str]]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]


def project_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;@]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_two_builds_of_the_wheel_give_the_same_bytes_and_the_whole_package(monkeypatch):
    monkeypatch.setenv("ZERODL_EXEC_CACHE", "off")  # built twice, not taken from the cache
    name, first = render.package_wheel(ROOT)
    _, second = render.package_wheel(ROOT)
    assert name == WHEEL and first == second
    with zipfile.ZipFile(io.BytesIO(first)) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"{WHEEL.split('-py3')[0]}.dist-info/METADATA").decode()
    modules = {p.relative_to(ROOT / "src").as_posix() for p in (ROOT / "src" / "zerodl").rglob("*.py")}
    assert modules and modules <= names, f"the wheel lacks {sorted(modules - names)}"
    assert "Provides-Extra: notebook" in metadata


def test_the_notebook_extra_is_what_the_pages_code_imports_and_not_the_site_toolchain():
    imported: set[str] = set()
    for page in render.site_pages(ROOT):
        for chain in page.chains:
            for _, code in chain:
                for node in ast.walk(ast.parse(code)):
                    if isinstance(node, ast.Import):
                        imported |= {a.name.split(".")[0] for a in node.names}
                    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                        imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"zerodl"}
    distributions = importlib.metadata.packages_distributions()
    needed = {project_name(dist) for module in third_party for dist in distributions.get(module, [module])}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    offered = {project_name(r) for r in project["dependencies"] + extras()["notebook"]}
    assert needed <= offered, f"the pages import {sorted(needed - offered)}, which zerodl[notebook] does not install"
    toolchain = {project_name(r) for r in extras()["docs"]} - offered - {"zerodl"}
    assert "mkdocs" in toolchain and not toolchain & offered


def test_home_page_readme_and_notebooks_give_the_same_install_line(monkeypatch):
    monkeypatch.setenv("ZERODL_SITE_URL", SITE)
    line = f'pip install "zerodl[notebook] @ {SITE}{WHEEL}"'
    assert notebooks.install_line(ROOT) == line
    template = f'pip install "zerodl[notebook] @ {render.SITE_URL_PLACEHOLDER}{WHEEL}"'
    for doc in ("docs/index.md", "README.md"):
        assert template in (ROOT / doc).read_text(encoding="utf-8"), f"{doc} does not give the install line"
    home = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    rendered = {"index.md": render.Rendered(home, {})}
    render.add_package(ROOT, rendered)
    assert line in rendered["index.md"].markdown and template not in rendered["index.md"].markdown
    assert WHEEL in rendered["index.md"].files, "the wheel is a file of the rendered tree, at its root"
    page = render.Page("01-x.md", "# 章\n\n```python\nprint(1)\n```\n", [], fences=[])
    from literate import pages

    page.fences = pages.fences(page.text)
    notebook = json.loads(notebooks.chapter_notebook(page, [[{"kind": "text", "data": "1\n"}]]))
    assert line in "".join(notebook["cells"][0]["source"]), "the notebook's first cell gives the line"
    setup = notebook["cells"][1]
    assert setup["cell_type"] == "code" and line.replace("pip install", "pip install --quiet") in "".join(setup["source"])
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code[0] is setup and setup["outputs"] == [] and "".join(code[1]["outputs"][0]["text"]) == "1\n"


def run_setup_cell(source: str, zerodl_importable: bool) -> list:
    """The setup cell as IPython runs it (its magics made calls), in a Python where zerodl is or is
    not importable; returns the line magics it called."""
    from IPython.core.inputtransformer2 import TransformerManager

    code = TransformerManager().transform_cell(source)
    program = ("import json, sys\ncalls = []\n"
               "class Shell:\n    def run_line_magic(self, name, line):\n        calls.append([name, line])\n"
               "get_ipython = Shell\n"
               f"exec(compile({code!r}, 'cell', 'exec'))\nprint(json.dumps(calls))\n")
    # -I: no PYTHONPATH, no user site; -S: no site-packages (where an installed zerodl would be)
    cmd = [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(ROOT / 'src')!r})\n" + program] \
        if zerodl_importable else [sys.executable, "-I", "-S", "-c", program]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT.parent)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_first_code_cell_runs_the_install_line_only_where_zerodl_is_missing(monkeypatch):
    monkeypatch.setenv("ZERODL_SITE_URL", SITE)
    source = notebooks.setup_cell_source(uses_matplotlib=False, root=ROOT)
    assert run_setup_cell(source, zerodl_importable=True) == []
    assert run_setup_cell(source, zerodl_importable=False) == [
        ["pip", f'install --quiet "zerodl[notebook] @ {SITE}{WHEEL}"']]


@pytest.mark.build
def test_the_built_site_serves_the_wheel_at_its_root(site):
    wheel = site / WHEEL
    assert wheel.is_file(), f"the site has no {WHEEL}"
    with zipfile.ZipFile(wheel) as archive:
        assert archive.testzip() is None and "zerodl/__init__.py" in archive.namelist()
    site_url = notebooks.load_config(ROOT).get("site_url")
    if site_url:
        assert f"{site_url.rstrip('/')}/{WHEEL}" in (site / "index.html").read_text(encoding="utf-8")


def test_without_addresses_no_page_or_notebook_names_one(monkeypatch):
    """A build not told where the site and repository are (a local build) invents no address."""
    for name in ("ZERODL_SITE_URL", "ZERODL_REPO_URL", "ZERODL_EDIT_URI"):
        monkeypatch.delenv(name, raising=False)
    config = notebooks.load_config(ROOT)
    assert config["site_url"] is None and config["repo_url"] is None and not config["edit_uri"]
    assert notebooks.install_line(ROOT) is None and notebooks.colab_url("notebooks/01-x.ipynb", ROOT) is None
    note = notebooks.note("01-x.md", ROOT)
    assert "http" not in note and "手元で動かす" in note
    assert notebooks.setup_cell_source(False, ROOT).startswith("import zerodl")
    assert notebooks.colab_button("notebooks/01-x.ipynb", ROOT) == ""


def test_colab_links_open_the_notebooks_branch_of_the_repository(monkeypatch):
    from literate import pages

    monkeypatch.setenv("ZERODL_REPO_URL", "https://github.com/someone/zerodl")
    want = "https://colab.research.google.com/github/someone/zerodl/blob/notebooks/01-x.ipynb"
    text = "# 章\n\n```python\nprint(1)\n```\n"
    page = render.Page("01-x.md", text, [[(5, "print(1)\n")]], fences=pages.fences(text))
    result = {"chains": [{"lineno": 5, "error": None, "fences": [[{"kind": "text", "data": "1\n"}]]}]}
    rendered = render.render_markdown(page, result)
    assert f"]({want}){{ .md-button .zerodl-colab }}" in rendered.markdown, "the page's Colab button"
    assert "<img" not in rendered.markdown, "a link with an inlined icon, no image to fetch"
    notebook = json.loads(rendered.files["notebooks/01-x.ipynb"])
    assert f"[Colab で開く]({want})" in "".join(notebook["cells"][0]["source"]), "the notebook's own link"
    monkeypatch.setenv("ZERODL_REPO_URL", "https://gitlab.com/someone/zerodl")
    assert notebooks.colab_url("notebooks/01-x.ipynb", ROOT) is None, "Colab opens GitHub repositories only"
