"""Time the rebuild `mkdocs serve` does after a prose-only edit (not a test).

Run in the project (or a copy of it) whose execution caches are warm::

    python tools/bench/rebuild.py PAGE [--profile N]

It does what ``mkdocs serve`` does, in one process: load the configuration,
``on_startup(command="serve")``, build once (the server's first build), then
append a sentence to ``PAGE``, load the configuration again and build again
(the rebuild a writer waits for after saving). Prints JSON with the seconds of
the second build; ``--profile N`` also prints the N most costly functions of it.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import pstats
import sys
import tempfile
import time
from pathlib import Path

EDIT = "\n（ベンチマークのための 1 文です。）\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", help="the page to edit, e.g. docs/01-gradient-descent.md")
    parser.add_argument("--profile", type=int, default=0, help="print the N most costly functions of the rebuild")
    args = parser.parse_args(argv)

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    site_dir = tempfile.mkdtemp(prefix="zerodl-serve-")
    serve_url = "http://127.0.0.1:8000/"

    def get_config():
        config = load_config(site_dir=site_dir, strict=True)
        config.site_url = serve_url
        return config

    config = get_config()
    config.plugins.on_startup(command="serve", dirty=False)
    start = time.perf_counter()
    build(config, serve_url=serve_url, dirty=False)
    first = time.perf_counter() - start

    page = Path(args.page)
    page.write_text(page.read_text(encoding="utf-8") + EDIT, encoding="utf-8")
    profiler = cProfile.Profile() if args.profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    build(get_config(), serve_url=serve_url, dirty=False)
    if profiler:
        profiler.disable()
    rebuild = time.perf_counter() - start
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(args.profile)
    print(json.dumps({"first_build_s": first, "prose_edit_rebuild_s": rebuild}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
