"""Read mkdocs.yml the way the literate tools need it (without importing MkDocs).

``!ENV`` is resolved as MkDocs resolves it; ``!!python/...`` and other tags
(which name Python objects of the Markdown extensions) are read as ``None``.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml


class _Loader(yaml.SafeLoader):
    pass


def _env(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    """``!ENV VAR`` or ``!ENV [VAR, ..., default]``: the first variable set, else the default."""
    items = [loader.construct_scalar(node)] if isinstance(node, yaml.ScalarNode) else loader.construct_sequence(node)
    *names, default = items if len(items) > 1 else (*items, None)
    return next((os.environ[n] for n in names if n in os.environ), default)


_Loader.add_constructor("!ENV", _env)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def load_config(root: Path) -> dict:
    """The contents of ``root/mkdocs.yml``."""
    return yaml.load((root / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader) or {}


def nav_pages(root: Path, suffixes: tuple[str, ...] = (".md",)) -> list[str]:
    """Pages of the nav in reading order (paths relative to docs/) whose names end in ``suffixes``."""
    pages: list[str] = []

    def walk(item: object) -> None:
        if isinstance(item, str):
            if item.endswith(suffixes):
                pages.append(item)
        elif isinstance(item, list):
            for sub in item:
                walk(sub)
        elif isinstance(item, dict):
            for sub in item.values():
                walk(sub)

    walk(load_config(root).get("nav") or [])
    return pages
