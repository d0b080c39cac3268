"""What a first visit to each page costs a reader: every byte the browser receives.

The built site is served as GitHub Pages serves it, text gzip-compressed
(tests/test_browser.py's server), and each page is weighed as Debian's chromium
receives it: the HTML, the CSS, the scripts, the fonts, the figures (every
collapsed part opened, scrolled to the end) and whatever the page's scripts fetch
by themselves, on a visit with nothing in the browser's cache (the server sends
no caching headers). The search index is not part of it: it is fetched when the
reader opens the search box (tests/test_search.py).

The budgets are the issue's: the home page at most 120 kB, every other page with
its figures at most 250 kB (kB = 1,000 bytes). A page over its budget fails
with what it is made of: bytes by kind, and its largest resources.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import pytest

from test_browser import (  # noqa: F401 (fixtures)
    BASE_PATH,
    FETCHED,
    IMAGES,
    PAGES,
    Fetched,
    browser,
    close_page,
    desktop,
    fetched,
    open_page,
    server,
    settle,
)

pytestmark = [pytest.mark.browser, pytest.mark.build]

HOME = "index.md"
BUDGETS = {HOME: 120_000}  # bytes received; every other page: DEFAULT_BUDGET
DEFAULT_BUDGET = 250_000
LARGEST = 8  # resources named when a page is over its budget

# Every page loads the theme: a page whose list lacks these was (partly) served from a cache.
THEME = ("/assets/javascripts/bundle.", "/assets/stylesheets/main.")


def kind_of(resource: Fetched) -> str:
    path = urlsplit(resource.url).path
    if "/figures/" in path:
        return "figures"
    kind = resource.kind.split(";")[0]
    if kind == "text/html":
        return "HTML"
    if kind == "text/css":
        return "CSS"
    if "javascript" in kind:
        return "JS"
    if kind.startswith("font/") or path.endswith((".woff2", ".woff", ".ttf")):
        return "fonts"
    if kind.startswith("image/"):
        return "images"
    return kind or "other"


def weigh(src: str, desktop, server) -> list[Fetched]:
    """What ``src`` fetched: kept by test_browser.py's visit, or from a visit of its own (-k)."""
    if src not in FETCHED:
        page, recorder, _ = open_page(desktop, server.url(src))
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        page.evaluate(IMAGES)  # every figure scrolled into view: lazy images load as a reader reads
        settle(page, recorder)
        FETCHED[src] = fetched(recorder)
        close_page(page, recorder)
    return FETCHED[src]


def name(url: str) -> str:
    """A resource by its path in the site (``assets/javascripts/bundle.….min.js``)."""
    return urlsplit(url).path.removeprefix(BASE_PATH) or "(the home page's HTML)"


def breakdown(resources: list[Fetched]) -> str:
    by_kind = Counter()
    for resource in resources:
        by_kind[kind_of(resource)] += resource.received
    kinds = ", ".join(f"{kind} {size / 1000:.1f}" for kind, size in by_kind.most_common())
    largest = sorted(resources, key=lambda r: -r.received)[:LARGEST]
    names = "\n".join(f"    {r.received / 1000:7.1f} kB  {name(r.url)}" for r in largest)
    return f"in kB: {kinds}\n  largest:\n{names}"


@pytest.mark.parametrize("src", PAGES)
def test_page_weighs_at_most_its_budget(desktop, server, src):
    resources = weigh(src, desktop, server)
    urls = [r.url for r in resources]
    for theme in THEME:
        assert any(theme in url for url in urls), f"{src}: no {theme}* among what it fetched: served from a cache?"
    assert not any("/pagefind/" in url for url in urls), f"{src} fetches the search index when it loads"
    total = sum(r.received for r in resources)
    budget = BUDGETS.get(src, DEFAULT_BUDGET)
    print(f"\n{src}: {total / 1000:.1f} kB of {budget / 1000:.0f} kB; {breakdown(resources)}")
    assert total <= budget, (
        f"{src} weighs {total / 1000:.1f} kB on a first visit (gzip), over its {budget / 1000:.0f} kB budget; "
        + breakdown(resources)
    )
