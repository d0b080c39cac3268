"""Refuse to publish a site that lacks pages: ``python -m literate.sitecheck [SITE]``.

Every page of the nav of ``mkdocs.yml`` (chapters, notebook pages) must have a
non-empty ``index.html`` in the built site (default ``site/``), and so must the
home page and ``404.html``. A build that ended early (a block that ended the
build process, say) leaves them missing; the Pages workflow runs this check
before it uploads anything. Exit status 1 lists what is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from literate.config import nav_pages

PAGE_SUFFIXES = (".md", ".py", ".ipynb")


def expected_pages(root: Path) -> list[str]:
    """Files the site must have, relative to the site folder (directory URLs, as MkDocs writes them)."""
    wanted = ["index.html", "404.html"]
    for page in nav_pages(root, PAGE_SUFFIXES):
        stem = page.rsplit(".", 1)[0]
        if stem == "index" or stem.endswith("/index"):
            html = f"{stem[: -len('index')]}index.html"
        else:
            html = f"{stem}/index.html"
        if html not in wanted:
            wanted.append(html)
    return wanted


def missing_pages(root: Path, site: Path) -> list[str]:
    """The expected pages that are absent or empty in ``site``."""
    return [page for page in expected_pages(root) if not (site / page).is_file() or (site / page).stat().st_size == 0]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path.cwd()
    site = Path(args[0]) if args else root / "site"
    missing = missing_pages(root, site)
    if missing:
        sys.stderr.write(
            f"{site} is not a complete build; missing or empty:\n"
            + "".join(f"  {page}\n" for page in missing)
            + "Did `mkdocs build --strict` end early? Nothing may be published from this folder.\n"
        )
        return 1
    print(f"{site}: all {len(expected_pages(root))} pages are there")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
