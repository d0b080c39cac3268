"""How the render step turns what a block printed and showed into Markdown."""

import re

from literate.render import text_output as _text_output


def test_plain_output_goes_in_a_titled_box():
    assert _text_output("x = 1\ny = 2\n") == ["", '```text title="出力"', "x = 1", "y = 2", "```"]


def test_a_printed_markdown_table_becomes_a_table_between_text_boxes():
    printed = "before\n| a | b |\n| --- | ---: |\n| 1 | 2 |\n| 3 | 4 |\nafter\n"
    assert _text_output(printed) == [
        "", '```text title="出力"', "before", "```",
        "", "| a | b |", "| --- | ---: |", "| 1 | 2 |", "| 3 | 4 |", "",
        "", '```text title="出力"', "after", "```",
    ]


def test_pipes_without_a_rule_row_stay_text():
    printed = "| not | a table |\n| just | pipes |\n"
    assert _text_output(printed)[1] == '```text title="出力"'


def test_a_fence_inside_the_output_gets_a_longer_fence():
    rendered = _text_output("```\n")
    assert rendered[1] == '````text title="出力"' and rendered[-1] == "````"


# --- printed tables cannot inject markup ---------------------------------------------------------

import html.parser
import os
import json
import shutil

import pytest

from conftest import ROOT
from literate.render import _split_tables

HOSTILE_CELLS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click][ref]",
    "![x](https://evil.example/x.png)",
    "![x][ref]",
    "<https://evil.example/>",
    "*x*{: onclick=\"alert(1)\" }",
    "`code`{: onclick=alert(1) }",
    "{: .x onclick=alert(1) }",
    "$x$ <svg onload=alert(1)>",
    "$<img src=x onerror=alert(1)>$",
    "$a `<img src=x onerror=1>$`",
    "\\`<img src=x onerror=alert(1)>`",
    "`a | <img src=x onerror=alert(1)> `",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<!-- x --><iframe src=https://evil.example/>",
    "\\<script>alert(1)</script>",
    "\\(x<img src=x onerror=1>\\)",
]
SAFE_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "code", "span", "em", "strong", "p"}
# What KaTeX writes for a formula (MathML, typeset at build time by literate.typeset).
MATHML_TAGS = {"math", "semantics", "annotation", "mrow", "mi", "mo", "mn", "ms", "mtext", "mspace", "msub",
               "msup", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mstyle",
               "mpadded", "mtable", "mtr", "mtd", "menclose", "mphantom"}


@pytest.fixture(scope="module")
def markdown():
    """The site's own Markdown (extensions and their settings from mkdocs.yml)."""
    import markdown as md
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    return md.Markdown(extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"])


class _Elements(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def assert_inert(page_html: str) -> None:
    parser = _Elements()
    parser.feed(page_html)
    for tag, attrs in parser.found:
        assert tag in SAFE_TAGS | MATHML_TAGS, f"<{tag}> reached the page: {page_html}"
        for name, value in attrs.items():
            if tag in MATHML_TAGS:  # presentation attributes only: no handler, link or style
                assert not name.startswith("on") and name not in {"href", "src", "style"}, (name, page_html)
                continue
            assert (name, value) in {("class", "katex"), ("class", "katex-display")} or (
                name == "style" and re.fullmatch(r"text-align: (left|right|center);", value or "")
            ), f"attribute {name}={value!r} reached the page: {page_html}"
    assert "evil.example" not in page_html or "<" + "img" not in page_html


def render_md(markdown, printed: str) -> str:
    """What the render step makes of ``printed`` (its math typeset), through the site's Markdown."""
    from literate import typeset

    markdown.reset()
    return markdown.convert(typeset.markdown("\n".join(_text_output(printed)), "a test"))


@pytest.mark.parametrize("cell", HOSTILE_CELLS)
def test_a_hostile_cell_renders_as_text(markdown, cell):
    page = render_md(markdown, f"| name | value |\n| --- | ---: |\n| {cell} | 1 |\n")
    assert "<table>" in page and "<td" in page
    assert_inert(page)


def test_plain_cells_code_and_math_render_as_before(markdown):
    """Escaping changes nothing for what the chapters print (same HTML)."""
    cells = ["W[0]（1 回後）", "float32 [GFLOP/s]", "(784, 50)", "1.23e-08", "≤ 2", "a_b*c", "`np.float32`", "$10^{-7}$", "$\\frac{1}{2}$", "&", "x < y"]
    printed = "| " + " | ".join(cells) + " |\n| " + " | ".join("---" for _ in cells) + " |\n"
    raw = "\n".join(["", *printed.rstrip("\n").split("\n"), ""])
    markdown.reset()
    from literate import typeset

    before = markdown.convert(typeset.markdown(raw.replace("a_b*c", "a\\_b\\*c"), "a test"))
    assert render_md(markdown, printed) == before
    assert "<code>np.float32</code>" in before
    assert '<annotation encoding="application/x-tex">10^{-7}</annotation>' in html.unescape(before)


def test_values_from_the_benchmark_file_cannot_inject_markup(markdown, tmp_path, monkeypatch):
    """The appendix pages print tables from docs/data/benchmark.json; hostile strings there stay text."""
    from literate import render

    pages = [p.name for p in (ROOT / "docs").glob("*.md") if "benchmark.json" in p.read_text(encoding="utf-8")]
    assert pages, "no page reads docs/data/benchmark.json any more: drop this test"
    (tmp_path / "docs" / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    bench = json.loads((ROOT / "docs" / "data" / "benchmark.json").read_text(encoding="utf-8"))
    hostile = iter(HOSTILE_CELLS * 10)
    for run in bench["runs"]:
        run["torch_blas"] = next(hostile)
        for kernel in run["kernels"].values():
            kernel["architecture"] = next(hostile)
    (tmp_path / "docs" / "data" / "benchmark.json").write_text(json.dumps(bench), encoding="utf-8")
    for name in pages:
        shutil.copy(ROOT / "docs" / name, tmp_path / "docs" / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZERODL_EXEC_CACHE", "off")
    results = render.Results(tmp_path)
    try:
        outputs = [o for name in pages for outs in render.outputs_by_fence(
            results.result(render.load_page(tmp_path, name))) for o in outs]
    finally:
        results.close()
    tables = [
        "\n".join(part)
        for o in outputs
        if o["kind"] == "text"
        for is_table, part in _split_tables(o["data"].split("\n"))
        if is_table
    ]
    assert any("onerror" in table for table in tables), "the hostile values did reach the printed tables"
    for table in tables:
        assert_inert(render_md(markdown, table))




# --- figures and odd characters -----------------------------------------------------------------

ODD_TITLES = ["ends in a backslash \\", "`code` in a title", "a * b _c_ [x](y) $x$ {: .c}", 'quote " and <b>tag</b>']


@pytest.mark.parametrize("title", ODD_TITLES)
def test_a_figure_keeps_its_title_whatever_it_contains(markdown, title):
    from literate.render import figure_markdown

    markdown.reset()
    page = markdown.convert("\n".join(["text", "", figure_markdown("f/1.svg", '<svg width="10pt" height="5pt">', title), ""]))
    images = [attrs for tag, attrs in _parse(page) if tag == "img"]
    assert len(images) == 1 and images[0]["alt"] == title and images[0]["src"] == "f/1.svg", page
    assert images[0]["width"] == "13" and images[0]["height"] == "7"  # pt → CSS px, so nothing moves on load
    assert "![" not in page and "zerodl-figure" in images[0]["class"]


def test_control_characters_printed_by_a_block_are_shown_not_sent(markdown):
    markdown.reset()
    page = markdown.convert("\n".join(_text_output("nul \x00 esc \x1b[31m bell \x07\n")))
    assert "\x00" not in page and "\x1b" not in page and "\x07" not in page
    assert "\\x00" in page and "\\x1b" in page


def _parse(page_html):
    parser = _Elements()
    parser.feed(page_html)
    return parser.found
