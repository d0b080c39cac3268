"""Every figure's text is readable where the page shows it.

Issue 23: at the width a figure is displayed on a 390 px-wide phone no text in it is
smaller than 9 CSS px, on a 1280 px-wide desktop none smaller than 11 px.

How the size is known. The site's figures keep their text as glyph outlines
(``svg.fonttype: path``: no web fonts, the same letters on every machine). Matplotlib
draws each glyph outline (``<path>`` under ``<defs>``) at ``TextToPath.FONT_SCALE``
points in FreeType's 26.6 fixed-point units, with ``transform="scale(1/64)"``, and
places it with ``<use>`` inside a ``<g transform="translate(…) scale(s -s)">`` per text
(mathtext sub- and superscripts add a ``scale(…)`` of their own). So the em of a glyph
in the figure's user units is ``FONT_SCALE`` times the product of the scales from the
root to its ``<use>``; ``test_the_measure_reads_the_size_matplotlib_drew`` checks that on
figures drawn at known sizes. A figure of ``viewBox`` width ``V`` shown ``D`` CSS px wide
shows that em at ``em * D / V`` px. ``D`` is measured in the browser: each page at
390 and at 1280 px, every figure image's laid-out width.
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from test_browser import (  # noqa: F401 (fixtures)
    BASE_PATH,
    PAGES,
    browser,
    close_page,
    open_page,
    server,
)

pytestmark = [pytest.mark.browser, pytest.mark.build]

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
SCREENS = {"phone": ({"width": 390, "height": 844}, 9.0), "desktop": ({"width": 1280, "height": 900}, 11.0)}
_TRANSFORM = re.compile(r"(\w+)\(([^)]*)\)")


def _scale(transform: str | None) -> float:
    """The length factor of an SVG transform list (rotation and translation change no size)."""
    factor = 1.0
    for name, args in _TRANSFORM.findall(transform or ""):
        numbers = [float(n) for n in re.split(r"[\s,]+", args.strip()) if n]
        if name == "scale":
            sx, sy = numbers[0], numbers[1] if len(numbers) > 1 else numbers[0]
            factor *= math.sqrt(abs(sx * sy))
        elif name == "matrix":
            a, b, c, d = numbers[:4]
            factor *= math.sqrt(abs(a * d - b * c))
    return factor


def glyph_sizes(svg: str) -> tuple[float, list[tuple[float, str]]]:
    """The figure's viewBox width and, for every glyph drawn, its em (user units) and its text."""
    from matplotlib.textpath import TextToPath

    root = ET.parse(io.StringIO(svg), ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))).getroot()
    width = float(root.get("viewBox").split()[2])
    glyphs = {  # outline id -> its own scale (1/64 for matplotlib's glyphs)
        path.get("id"): _scale(path.get("transform"))
        for path in root.iter(SVG + "path")
        if path.get("id") and path.get("transform")
    }
    sizes: list[tuple[float, str]] = []

    def walk(element, factor: float, label: str) -> None:
        comment = ""
        for child in element:
            if child.tag is ET.Comment:
                comment = (child.text or "").strip()
                continue
            here = factor * _scale(child.get("transform"))
            if child.tag == SVG + "use":
                ref = (child.get(XLINK_HREF) or child.get("href") or "").lstrip("#")
                if ref in glyphs:
                    # em in outline units: FONT_SCALE pt at 72 dpi in 26.6 units; times the outline's own scale
                    em = TextToPath.FONT_SCALE * 64 * glyphs[ref] * here
                    sizes.append((em, label or comment))
            walk(child, here, comment or label)

    walk(root, 1.0, "")
    return width, sizes


def smallest_text(svg: str, displayed_px: float) -> tuple[float, str]:
    width, sizes = glyph_sizes(svg)
    em, text = min(sizes)
    return em * displayed_px / width, text


# --- the measure itself ------------------------------------------------------------


def _drawn(fontsize: float, text: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from literate.figures import figure_svg

    with matplotlib.rc_context({"svg.fonttype": "path"}):
        import matplotlib_fontja

        matplotlib_fontja.japanize()  # the pages' Japanese font, for this context only
        figure = Figure(figsize=(3, 2))
        figure.text(0.1, 0.5, text, fontsize=fontsize)
        return figure_svg(figure)


@pytest.mark.parametrize("fontsize", [7.0, 10.0, 13.5])
def test_the_measure_reads_the_size_matplotlib_drew(fontsize):
    width, sizes = glyph_sizes(_drawn(fontsize, "学習率 0.1"))
    assert sizes and all(em == pytest.approx(fontsize, rel=1e-6) for em, _ in sizes)
    _, sub = glyph_sizes(_drawn(fontsize, r"$\eta_t$"))
    assert min(em for em, _ in sub) < fontsize * 0.8  # a subscript is smaller, and counted so


# --- every figure of the site, where it is shown ------------------------------------

FIGURES = """() => [...document.querySelectorAll('article img[src$=".svg"]')]
  .filter((img) => img.closest('.md-content'))
  .map((img) => ({src: img.currentSrc || img.src, width: img.getBoundingClientRect().width}))"""


@pytest.fixture(scope="module", params=list(SCREENS))
def screen(request, browser):
    viewport, minimum = SCREENS[request.param]
    context = browser.new_context(viewport=viewport, device_scale_factor=2, locale="ja-JP",
                                  is_mobile=request.param == "phone", has_touch=request.param == "phone")
    yield request.param, context, minimum
    context.close()


def shown_figures(context, server, src: str) -> list[dict]:
    page, recorder = open_page(context, server.url(src))[:2]
    try:
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        return page.evaluate(FIGURES)
    finally:
        close_page(page, recorder)


def _file(site: Path, url: str) -> Path:
    path = unquote(urlsplit(url).path)
    assert path.startswith(BASE_PATH), url
    return site / path[len(BASE_PATH):]


FIGURE_PAGES = [src for src in PAGES if src != "index.md"]


@pytest.mark.parametrize("src", FIGURE_PAGES)
def test_figure_text_is_readable_at_its_displayed_width(screen, server, site, src):
    name, context, minimum = screen
    small = []
    for figure in shown_figures(context, server, src):
        assert figure["width"] > 0, f"{figure['src']} is not laid out"
        size, text = smallest_text(_file(site, figure["src"]).read_text(encoding="utf-8"), figure["width"])
        if size < minimum - 1e-9:
            small.append(f"{figure['src'].rsplit('/', 1)[-1]} at {figure['width']:.0f} px: "
                         f"{size:.1f} px ({text!r})")
    assert not small, f"{src} on a {name}: text under {minimum} px in " + "; ".join(small)
