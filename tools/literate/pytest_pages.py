"""pytest plugin: the chapters' code blocks as tests, sharing the site's one execution.

Loaded by the project's ``conftest.py``. Every ``docs/**/*.md`` page with
```` ```python ```` blocks (and every experiment of the nav) is collected; each chain
of blocks as pytest-codeblocks groups them (a block and its ``cont`` blocks) is
a test named ``line N``, as ``pytest --codeblocks`` names it. The tests do not
run the code themselves: at the end of collection every collected page starts
rendering (``literate.render``: run in processes of their own, side by side,
or taken from the execution cache), and a test passes when its chain ran
without error in that run. The site build that the other tests make reads the
same cache, so a page runs once per session (:func:`wait_for_pages`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from literate import render
from literate.pages import PageError

ROOT = Path(__file__).resolve().parents[2]
_session: dict = {}


class ChainFailed(Exception):
    pass


class PageFile(pytest.File):
    def collect(self):
        src = self.path.resolve().relative_to(ROOT / "docs").as_posix()
        try:
            page = render.load_page(ROOT, src)
        except PageError as exc:
            raise self.CollectError(str(exc)) from None
        for chain in page.chains if page else []:
            item = ChainItem.from_parent(self, name=f"line {chain[0][0]}")
            item.page, item.lineno = page, chain[0][0]
            yield item


class ChainItem(pytest.Item):
    page: render.Page
    lineno: int

    def runtest(self):
        result = results().result(self.page)
        if result.get("failed"):
            raise ChainFailed(result["failed"])
        chain = next(c for c in result["chains"] if c["lineno"] == self.lineno)
        if chain["error"]:
            raise ChainFailed(chain["error"])

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ChainFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.lineno - 1, f"code block at line {self.lineno}"


def pytest_addoption(parser):
    parser.addoption("--site", metavar="DIR", help="test the site already built in DIR instead of building it "
                     "(quick reruns of the site and browser tests while working on a page; never in CI)")


def pytest_collect_file(file_path, parent):
    try:
        src = file_path.resolve().relative_to(ROOT / "docs").as_posix()
    except ValueError:
        return None
    if file_path.suffix == ".md" or src in render.experiments(ROOT):
        return PageFile.from_parent(parent, path=file_path)
    return None


def results() -> render.Results:
    if "results" not in _session:
        _session["results"] = render.Results(ROOT)
    return _session["results"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """The code-block tests wait for their pages: they go after the other tests that need no
    build (which run while the pages render), before those that need the site."""
    chains = [item for item in items if isinstance(item, ChainItem)]
    build = [item for item in items if not isinstance(item, ChainItem) and item.get_closest_marker("build")]
    rest = [item for item in items if not isinstance(item, ChainItem) and not item.get_closest_marker("build")]
    items[:] = rest + chains + build
    pages = {item.page.src: item.page for item in chains}
    _session["pages"] = list(pages.values())
    _session["cached_before"] = {p.src for p in pages.values()
                                 if render.cached(render.cache_dir(ROOT), p, render.cache_key(ROOT, p)) is not None}


def pytest_collection_finish(session):
    if session.config.option.collectonly:
        return
    if _session.get("pages"):
        results().start(_session["pages"])


def wait_for_pages() -> dict:
    """Before the site is built: every page of the session has its result. Returns how they
    came: ``{"ran": [...pages run in this session], "cached_before": {...}}``."""
    for page in render.site_pages(ROOT):
        results().result(page)
    return {"ran": list(results().executed), "cached_before": set(_session.get("cached_before", set()))}


def pytest_sessionfinish(session, exitstatus):
    if "results" in _session:
        _session.pop("results").close()
