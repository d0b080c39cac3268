"""Lists a new chapter must appear in are checked against the nav (mkdocs.yml), so
that adding a page without them fails here, naming what is missing."""

from __future__ import annotations

import re

from literate.config import nav_pages


def test_the_index_table_lists_every_page_of_the_nav_in_nav_order(root):
    index = (root / "docs" / "index.md").read_text(encoding="utf-8")
    table = [line for line in index.splitlines() if line.startswith("| [")]
    linked = [m.group(1) for line in table if (m := re.match(r"\| \[[^\]]+\]\(([^)#]+)\)", line))]
    pages = [p for p in nav_pages(root, suffixes=(".md", ".py", ".ipynb")) if p != "index.md"]
    missing = [p for p in pages if p not in linked]
    assert not missing, f"docs/index.md: add a row to the chapter table for {missing}"
    unknown = [p for p in linked if p not in pages]
    assert not unknown, f"docs/index.md: the chapter table links pages that are not in the nav: {unknown}"
    assert linked == pages, "docs/index.md: the chapter table is not in the nav's order"
