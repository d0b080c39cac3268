"""How the build hook turns what a block printed into Markdown."""

import re

from hooks import _text_output
from literate.execute import Output


def test_plain_output_goes_in_a_titled_box():
    assert _text_output(Output("text", "x = 1\ny = 2\n")) == ["", '```text title="出力"', "x = 1", "y = 2", "```"]


def test_a_printed_markdown_table_becomes_a_table_between_text_boxes():
    printed = "before\n| a | b |\n| --- | ---: |\n| 1 | 2 |\n| 3 | 4 |\nafter\n"
    assert _text_output(Output("text", printed)) == [
        "", '```text title="出力"', "before", "```",
        "", "| a | b |", "| --- | ---: |", "| 1 | 2 |", "| 3 | 4 |", "",
        "", '```text title="出力"', "after", "```",
    ]


def test_pipes_without_a_rule_row_stay_text():
    printed = "| not | a table |\n| just | pipes |\n"
    assert _text_output(Output("text", printed))[1] == '```text title="出力"'


def test_a_fence_inside_the_output_gets_a_longer_fence():
    rendered = _text_output(Output("text", "```\n"))
    assert rendered[1] == '````text title="出力"' and rendered[-1] == "````"


# --- printed tables cannot inject markup ---------------------------------------------------------

import html.parser
import os
import json
import shutil

import pytest

from conftest import ROOT
from hooks import _split_tables

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
        assert tag in SAFE_TAGS, f"<{tag}> reached the page: {page_html}"
        for name, value in attrs.items():
            assert (name, value) in {("class", "arithmatex")} or (
                name == "style" and re.fullmatch(r"text-align: (left|right|center);", value or "")
            ), f"attribute {name}={value!r} reached the page: {page_html}"
    assert "evil.example" not in page_html or "<" + "img" not in page_html


def render(markdown, printed: str) -> str:
    markdown.reset()
    return markdown.convert("\n".join(_text_output(Output("text", printed))))


@pytest.mark.parametrize("cell", HOSTILE_CELLS)
def test_a_hostile_cell_renders_as_text(markdown, cell):
    page = render(markdown, f"| name | value |\n| --- | ---: |\n| {cell} | 1 |\n")
    assert "<table>" in page and "<td" in page
    assert_inert(page)


def test_plain_cells_code_and_math_render_as_before(markdown):
    """Escaping changes nothing for what the chapters print (same HTML)."""
    cells = ["W[0]（1 回後）", "float32 [GFLOP/s]", "(784, 50)", "1.23e-08", "≤ 2", "a_b*c", "`np.float32`", "$10^{-7}$", "$\\frac{1}{2}$", "&", "x < y"]
    printed = "| " + " | ".join(cells) + " |\n| " + " | ".join("---" for _ in cells) + " |\n"
    raw = "\n".join(["", *printed.rstrip("\n").split("\n"), ""])
    markdown.reset()
    before = markdown.convert(raw.replace("a_b*c", "a\\_b\\*c"))
    assert render(markdown, printed) == before
    assert "<code>np.float32</code>" in before and '<span class="arithmatex">\\(10^{-7}\\)</span>' in before


def test_values_from_the_benchmark_file_cannot_inject_markup(markdown, tmp_path, monkeypatch):
    """The 性能 page prints tables from docs/data/benchmark.json; hostile strings there stay text."""
    from literate import execute as ex
    from literate.fences import python_blocks

    (tmp_path / "docs" / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    bench = json.loads((ROOT / "docs" / "data" / "benchmark.json").read_text(encoding="utf-8"))
    hostile = iter(HOSTILE_CELLS * 10)
    for run in bench["runs"]:
        run["torch_blas"] = next(hostile)
        for kernel in run["kernels"].values():
            kernel["architecture"] = next(hostile)
    (tmp_path / "docs" / "data" / "benchmark.json").write_text(json.dumps(bench), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZERODL_EXEC_CACHE", "off")
    monkeypatch.setenv("ZERODL_EXEC_JOBS", "1")
    text = (ROOT / "docs" / "appendix-performance.md").read_text(encoding="utf-8")
    try:
        outputs = ex.run_page("appendix-performance.md", python_blocks(text), tmp_path)
    finally:
        ex.shutdown()
    tables = [
        "\n".join(part)
        for outs in outputs
        for o in outs
        if o.kind == "text"
        for is_table, part in _split_tables(o.data.split("\n"))
        if is_table
    ]
    assert any("onerror" in table for table in tables), "the hostile values did reach the printed tables"
    for table in tables:
        assert_inert(render(markdown, table))


def test_notebook_kernels_get_the_checkouts_package_and_a_mismatch_is_reported(tmp_path, monkeypatch, capsys):
    from hooks import _use_checkout_package

    monkeypatch.setenv("PYTHONPATH", "elsewhere")
    (tmp_path / "src" / "zerodl").mkdir(parents=True)
    _use_checkout_package(tmp_path)
    _use_checkout_package(tmp_path)  # mkdocs serve calls it on every rebuild
    assert os.environ["PYTHONPATH"].split(os.pathsep) == [str(tmp_path / "src"), "elsewhere"]
    assert "not from this checkout's src/zerodl" in capsys.readouterr().err  # this Python imports the real one
    _use_checkout_package(ROOT)
    assert "not from this checkout" not in capsys.readouterr().err
