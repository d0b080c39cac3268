"""Math is typeset at build time (tools/literate/typeset.py): MathML in the page, TeX nowhere else."""

import html
import re

import pytest

from conftest import ROOT
from literate import typeset


@pytest.fixture(scope="module")
def site_markdown():
    """The site's own Markdown (extensions and their settings from mkdocs.yml)."""
    import markdown as md
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    return md.Markdown(extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"])


def formulas(page_html: str) -> list[tuple[str, str]]:
    """(display attribute, TeX) of each formula in ``page_html``, as a browser would read them."""
    found = re.findall(r'<math xmlns="http://www.w3.org/1998/Math/MathML"( display="block")?>.*?'
                       r'<annotation encoding="application/x-tex">(.*?)</annotation>', page_html)
    return [(display, html.unescape(tex)) for display, tex in found]


def test_inline_and_display_math_become_mathml():
    out = typeset.markdown("学習率$\\eta$で更新する。\n\n$$\nW \\leftarrow W - \\eta \\frac{\\partial L}{\\partial W}\n$$\n", "p")
    assert formulas(out) == [("", "\\eta"), (' display="block"', "W \\leftarrow W - \\eta \\frac{\\partial L}{\\partial W}")]
    assert "$" not in out and "\n" not in out.split("\n\n")[1].strip()  # one line, so Markdown keeps it in one paragraph
    assert out.startswith("学習率<span class=\"katex\"><math") and '<span class="katex-display">' in out


def test_code_and_escaped_dollars_are_left_alone():
    text = "\n".join(["値は `$x$` のまま、\\$5 はドル。", "", "```python", "print('$x$')", "```", "", "~~~~", "$y$", "~~~~", ""])
    out = typeset.markdown(text, "p")
    assert "`$x$`" in out and "print('$x$')" in out and "\n$y$\n" in out
    assert "&#36;5" in out and "<math" not in out


def test_a_dollar_that_does_not_open_math_stays_text():
    for text in ["US$5 と $ 10", "価格は 5$ です", "$x $ と $ y$"]:
        assert typeset.markdown(text, "p") == text


@pytest.mark.parametrize("tex", ["a * b * c", "x_1 + y_2 = z_{3}", "\\lvert x \\rvert", "a:b:c", "[a, b]", "\\{1, 2\\}",
                                 "\\text{if } x \\ge 0"])
def test_no_markdown_extension_changes_a_formula(site_markdown, tex):
    """Emphasis, emoji (``:b:``), tables, links, attribute lists: the formula reaches the page as KaTeX wrote it."""
    site_markdown.reset()
    page = site_markdown.convert(typeset.markdown(f"前 ${tex}$ 後\n\n| a | b |\n| --- | --- |\n| ${tex}$ | 1 |\n", "p"))
    assert [t for _, t in formulas(page)] == typeset.line_pieces(tex) * 2, page
    assert "<em>" not in page and "<a " not in page and "<img" not in page


def test_a_long_inline_formula_may_break_after_its_relations():
    """A browser never breaks a line inside one <math>: an inline formula is cut after = ≈ ← … (outside
    groups), as TeX breaks it, so that it wraps on a phone instead of widening the page."""
    assert typeset.line_pieces("a = b + c \\approx d") == ["a =", "b + c \\approx", "d"]
    assert typeset.line_pieces("W \\leftarrow W - \\eta g") == ["W \\leftarrow", "W - \\eta g"]
    for whole in ["\\frac{a = b}{c}", "\\left( a = b \\right) c", "a \\leq", "\\text{x = y}", "x \\left\\{ a \\right."]:
        assert typeset.line_pieces(whole) == [whole]
    out = typeset.markdown("式 $a = b \\approx c$ です", "p")
    assert out.count("<math") == 3 and out.count("<wbr>") == 2


def test_a_bad_formula_names_the_page_and_line():
    with pytest.raises(typeset.MathError) as caught:
        typeset.markdown("# 題\n\n本文\n\n$$\n\\frac{a\n$$\n", "docs/x.md")
    message = str(caught.value)
    assert message.startswith("docs/x.md, line 5:") and "\\frac{a" in message and "fix the TeX" in message


def test_an_unclosed_display_formula_is_an_error_not_a_page_of_math():
    with pytest.raises(typeset.MathError, match="never closed"):
        typeset.markdown("前\n\n$$\nx = 1\n\n後の段落\n", "docs/x.md")


def test_katex_input_cannot_inject_markup():
    """KaTeX runs with trust off: \\href, \\url and \\htmlClass stop the build; HTML in \\text stays text."""
    for tex in ["\\href{javascript:alert(1)}{x}", "\\htmlClass{x}{y}", "\\url{https://evil.example/}"]:
        with pytest.raises(typeset.MathError, match="not allowed|disabled"):
            typeset.to_mathml(tex, False)
    out = typeset.to_mathml("\\text{<img src=x onerror=1>}", False)
    assert set(re.findall(r"<(\w+)", out)) == {"span", "math", "semantics", "mrow", "mtext", "annotation"}, out


def test_every_source_formula_is_in_the_built_page(site):
    """Each page of the site shows as many formulas as its source has (and loads no math script)."""
    from literate.config import nav_pages

    for src in nav_pages(ROOT, (".md",)):
        text = (ROOT / "docs" / src).read_text(encoding="utf-8")
        expected = typeset.markdown(text, src).count('<span class="katex">')
        built = (site / src.removesuffix(".md") / "index.html" if src != "index.md" else site / "index.html")
        page = built.read_text(encoding="utf-8")
        assert page.count('<span class="katex">') >= expected, src
        assert "katex.min.js" not in page and "katex.min.css" not in page and "arithmatex" not in page, src
