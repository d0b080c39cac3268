"""What `mkdocs build --strict` produces: figures, math, no external loads, search."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import ROOT, build_site_twice, exec_cache
from literate import pytest_blocks
from literate.config import nav_pages
from literate.execute import Output
from literate.fences import python_blocks
from mkdocs.utils.meta import get_data

pytestmark = pytest.mark.build


class _Collector(HTMLParser):
    """Collects the URLs that make a browser load something (not plain links)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.images: list[dict] = []
        self.code_titles: list[str] = []

    def handle_starttag(self, tag, attrs):
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


def test_chapter_1_has_math_markup_for_katex(site):
    text = page_html(site, "01-gradient-descent.md").read_text(encoding="utf-8")
    assert len(re.findall(r'class="arithmatex"', text)) > 20
    assert r"\frac{df(x)}{dx}" in text
    assert "assets/katex/katex.min.js" in text and "javascripts/katex.js" in text


def test_search_index_finds_japanese_words(site):
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert index["config"]["lang"] == ["ja"]
    hits = [doc["location"] for doc in index["docs"] if "勾配降下法" in doc["title"] + doc["text"]]
    assert any(loc.startswith("01-gradient-descent/") for loc in hits)


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


# Files allowed to differ between two builds, each with the reason.
# Empty: every byte of the site is reproducible. (The build date that MkDocs
# writes into sitemap.xml and the gzip header of sitemap.xml.gz is pinned to
# the last commit by tools/hooks.py; SVG metadata, notebook cell ids and
# mkdocs-jupyter's cell ids are made stable by the hooks.)
NOT_REPRODUCIBLE: dict[str, str] = {}


def test_a_second_build_is_byte_identical(site, root, tmp_path):
    """Everything is the same when built again: pages, figures, notebooks, the notebook
    pages, the search index and the sitemap.

    Two more builds, in one new process, with the first build's execution caches
    (no page runs again): the first proves the rendering reproducible in another
    process; the second is a rebuild as `mkdocs serve` does it, which reuses what
    the process rendered before (literate.rebuild) and must give the same bytes.
    That the execution itself is reproducible is proven by
    test_build_outputs_equal_the_code_block_tests (the build's run of each
    chapter against pytest-codeblocks' own) and, for the notebook pages, by
    test_browser.py's run of their notebooks."""
    build_site_twice(tmp_path / "again", tmp_path / "rebuilt", str(exec_cache(site)))
    first = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    for name in ("again", "rebuilt"):
        again = tmp_path / name
        second = {p.relative_to(again).as_posix(): p.read_bytes() for p in again.rglob("*") if p.is_file()}
        assert first.keys() == second.keys(), (name, sorted(first.keys() ^ second.keys()))
        compared = first.keys() - NOT_REPRODUCIBLE.keys()
        for required in ("sitemap.xml", "sitemap.xml.gz", "search/search_index.json", "404.html"):
            assert required in compared, required
        assert any(p.startswith("notebooks/") and p.endswith(".ipynb") for p in compared)
        for experiment in (root / "docs" / "experiments").glob("*.py"):  # pages rendered by mkdocs-jupyter
            assert f"experiments/{experiment.stem}/index.html" in compared, experiment.name
        differing = sorted(p for p in compared if first[p] != second[p])
        assert not differing, f"differ between the first build and the {name} one: {differing}"


def executed_pages(root: Path) -> list[str]:
    """The nav's Markdown pages whose code blocks run at build time."""
    pages = []
    for page in nav_pages(root):
        markdown, meta = get_data((root / "docs" / page).read_text(encoding="utf-8-sig"))
        if python_blocks(markdown) and meta.get("execute", True):
            pages.append(page)
    return pages


# Pages whose outputs may differ between the build's run (one namespace) and the
# code-block tests' (a fresh namespace per block or cont chain), each with the
# reason. Empty: fix such a page instead (usually a block that draws random
# numbers from the state an earlier block left: seed it in the block).
OUTPUTS_DIFFER: dict[str, str] = {}


@pytest.mark.parametrize("page", executed_pages(ROOT))
def test_build_outputs_equal_the_code_block_tests(site, root, page):
    """Each chapter runs twice per test session: in the build (all blocks in one namespace,
    in a worker process) and under pytest-codeblocks (each block or cont chain in a fresh
    namespace). What it prints and every figure's SVG must be the same both times: the
    build is reproducible, and the page does not depend on state a test does not see.

    The code-block tests run first (testpaths: docs before tests) and record their
    outputs (literate.pytest_blocks); under `make test` they run in a process of
    their own beside this one, which hands them over in files (ZERODL_BLOCK_RECORDS,
    tools/literate/testrun.py). When they did not all run in this session
    (e.g. `pytest tests/`), the page is run here the same way."""
    if page in OUTPUTS_DIFFER:
        pytest.skip(f"listed in OUTPUTS_DIFFER: {OUTPUTS_DIFFER[page]}")
    path = root / "docs" / page
    entry = exec_cache(site) / f"{page.replace('/', '__')}.json"
    assert entry.is_file(), f"the build left no execution cache entry for {page}"
    build = [[Output(**o) for o in outs] for outs in json.loads(entry.read_text(encoding="utf-8"))["outputs"]]
    markdown, _ = get_data(path.read_text(encoding="utf-8-sig"))
    record = pytest_blocks.RECORDS.get(page)
    folder = pytest_blocks.records_folder()
    if record is not None and record.complete:
        tests = record.blocks
    else:
        tests = None
        if record is None and folder is not None:  # make test: the code blocks ran in the other process
            try:
                tests = pytest_blocks.records_from_other_process(folder, page)
            except pytest_blocks.RecordsMissing as missing:
                pytest.fail(str(missing), pytrace=False)
        if tests is None:
            tests = pytest_blocks.run_page_blocks(path)
    problems = pytest_blocks.differences(path, python_blocks(markdown), build, tests)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", executed_pages(ROOT))
def test_every_figure_a_page_shows_is_on_it_with_its_title(site, page):
    """Derived from the page's own run, so a new chapter needs no list of its figures here:
    every figure its code showed is an SVG file on the page, its title the alt text."""
    entry = exec_cache(site) / f"{page.replace('/', '__')}.json"
    shown = [o for outs in json.loads(entry.read_text(encoding="utf-8"))["outputs"] for o in outs if o["kind"] == "svg"]
    html = page_html(site, page)
    images = [img for img in parse(html).images if "zerodl-figure" in (img.get("class") or "")]
    assert len(images) == len(shown), f"{page}: {len(shown)} figures shown by its code, {len(images)} on the page"
    for img, figure in zip(images, shown):
        assert figure["alt"], f"{page}: a figure without a title (ax.set_title or fig.suptitle)"
        assert img.get("alt") == figure["alt"], (img.get("alt"), figure["alt"])
        assert (html.parent / img["src"]).resolve().is_file(), img["src"]


def test_sitemap_is_dated_by_the_last_commit(site, root):
    """The one date in the site is the last commit's, not the day of the build."""
    import os
    import subprocess

    if "SOURCE_DATE_EPOCH" in os.environ:
        pytest.skip("SOURCE_DATE_EPOCH is set by the caller")
    commit_date = subprocess.run(
        ["git", "log", "-1", "--format=%cd", "--date=format-local:%Y-%m-%d"],
        cwd=root, capture_output=True, text=True, check=True, env=dict(os.environ, TZ="UTC"),
    ).stdout.strip()
    dates = set(re.findall(r"<lastmod>([^<]*)</lastmod>", (site / "sitemap.xml").read_text(encoding="utf-8")))
    assert dates == {commit_date}


def test_search_index_is_written_as_utf8(site):
    """Japanese in the index as UTF-8, not \\uXXXX (tools/compact_search.py): every page loads it."""
    raw = (site / "search" / "search_index.json").read_bytes()
    assert "勾配".encode() in raw and b"\\u52fe" not in raw
    index = json.loads(raw)
    # code blocks are left out (three fifths of the text), and the prose's tags; the words of inline code stay
    assert not any("<pre>" in doc["text"] or "<p>" in doc["text"] or "<code>" in doc["text"] for doc in index["docs"])
    assert any("numerical_gradient" in doc["text"] for doc in index["docs"] if doc["location"].startswith("01-"))
