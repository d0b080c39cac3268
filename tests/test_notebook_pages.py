"""The helpers that make mkdocs-jupyter pages and notebook downloads follow the site's rules."""

from __future__ import annotations

import json

import pytest
from markdown.extensions.toc import slugify as plain_slugify
from mkdocs.structure.toc import get_toc

from literate.notebooks import (
    NotebookPageError,
    figure_titles,
    fix_notebook_page,
    notebook_from_markdown,
    prune_css,
)


def test_prune_css_keeps_only_rules_for_classes_on_the_page():
    css = (
        '@charset "UTF-8";/* a comment with .absent */'
        ".a{color:red}.absent{color:blue}.a .b,.absent .b{margin:0}"
        ".a:not(.absent){padding:0}.md-typeset .a{border:0}"
        '.a::after{content:"{ .absent }"}'
        "@media (max-width:10px){.absent{x:1}.b{y:2}}@media print{.absent{x:1}}"
        "@keyframes spin{from{opacity:0}to{opacity:1}}"
        "[data-x=\".absent\"] .a{z:1}"
    )
    pruned = prune_css(css, {"a", "b"})
    assert pruned == (
        '@charset "UTF-8";'
        ".a{color:red}.a .b{margin:0}"
        ".a:not(.absent){padding:0}.md-typeset .a{border:0}"
        '.a::after{content:"{ .absent }"}'
        "@media (max-width:10px){.b{y:2}}"
        "@keyframes spin{from{opacity:0}to{opacity:1}}"
        "[data-x=\".absent\"] .a{z:1}"
    )


def test_prune_css_refuses_unbalanced_css():
    with pytest.raises(ValueError, match="unbalanced"):
        prune_css(".a{color:red", {"a"})


def test_figure_titles_are_the_literal_titles_in_order():
    code = 'fig, ax = plt.subplots()\nax.set_title("一つ目")\nfig.suptitle("全体")\nax.set_xlabel("x")\n'
    assert figure_titles(code) == ["一つ目", "全体"]
    assert figure_titles('ax.set_title(f"{lr}")') == []  # not a literal: cannot be read without running


def _page(cells_html: list[str]) -> str:
    return "".join(f'<div class="jp-Cell" id="cell-id={n:08x}">{html}</div>' for n, html in enumerate(cells_html))


SOURCE = '''# %% [markdown]
# # 実験のタイトル
#
# ## 節の見出し

# %%
ax.set_title("学習率の比較")
'''


def test_fix_notebook_page_numbers_cells_names_figures_and_links_headings(tmp_path):
    source = tmp_path / "exp.py"
    source.write_text(SOURCE, encoding="utf-8")
    content = _page([
        '<h1 id="">実験のタイトル<a class="anchor-link" href="#">¶</a></h1>'
        '<h2 id="">節の見出し<a class="anchor-link" href="#">¶</a></h2>',
        '<img alt="No description has been provided for this image" src="data:image/png;base64,AA">',
    ])
    toc = get_toc([{"level": 2, "id": "_1", "name": "節の見出し", "children": []}])

    def slugify(text, sep):
        return plain_slugify(text, sep, unicode=True)

    fixed = fix_notebook_page(content, source, "experiments/exp.py", "experiments/exp/", toc, slugify)
    assert 'id="cell-id=cell-0"' in fixed and 'id="cell-id=cell-1"' in fixed
    assert '<h2 id="節の見出し">節の見出し<a class="headerlink" href="#節の見出し" title="Permanent link">¶</a></h2>' in fixed
    assert list(toc)[0].id == "節の見出し"
    assert 'alt="学習率の比較"' in fixed
    assert 'href="../../notebooks/experiments/exp.ipynb"' in fixed  # from experiments/exp/
    assert fixed.index("zerodl-notebook") > fixed.index("</h1>")


def test_a_figure_without_title_fails_the_build(tmp_path):
    source = tmp_path / "exp.py"
    source.write_text(SOURCE.replace('ax.set_title("学習率の比較")', "plt.plot([1, 2])"), encoding="utf-8")
    content = _page(["<h1 id=''>t</h1>", '<img alt="No description has been provided for this image">'])
    with pytest.raises(NotebookPageError, match="has no title"):
        fix_notebook_page(content, source, "experiments/exp.py", "experiments/exp/", [], plain_slugify)


def test_cell_count_mismatch_is_reported(tmp_path):
    source = tmp_path / "exp.py"
    source.write_text(SOURCE, encoding="utf-8")
    with pytest.raises(NotebookPageError, match="rendered 1 cells but the notebook has 2"):
        fix_notebook_page(_page(["<h1>t</h1>"]), source, "experiments/exp.py", "experiments/exp/", [], plain_slugify)


def test_chapter_notebook_is_stable_and_sets_up_the_japanese_font():
    chapter = "# 章\n\n本文\n\n```python\nimport matplotlib.pyplot as plt\nplt.plot([1])\nplt.show()\n```\n"
    first = notebook_from_markdown(chapter, "01-x.md")
    assert first == notebook_from_markdown(chapter, "01-x.md"), "no random cell ids"
    notebook = json.loads(first)
    assert "docs/01-x.md" in "".join(notebook["cells"][0]["source"])
    assert "matplotlib_fontja" in "".join(notebook["cells"][1]["source"])
    assert [c["id"] for c in notebook["cells"]] == [f"cell-{n}" for n in range(len(notebook["cells"]))]
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    plain = json.loads(notebook_from_markdown("# 章\n\n```python\nprint(1)\n```\n", "02-y.md"))
    assert not any("matplotlib_fontja" in "".join(c["source"]) for c in plain["cells"])
