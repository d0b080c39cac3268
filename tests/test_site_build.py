"""What `mkdocs build --strict` produces: figures, math, no external loads, search."""

from __future__ import annotations

import json
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT
from literate import render
from literate.config import nav_pages

pytestmark = pytest.mark.build


class _Collector(HTMLParser):
    """Collects the URLs that make a browser load something (not plain links)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.images: list[dict] = []
        self.code_titles: list[str] = []

        self.headers: list[str] = []  # the text of every table header cell
        self._in_th = False

    def handle_endtag(self, tag):
        if tag == "th":
            self._in_th = False

    def handle_data(self, data):
        if self._in_th:
            self.headers[-1] += data

    def handle_starttag(self, tag, attrs):
        if tag == "th":
            self._in_th = True
            self.headers.append("")
        if tag == "math" and self._in_th:
            self.headers[-1] += "(math)"
        attrs = dict(attrs)
        for name in ("src", "srcset", "poster", "data"):
            if attrs.get(name):
                self.loads.append(attrs[name])
        if tag == "link" and attrs.get("href"):
            rel = (attrs.get("rel") or "").lower()
            if rel not in {"canonical", "alternate"}:
                self.loads.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs)


def parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def page_html(site: Path, page: str) -> Path:
    return site / page.removesuffix(".md") / "index.html" if page != "index.md" else site / "index.html"


def test_every_nav_page_is_built(site, root):
    for page in nav_pages(root):
        assert page_html(site, page).exists(), page


def test_no_page_loads_anything_from_another_host(site):
    pages = sorted(site.rglob("*.html"))
    assert pages
    for path in pages:
        external = [u for u in parse(path).loads if re.match(r"^(https?:)?//", u)]
        assert not external, f"{path.relative_to(site)} loads {external}"
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert not re.search(r"(url\(|@import)\s*['\"]?(https?:)?//", text), css


def test_chapter_1_has_its_figures_as_built_svg(site):
    html = page_html(site, "01-gradient-descent.md")
    images = [img for img in parse(html).images if "zerodl-figure" in (img.get("class") or "")]
    # four 1-D runs, the gradient field and the 2-D path
    assert len(images) == 6
    for img in images:
        svg = (html.parent / img["src"]).resolve()
        assert svg.is_file() and svg.suffix == ".svg", img["src"]
        text = svg.read_text(encoding="utf-8")
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        assert "<dc:date>" not in text and "matplotlib.org" not in text, "SVG metadata makes builds differ"
        assert img.get("alt"), "figures carry their title as alt text"
    assert any("学習率 1.1" in img["alt"] for img in images)


def test_chapter_1_shows_outputs_and_file_titles(site):
    text = page_html(site, "01-gradient-descent.md").read_text(encoding="utf-8")
    assert text.count('<span class="filename">src/zerodl/gradient.py</span>') == 3
    assert "#| file:" not in text, "the export marker is a title, not code"
    assert text.count('<span class="filename">出力</span>') >= 6
    assert "lr=1.1, step_num=10: x = -18.5752" in text  # (1 - 2*1.1)^10 * -3, computed at build


def test_chapter_1_has_its_math_as_mathml(site):
    text = page_html(site, "01-gradient-descent.md").read_text(encoding="utf-8")
    assert len(re.findall(r'<math xmlns="http://www.w3.org/1998/Math/MathML"', text)) > 20
    assert r"\frac{df(x)}{dx}" in html.unescape(text)  # the TeX, kept in each formula's annotation
    assert "<script" not in text.split("<article", 1)[1].split("</article>", 1)[0]


def test_japanese_headings_get_readable_ids(site):
    text = page_html(site, "01-gradient-descent.md").read_text(encoding="utf-8")
    assert 'id="数値微分"' in text and 'id="勾配降下法の更新式"' in text


def test_chapter_notebook_is_offered_and_valid(site):
    import nbformat

    html = page_html(site, "01-gradient-descent.md")
    assert 'href="../notebooks/01-gradient-descent.ipynb"' in html.read_text(encoding="utf-8")
    nb = nbformat.read(site / "notebooks" / "01-gradient-descent.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any("def gradient_descent" in c for c in code)


def executed_pages(root: Path) -> list[str]:
    """The nav's pages whose code runs at build time (chapters and experiments)."""
    return [page.src for page in render.site_pages(root)]


def test_every_page_ran_once_and_the_build_ran_none(site_build):
    """The code-block tests and the site share one execution: the session rendered each page at
    most once (those not in the cache exactly once), and the build took every page from the cache."""
    if site_build["log"] is None:
        pytest.skip("--site: a site built elsewhere")
    pages, ran = executed_pages(ROOT), site_build["pages"]["ran"]
    assert len(ran) == len(set(ran)), f"pages run twice: {sorted(p for p in ran if ran.count(p) > 1)}"
    assert set(ran) | site_build["pages"]["cached_before"] >= set(pages)
    assert "render: ran 0 pages (none), the rest from the cache" in site_build["log"]


@pytest.mark.parametrize("page", executed_pages(ROOT))
def test_every_figure_a_page_shows_is_on_it_with_its_title(site, page):
    """Derived from the page's own run, so a new chapter needs no list of its figures here:
    every figure its code showed is an SVG file on the page, its title the alt text."""
    loaded = render.load_page(ROOT, page)
    result = render.cached(render.cache_dir(ROOT), loaded, render.cache_key(ROOT, loaded))
    assert result is not None, f"{page}: no result in the execution cache after the build"
    shown = [o for outs in render.outputs_by_fence(result) for o in outs if o["kind"] == "svg"]
    html = page_html(site, page.replace(".py", ".md"))
    images = [img for img in parse(html).images if "zerodl-figure" in (img.get("class") or "")]
    if loaded.is_experiment:
        images = [img for img in parse(html).images if "/figures/" in img.get("src", "")]
    assert len(images) == len(shown), f"{page}: {len(shown)} figures shown by its code, {len(images)} on the page"
    for img, figure in zip(images, shown):
        assert figure["alt"], f"{page}: a figure without a title (ax.set_title or fig.suptitle)"
        assert img.get("alt") == figure["alt"], (img.get("alt"), figure["alt"])
        assert (html.parent / img["src"]).resolve().is_file(), img["src"]


def test_sitemap_is_dated_by_the_last_commit(site, root, tmp_path):
    """The one date in the site is the last commit's, not the day of the build. (A build without a
    site_url, as a local one, has no sitemap entries: the check builds one with an address.)"""
    import os
    import subprocess

    from conftest import build_site
    from literate.config import load_config

    if "SOURCE_DATE_EPOCH" in os.environ:
        pytest.skip("SOURCE_DATE_EPOCH is set by the caller")
    if not load_config(root).get("site_url"):
        site = tmp_path / "site"
        build_site(site, ZERODL_SITE_URL="https://example.org/zerodl/")
    commit_date = subprocess.run(
        ["git", "log", "-1", "--format=%cd", "--date=format-local:%Y-%m-%d"],
        cwd=root, capture_output=True, text=True, check=True, env=dict(os.environ, TZ="UTC"),
    ).stdout.strip()
    dates = set(re.findall(r"<lastmod>([^<]*)</lastmod>", (site / "sitemap.xml").read_text(encoding="utf-8")))
    assert dates == {commit_date}


def test_pages_that_train_on_mnist_say_how_long_they_take_under_the_title(site):
    """Issue 25: the run time that make bench measured, on the page and in its notebook's first cell."""
    import nbformat

    from literate import notebooks

    for page in render.site_pages(ROOT):
        code = "".join(c for chain in page.chains for _, c in chain)
        if page.is_experiment or not notebooks.trains_on_mnist(code):
            continue
        sentence = notebooks.run_time(page.src, code, ROOT)
        text = html.unescape(page_html(site, page.src).read_text(encoding="utf-8"))
        assert re.search(r'<p class="zerodl-run-time">' + re.escape(sentence) + "</p>", text), page.src
        assert text.index("zerodl-run-time") < text.index("<h2"), f"{page.src}: the run time is not under the title"
        stem = page.src.rsplit(".", 1)[0]
        first = nbformat.read(site / "notebooks" / f"{stem}.ipynb", as_version=4).cells[0].source
        assert sentence in first, f"notebooks/{stem}.ipynb does not say how long it takes"


def test_every_table_header_cell_names_its_column(site):
    """A screen reader reads a cell with its column's header: none is empty (axe's empty-table-header)."""
    empty = []
    for src in nav_pages(ROOT, (".md",)):
        headers = parse(page_html(site, src)).headers
        empty += [f"{src}: column {n}" for n, text in enumerate(headers, 1) if not text.strip()]
    assert not empty, "table header cells without a name: " + "; ".join(empty)
