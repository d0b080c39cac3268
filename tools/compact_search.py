"""MkDocs hook: write the search index as UTF-8 instead of \\uXXXX escapes,
without the code blocks.

Material's search plugin writes ``search/search_index.json`` with
``json.dumps``' default ``ensure_ascii=True``: every Japanese character costs
six bytes (``\\u52fe``) instead of three. Every page downloads this file for
search, so it counts in every page's weight (tests/test_browser.py). The same
data, re-encoded, is a third smaller.

Code blocks (``<pre>``: the chapters' code and what it printed) were three
fifths of the index's text. A reader searches for ideas, which the prose names
(with the identifiers it discusses in inline ``<code>``, which stays), so the
blocks are left out: the index (which every page loads) is about half as heavy, and
it grows with the prose only as chapters are added. The tags of the prose (``<p>``,
``<li>``, ``<code>``, ...) go too: results show plain text.

Declared in mkdocs.yml after ``tools/hooks.py``; hooks run after the plugins,
so the index exists when ``on_post_build`` is called.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from mkdocs.plugins import event_priority

from literate.atomic import atomic_write


_CODE_BLOCK = re.compile(r"\s*<pre>.*?</pre>", re.S)
# Markup left in the prose (paragraphs, lists, inline code and emphasis): about a
# fifteenth of the index. Search matches words, and a result shows the text.
_BLOCK_TAGS = re.compile(r"\s*</?(?:p|ul|ol|li)>\s*")
_INLINE_TAGS = re.compile(r"</?(?:code|strong|em)>")


@event_priority(-100)  # after the search plugin has written the index
def on_post_build(config):
    index = Path(config.site_dir) / "search" / "search_index.json"
    if not index.exists():
        return
    data = json.loads(index.read_text(encoding="utf-8"))
    for doc in data.get("docs", []):
        text = _CODE_BLOCK.sub("", doc.get("text", ""))
        text = _INLINE_TAGS.sub("", _BLOCK_TAGS.sub(" ", text)).strip()
        doc["text"] = text
    atomic_write(index, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    os.chmod(index, 0o644)  # as MkDocs writes its files (the temp file was private)
