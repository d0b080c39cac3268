"""MkDocs hook: the site's search index, made by Pagefind after the pages are written.

Pagefind splits the index into chunks: the browser fetches only the chunks of
the words a reader types, and only once the reader opens search
(``tools/theme/partials/search.html``); no page fetches any of it when it loads.

Japanese is indexed one character a word. Pagefind's extended build would split
Japanese into words with a dictionary (Lindera) at build time, but the browser
splits the reader's query with another (``Intl.Segmenter``), and where the two
disagree the search finds nothing: ハイパーパラメータ is ハイパー / パラメータ in the
index and one word in the query, ドロップアウト the other way round (Pagefind
issue #1237, open in 1.5.2). So every boundary between two Japanese characters
gets a zero-width space (a word boundary for the extended build, which is why
it is needed; invisible in the text Pagefind returns) and the search box splits the query the same way
(``assets/javascripts/zerodl-search.js``), asks for the pages that contain each
typed word as written, and orders them.

What is indexed: the article of every page but those about the project (front
matter ``search: exclude: true``), without what a reader does not search for:
code blocks and what they printed, the notebook page's code cells, formulas,
figures, buttons and permalinks. Words readers type for what the site writes
another way come from one list, ``tools/search-synonyms.yml`` (see there); they
go into the index only, the pages keep their own words.

Pagefind runs as its command line (``python -m pagefind`` from ``pagefind[extended]``, in the
``docs`` extra), configured by a ``pagefind.json`` beside the pages. A rebuild whose pages give the same index input (``mkdocs serve`` after
an edit that changes no indexed text) writes the index of the build before
without running Pagefind again; after an edit that does, ``mkdocs serve`` serves the page at
once with the index before, and Pagefind's new one replaces it when it is done.

Declared in mkdocs.yml's ``hooks:``; it writes ``pagefind/`` in ``on_post_build``.
"""

from __future__ import annotations

import hashlib
import html
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml
from mkdocs.exceptions import PluginError

SYNONYMS = Path(__file__).with_name("search-synonyms.yml")
BUNDLE = "pagefind"  # the folder of the site that holds the index and Pagefind's search script
ROOT_SELECTOR = "article"  # Material's page content, without the header, navigation and footer
EXCLUDE_SELECTORS = [
    ".highlight",  # code blocks, and the 出力 boxes of what they printed
    "pre",
    ".jp-CodeCell",  # the notebook page's code cells with their outputs
    ".katex",  # formulas typeset at build time
    "math",
    ".headerlink",  # the ¶ permalinks
    ".md-content__button",  # edit link
    ".zerodl-notebook",  # download buttons
    ".zerodl-source",
]
# Pagefind's own UIs: the site's search box drives pagefind.js itself (search.html).
UNUSED_FILES = [
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
]
# Pagefind's weights for words in headings (its documented defaults), given to the
# synonyms of a word in a heading, which follow the heading.
HEADING_WEIGHTS = {"1": 7, "2": 6, "3": 5, "4": 4, "5": 3, "6": 2}

# Japanese characters: each is a word of the index. The same ranges as CJK in zerodl-search.js.
CJK = "\u3005-\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_BETWEEN_CJK = re.compile(f"(?<=[{CJK}])(?=[{CJK}])")
_IMG = re.compile(r"<img\b[^>]*>", re.I)  # a figure would become the result's image (a notebook's: 67 KB)
_TAG = re.compile(r"(<[^>]*>)")
_HEADING_OPEN = re.compile(r"<h([1-6])\b", re.I)
_RAW_TEXT = re.compile(r"<(script|style)\b", re.I)


# --- the synonyms ---------------------------------------------------------------------


@dataclass(frozen=True)
class Synonyms:
    """Each word of the site, with the words readers may type for it."""

    words: dict[str, list[str]]  # as the site writes it -> what readers type

    @classmethod
    def load(cls, path: Path) -> Synonyms:
        where = f"{path.name}"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise PluginError(f"{where}: cannot read the search synonyms: {error}") from None
        if not isinstance(data, dict) or not data:
            raise PluginError(f"{where}: expected lines `word as the site writes it: [synonym, ...]`")
        words: dict[str, list[str]] = {}
        for word, synonyms in data.items():
            if not isinstance(word, str) or not word.strip():
                raise PluginError(f"{where}: {word!r} is not a word: write `word: [synonym, ...]`")
            if not (isinstance(synonyms, list) and synonyms and all(isinstance(s, str) and s.strip() for s in synonyms)):
                raise PluginError(f"{where}: {word}: expected a list of words in brackets, got {synonyms!r}")
            if any(ch in word + "".join(synonyms) for ch in "<>&"):
                raise PluginError(f"{where}: {word}: words may not contain <, > or &")
            same = [s for s in synonyms if s.casefold() == word.casefold()]
            if same:
                raise PluginError(f"{where}: {word}: a word is not its own synonym ({same[0]})")
            words[word.strip()] = [s.strip() for s in synonyms]
        return cls(words)

    def pattern(self) -> re.Pattern:
        """Any of the words, longest first; Latin words whole and in any case."""
        parts = []
        for word in sorted(self.words, key=len, reverse=True):
            part = re.escape(word)
            if re.match(r"\w", word, re.A):
                part = r"(?<![A-Za-z0-9_])" + part
            if re.search(r"\w$", word, re.A):
                part += r"(?![A-Za-z0-9_])"
            parts.append(part)
        return re.compile("|".join(parts), re.I)

    def lookup(self, found: str) -> str:
        """The entry a match belongs to (matches ignore case)."""
        return next(w for w in self.words if w.casefold() == found.casefold())

    def gloss(self, word: str) -> str:
        return "（" + "、".join(self.words[word]) + "）"


def with_synonyms(article: str, synonyms: Synonyms, pattern: re.Pattern, used: set[str]) -> str:
    """The article's HTML with every word of the list followed by its synonyms.

    In running text the synonyms follow the word in brackets; for a word in a
    heading they follow the heading, in an element of the heading's weight, so
    that the heading (the result's title) keeps its words. The words found go
    into ``used``."""
    out: list[str] = []
    heading: str | None = None  # level of the heading being read
    heading_words: list[str] = []
    raw_text = False  # inside <script> or <style>

    def gloss_text(match: re.Match) -> str:
        word = synonyms.lookup(match.group())
        used.add(word)
        if heading is not None:
            if word not in heading_words:
                heading_words.append(word)
            return match.group()
        return match.group() + synonyms.gloss(word)

    for token in _TAG.split(article):
        if token.startswith("<"):
            out.append(token)
            lower = token.lower()
            if _RAW_TEXT.match(token):
                raw_text = True
            elif lower.startswith(("</script", "</style")):
                raw_text = False
            elif heading is None and (opened := _HEADING_OPEN.match(token)):
                heading, heading_words = opened.group(1), []
            elif heading is not None and lower.startswith(f"</h{heading}"):
                if heading_words:
                    glosses = " ".join(w + synonyms.gloss(w) for w in heading_words)
                    out.append(f'<p data-pagefind-weight="{HEADING_WEIGHTS[heading]}">{glosses}</p>')
                heading = None
        elif raw_text or not token:
            out.append(token)
        else:
            out.append(pattern.sub(gloss_text, token))
    return "".join(out)


def one_character_a_word(article: str) -> str:
    """The article with a zero-width space between every two Japanese characters of its text."""
    out = []
    raw_text = False
    for token in _TAG.split(article):
        if token.startswith("<"):
            lower = token.lower()
            if _RAW_TEXT.match(token):
                raw_text = True
            elif lower.startswith(("</script", "</style")):
                raw_text = False
            out.append(token)
        else:
            out.append(token if raw_text else _BETWEEN_CJK.sub("\u200b", token))
    return "".join(out)


# --- the pages ------------------------------------------------------------------------

_pages: dict[str, tuple[str, str]] = {}  # URL from the site root ("/01-gradient-descent/") -> HTML, nav title
_built: dict[str, dict[str, bytes]] = {}  # index input's hash -> the files Pagefind wrote (the last build's)
_serving = {"on": False}


def on_startup(command, dirty):
    _serving["on"] = command == "serve"


def on_config(config):
    missing = [name for name in ("pagefind", "pagefind_bin_extended") if importlib.util.find_spec(name) is None]
    if missing:
        raise PluginError(
            "the site's search is made by Pagefind's extended build (only it splits Japanese into words), "
            f"which is not installed ({', '.join(missing)} missing): "
            "install the docs dependencies, `pip install -e '.[docs]'` (or `make serve`)"
        )
    Synonyms.load(SYNONYMS)  # a broken list stops the build before the pages run
    return config


def on_pre_build(config):
    _pages.clear()


def on_post_page(output, page, config):
    search = page.meta.get("search") or {}
    if isinstance(search, dict) and search.get("exclude"):
        return output
    # The nav's title, when it is not the page's heading (2. SGD とミニバッチ学習): the box ranks both.
    _pages["/" + page.url] = (output, page.title)
    return output


def index_documents(pages: dict[str, tuple[str, str]], synonyms: Synonyms) -> list[tuple[str, str]]:
    """What Pagefind is given for ``pages`` (URL -> HTML, nav title): their HTML with the
    synonyms, Japanese one character a word, the nav title as ``nav`` metadata, no figures.

    Stops with a PluginError if a word of the synonym list is on none of the pages."""
    pattern = synonyms.pattern()
    used: set[str] = set()
    documents = []
    for url, (output, title) in pages.items():
        start, end = output.find("<article"), output.rfind("</article>")
        if start < 0 or end < start:
            raise PluginError(f"search: the page {url} has no <article> for Pagefind to index")
        article = with_synonyms(_IMG.sub("", output[start:end]), synonyms, pattern, used)
        article = one_character_a_word(article)
        nav = f'<span data-pagefind-meta="nav:{html.escape(title or "")}"></span>'
        head = article.index(">") + 1  # inside <article ...>
        documents.append((url, output[:start] + article[:head] + nav + article[head:] + output[end:]))
    dead = [word for word in synonyms.words if word not in used]
    if dead:
        raise PluginError(
            f"{SYNONYMS.name}: no indexed page writes {', '.join(map(repr, dead))}: "
            "correct the word to the site's spelling or remove the line"
        )
    return documents


def on_post_build(config):
    documents = index_documents(_pages, Synonyms.load(SYNONYMS))
    index_config = {
        "root_selector": ROOT_SELECTOR,
        "exclude_selectors": EXCLUDE_SELECTORS,
        "force_language": config.theme["language"],
    }
    key = hashlib.sha256(
        json.dumps([importlib.metadata.version("pagefind"), index_config, documents], ensure_ascii=False).encode()
    ).hexdigest()
    target = Path(config.site_dir) / BUNDLE
    files = _built.get(key)
    if files is None and _serving["on"] and _built:
        # Under mkdocs serve, a save shows its page at once: the last index is served meanwhile and
        # the new one replaces it about a second later (search lags the save, the page does not).
        _write(target, next(iter(_built.values())))
        threading.Thread(target=_index_later, args=(documents, index_config, key, target), daemon=True).start()
        return
    if files is None:
        with tempfile.TemporaryDirectory(prefix="zerodl-pagefind-") as scratch:
            files = _index(documents, index_config, Path(scratch))
        _built.clear()
        _built[key] = files
    _write(target, files)


def _index_later(documents, index_config, key: str, target: Path) -> None:
    try:
        with tempfile.TemporaryDirectory(prefix="zerodl-pagefind-") as scratch:
            files = _index(documents, index_config, Path(scratch))
    except PluginError as error:
        print(f"search: the index was not updated after this save: {error}", file=sys.stderr)
        return
    _built.clear()
    _built[key] = files
    if target.parent.is_dir():
        _write(target, files)


def _index(documents: list[tuple[str, str]], index_config: dict, scratch: Path) -> dict[str, bytes]:
    """Run Pagefind's command line on the pages; the files it writes (relative path -> bytes).

    The command, not the Python API: the API's service is terminated as soon as it has answered,
    which under load cut files short (an empty pagefind-entry.json); a process that has exited
    has written everything."""
    pages, output = scratch / "pages", scratch / "index"
    for url, content in documents:
        path = pages / url.strip("/") / "index.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    config = {**index_config, "site": "pages", "output_path": "index", "silent": True}
    (scratch / "pagefind.json").write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pagefind"], cwd=scratch, capture_output=True, text=True)
    if done.returncode != 0:
        raise PluginError(f"search: Pagefind failed ({done.returncode}): {(done.stderr or done.stdout).strip()}")
    try:
        entry = json.loads((output / "pagefind-entry.json").read_text(encoding="utf-8"))
        counted = sum(language["page_count"] for language in entry["languages"].values())
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PluginError(f"search: Pagefind wrote no readable pagefind-entry.json ({error})") from None
    if counted != len(documents):
        raise PluginError(f"search: Pagefind indexed {counted} of {len(documents)} pages")
    for name in UNUSED_FILES:
        (output / name).unlink(missing_ok=True)
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}


def _write(target: Path, files: dict[str, bytes]) -> None:
    """Replace ``target`` with ``files``: the index is either the new one, whole, or absent."""
    fresh = target.with_name(f".{target.name}-new-{os.getpid()}")
    shutil.rmtree(fresh, ignore_errors=True)
    for name, data in files.items():
        path = fresh / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    shutil.rmtree(target, ignore_errors=True)
    fresh.rename(target)
