"""The helpers that make mkdocs-jupyter pages and notebook downloads follow the site's rules."""

from __future__ import annotations

import json

import pytest
from markdown.extensions.toc import slugify as plain_slugify
from mkdocs.structure.toc import get_toc

from literate import render
from literate.notebooks import NotebookPageError, chapter_notebook, experiment_outputs, fix_notebook_page, prune_css


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


SOURCE = '''# %% [markdown]
# # 実験のタイトル
#
# ## 節の見出し

# %%
print("hello")
'''


def test_fix_notebook_page_drops_external_loaders_and_links_headings():
    content = ('<!-- Load mathjax --><script src=""></script><!-- End of mathjax configuration -->'
               '<h2 id="x">節の見出し<a class="anchor-link" href="#x">¶</a></h2>')
    toc = get_toc([{"level": 2, "id": "_1", "name": "節の見出し", "children": []}])

    def slugify(text, sep):
        return plain_slugify(text, sep, unicode=True)

    fixed = fix_notebook_page(content, toc, slugify)
    assert "mathjax" not in fixed.lower()
    assert '<h2 id="節の見出し">節の見出し<a class="headerlink" href="#節の見出し" title="Permanent link">¶</a></h2>' in fixed
    assert list(toc)[0].id == "節の見出し"


def _experiment(source: str) -> render.Page:
    import jupytext

    notebook = jupytext.reads(source, fmt="py:percent")
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    return render.Page("experiments/exp.py", source, [[(i + 1, c.source) for i, c in enumerate(cells)]], notebook=notebook)


def test_an_experiment_gets_buttons_under_its_title_and_its_outputs():
    site, download, markdown = experiment_outputs(_experiment(SOURCE), [[{"kind": "text", "data": "hello\n"}]], [],
                                                  "experiments/exp/")
    nb = json.loads(site)
    title = "".join(nb["cells"][0]["source"])
    assert title.startswith("# 実験のタイトル") and 'href="../../notebooks/experiments/exp.ipynb"' in title
    assert "".join(nb["cells"][-1]["outputs"][0]["text"]) == "hello\n"
    assert "".join(json.loads(download)["cells"][-1]["outputs"][0]["text"]) == "hello\n"
    assert "hello" in markdown and "```python" in markdown


def test_an_experiment_without_a_title_cell_is_refused():
    with pytest.raises(NotebookPageError, match="title"):
        experiment_outputs(_experiment("# %%\nprint(1)\n"), [[]], [], "experiments/exp/")


def _chapter(text: str) -> render.Page:
    from literate import pages

    return render.Page("01-x.md", text, [], fences=pages.fences(text))


def test_chapter_notebook_is_stable_carries_the_outputs_and_sets_up_the_japanese_font():
    chapter = "# 章\n\n本文\n\n```python\nimport matplotlib.pyplot as plt\nprint(1)\nplt.plot([1])\nplt.show()\n```\n"
    outputs = [[{"kind": "text", "data": "1\n"}, {"kind": "svg", "data": "<svg/>", "alt": "図の題"}]]
    first = chapter_notebook(_chapter(chapter), outputs)
    assert first == chapter_notebook(_chapter(chapter), outputs), "no random cell ids"
    notebook = json.loads(first)
    assert "docs/01-x.md" in "".join(notebook["cells"][0]["source"])
    assert "matplotlib_fontja" in "".join(notebook["cells"][1]["source"])
    assert [c["id"] for c in notebook["cells"]] == [f"cell-{n}" for n in range(len(notebook["cells"]))]
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert "".join(code[-1]["outputs"][0]["text"]) == "1\n"
    assert "".join(code[-1]["outputs"][1]["data"]["image/svg+xml"]) == "<svg/>"
    plain = json.loads(chapter_notebook(_chapter("# 章\n\n```python\nprint(1)\n```\n"), [[]]))
    assert not any("matplotlib_fontja" in "".join(c["source"]) for c in plain["cells"])


def test_a_block_in_a_box_is_a_code_cell_of_the_notebook():
    """A helper defined in a collapsed box (``??? note``) is used by later blocks: the notebook must
    run it too, and show the box's text as prose, not as an indented code block."""
    chapter = ('# 章\n\n??? note "描くコード"\n    箱の説明です。\n\n    ```python\n    def f():\n        return 2\n    ```\n\n'
               "<!--pytest-codeblocks:cont-->\n```python\nprint(f())\n```\n\n終わり。\n")
    page = _chapter(chapter)
    notebook = json.loads(chapter_notebook(page, [[], [{"kind": "text", "data": "2\n"}]]))
    cells = [(c["cell_type"], "".join(c["source"])) for c in notebook["cells"]][2:]  # after the note and set-up cells
    assert cells == [("markdown", "# 章\n\n**描くコード**\n箱の説明です。"), ("code", "def f():\n    return 2"),
                     ("code", "print(f())"), ("markdown", "終わり。")]
    assert "".join(notebook["cells"][-2]["outputs"][0]["text"]) == "2\n"


# --- run times (issue 25: long runs say so, from the build that make bench measured) ------------

from conftest import ROOT  # noqa: E402
from literate import notebooks  # noqa: E402


def _bench(tmp_path, page_seconds):
    (tmp_path / "docs" / "data").mkdir(parents=True)
    (tmp_path / "docs" / "data" / "benchmark.json").write_text(json.dumps(
        {"machine": {"cpu": "Some CPU", "cores": 2}, "build": {"page_seconds": page_seconds}}), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("seconds, said", [(3.2, "約 5 秒"), (41.0, "約 40 秒"), (88.0, "約 90 秒"), (150.0, "約 2.5 分")])
def test_a_page_that_trains_on_mnist_says_how_long_it_took_in_the_benchmarked_build(tmp_path, seconds, said):
    root = _bench(tmp_path, {"02-x.md": seconds})
    sentence = notebooks.run_time("02-x.md", "x, t = load_mnist(normalize=True)\n", root)
    assert said in sentence and "Some CPU、2 コア" in sentence
    assert notebooks.run_time("02-x.md", "print(1)\n", root) == ""  # no MNIST, no sentence


def test_a_page_the_benchmark_did_not_measure_is_refused_with_what_to_run(tmp_path):
    root = _bench(tmp_path, {"other.md": 1.0})
    with pytest.raises(NotebookPageError, match=r"docs/02-x\.md trains on MNIST.*make bench"):
        notebooks.run_time("02-x.md", "load_mnist()\n", root)


def test_every_page_that_trains_on_mnist_has_a_measured_run_time():
    bench = json.loads((ROOT / notebooks.BENCHMARK).read_text(encoding="utf-8"))
    measured = bench["build"]["page_seconds"]
    for page in render.site_pages(ROOT):
        if notebooks.trains_on_mnist("".join(code for chain in page.chains for _, code in chain)):
            assert page.src in measured, f"docs/{page.src}: no run time in benchmark.json (run make bench)"
