"""The rendered tree is plain Markdown any generator can lay out: Zensical (the successor of
Material for MkDocs, which ignores MkDocs hooks and plugins it does not know) builds it with
every figure and every printed output on its page."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from literate import render

pytestmark = pytest.mark.build


def zensical_config(tree: Path) -> str:
    """mkdocs.yml for the rendered tree: no hooks, no mkdocs-jupyter, the experiment as its Markdown page."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    text = re.sub(r"\nhooks:\n(  - .*\n)+", "\n", text)
    text = re.sub(r"\n  # Notebook-shaped.*?include_source: false\n", "\n", text, flags=re.S)
    text = re.sub(r"(experiments/[\w-]+)\.ipynb", r"\1.md", text)
    theme = os.path.relpath(ROOT / "tools" / "theme", tree.parent)  # (Zensical 0.0.70 wants relative paths)
    text = text.replace("custom_dir: tools/theme", f"custom_dir: {theme}")
    return f"docs_dir: {tree.name}\nsite_dir: site\n" + text


@pytest.fixture(scope="module")
def zensical_site(tmp_path_factory, site_build):
    from literate.pytest_pages import results

    tree = tmp_path_factory.mktemp("zensical") / "rendered"
    render.write_tree(ROOT, tree, render.render_site(ROOT, results()))
    config = tree.parent / "mkdocs.yml"
    config.write_text(zensical_config(tree), encoding="utf-8")
    zensical = Path(sys.executable).parent / "zensical"
    result = subprocess.run([str(zensical), "build", "-f", str(config)], cwd=tree.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return tree.parent / "site"


@pytest.mark.parametrize("src", [p.src for p in render.site_pages(ROOT)])
def test_every_figure_and_output_is_on_its_page(zensical_site, src):
    from literate.pytest_pages import results

    page = render.load_page(ROOT, src)
    outputs = [o for outs in render.outputs_by_fence(results().result(page)) for o in outs]
    text = (zensical_site / src.rsplit(".", 1)[0] / "index.html").read_text(encoding="utf-8")
    figures = [re.search(r'src="([^"]+)"', tag).group(1) for tag in re.findall(r'<img [^>]*zerodl-figure[^>]*>', text)]
    assert len(figures) == sum(o["kind"] == "svg" for o in outputs), f"{src}: figures missing"
    for figure in figures:
        assert (zensical_site / src.rsplit(".", 1)[0] / figure).resolve().is_file(), figure
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    for out in outputs:
        if out["kind"] == "text":
            line = next((l.strip() for l in out["data"].splitlines() if l.strip() and "|" not in l), None)
            assert line is None or line in plain, f"{src}: the printed line {line!r} is not on the page"
    assert "#| file:" not in plain, f"{src}: an export marker left as code"
