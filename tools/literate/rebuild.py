"""Make the rebuild `mkdocs serve` does after a prose edit cheap.

``mkdocs serve`` rebuilds every page after any edit, in the same process. With
the execution caches warm, most of that time went to work whose inputs had not
changed (profiled with ``tools/bench/rebuild.py --profile``):

* the search plugin parsing each page's HTML into index entries
  (a third of a rebuild): :func:`cache_search_entries` keeps the entries of
  each page by a hash of its HTML, URL and title;
* the Jinja templates of the theme, compiled again for each build's new
  environment: :func:`cache_templates` gives them a bytecode cache;
* Pygments highlighting every code block again (a third of what is left):
  :func:`cache_highlighting` keeps each block's HTML by its source and options;
* turning each chapter into its notebook download with jupytext:
  ``literate.notebooks.notebook_from_markdown`` is memoized on the Markdown;
* rounding the figures' SVG path data (``literate.svg``): :func:`memo`;
* the notebook downloads of the pages mkdocs-jupyter renders: :func:`memo`
  on their source. (Not ``fix_notebook_page``: it also fixes ``page.toc``.)

The caches live in this module, so they last as long as the process (the
server); a cold ``mkdocs build`` is unaffected. Their outputs are the same
bytes as without them (``tests/test_rebuild_caches.py``). All of this is an
optimisation only: if a plugin's internals change, the caches switch off.
"""

from __future__ import annotations

import copy
import hashlib

import jinja2

_search_entries: dict[str, list[dict]] = {}
_results: dict[str, object] = {}


def memo(kind: str, compute, *parts: object):
    """``compute()``, or its value from an earlier build of this process with the same ``kind`` and ``parts``."""
    h = hashlib.sha256()
    for part in (kind, *parts):
        h.update(str(part).encode() + b"\0")
    key = h.hexdigest()
    if key not in _results:
        _results[key] = compute()
    return _results[key]


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_bytecode = _MemoryBytecodeCache()


def cache_templates(env: jinja2.Environment) -> jinja2.Environment:
    """Compiled templates are kept across builds (keyed by Jinja on the template's source)."""
    if env.bytecode_cache is None:
        env.bytecode_cache = _bytecode
    return env


def cache_search_entries() -> None:
    """Patch Material's search index to reuse a page's entries when its HTML did not change."""
    try:
        from material.plugins.search.plugin import SearchIndex
    except ImportError:
        return
    original = SearchIndex.add_entry_from_context
    if getattr(original, "_zerodl_cached", False):
        return

    def add_entry_from_context(self, page):
        if not isinstance(getattr(self, "entries", None), list):
            return original(self, page)
        h = hashlib.sha256()
        for part in (page.url, page.title, sorted(page.meta.items(), key=str), page.toc,
                     sorted(self.config.items(), key=str), page.content):
            h.update(str(part).encode() + b"\0")
        key = h.hexdigest()
        cached = _search_entries.get(key)
        if cached is not None:
            self.entries.extend(copy.deepcopy(cached))
            return None
        before = len(self.entries)
        result = original(self, page)
        _search_entries[key] = copy.deepcopy(self.entries[before:])
        return result

    add_entry_from_context._zerodl_cached = True
    add_entry_from_context.__wrapped__ = original
    SearchIndex.add_entry_from_context = add_entry_from_context


def cache_highlighting() -> None:
    """Patch pymdownx's highlighter to reuse the HTML of a code block it has highlighted before."""
    try:
        from pymdownx.highlight import Highlight
    except ImportError:
        return
    original = Highlight.highlight
    if getattr(original, "_zerodl_cached", False):
        return

    def highlight(self, src, language, *args, **kwargs):
        options = sorted((k, repr(v)) for k, v in vars(self).items() if k != "md")
        return memo("highlight", lambda: original(self, src, language, *args, **kwargs),
                    options, src, language, args, sorted(kwargs.items(), key=str))

    highlight._zerodl_cached = True
    highlight.__wrapped__ = original
    Highlight.highlight = highlight


# --- two builds in one process, as `mkdocs serve` does them ----------------------------

EDIT = "\n（ベンチマークのための 1 文です。）\n"


def build_twice(first_dir: str, second_dir: str, edit: str | None = None, serve_url: str | None = None,
                profile: int = 0) -> dict:
    """Build into ``first_dir``, then (after appending a sentence to the page ``edit``)
    load the configuration again and build into ``second_dir``, in this process: what
    ``mkdocs serve`` does after an edit (with ``serve_url``: as served there).
    Returns the seconds of both builds."""
    import cProfile
    import logging
    import pstats
    import sys
    import time
    from pathlib import Path

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    logging.getLogger("mkdocs").setLevel(logging.WARNING)

    def config_for(site_dir: str):
        config = load_config(site_dir=site_dir, strict=True)
        if serve_url:
            config.site_url = serve_url
        return config

    config = config_for(first_dir)
    config.plugins.on_startup(command="serve" if serve_url else "build", dirty=False)
    start = time.perf_counter()
    build(config, serve_url=serve_url, dirty=False)
    first = time.perf_counter() - start
    if edit:
        page = Path(edit)
        page.write_text(page.read_text(encoding="utf-8") + EDIT, encoding="utf-8")
    profiler = cProfile.Profile() if profile else None
    config = config_for(second_dir)
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    build(config, serve_url=serve_url, dirty=False)
    if profiler:
        profiler.disable()
    second = time.perf_counter() - start
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(profile)
    return {"first_build_s": first, "second_build_s": second}


def main(argv: list[str] | None = None) -> int:
    """``python -m literate.rebuild FIRST SECOND [--edit PAGE] [--serve] [--profile N]`` (prints JSON)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=build_twice.__doc__.split("\n")[0])
    parser.add_argument("first_dir")
    parser.add_argument("second_dir")
    parser.add_argument("--edit", help="the page to edit between the builds, e.g. docs/01-gradient-descent.md")
    parser.add_argument("--serve", action="store_true", help="build as `mkdocs serve` does (site_url of the server)")
    parser.add_argument("--profile", type=int, default=0, help="print the N most costly functions of the second build")
    args = parser.parse_args(argv)
    serve_url = "http://127.0.0.1:8000/" if args.serve else None
    print(json.dumps(build_twice(args.first_dir, args.second_dir, args.edit, serve_url, args.profile)))
    return 0


if __name__ == "__main__":
    from literate.rebuild import main as _main  # the importable module, not __main__

    raise SystemExit(_main())
