"""MkDocs hooks: the build side of the literate pipeline.

For every page with ```python blocks:

* the ``#| file: src/zerodl/x.py`` line becomes the block's title;
* the blocks are run in one namespace (``literate.execute``, cached) and what
  each prints, and each figure it shows, is put right after it; figures are
  written as SVG files under ``figures/<page>/``;
* the page is also offered as a Jupyter notebook (``notebooks/<page>.ipynb``,
  made by jupytext), with a download button under the title.

Pages rendered by mkdocs-jupyter (``docs/experiments/*.py``) get the same
notebook download, and their HTML is made to follow the site's rules
(``literate.notebooks``). Their execution cache follows ``ZERODL_EXEC_CACHE``
and is keyed on ``src/zerodl`` too (mkdocs-jupyter's own key is the notebook
text only, so a changed optimizer would otherwise show stale results).

Declared in mkdocs.yml as ``hooks: [tools/hooks.py]``.
"""

from __future__ import annotations

import html
import importlib.util
import os
import posixpath
import re
import subprocess
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File
from mkdocs.utils.meta import get_data

from literate.execute import BlockError, Output, cache_dir, prefetch, run_page, shutdown
from literate.fences import Block, FenceError, python_blocks, read_page
from literate.rebuild import cache_highlighting, cache_search_entries, cache_templates, memo
from literate.svg import compact_svg
from literate.notebooks import (
    NotebookPageError,
    fix_notebook_page,
    notebook_from_markdown,
    notebook_from_source,
    package_fingerprint,
)

_root = Path.cwd()
NOTEBOOK_PAGE_SUFFIXES = (".py", ".ipynb")  # what mkdocs-jupyter renders here (see mkdocs.yml)


def on_config(config):
    global _root
    _root = Path(config.config_file_path).resolve().parent
    # Notebook kernels started by mkdocs-jupyter use one BLAS thread, like the
    # chapters' own execution (see literate.execute).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    _use_checkout_package(_root)
    _pin_build_date(_root)
    cache_search_entries()  # `mkdocs serve` rebuilds every page: see literate.rebuild
    cache_highlighting()
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None:
        directory = cache_dir(_root)
        if directory is None:
            jupyter.config["cache"] = False
        else:
            jupyter.config["cache_dir"] = str(directory.parent / "mkdocs-jupyter" / package_fingerprint(_root))
    return config


def _use_checkout_package(root: Path) -> None:
    """Notebook kernels import this checkout's ``src/zerodl``, the package the caches hash.

    (Chapter pages run in workers that do the same, see ``literate.execute``.)
    Warns when this Python would import another ``zerodl`` (an editable install
    of another checkout, say): its code is not what the site shows.
    """
    src = str(root / "src")
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if not paths or paths[0] != src:
        os.environ["PYTHONPATH"] = os.pathsep.join([src, *paths])
    try:
        spec = importlib.util.find_spec("zerodl")
    except (ImportError, ValueError):
        spec = None
    origin = Path(spec.origin).resolve().parent if spec is not None and spec.origin else None
    if origin is not None and origin != (root / "src" / "zerodl").resolve():
        print(
            f"literate: this Python imports zerodl from {origin}, not from this checkout's src/zerodl; "
            "the build runs the checkout's package (pip install -e . here to make them agree)",
            file=sys.stderr,
        )


def _pin_build_date(root: Path) -> None:
    """Date the build by the last commit, so two builds of one commit are identical.

    MkDocs writes the build date into sitemap.xml (lastmod) and the gzip header
    of sitemap.xml.gz; it takes it from SOURCE_DATE_EPOCH when that is set.
    """
    if "SOURCE_DATE_EPOCH" in os.environ:
        return
    try:
        stamp = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return  # not a git checkout: MkDocs uses today's date
    if stamp.isdigit():
        os.environ["SOURCE_DATE_EPOCH"] = stamp


def on_files(files, config):
    """Start running the pages whose outputs are not cached, side by side (literate.execute)."""
    pages = []
    for file in files.documentation_pages():
        if file.src_uri.endswith(NOTEBOOK_PAGE_SUFFIXES) or not file.abs_src_path:
            continue
        name = f"docs/{file.src_uri}"
        try:  # fence problems (and a BOM, bytes that are not UTF-8) fail the build, naming the line
            text = read_page(Path(file.abs_src_path), name)
            python_blocks(text, name)
            markdown, meta = get_data(text)
            blocks = python_blocks(markdown, name)
        except FenceError as exc:
            raise PluginError(str(exc)) from None
        if blocks and meta.get("execute", True):
            pages.append((file.src_uri, blocks))
    prefetch(pages, _root)
    return files


def on_env(env, config, files):
    return cache_templates(env)


def on_post_build(config):
    shutdown()


def on_build_error(error):
    shutdown()


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri.endswith(NOTEBOOK_PAGE_SUFFIXES):
        return markdown  # rendered and executed by mkdocs-jupyter; see on_page_content
    src = page.file.src_uri
    try:
        blocks = python_blocks(markdown, f"docs/{src}")
    except FenceError as exc:
        raise PluginError(str(exc)) from None
    if not blocks:
        return markdown
    stem = src[: -len(".md")]
    here = posixpath.dirname(src)
    if page.meta.get("execute", True):
        try:
            outputs = run_page(src, blocks, _root)
        except BlockError as exc:
            raise PluginError(str(exc)) from exc
    else:
        outputs = [[] for _ in blocks]

    lines = markdown.split("\n")
    figure_number = sum(1 for outs in outputs for o in outs if o.kind == "svg")
    for block, outs in reversed(list(zip(blocks, outputs))):
        rendered: list[str] = []
        for out in reversed(outs):
            if out.kind == "svg":
                uri = f"figures/{stem}/{figure_number}.svg"
                svg = memo("svg", lambda: compact_svg(out.data), out.data)
                _add_file(files, File.generated(config, uri, content=svg))
                alt = out.alt or f"図 {figure_number}"
                link = posixpath.relpath(uri, here or ".")
                rendered[:0] = ["", f"![{_escape(alt)}]({link}){{ .zerodl-figure }}"]
                figure_number -= 1
            else:
                rendered[:0] = _text_output(out)
        lines[block.end + 1 : block.end + 1] = [block.indent + l if l else l for l in rendered]
        if block.target is not None:
            lines[block.start + 1 : block.start + 2] = []
            lines[block.start] = f'{block.indent}{block.ticks}python title="{block.target}"'

    uri = f"notebooks/{stem}.ipynb"
    _add_file(files, File.generated(config, uri, content=notebook_from_markdown(markdown, src)))
    button = (
        f"[:material-download: ノートブック (.ipynb)]({posixpath.relpath(uri, here or '.')})"
        f'{{ .md-button .zerodl-notebook download="{posixpath.basename(uri)}" }}'
    )
    for i, line in enumerate(lines):
        if line.startswith("# "):
            lines[i + 1 : i + 1] = ["", button]
            break
    return "\n".join(lines)


def on_page_content(content, page, config, files):
    src = page.file.src_uri
    if not src.endswith(NOTEBOOK_PAGE_SUFFIXES):
        return content
    source = Path(page.file.abs_src_path)
    text = source.read_text(encoding="utf-8")
    stem = src.rsplit(".", 1)[0]
    notebook = memo("notebook", lambda: notebook_from_source(source, src), src, text)
    _add_file(files, File.generated(config, f"notebooks/{stem}.ipynb", content=notebook))
    slugify = config["mdx_configs"].get("toc", {}).get("slugify")
    if slugify is None:
        from markdown.extensions.toc import slugify
    try:
        return fix_notebook_page(content, source, src, page.url, page.toc, slugify)  # also fixes page.toc
    except NotebookPageError as exc:
        raise PluginError(str(exc)) from exc


_TABLE_ROW = re.compile(r"^\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")


def _text_output(out: Output) -> list[str]:
    """Markdown for what a block printed: Markdown tables it printed become
    tables on the page; everything else goes in a box titled 出力."""
    rendered: list[str] = []
    for is_table, part in _split_tables(out.data.rstrip("\n").split("\n")):
        if is_table:
            rendered += ["", *(_table_text(line) for line in part), ""]
            continue
        while part and not part[0].strip():
            part = part[1:]
        while part and not part[-1].strip():
            part = part[:-1]
        if part:
            ticks = "```"
            while any(ticks in line for line in part):
                ticks += "`"
            rendered += ["", f'{ticks}text title="出力"', *part, ticks]
    return rendered


def _split_tables(lines: list[str]) -> list[tuple[bool, list[str]]]:
    """Runs of printed lines, each marked as a Markdown table (header row,
    ``| --- |`` rule, rows) or as plain text."""
    parts: list[tuple[bool, list[str]]] = []
    text: list[str] = []
    i = 0
    while i < len(lines):
        if i + 1 < len(lines) and _TABLE_ROW.match(lines[i]) and _TABLE_RULE.match(lines[i + 1]):
            j = i + 2
            while j < len(lines) and _TABLE_ROW.match(lines[j]):
                j += 1
            if text:
                parts.append((False, text))
                text = []
            parts.append((True, lines[i:j]))
            i = j
        else:
            text.append(lines[i])
            i += 1
    if text:
        parts.append((False, text))
    return parts


# In a printed table, inline code and math stay as they are: Markdown escapes
# the text of a code span and arithmatex the text of math. Everything else is
# text: HTML is escaped, and Markdown's link, image and attribute syntax
# ([..](..), ![..](..), {: onclick=..}) is backslash-escaped, so that a cell
# (a value read from a file, say) can neither run script nor load anything.
_TABLE_CODE = re.compile(r"(?<![\\`])(`+)(?!`).+?(?<!`)\1(?!`)")
_TABLE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])(?:\\.|[^\\$])+?(?<![\s\\])\$(?![\d$])")
_TABLE_PLAIN = re.compile(r"[\\`\[\]{}<>&*_$]")  # not ( ): \( \) would open math
_MATH_UNSAFE = re.compile(r"[<>&\"'`|]")


def _table_text(line: str) -> str:
    """A printed table line with every cell made plain text (inline code and math kept)."""
    out, i = [], 0
    while i < len(line):
        code, math = _TABLE_CODE.search(line, i), _TABLE_MATH.search(line, i)
        # (a span the table extension might split, or math with HTML in it, is text)
        spans = [m for m in (code, math) if m is not None and "|" not in m.group()]
        spans = [m for m in spans if m is code or not _MATH_UNSAFE.search(m.group())]
        span = min(spans, key=lambda m: m.start(), default=None)
        end = span.start() if span is not None else len(line)
        out.append(_plain(line[i:end]))
        if span is None:
            break
        out.append(span.group())
        i = span.end()
    return "".join(out)


def _plain(text: str) -> str:
    """``text`` as Markdown that renders as exactly these characters (``|`` still splits cells)."""
    def one(m: re.Match) -> str:
        c = m.group()
        return {"<": "&lt;", ">": "&gt;", "&": "&amp;", "$": "&#36;"}.get(c, "\\" + c)

    return _TABLE_PLAIN.sub(one, text)


def _escape(text: str) -> str:
    return html.escape(text).replace("[", "&#91;").replace("]", "&#93;").replace("$", "&#36;")


def _add_file(files, file: File) -> None:
    old = files.get_file_from_path(file.src_uri)
    if old is not None:
        files.remove(old)
    files.append(file)
