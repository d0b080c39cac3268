"""The site's search box, typed into with real key presses in Debian's chromium.

The search is Pagefind's index (tools/pagefind_search.py) behind Material's
search box (tools/theme/partials/search.html, assets/javascripts/zerodl-search.js).
These tests check what a reader meets:

* no page fetches anything of the index when it loads; opening the box does,
  from the site itself;
* every indexed page's title, and every one of its section headings (h2), typed
  into the box, gives that page first (a heading several pages share gives
  those pages first);
* the words readers type (READER_QUERIES, synonyms among them) give the right
  page among the first three; every synonym of tools/search-synonyms.yml finds
  a page that writes the word it stands for;
* Japanese is found however the browser splits it into words, and only pages
  that contain what was typed are listed;
* the pages about the project (front matter ``search: exclude: true``) are not
  in the index, every other page of the nav is;
* the box works from the keyboard, and on a 390 px phone.

The last part tests the hook's own pieces (synonyms, splitting) without a browser.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from mkdocs.exceptions import PluginError
from mkdocs.utils.meta import get_data

import pagefind_search
from conftest import ROOT
from test_browser import (  # noqa: F401 (fixtures)
    BASE_PATH,
    PAGES,
    artefact_name,
    browser,
    close_page,
    desktop,
    open_page,
    page_path,
    screenshot_on_failure,
    server,
    settle,
)



def in_browser(test):
    """The marks of a test of the built site in the browser (the hook's unit tests have none)."""
    return pytest.mark.browser(pytest.mark.build(test))


PHONE_390 = {"width": 390, "height": 844}

# What a reader types, and the page they expect among the first three results.
# Synonyms (the site writes Batch Normalization, Weight decay, Dropout, ...) are
# in tools/search-synonyms.yml, not here.
READER_QUERIES = [
    ("バッチ正規化", "09-batch-norm.md"),
    ("重み減衰", "10-regularization.md"),
    ("荷重減衰", "10-regularization.md"),
    ("過学習", "10-regularization.md"),
    ("オーバーフィッティング", "10-regularization.md"),
    ("ドロップアウト", "10-regularization.md"),
    ("勾配消失", "08-weight-init.md"),
    ("学習率の減衰", "05-adagrad-rmsprop.md"),
    ("ミニバッチ", "02-sgd-minibatch.md"),
    ("バッチサイズ", "02-sgd-minibatch.md"),
    ("鞍点", "playground.md"),
    ("誤差逆伝播法", "03-backprop.md"),
    ("誤差逆伝播", "03-backprop.md"),
    ("バックプロパゲーション", "03-backprop.md"),
    ("重みの初期値", "08-weight-init.md"),
    ("重みの初期化", "08-weight-init.md"),
    ("Xavier の初期値", "08-weight-init.md"),
    ("He の初期値", "08-weight-init.md"),
    ("アクティベーション分布", "08-weight-init.md"),
    ("バイアス補正", "06-adam.md"),
    ("勾配降下法", "01-gradient-descent.md"),
    ("数値微分", "01-gradient-descent.md"),
    ("偏微分", "01-gradient-descent.md"),
    ("確率的勾配降下法", "02-sgd-minibatch.md"),
    ("ソフトマックス関数", "02-sgd-minibatch.md"),
    ("交差エントロピー誤差", "02-sgd-minibatch.md"),
    ("クロスエントロピー", "02-sgd-minibatch.md"),
    ("計算グラフ", "03-backprop.md"),
    ("連鎖律", "03-backprop.md"),
    ("活性化関数", "03-backprop.md"),
    ("Affine レイヤ", "03-backprop.md"),
    ("勾配確認", "03-backprop.md"),
    ("モーメンタム", "04-momentum.md"),
    ("ネステロフ", "04-momentum.md"),
    ("細長い谷", "04-momentum.md"),
    ("条件数", "04-momentum.md"),
    ("有効学習率", "05-adagrad-rmsprop.md"),
    ("学習係数", "05-adagrad-rmsprop.md"),
    ("RMSprop", "05-adagrad-rmsprop.md"),
    ("Adam", "06-adam.md"),
    ("正則化", "10-regularization.md"),
    ("Weight decay", "10-regularization.md"),
    ("検証データ", "11-hyperparameters.md"),
    ("グリッドサーチ", "11-hyperparameters.md"),
    ("ランダムサーチ", "11-hyperparameters.md"),
    ("ハイパーパラメーター", "11-hyperparameters.md"),
    ("学習率のスケジュール", "12-beyond.md"),
    ("ウォームアップ", "12-beyond.md"),
    ("勾配クリッピング", "12-beyond.md"),
    ("勾配爆発", "12-beyond.md"),
    ("AdamW", "12-beyond.md"),
    ("線形スケーリング則", "12-beyond.md"),
    ("PyTorch", "12-beyond.md"),
    ("チェックサム", "appendix-mnist.md"),
    ("load_mnist", "appendix-mnist.md"),
    ("IDX 形式", "appendix-mnist.md"),
    ("引数チェック", "appendix-robustness.md"),
    ("プレイグラウンド", "playground.md"),
]
# Japanese words that Pagefind's dictionary and the browser split differently (or not at all).
JAPANESE_WORDS = ["ハイパーパラメータ", "ドロップアウト", "誤差逆伝播法", "ミニバッチ", "重みの初期値", "バッチサイズ"]


# --- which pages are in the index -------------------------------------------------


def excluded(src: str) -> bool:
    """A page about the project: front matter ``search: exclude: true``."""
    if not src.endswith(".md"):
        return False
    _, meta = get_data((ROOT / "docs" / src).read_text(encoding="utf-8"))
    return bool((meta.get("search") or {}).get("exclude"))


INDEXED = [src for src in PAGES if not excluded(src)]
EXCLUDED = [src for src in PAGES if excluded(src)]


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment)).replace("¶", "")).strip()


@functools.cache
def headings(site: Path) -> dict[str, dict]:
    """Every indexed page's titles (its h1, its title in the nav) and h2 headings, as built."""
    found = {}
    for src in INDEXED:
        built = (site / page_path(src) / "index.html").read_text(encoding="utf-8")
        article = built[built.index("<article") : built.rindex("</article>")]
        h1 = [_text(h) for h in re.findall(r"<h1[^>]*>(.*?)</h1>", article, re.S)]
        nav = html.unescape(re.search(r"<title>(.*?)</title>", built, re.S).group(1)).rsplit(" - ", 1)[0].strip()
        titles = {*h1, nav} | {re.sub(r"^\d+\.\s*", "", t) for t in h1}
        found[src] = {"titles": sorted(titles), "h2": [_text(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", article, re.S)]}
    return found


# --- typing into the box -------------------------------------------------------------

_results: dict[str, list[str]] = {}  # query -> pages listed (the same query is typed once a session)


def ask(page, query: str, open_box=None) -> list[str]:
    """Type ``query`` into the search box key by key; the pages listed, best first ("index.md", ...)."""
    box = page.locator("input.md-search__input")
    if open_box:
        open_box()
    elif not page.evaluate("() => document.activeElement === document.querySelector('input.md-search__input')"):
        box.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(query)
    page.wait_for_function(
        "(q) => document.querySelector('.md-search-result__list').dataset.query === q", arg=query, timeout=20_000
    )
    hrefs = page.eval_on_selector_all(
        "li.md-search-result__item", "(items) => items.map((li) => li.querySelector('a').href)"
    )
    return [source_of(href) for href in hrefs]


SOURCES = {page_path(src): src for src in PAGES}


def source_of(href: str) -> str:
    path = urlsplit(href).path
    assert path.startswith(BASE_PATH), f"a result outside the site: {href}"
    return SOURCES.get(path[len(BASE_PATH) :], path)


@pytest.fixture(scope="module")
def search_page(desktop, server):
    """One tab for the typed searches, opened on a chapter (any page has the box)."""
    page, recorder, _ = open_page(desktop, server.url("03-backprop.md"), own_tab=True)
    yield page, recorder
    recorder.assert_clean()
    close_page(page, recorder)


def results_for(search_page, query: str) -> list[str]:
    if query not in _results:
        page, _ = search_page
        with screenshot_on_failure(page, artefact_name("search", query)):
            _results[query] = ask(page, query)
    return _results[query]


# --- the index is fetched when the reader opens the box --------------------------------


@pytest.mark.parametrize("src", ["index.md", "03-backprop.md"])
@in_browser
def test_the_index_is_fetched_only_when_the_box_is_opened(desktop, server, src):
    page, recorder, _ = open_page(desktop, server.url(src), own_tab=True)
    with screenshot_on_failure(page, artefact_name("search-load", src)):
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        settle(page, recorder)
        assert not [u for u in recorder.requests if "/pagefind/" in u], "the page fetched the index when it loaded"
        page.locator("input.md-search__input").click()
        page.wait_for_function("() => document.getElementById('__search').checked")
        assert ask(page, "勾配"), "a search gives results"
        settle(page, recorder)
        index = [u for u in recorder.requests if "/pagefind/" in u]
        assert any(u.endswith("/pagefind/pagefind.js") for u in index), index
        assert any("/pagefind/index/" in u for u in index) and any("/pagefind/fragment/" in u for u in index), index
        recorder.assert_clean()  # no other host, no failed request, no console error
    close_page(page, recorder)


@in_browser
def test_the_index_holds_every_page_but_those_about_the_project(search_page, server):
    page, _ = search_page
    urls = page.evaluate(
        """async (url) => {
          const pagefind = await import(url);
          const all = await pagefind.search(null);  // every page of the index
          return Promise.all(all.results.map(async (r) => (await r.data()).url));
        }""",
        server.base + "pagefind/pagefind.js",
    )
    assert sorted(source_of(server.origin + u) for u in urls) == sorted(INDEXED)
    assert EXCLUDED, "the pages about the project (search: exclude: true) are gone from the nav?"


# --- titles and headings ---------------------------------------------------------------


@pytest.mark.parametrize("src", INDEXED)
@in_browser
def test_titles_and_headings_give_their_page_first(search_page, site, src):
    every = headings(site)
    shared = {}
    for other, found in every.items():
        for h2 in found["h2"]:
            shared.setdefault(h2, set()).add(other)
    wrong = []
    for title in every[src]["titles"]:
        got = results_for(search_page, title)
        if got[:1] != [src]:
            wrong.append(f"title {title!r}: {got[:4]}")
    for h2 in every[src]["h2"]:
        got = results_for(search_page, h2)
        pages = shared[h2]  # the pages with this heading come first, before any other page
        if not got or not all(p in pages for p in got[: len(pages)]):
            wrong.append(f"heading {h2!r} (of {sorted(pages)}): {got[:4]}")
    assert not wrong, f"{src}: " + "; ".join(wrong)


# --- what readers type ------------------------------------------------------------------


def test_reader_queries_are_at_least_40():
    assert len(READER_QUERIES) >= 40
    assert len({q for q, _ in READER_QUERIES}) == len(READER_QUERIES), "a query listed twice"


@pytest.mark.parametrize("query,expected", READER_QUERIES, ids=[q for q, _ in READER_QUERIES])
@in_browser
def test_reader_queries_find_the_page(search_page, query, expected):
    assert expected in PAGES, f"{expected} is not a page of the nav: correct READER_QUERIES"
    got = results_for(search_page, query)
    assert expected in got[:3], f"{query!r}: first results are {got[:5]}"


SYNONYMS = pagefind_search.Synonyms.load(pagefind_search.SYNONYMS)
SYNONYM_CASES = [(synonym, word) for word, synonyms in SYNONYMS.words.items() for synonym in synonyms]


@pytest.mark.parametrize("synonym,word", SYNONYM_CASES, ids=[s for s, _ in SYNONYM_CASES])
@in_browser
def test_every_synonym_finds_a_page_that_writes_its_word(search_page, site, synonym, word):
    got = results_for(search_page, synonym)
    assert got, f"{synonym!r} (for {word!r}) finds nothing"
    built = (site / page_path(got[0]) / "index.html").read_text(encoding="utf-8")
    article = _text(built[built.index("<article") : built.rindex("</article>")])
    assert word.casefold() in article.casefold(), f"{synonym!r}: the first result, {got[0]}, does not write {word!r}"


# --- Japanese ----------------------------------------------------------------------------


@pytest.mark.parametrize("word", JAPANESE_WORDS)
@in_browser
def test_japanese_words_find_only_pages_that_contain_them(search_page, site, word):
    page, _ = search_page
    got = ask(page, word)  # typed again: the marks are those of this search
    assert got, f"{word!r} finds nothing"
    written = [word] + [w for w, synonyms in SYNONYMS.words.items() if word in synonyms]
    for src in got:
        built = (site / page_path(src) / "index.html").read_text(encoding="utf-8")
        text = _text(built[built.index("<article") : built.rindex("</article>")])
        assert any(w in text for w in written), f"{word!r}: {src} is listed but contains none of {written}"
    marks = page.eval_on_selector_all("li.md-search-result__item mark", "(ms) => ms.map((m) => m.textContent)")
    assert word in marks, f"{word!r} is not marked in the results: {marks[:5]}"


# --- keyboard and phone --------------------------------------------------------------------


@in_browser
def test_the_box_works_from_the_keyboard(desktop, server):
    page, recorder, _ = open_page(desktop, server.url("01-gradient-descent.md"), own_tab=True)
    with screenshot_on_failure(page, "search-keyboard"):
        page.keyboard.press("/")  # as material's search: "/" opens the box
        assert page.evaluate("() => document.activeElement.matches('input.md-search__input')")
        assert ask(page, "誤差逆伝播法")[0] == "03-backprop.md"
        page.keyboard.press("ArrowDown")
        assert page.evaluate("() => document.activeElement.matches('.md-search-result__link')")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert urlsplit(page.url).path == BASE_PATH + page_path("03-backprop.md")
        page.keyboard.press("s")
        assert page.evaluate("() => document.getElementById('__search').checked")
        page.keyboard.press("Escape")
        assert not page.evaluate("() => document.getElementById('__search').checked"), "Escape closes the box"
        recorder.assert_clean()
    close_page(page, recorder)


@pytest.fixture(scope="module")
def phone_390(browser):
    context = browser.new_context(
        viewport=PHONE_390, device_scale_factor=2, is_mobile=True, has_touch=True, locale="ja-JP"
    )
    yield context
    context.close()


@in_browser
def test_the_box_on_a_390px_phone(phone_390, server):
    page, recorder, _ = open_page(phone_390, server.url("04-momentum.md"), own_tab=True)
    with screenshot_on_failure(page, "search-phone-390"):
        opener = page.locator("label.md-header__button[for='__search']")  # the magnifier in the header
        assert opener.is_visible()
        assert ask(page, "誤差逆伝播法", open_box=lambda: opener.tap())[0] == "03-backprop.md"
        box = page.locator("input.md-search__input")
        assert page.evaluate("() => document.activeElement.matches('input.md-search__input')")
        inside = page.evaluate("(e) => { const r = e.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth && r.width > 200; }", box.element_handle())
        assert inside, "the box is on the screen, wide enough to read what is typed"
        layout = page.evaluate(
            """() => ({ width: document.documentElement.clientWidth, scroll: document.documentElement.scrollWidth,
                        right: Math.max(...[...document.querySelectorAll('.md-search-result__item')]
                                 .map((li) => li.getBoundingClientRect().right)) })"""
        )
        assert layout["scroll"] <= layout["width"] == PHONE_390["width"], layout
        assert layout["right"] <= layout["width"], f"results run past the screen: {layout}"
        with page.expect_navigation():
            page.locator("li.md-search-result__item a").first.tap()
        assert urlsplit(page.url).path == BASE_PATH + page_path("03-backprop.md")
        recorder.assert_clean()
    close_page(page, recorder)


# --- the hook's pieces, without a browser -----------------------------------------------------


def load_synonyms(tmp_path, text: str) -> pagefind_search.Synonyms:
    path = tmp_path / "synonyms.yml"
    path.write_text(text, encoding="utf-8")
    return pagefind_search.Synonyms.load(path)


def test_the_synonym_list_is_one_reviewable_file():
    data = yaml.safe_load(pagefind_search.SYNONYMS.read_text(encoding="utf-8"))
    assert data == SYNONYMS.words and len(data) >= 10
    for prose in (ROOT / "docs").rglob("*.md"):  # the prose is not where synonyms go
        assert "data-pagefind" not in prose.read_text(encoding="utf-8"), prose


@pytest.mark.parametrize(
    "text,message",
    [
        ("- a\n- b\n", "expected lines"),
        ("Dropout: ドロップアウト\n", "expected a list"),
        ("Dropout: []\n", "expected a list"),
        ("Dropout: [dropout]\n", "not its own synonym"),
        ("Dropout: [<b>x</b>]\n", "may not contain"),
        ("Dropout: [ドロップアウト\n", "cannot read"),
    ],
)
def test_a_broken_synonym_list_stops_the_build(tmp_path, text, message):
    with pytest.raises(PluginError, match=message):
        load_synonyms(tmp_path, text)


def test_synonyms_follow_their_word_in_the_index_only(tmp_path):
    synonyms = load_synonyms(tmp_path, "Batch Norm: [バッチ正規化]\nBatch Normalization: [バッチ正規化]\n過学習: [オーバーフィッティング]\n")
    used: set[str] = set()
    article = (
        '<article><h2 id="x">Batch Norm の効果</h2><p>batch normalization と Batch Normalizer、過学習。</p>'
        "<script>var s = '過学習';</script></article>"
    )
    out = pagefind_search.with_synonyms(article, synonyms, synonyms.pattern(), used)
    # the heading keeps its words; the synonyms follow it with the heading's weight
    assert '<h2 id="x">Batch Norm の効果</h2><p data-pagefind-weight="6">Batch Norm（バッチ正規化）</p>' in out
    # the longer word wins, any case, whole words only (Normalizer is not Norm)
    assert "batch normalization（バッチ正規化） と Batch Normalizer、過学習（オーバーフィッティング）。" in out
    assert "var s = '過学習';" in out  # scripts are left alone
    assert used == {"Batch Norm", "Batch Normalization", "過学習"}


def test_a_synonym_for_a_word_no_page_writes_stops_the_build(tmp_path):
    synonyms = load_synonyms(tmp_path, "Dropout: [ドロップアウト]\n早期終了: [early stopping]\n")
    pages = {"/a/": ("<html><body><article><h1>Dropout</h1></article></body></html>", "A")}
    with pytest.raises(PluginError, match="no indexed page writes '早期終了'"):
        pagefind_search.index_documents(pages, synonyms)


def test_japanese_is_indexed_one_character_a_word(tmp_path):
    synonyms = load_synonyms(tmp_path, "Dropout: [ドロップアウト]\n")
    page = '<html lang="ja"><body><nav>目次</nav><article class="x"><h1>誤差逆伝播法 と Adam</h1><img alt="図" src="a.svg"><p>Dropout を使う</p></article></body></html>'
    [(url, out)] = pagefind_search.index_documents({"/a/": (page, "3. 誤差逆伝播法")}, synonyms)
    assert url == "/a/"
    zw = "\u200b"
    assert f"<h1>誤{zw}差{zw}逆{zw}伝{zw}播{zw}法 と Adam</h1>" in out
    assert f"Dropout（ド{zw}ロ{zw}ッ{zw}プ{zw}ア{zw}ウ{zw}ト）" in out
    assert "<nav>目次</nav>" in out  # outside the article: not indexed, left as it is
    assert "<img" not in out  # a figure would become the result's image
    assert '<article class="x"><span data-pagefind-meta="nav:3. 誤差逆伝播法"></span>' in out
