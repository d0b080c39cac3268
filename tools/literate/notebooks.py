"""Notebooks on the site: the downloads, and the pages mkdocs-jupyter renders.

Two kinds of page are offered as Jupyter notebooks:

* the chapters (``docs/NN-*.md``): :func:`notebook_from_markdown` turns the
  chapter into a notebook with jupytext (the hook adds the download button);
* the experiments (``docs/experiments/*.py``, jupytext percent format), which
  mkdocs-jupyter executes and renders. :func:`fix_notebook_page` makes that
  HTML follow the rules the chapters follow: reproducible bytes, readable
  heading ids that match the table of contents, figures with their title as
  alt text, nothing that points at another host, download buttons, and a
  stylesheet pruned to what the page uses (the page weight budget).

Both downloads carry a first cell naming their source and what to install.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import html
import posixpath
import re
from pathlib import Path

import jupytext
from markdown.extensions.toc import unique
from nbformat.v4 import new_code_cell, new_markdown_cell

from literate.execute import hash_files, package_files

NOTE = (
    "このノートブックは zerodl の `docs/{src}` から自動生成されました。"
    "実行には `zerodl` パッケージと図を描くためのライブラリが必要です"
    '（リポジトリを clone して `pip install -e ".[docs]"`、または `make serve`）。'
)

# Figures in the chapters have Japanese labels; the site renders them with
# matplotlib-fontja, so the notebooks do the same (no system font needed).
FONT_SETUP = "import matplotlib_fontja  # a Japanese font for the figures' labels\n\nmatplotlib_fontja.japanize()"

DOWNLOAD_ICON = (
    '<span class="twemoji"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
    '<path d="M5 20h14v-2H5m14-9h-4V3H9v6H5l7 7z"/></svg></span>'
)

TITLE_METHODS = {"set_title", "suptitle", "title"}


class NotebookPageError(Exception):
    """A notebook page cannot be published as it is (the message says why)."""


def finish_notebook(notebook, src: str) -> str:
    """The .ipynb text of ``notebook``: note cell, font setup, stable ids, kernelspec."""
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    cells = [new_markdown_cell(NOTE.format(src=src))]
    if "matplotlib" in code and "matplotlib_fontja" not in code:
        cells.append(new_code_cell(FONT_SETUP))
    notebook.cells[:0] = cells
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # jupytext draws random ids; builds must be reproducible
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return jupytext.writes(notebook, fmt="ipynb")


@functools.lru_cache(maxsize=256)  # `mkdocs serve` rebuilds every page; jupytext is slow
def notebook_from_markdown(markdown: str, src: str) -> str:
    """A chapter (Markdown with ```python blocks) as notebook text."""
    return finish_notebook(jupytext.reads(markdown, fmt="md"), src)


def notebook_from_source(path: Path, src: str) -> str:
    """An experiment (jupytext percent-format .py) as notebook text, without outputs."""
    return finish_notebook(jupytext.read(path), src)


def package_fingerprint(project_root: Path) -> str:
    """A short hash of ``src/zerodl`` and the libraries that shape an executed notebook."""
    import matplotlib
    import numpy

    h = hashlib.sha256(f"{numpy.__version__}\0{matplotlib.__version__}\0".encode())
    hash_files(h, project_root, package_files(project_root))
    return h.hexdigest()[:16]


def figure_titles(code: str) -> list[str]:
    """The literal strings passed to set_title/suptitle/title in ``code``, in order."""
    titles = []
    for node in ast.walk(ast.parse(code)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in TITLE_METHODS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            titles.append(node.args[0].value)
    return titles


_CELL = re.compile(r'id="cell-id=[^"]*"')
_HEADING = re.compile(r'<h([1-6]) id="[^"]*">(.*?)</h\1>', re.S)
_ANCHOR = re.compile(r'<a class="anchor-link" href="[^"]*">.*?</a>', re.S)
_TAG = re.compile(r"<[^>]+>")
_NO_ALT = 'alt="No description has been provided for this image"'
# nbconvert's MathJax loader is written with an empty src when no URL is
# configured (math is rendered by KaTeX from docs/javascripts/katex.js), and its
# mermaid loader names a CDN; neither is needed here.
_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
_MERMAID = re.compile(r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded".*?'
                      r"<!-- End of mermaid configuration -->", re.S)


def fix_notebook_page(content: str, source: Path, src: str, page_url: str, toc, slugify) -> str:
    """Post-process the HTML mkdocs-jupyter made from ``source``.

    ``src`` is the page's path under docs/, ``page_url`` its URL
    (``experiments/lr-sweep/``), ``toc`` the page's table of contents (its
    ids are updated in place) and ``slugify`` the toc extension's slugify.
    """
    content = _MATHJAX.sub("", content)
    content = _MERMAID.sub("", content)
    content = prune_page_styles(content)
    content = _number_cells_and_name_figures(content, source, src)
    content = _heading_ids(content, toc, slugify)
    return _add_buttons(content, src, page_url)


def _number_cells_and_name_figures(content: str, source: Path, src: str) -> str:
    cells = jupytext.read(source).cells
    marks = list(_CELL.finditer(content))
    if len(marks) != len(cells):
        raise NotebookPageError(
            f"docs/{src}: mkdocs-jupyter rendered {len(marks)} cells but the notebook has {len(cells)}; "
            "update tools/literate/notebooks.py for this version of mkdocs-jupyter/nbconvert"
        )
    pieces = [content[: marks[0].start()]]
    for number, (mark, cell) in enumerate(zip(marks, cells)):
        end = marks[number + 1].start() if number + 1 < len(marks) else len(content)
        chunk = f'id="cell-id=cell-{number}"' + content[mark.end() : end]
        if _NO_ALT in chunk:
            titles = figure_titles(cell.source) if cell.cell_type == "code" else []
            if not titles:
                first_line = cell.source.splitlines()[0] if cell.source else ""
                raise NotebookPageError(
                    f"docs/{src}: the figure of cell {number} ({first_line!r}) has no title; "
                    "give it ax.set_title('…') or fig.suptitle('…') with a literal string "
                    "(the title is the image's alt text)"
                )
            chunk = chunk.replace(_NO_ALT, f'alt="{html.escape(" / ".join(titles))}"')
        pieces.append(chunk)
    return "".join(pieces)


def _heading_ids(content: str, toc, slugify) -> str:
    """Readable ids for the headings (the chapters' slugify), and a TOC that links to them."""
    used: set[str] = set()
    by_title: dict[str, list[str]] = {}

    def replace(match: re.Match) -> str:
        level, inner = match.group(1), match.group(2)
        title = html.unescape(_TAG.sub("", _ANCHOR.sub("", inner))).strip()
        ident = unique(slugify(title, "-"), used)
        by_title.setdefault(title, []).append(ident)
        # the theme's permalink (the search index leaves it out of the section title)
        inner = _ANCHOR.sub(f'<a class="headerlink" href="#{ident}" title="Permanent link">¶</a>', inner)
        return f'<h{level} id="{ident}">{inner}</h{level}>'

    content = _HEADING.sub(replace, content)

    def walk(items) -> None:
        for item in items:
            ids = by_title.get(item.title.strip())
            if ids:
                item.id = ids.pop(0)
            walk(item.children)

    walk(toc)
    return content


def _add_buttons(content: str, src: str, page_url: str) -> str:
    here = page_url.rstrip("/") or "."
    stem = src.rsplit(".", 1)[0]
    ipynb = posixpath.relpath(f"notebooks/{stem}.ipynb", here)
    source_name = posixpath.basename(src)  # mkdocs-jupyter's include_source puts it beside the page
    buttons = (
        f'<p><a class="md-button zerodl-notebook" href="{ipynb}" download="{posixpath.basename(stem)}.ipynb">'
        f"{DOWNLOAD_ICON} ノートブック (.ipynb)</a> "
        f'<a class="md-button zerodl-source" href="{source_name}" download="{source_name}">'
        f"{DOWNLOAD_ICON} jupytext 形式 (.py)</a></p>"
    )
    position = content.find("</h1>")
    if position < 0:
        raise NotebookPageError(f"docs/{src}: the notebook needs a '# title' markdown cell at the top")
    position += len("</h1>")
    return content[:position] + buttons + content[position:]


# --- the notebook stylesheet ---------------------------------------------------
# mkdocs-jupyter inlines all of JupyterLab's CSS (about 575 KB) into every
# notebook page. Only the rules whose classes occur on the page are kept.

_STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.S)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CLASS_ATTR = re.compile(r'class="([^"]*)"')
_CLASS_IN_SELECTOR = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
_NOT = re.compile(r":not\((?:[^()]|\([^()]*\))*\)")
_ATTRIBUTE = re.compile(r"\[[^\]]*\]")


def _skip_string(css: str, i: int) -> int:
    quote = css[i]
    i += 1
    while i < len(css) and css[i] != quote:
        i += 2 if css[i] == "\\" else 1
    return i + 1


def _find(css: str, chars: str, i: int) -> int:
    """Index of the first of ``chars`` at or after ``i`` that is not inside a string."""
    while i < len(css):
        if css[i] in "\"'":
            i = _skip_string(css, i)
        elif css[i] in chars:
            return i
        else:
            i += 1
    return len(css)


def _block_end(css: str, open_brace: int) -> int:
    depth, i = 0, open_brace
    while i < len(css):
        i = _find(css, "{}", i)
        if i >= len(css):
            break
        depth += 1 if css[i] == "{" else -1
        if depth == 0:
            return i
        i += 1
    raise ValueError("unbalanced braces in the notebook stylesheet")


def _split_selectors(prelude: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(prelude):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(prelude[start:i])
            start = i + 1
    parts.append(prelude[start:])
    return [p.strip() for p in parts if p.strip()]


def _selector_matches(selector: str, classes: set[str]) -> bool:
    bare = _ATTRIBUTE.sub("", _NOT.sub("", selector))
    return all(name in classes or name.startswith("md-") for name in _CLASS_IN_SELECTOR.findall(bare))


def prune_css(css: str, classes: set[str]) -> str:
    """``css`` without the rules none of whose selectors can match an element with ``classes``.

    A selector is kept when every class it names (outside ``:not()`` and
    attribute selectors) is in ``classes``; ``md-*`` classes (the theme's page)
    always count as present. At-rules with blocks are pruned recursively
    (``@media``) or kept whole (``@keyframes``).
    """
    css = _COMMENT.sub("", css)
    out: list[str] = []
    i = 0
    while i < len(css):
        brace = _find(css, "{;", i)
        if brace >= len(css):
            break
        prelude = css[i:brace].strip()
        if css[brace] == ";":  # a statement such as @charset
            out.append(prelude + ";")
            i = brace + 1
            continue
        end = _block_end(css, brace)
        body = css[brace + 1 : end]
        if prelude.startswith(("@media", "@supports")):
            inner = prune_css(body, classes)
            if inner:
                out.append(f"{prelude}{{{inner}}}")
        elif prelude.startswith("@"):
            out.append(f"{prelude}{{{body}}}")
        else:
            kept = [s for s in _split_selectors(prelude) if _selector_matches(s, classes)]
            if kept:
                out.append(f"{','.join(kept)}{{{body}}}")
        i = end + 1
    return "".join(out)


def prune_page_styles(content: str) -> str:
    """Prune every inline stylesheet of a notebook page to the classes the page uses."""
    classes = {name for attr in _CLASS_ATTR.findall(content) for name in attr.split()}
    return _STYLE.sub(lambda m: m.group(1) + prune_css(m.group(2), classes) + m.group(3), content)
