"""MkDocs hooks: the build side of the literate pipeline.

For every page with ```python blocks:

* the ``#| file: src/zerodl/x.py`` line becomes the block's title;
* the blocks are run in one namespace (``literate.execute``, cached) and what
  each prints, and each figure it shows, is put right after it; figures are
  written as SVG files under ``figures/<page>/``;
* the page is also offered as a Jupyter notebook (``notebooks/<page>.ipynb``,
  made by jupytext), with a download button under the title.

Declared in mkdocs.yml as ``hooks: [tools/hooks.py]``.
"""

from __future__ import annotations

import html
import posixpath
from pathlib import Path

import jupytext
from nbformat.v4 import new_markdown_cell
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

from literate.execute import BlockError, Output, run_page
from literate.fences import Block, python_blocks

_root = Path.cwd()

NOTEBOOK_NOTE = (
    "このノートブックは zerodl の `docs/{src}` から自動生成されました。"
    "実行には `zerodl` パッケージが必要です（リポジトリを clone して `pip install -e .` または `make serve`）。"
)


def on_config(config):
    global _root
    _root = Path(config.config_file_path).resolve().parent
    return config


def on_page_markdown(markdown, page, config, files):
    blocks = python_blocks(markdown)
    if not blocks:
        return markdown
    src = page.file.src_uri
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
                _add_file(files, File.generated(config, uri, content=out.data))
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
    notebook = jupytext.reads(markdown, fmt="md")
    notebook.cells.insert(0, new_markdown_cell(NOTEBOOK_NOTE.format(src=src)))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # jupytext draws random ids; builds must be reproducible
    notebook = jupytext.writes(notebook, fmt="ipynb")
    _add_file(files, File.generated(config, uri, content=notebook))
    button = (
        f"[:material-download: ノートブック (.ipynb)]({posixpath.relpath(uri, here or '.')})"
        f'{{ .md-button .zerodl-notebook download="{posixpath.basename(uri)}" }}'
    )
    for i, line in enumerate(lines):
        if line.startswith("# "):
            lines[i + 1 : i + 1] = ["", button]
            break
    return "\n".join(lines)


def _text_output(out: Output) -> list[str]:
    ticks = "```"
    while ticks in out.data:
        ticks += "`"
    return ["", f'{ticks}text title="出力"', *out.data.rstrip("\n").split("\n"), ticks]


def _escape(text: str) -> str:
    return html.escape(text).replace("[", "&#91;").replace("]", "&#93;")


def _add_file(files, file: File) -> None:
    old = files.get_file_from_path(file.src_uri)
    if old is not None:
        files.remove(old)
    files.append(file)
