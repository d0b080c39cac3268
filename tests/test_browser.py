"""The built site as readers meet it: Debian's chromium, driven by playwright.

The site from the session's ``site`` build is served on 127.0.0.1 under the
path of ``site_url`` (``/zerodl/``), with ``404.html`` for anything missing,
the way GitHub Pages serves it (text gzip-compressed). Every page of the nav is
checked for console errors, failed requests, requests to other hosts, math,
figures, the edit link and a phone-sized layout; links and anchors are crawled
from the home page; downloaded notebooks are executed. What each page fetched
is kept for its weight (tests/test_page_weight.py); the search box has its own
tests (tests/test_search.py).

On failure a screenshot of the page goes to ``test-artifacts/``. Without
chromium these tests skip locally, but fail in CI (``CI=true``).
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import mimetypes
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from conftest import ROOT
from literate.config import load_config, nav_pages
from literate.pages import fences as python_blocks

pytestmark = [pytest.mark.browser, pytest.mark.build]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 667}


# --- the site's configuration, read at collection time ----------------------


CONFIG = load_config(ROOT)


def page_path(src: str) -> str:
    """The URL path of a page relative to the site root: ``01-x.md`` -> ``01-x/``."""
    stem = src.rsplit(".", 1)[0]
    if stem == "index":
        return ""
    return stem.removesuffix("/index") + "/"


def has_notebook(src: str) -> bool:
    if src.endswith((".py", ".ipynb")):
        return True
    return bool(python_blocks((ROOT / "docs" / src).read_text(encoding="utf-8")))


def source_of(src: str) -> str:
    """The file under docs/ a nav entry is made from (an experiment's .ipynb from its jupytext .py)."""
    return src[: -len(".ipynb")] + ".py" if src.endswith(".ipynb") else src


def trains_on_mnist(src: str) -> bool:
    return "load_mnist" in (ROOT / "docs" / source_of(src)).read_text(encoding="utf-8")


PAGES = nav_pages(ROOT, suffixes=(".md", ".py", ".ipynb"))  # chapters and notebook pages
NOTEBOOK_PAGES = [src for src in PAGES if has_notebook(src)]
NOTEBOOK_SUFFIXES = (".py", ".ipynb")  # pages rendered (and executed) by mkdocs-jupyter
BASE_PATH = urlsplit(CONFIG["site_url"] or "/").path or "/"  # a local build has no site_url
if not BASE_PATH.endswith("/"):
    BASE_PATH += "/"


# --- serving the built site ---------------------------------------------------

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".ipynb": "application/x-ipynb+json",
    ".py": "text/x-python; charset=utf-8",
    ".xml": "application/xml",
    ".gz": "application/gzip",
}
# What GitHub Pages sends gzip-compressed to a browser that accepts it: text, SVG, JSON;
# not fonts, other images, archives, or Pagefind's index files (compressed already).
COMPRESSED = ("text/", "application/json", "application/xml", "image/svg+xml", "application/x-ipynb+json")


def _handler(site: Path):
    gzipped: dict[Path, bytes] = {}  # each file compressed once
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        """Static files under BASE_PATH; 404.html with status 404 for anything else.

        Text is gzip-compressed for a client that accepts it, as GitHub Pages does, so
        that what the browser receives (tests/test_page_weight.py) is what a reader's does."""

        def do_GET(self) -> None:
            self._serve(body=True)

        def do_HEAD(self) -> None:
            self._serve(body=False)

        def _serve(self, body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            target = None
            if path.startswith(BASE_PATH):
                candidate = (site / path[len(BASE_PATH) :]).resolve()
                if candidate.is_dir():
                    candidate = candidate / "index.html"
                if candidate.is_file() and candidate.is_relative_to(site.resolve()):
                    target = candidate
            status = 200 if target else 404
            target = target or site / "404.html"
            data = target.read_bytes()
            kind = CONTENT_TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            compress = kind.startswith(COMPRESSED) and "gzip" in self.headers.get("Accept-Encoding", "")
            if compress:
                with lock:
                    if target not in gzipped:
                        gzipped[target] = gzip.compress(data, compresslevel=6, mtime=0)
                    data = gzipped[target]
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Vary", "Accept-Encoding")
            if compress:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            if body:
                self.wfile.write(data)

        def log_message(self, format, *args) -> None:  # quiet
            pass

    return Handler


@dataclass
class Server:
    origin: str  # http://127.0.0.1:PORT
    base: str  # origin + BASE_PATH

    def url(self, src: str) -> str:
        return self.base + page_path(src)


@pytest.fixture(scope="session")
def server(site) -> Iterator[Server]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield Server(origin, origin + BASE_PATH)
    httpd.shutdown()
    httpd.server_close()


# --- the browser ----------------------------------------------------------------


def _why_no_browser() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found: install Debian's chromium with `sudo apt-get install chromium`"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return 'the playwright package is missing: `pip install -e ".[test]"` (it uses Debian\'s chromium, no download)'
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _why_no_browser()
    if reason:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    if _shared_browser:  # another test module imported this fixture: one Playwright per session
        yield _shared_browser[0]
        return
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        _shared_browser.append(chromium)
        yield chromium
        _shared_browser.clear()
        chromium.close()


# Modules that import the fixture get a second fixture definition; a second
# sync_playwright() in one session fails, so they share the first one's browser.
_shared_browser: list = []


@pytest.fixture(scope="module")
def desktop(browser):
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP", accept_downloads=True)
    yield context
    context.close()


@pytest.fixture(scope="module")
def phone(browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="ja-JP"
    )
    yield context
    context.close()


@dataclass(repr=False)
class Recorder:
    """Everything one page does on the network and in its console."""

    origin: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    responses: list = field(default_factory=list)
    pending: set = field(default_factory=set)  # requests not yet finished or failed

    def __repr__(self) -> str:
        return f"Recorder({self.origin})"

    def attach(self, page) -> Recorder:
        self._handlers = [
            ("request", self._request),
            ("requestfinished", lambda r: self.pending.discard(r)),
            ("requestfailed", self._failed),
            ("response", self._response),
            ("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None),
            ("pageerror", lambda e: self.errors.append(f"uncaught: {e}")),
        ]
        for event, handler in self._handlers:
            page.on(event, handler)
        return self

    def detach(self, page) -> None:
        for event, handler in getattr(self, "_handlers", []):
            page.remove_listener(event, handler)
        self._handlers = []

    def _request(self, request) -> None:
        self.requests.append(request.url)
        self.pending.add(request)

    def _failed(self, request) -> None:
        self.pending.discard(request)
        self.failed.append(f"{request.url} ({request.failure})")

    def _response(self, response) -> None:
        self.responses.append(response)
        if response.status >= 400:
            self.bad_status.append(f"{response.status} {response.url}")

    def external(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.origin + "/", "data:", "blob:", "about:"))]

    def assert_clean(self) -> None:
        assert not self.external(), f"requests to another host: {self.external()}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.bad_status, f"requests answered with an error status: {self.bad_status}"
        assert not self.errors, f"console errors: {self.errors}"


def artefact_name(*parts: str) -> str:
    return "-".join(re.sub(r"[^\w.-]+", "_", p) for p in parts if p)


@contextlib.contextmanager
def screenshot_on_failure(page, name: str):
    """Keep a full-page screenshot in test-artifacts/ when the block fails."""
    try:
        yield
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise


# One tab per browser context, reused by open_page: a new tab costs chromium a new
# renderer that parses and compiles the theme's scripts again (about 0.7 s of CPU
# per page). Every response is still fetched and recorded: the test server sends
# no caching headers, so nothing is served from a cache.
_TABS: dict[int, tuple[object, Recorder | None]] = {}  # id(context) -> (tab, the recorder of its last page)


def open_page(context, url: str, own_tab: bool = False):
    """Open ``url`` (in the context's reused tab, or a new one) and wait until it has settled (see ``settle``).

    Give the page back with ``close_page``."""
    if own_tab:
        page = context.new_page()
    else:
        page, last = _TABS.get(id(context), (None, None))
        if page is None or page.is_closed():
            page = context.new_page()
        elif last is not None:
            last.detach(page)
            if last.pending:  # the last test stopped with requests in flight: end them before recording anew
                page.goto("about:blank")
    recorder = Recorder(urlsplit(url)._replace(path="", query="", fragment="").geturl()).attach(page)
    if not own_tab:
        _TABS[id(context)] = (page, recorder)
    response = page.goto(url, wait_until="load")
    settle(page, recorder)
    return page, recorder, response


def close_page(page, recorder: Recorder) -> None:
    """Stop recording ``page``; close it unless it is a context's reused tab."""
    recorder.detach(page)
    if not any(page is tab for tab, _ in _TABS.values()):
        page.close()


# Everything a page does by itself once loaded: the theme's script and KaTeX have run (they
# run before the load event), the fonts they asked for have arrived, every image in the
# document has loaded (or failed) and is decoded.
READY = """async () => {
  await document.fonts.ready;
  const started = [...document.images].filter((img) => img.complete || img.loading !== "lazy");
  await Promise.all(started.map((img) => img.decode().catch(() => null)));
}"""


def settle(page, recorder: Recorder, quiet_ms: int = 100, timeout_s: float = 30) -> None:
    """Wait for what the page loads, not for a timer: fonts and images ready (``READY``), then
    no request of the page pending for ``quiet_ms`` (a request started meanwhile, such as the
    figure a script adds, is waited for too).

    Playwright's ``networkidle`` waits for 500 ms without traffic after the last
    request, every time; this waits for the requests themselves."""
    deadline = time.monotonic() + timeout_s
    page.evaluate(READY)
    while True:
        while recorder.pending:
            if time.monotonic() > deadline:
                raise AssertionError(f"requests still pending after {timeout_s} s: {[r.url for r in recorder.pending]}")
            page.wait_for_timeout(10)
        page.wait_for_timeout(quiet_ms)  # also lets playwright deliver the events of the meantime
        if not recorder.pending:
            return


# --- every page -------------------------------------------------------------------

VISIBLE_TEXT = """() => {
  const article = document.querySelector("article") || document.body;
  const copy = article.cloneNode(true);
  copy.querySelectorAll("pre, code, script, style, textarea, math").forEach((e) => e.remove());
  return copy.textContent;
}"""

# Every image of the article, scrolled into view and decoded: loaded, visible (a box
# and not visibility: hidden, as playwright's is_visible), its size and alt text.
IMAGES = """async () => {
  const found = [];
  for (const img of document.querySelectorAll("article img")) {
    const style = getComputedStyle(img);
    const before = img.getBoundingClientRect();
    const visible = before.width > 0 && before.height > 0 && style.visibility !== "hidden";
    img.scrollIntoView({ block: "center" });
    await img.decode().catch(() => null);
    const box = img.getBoundingClientRect();
    found.push({ src: img.getAttribute("src") || "", alt: img.getAttribute("alt") || "", visible,
                 natural: [img.complete, img.naturalWidth, img.naturalHeight], box: [box.width, box.height] });
  }
  return found;
}"""

# TeX that the render step should have typeset: $$ … $$, \( … \), \[ … \],
# commands such as \frac{…}, and an inline $…$ pair left in a notebook page.
RAW_MATH = re.compile(r"\$\$|\\\(|\\\[|\\[A-Za-z]+\{|\\frac|\$[^$\s][^$\n]{0,80}\$")


@pytest.mark.parametrize("src", PAGES)
def test_page_loads_cleanly_with_math_figures_and_edit_link(desktop, server, src, tmp_path_factory):
    page, recorder, response = open_page(desktop, server.url(src))
    with screenshot_on_failure(page, artefact_name("desktop", src)):
        assert response is not None and response.status == 200, f"{server.url(src)}: {response and response.status}"
        recorder.assert_clean()
        # One visit per page: what the link crawl and the notebook test need from it is kept for them.
        VISITED[page.url] = page.evaluate(LINKS_AND_IDS)
        assert page.locator("article h1").count() == 1, "a page has one title"

        # Figures: every image is loaded and visible, including those in collapsed solutions.
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        for i, image in enumerate(page.evaluate(IMAGES)):  # one round trip for all of them
            where = f"image {i} ({image['src'][:60]})"
            assert image["visible"], f"{where} is not visible"
            natural = image["natural"]
            assert natural[0] and natural[1] > 0 and natural[2] > 0, f"{where} did not load: {natural}"
            assert image["box"][0] > 0 and image["box"][1] > 0, f"{where} has no size on the page: {image['box']}"
            alt = image["alt"]
            assert alt and not alt.startswith("No description"), f"{where} has no alt text (give the figure a title)"

        # Math: typeset at build time where the source has math (MathML the browser lays out, with a
        # height), never left as TeX.
        leftover = RAW_MATH.findall(page.evaluate(VISIBLE_TEXT))
        assert not leftover, f"unrendered TeX in the text: {leftover[:5]}"
        if source_has_math(src):
            heights = page.evaluate("() => [...document.querySelectorAll('article math')].map((m) => m.getBoundingClientRect().height)")
            assert heights and min(heights) > 5, f"the page has math but shows no formula laid out: {heights[:5]}"

        # The edit link opens this page's source file in the repository; a build that is not told
        # where the repository is (ZERODL_REPO_URL, ZERODL_EDIT_URI) shows none.
        edit = page.locator("a.md-content__button[rel='edit']")
        if CONFIG["repo_url"] and CONFIG["edit_uri"]:
            assert edit.count() == 1, "every page has an edit link"
            expected = CONFIG["repo_url"].rstrip("/") + "/" + CONFIG["edit_uri"].strip("/") + "/" + source_of(src)
            assert edit.get_attribute("href") == expected
        else:
            assert edit.count() == 0 and page.locator("a.zerodl-colab").count() == 0, "links to no repository"
        assert (ROOT / "docs" / source_of(src)).is_file()

        # Notebook download, where the page has code.
        buttons = page.locator("a.zerodl-notebook")
        assert buttons.count() == (1 if src in NOTEBOOK_PAGES else 0)
        if src in NOTEBOOK_PAGES:
            target = urljoin(page.url, buttons.get_attribute("href"))
            assert desktop.request.get(target).status == 200, target

        # Everything the page fetched, once its figures and collapsed parts are in (for its weight).
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        settle(page, recorder)
        FETCHED[src] = fetched(recorder)

        recorder.assert_clean()
        if src in NOTEBOOK_PAGES:  # for test_downloaded_notebook_carries…, after the page is weighed
            DOWNLOADS[src] = download_notebook(page, tmp_path_factory.mktemp("notebook"))
    close_page(page, recorder)


# page -> what it fetched (``fetched``), filled by the test above; URL -> the links and ids on that
# page (LINKS_AND_IDS), for the crawl; page -> its downloaded notebook
FETCHED: dict[str, list[Fetched]] = {}
VISITED: dict[str, dict] = {}
DOWNLOADS: dict[str, Path] = {}


@dataclass(frozen=True)
class Fetched:
    url: str
    kind: str  # Content-Type
    received: int  # body bytes as the browser received them (gzip-compressed where the server compressed)


def fetched(recorder: Recorder) -> list[Fetched]:
    """Every response of the page with the bytes of its body on the wire."""
    found = []
    for response in recorder.responses:
        sizes = response.request.sizes()
        found.append(Fetched(response.url, response.headers.get("content-type", ""), sizes["responseBodySize"]))
    return found


def source_has_math(src: str) -> bool:
    text = (ROOT / "docs" / source_of(src)).read_text(encoding="utf-8")
    if source_of(src).endswith(".py"):
        import jupytext

        text = "\n".join(c.source for c in jupytext.reads(text, fmt="py:percent").cells if c.cell_type == "markdown")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # code blocks are not math
    return bool(re.search(r"\$[^$\n]+\$", text))


OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (e) => {
    for (let p = e.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (["auto", "scroll", "hidden"].includes(s.overflowX) && p !== document.body && p !== document.documentElement) return true;
    }
    return false;
  };
  const culprits = [];
  for (const e of document.querySelectorAll("body *")) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && !scrolls(e) && getComputedStyle(e).position !== "fixed") {
      culprits.push(`${e.tagName.toLowerCase()}.${[...e.classList].join(".")} right=${Math.round(r.right)}`);
    }
  }
  return { scrollWidth: document.documentElement.scrollWidth, clientWidth: width, culprits: culprits.slice(0, 8) };
}"""


# Issue 23: at most 6,000 elements a page, so style and layout stay quick on a phone. Over it,
# the message names what the page is made of (code-block spans counted by token class).
MAX_ELEMENTS = 6000
ELEMENTS = """() => {
  const tally = {};
  for (const e of document.querySelectorAll('*')) {
    const where = e.closest('pre') ? 'code ' : e.closest('math') ? 'math ' : '';
    const key = where + e.tagName.toLowerCase() + (where === 'code ' && e.classList[0] ? '.' + e.classList[0] : '');
    tally[key] = (tally[key] || 0) + 1;
  }
  return { count: document.querySelectorAll('*').length,
           largest: Object.entries(tally).sort((a, b) => b[1] - a[1]).slice(0, 8) };
}"""


@pytest.mark.parametrize("src", PAGES)
def test_page_fits_a_phone_screen_in_few_elements(phone, server, src):
    page, recorder, response = open_page(phone, server.url(src))
    with screenshot_on_failure(page, artefact_name("phone", src)):
        assert response is not None and response.status == 200
        elements = page.evaluate(ELEMENTS)
        assert elements["count"] <= MAX_ELEMENTS, (
            f"{src}: {elements['count']} elements (at most {MAX_ELEMENTS}); most of them: {elements['largest']}")
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        result = page.evaluate(OVERFLOW)
        assert result["scrollWidth"] <= result["clientWidth"], (
            f"the page is wider than a {PHONE['width']}px phone: scrollWidth {result['scrollWidth']} "
            f"> clientWidth {result['clientWidth']}; too wide: {result['culprits']}"
        )
        recorder.assert_clean()
    close_page(page, recorder)


def test_missing_page_shows_the_404_page(desktop, server):
    missing = server.base + "no-such-chapter/"
    page, recorder, response = open_page(desktop, missing)
    with screenshot_on_failure(page, "desktop-404"):
        assert response is not None and response.status == 404
        # The page itself is the one expected 404 (chromium logs it as a console error).
        assert recorder.bad_status == [f"404 {missing}"]
        assert all("status of 404" in e for e in recorder.errors) and len(recorder.errors) <= 1, recorder.errors
        recorder.bad_status.clear()
        recorder.errors.clear()
        assert "見つかりません" in page.locator("article h1").inner_text()
        links = page.eval_on_selector_all("article a[href]", "(as) => as.map((a) => a.href)")
        assert any(link.rstrip("/") == server.base.rstrip("/") for link in links), "links back to the home page"
        for link in links:
            if link.startswith(server.base):
                assert desktop.request.get(link).status == 200, link
        recorder.assert_clean()
    close_page(page, recorder)


# --- links and anchors ------------------------------------------------------------------

LINKS_AND_IDS = """() => ({
  links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
  ids: [...document.querySelectorAll("[id]")].map((e) => e.id),
})"""


def test_every_internal_link_and_anchor_resolves(desktop, server, site):
    """Crawl from the home page: every page, file and #anchor linked to exists.

    The pages test_page_loads_cleanly… opened in this session are not loaded again:
    their links and ids were read there, right after they loaded."""
    page = desktop.new_page()
    ids: dict[str, set[str]] = {}
    status: dict[str, int] = {}
    anchors: list[tuple[str, str, str]] = []  # (from page, to url, fragment)
    queue = [server.base]
    while queue:
        url = queue.pop(0)
        if url in status:
            continue
        path = urlsplit(url).path
        if path.endswith("/") or path.endswith(".html"):
            if url in VISITED:  # loaded with status 200 by test_page_loads_cleanly… in this session
                status[url], found = 200, VISITED[url]
            else:
                response = page.goto(url, wait_until="load")
                status[url] = response.status if response else 0
                if status[url] != 200:
                    continue
                found = page.evaluate(LINKS_AND_IDS)
            ids[url] = set(found["ids"])
            for link in found["links"]:
                target, fragment = urldefrag(link)
                target = target.split("?", 1)[0]
                if not target.startswith(server.origin + "/"):
                    continue  # links to other sites are not followed
                assert target.startswith(server.base), f"{url} links to {link}, outside the site's path {BASE_PATH}"
                if fragment:
                    anchors.append((url, target, unquote(fragment)))
                if target not in status:
                    queue.append(target)
        else:
            status[url] = desktop.request.head(url).status
    page.close()

    broken = sorted(url for url, code in status.items() if code != 200)
    assert not broken, f"links to missing pages or files: {broken}"
    missing = sorted(
        f"{origin} -> {target}#{fragment}"
        for origin, target, fragment in anchors
        if fragment not in ids.get(target, set())
    )
    assert not missing, f"anchors that do not exist on their page: {missing}"

    built = {
        server.base + p.parent.relative_to(site).as_posix() + "/" if p.parent != site else server.base
        for p in site.rglob("index.html")
    }
    built = {u.replace("/./", "/") for u in built}
    unreachable = sorted(built - set(ids))
    assert not unreachable, f"pages no link leads to: {unreachable}"
    for src in PAGES:
        assert server.url(src) in ids, f"nav page {src} was not reached from the home page"


# --- notebooks --------------------------------------------------------------------------


def download_notebook(page, folder: Path) -> Path:
    """Click the page's notebook button; the downloaded file, saved in ``folder``."""
    with page.expect_download() as download_info:
        page.locator("a.zerodl-notebook").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ipynb")
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


@pytest.mark.parametrize("src", NOTEBOOK_PAGES)
def test_downloaded_notebook_carries_the_pages_outputs(desktop, server, site, src, tmp_path):
    """The page's notebook, downloaded with its button, is valid, names its source and shows what the
    page shows before anyone runs it: every figure and every printed line of the build's run.
    (Running the notebooks is `make notebooks`: a second execution, not part of `make test`.)

    test_page_loads_cleanly… downloads it when it visits the page; a session that
    did not run that test (-k) opens the page here."""
    import html

    import nbformat

    path = DOWNLOADS.get(src)
    if path is None:
        page, recorder, _ = open_page(desktop, server.url(src))
        with screenshot_on_failure(page, artefact_name("notebook", src)):
            path = download_notebook(page, tmp_path)
        close_page(page, recorder)
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert source_of(src) in notebook.cells[0].source, "the first cell names the source file"
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    if "plt.show()" in code:
        assert any("image/svg+xml" in o.get("data", {}) for o in outputs), "the notebook shows its figures"
    built = html.unescape((site / page_path(src) / "index.html").read_text(encoding="utf-8"))
    for output in outputs:
        if output.get("name") == "stdout":
            line = next((l for l in output["text"].splitlines() if l.strip() and "|" not in l), None)
            assert line is None or line.strip() in built, f"{src}: the notebook shows {line!r}, the page does not"
    assert path.stat().st_size <= 1_000_000, f"{src}: the notebook is {path.stat().st_size:,} bytes (at most 1 MB)"


# Issue 23: code colours hold 4.5:1 against the code background in both schemes (WCAG AA), on a
# chapter and on the experiment page (mkdocs-jupyter's code, shown in the chapters' colours).
CONTRAST = """() => {
  const rgba = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const worst = {};
  for (const span of document.querySelectorAll('pre span[class]')) {
    let host = span.parentElement, bg = rgba(getComputedStyle(host).backgroundColor);  // the code's own ground
    while (bg[3] === 0 && host.parentElement) { host = host.parentElement; bg = rgba(getComputedStyle(host).backgroundColor); }
    const [r, g, b, a] = rgba(getComputedStyle(span).color);
    const fg = [r * a + bg[0] * (1 - a), g * a + bg[1] * (1 - a), b * a + bg[2] * (1 - a)];
    const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05), key = span.className.split(' ')[0];
    if (!(key in worst) || ratio < worst[key]) worst[key] = Math.round(ratio * 100) / 100;
  }
  return worst;
}"""


@pytest.mark.parametrize("src", ["03-backprop.md", "experiments/lr-sweep.ipynb"])
@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_code_colours_are_readable_in_both_schemes(desktop, server, src, scheme):
    page, recorder, _ = open_page(desktop, server.url(src))
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")  # boxes too
    page.evaluate("(scheme) => document.body.setAttribute('data-md-color-scheme', scheme)", scheme)
    page.wait_for_timeout(600)  # the theme's colour transitions end
    worst = page.evaluate(CONTRAST)
    page.evaluate("() => document.body.setAttribute('data-md-color-scheme', 'default')")
    close_page(page, recorder)
    assert worst, f"{src}: no highlighted code found"
    low = {k: v for k, v in worst.items() if v < 4.5}
    assert not low, f"{src} ({scheme}): code colours under 4.5:1 against their background: {low}"
