"""Notebooks on the site: each page's download, and the experiments mkdocs-jupyter lays out.

* :func:`chapter_notebook`: a chapter as a notebook (jupytext), with the outputs
  of the site's run, so a reader sees them before running anything;
* :func:`experiment_outputs`: an experiment (``docs/experiments/*.py``, jupytext
  percent format) executed by the render step, as the notebook mkdocs-jupyter
  lays out (execute: false), as its download, and as plain Markdown;
* :func:`fix_notebook_page`: what nbconvert's HTML (through mkdocs-jupyter,
  which has no option for these) must not keep: a MathJax loader with an empty
  address and a mermaid loader that names a CDN (requests to another host), and
  JupyterLab's whole stylesheet (about 575 KB, pruned to the classes the page
  uses); heading ids are made the chapters' readable ones, matching the TOC.

Every download starts with a cell naming its source and the one line that installs what it needs
(:func:`install_line`: the wheel the site publishes), and a code cell that runs that line only
where ``import zerodl`` fails (Colab), then sets up the Japanese font when the notebook draws.
"""

from __future__ import annotations

import html
import json
import posixpath
import re

from pathlib import Path

import jupytext
from markdown.extensions.toc import unique
from nbformat.v4 import new_code_cell, new_markdown_cell

from literate import typeset
from literate.config import load_config

NOTE = (
    "このノートブックは zerodl の `docs/{src}` から自動生成されました。"
    "出力は、サイトを作ったときにこのコードを実行した結果です。\n\n"
    "実行に要るのは `zerodl` パッケージと、ノートブックが使うライブラリ（NumPy、matplotlib、日本語フォントの "
    "matplotlib-fontja、MNIST をダウンロードする pooch など）だけです。{how}"
)
HOW_WITH_URL = (
    "次の 1 行で入ります（PyPI にはありません。サイトが公開しているパッケージを入れます）。\n\n"
    "```console\n{line}\n```\n\n"
    "最初のコードセルは、`zerodl` が読み込めないとき（Colab など）にこの 1 行を実行します。"
    "読み込めるときは何もしません。"
)
HOW_WITHOUT_URL = (
    "入れ方は、このノートブックをダウンロードしたサイトのトップページ「手元で動かす」にある 1 行です"
    "（このサイトは公開先の URL なしでビルドされたので、ここには書けません）。"
)

# Figures in the chapters have Japanese labels; the site renders them with
# matplotlib-fontja, so the notebooks do the same (no system font needed).
FONT_SETUP = "import matplotlib_fontja  # a Japanese font for the figures' labels\n\nmatplotlib_fontja.japanize()"

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def wheel_url(root: Path = PROJECT_ROOT) -> str | None:
    """Where the site serves the package's wheel (``site_url`` of mkdocs.yml + the wheel's name), or
    None when the site is built without a ``site_url``."""
    from literate.render import wheel_name

    site_url = load_config(root).get("site_url")
    return f"{site_url.rstrip('/')}/{wheel_name(root)}" if site_url else None


def install_line(root: Path = PROJECT_ROOT) -> str | None:
    """The one line that installs zerodl and what the notebooks use, or None without a site URL."""
    url = wheel_url(root)
    return f'pip install "zerodl[notebook] @ {url}"' if url else None


def setup_cell_source(uses_matplotlib: bool, root: Path = PROJECT_ROOT) -> str:
    """The first code cell: install zerodl when it cannot be imported (never when it can), then the
    Japanese font for the figures when the notebook draws any."""
    line = install_line(root)
    if line is None:
        install = "import zerodl  # install it with the line on the site's home page (手元で動かす)"
    else:
        install = ("try:  # zerodl and what this notebook uses; installed only where it is missing (Colab)\n"
                   "    import zerodl\n"
                   "except ImportError:\n"
                   f"    %{line.replace('pip install', 'pip install --quiet', 1)}")
    return install + ("\n\n" + FONT_SETUP if uses_matplotlib else "")


# Colab opens a notebook from a GitHub repository's branch: the Pages workflow puts the site's
# notebooks (with their outputs) on this branch of the repository named by ``repo_url``.
COLAB_BRANCH = "notebooks"
_GITHUB_REPO = re.compile(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?")


def colab_url(notebook_uri: str, root: Path = PROJECT_ROOT) -> str | None:
    """The address that opens ``notebooks/<page>.ipynb`` in Colab, or None when the site has no
    GitHub ``repo_url`` (then no page or notebook shows a Colab link)."""
    match = _GITHUB_REPO.fullmatch(load_config(root).get("repo_url") or "")
    if match is None:
        return None
    path = notebook_uri.removeprefix("notebooks/")
    return f"https://colab.research.google.com/github/{match.group(1)}/blob/{COLAB_BRANCH}/{path}"


def colab_button(notebook_uri: str, root: Path = PROJECT_ROOT) -> str:
    """Markdown for the page's "Colab で開く" button (an icon the theme inlines), or "" without a repository."""
    url = colab_url(notebook_uri, root)
    return f" [:simple-googlecolab: Colab で開く]({url}){{ .md-button .zerodl-colab }}" if url else ""


# Files of the site a page's code reads (the appendices' recorded measurements): the notebook's
# first cell says where to get them, and `make notebooks` runs it with them beside it, as told.
DATA_FILES = ("benchmark.json", "audit.json")
DATA_NOTE = (
    "このノートブックは、サイトが公開している測定結果 {links} を読みます。"
    "ダウンロードして、このノートブックと同じフォルダーに置いてから実行してください。"
)


def data_files(code: str) -> list[str]:
    """The site's data files (under ``data/``) that ``code`` reads."""
    return [name for name in DATA_FILES if name in code]


BENCHMARK = Path("docs") / "data" / "benchmark.json"


def trains_on_mnist(code: str) -> bool:
    return "load_mnist(" in code


def run_time(src: str, code: str, root: Path = PROJECT_ROOT) -> str:
    """For a page that trains on MNIST, how long its code takes, as a sentence: the time the page took
    in the cold build that `make bench` measured (``build.page_seconds`` of docs/data/benchmark.json),
    with that machine's CPU. "" for other pages; a page the benchmark did not measure is an error."""
    if not trains_on_mnist(code):
        return ""
    try:
        bench = json.loads((root / BENCHMARK).read_text(encoding="utf-8"))
        seconds = float(bench["build"]["page_seconds"][src])
        machine = bench["machine"]
    except (OSError, ValueError, KeyError, TypeError):
        raise NotebookPageError(
            f"docs/{src} trains on MNIST, but {BENCHMARK.as_posix()} has no run time for it "
            "(build.page_seconds): run `make bench` (it measures every page in a cold build) and commit the file"
        ) from None
    when = f"約 {max(5, round(seconds / 5) * 5)} 秒" if seconds < 90 else f"約 {round(seconds / 30) / 2:g} 分"
    return (f"このページのコードを全部実行すると{when}かかります（{machine['cpu']}、{machine['cores']} コアの"
            "マシンで、サイトのビルドのときに測った時間）。")


def note(src: str, root: Path = PROJECT_ROOT, code: str = "") -> str:
    line = install_line(root)
    text = NOTE.format(src=src, how=HOW_WITH_URL.format(line=f"$ {line}") if line else HOW_WITHOUT_URL)
    took, data = run_time(src, code, root), data_files(code)
    if took:
        text += "\n\n" + took
    if data:
        site_url = load_config(root).get("site_url")
        base = f"{site_url.rstrip('/')}/data/" if site_url else "../data/"
        text += "\n\n" + DATA_NOTE.format(links="、".join(f"[{n}]({base}{n})" for n in data))
    url = colab_url(f"notebooks/{src.rsplit('.', 1)[0]}.ipynb", root)
    return text + (f"\n\n[Colab で開く]({url})" if url else "")


DOWNLOAD_ICON = (
    '<span class="twemoji"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
    '<path d="M5 20h14v-2H5m14-9h-4V3H9v6H5l7 7z"/></svg></span>'
)


class NotebookPageError(Exception):
    """A notebook page cannot be published as it is (the message says why)."""


def _output(out: dict, figure_src: str | None = None):
    """A recorded output as a notebook output: printed text, or the figure (inline SVG, or an
    ``<img>`` of the site's figure file when ``figure_src`` is given)."""
    from nbformat.v4 import new_output

    if out["kind"] == "text":
        return new_output("stream", name="stdout", text=out["data"])
    if figure_src is not None:  # as the chapters show theirs: size known before it loads, a link to itself
        from literate.render import figure_size

        dims = "".join(f' {k}="{v}"' for k, v in zip(("width", "height"), figure_size(out["data"]) or ()))
        img = (f'<a class="zerodl-zoom" href="{figure_src}"><img class="zerodl-figure" '
               f'alt="{html.escape(out["alt"] or "図", quote=True)}" src="{figure_src}"{dims} '
               'loading="lazy" decoding="async"></a>')
        return new_output("display_data", data={"text/html": img, "text/plain": out["alt"] or "図"})
    return new_output("display_data", data={"image/svg+xml": out["data"], "text/plain": out["alt"] or "図"})


def finish_notebook(notebook, src: str, outputs: list[list] | None = None) -> str:
    """The .ipynb text of ``notebook``: note cell, font setup, stable ids, kernelspec, and the
    outputs of the site's run (``outputs``: one list per code cell, in order), numbered as if run."""
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    setup = new_code_cell(setup_cell_source("matplotlib" in code and "matplotlib_fontja" not in code))
    notebook.cells[:0] = [new_markdown_cell(note(src, code=code)), setup]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    own = iter(outputs or [])
    for count, cell in enumerate(code_cells, 1):
        cell.execution_count = count if outputs is not None else None
        cell.outputs = [] if cell is setup or outputs is None else [o for o in next(own, [])]
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # jupytext draws random ids; builds must be reproducible
    return jupytext.writes(notebook, fmt="ipynb")


_BOX = re.compile(r'^(\s*)(?:\?\?\?\+?|!!!)\s+[\w-]+(?:\s+"(.*)")?\s*$')  # admonitions, collapsible or not
_TEST_MARKER = re.compile(r"^\s*<!--\s*pytest-codeblocks:[\w-]+.*-->\s*$")


def _prose_cell_text(lines: list[str]) -> str:
    """Markdown between two code cells, as Jupyter reads it: a box's title in bold, its body
    un-indented (Jupyter would show indented lines as code), the test markers left out."""
    out, box = [], None
    for line in lines:
        m = _BOX.match(line)
        if m:
            box = len(m.group(1))
            out.append(f"{m.group(1)}**{m.group(2)}**" if m.group(2) else "")
            continue
        if box is not None and line.strip() and len(line) - len(line.lstrip(" ")) < box + 4:
            box = None
        if box is not None and line.startswith(" " * (box + 4)):
            line = line[4:]
        if not _TEST_MARKER.match(line):
            out.append(line)
    return "\n".join(out).strip("\n")


def chapter_notebook(page, per_fence: list[list[dict]]) -> str:
    """A chapter as a notebook with the outputs of the site's run: every block the page runs is a
    code cell (those in boxes too: later blocks use what they define), the prose between them
    Markdown cells."""
    from nbformat.v4 import new_notebook

    lines = page.text.split("\n")
    cells, last = [], 0
    for fence in page.fences:
        prose = _prose_cell_text(lines[last:fence.lineno - 1])
        if prose.strip():
            cells.append(new_markdown_cell(prose))
        cells.append(new_code_cell(fence.code.rstrip("\n")))
        last = fence.end
    prose = _prose_cell_text(lines[last:])
    if prose.strip():
        cells.append(new_markdown_cell(prose))
    outputs = [[_output(o) for o in outs] for outs in per_fence]
    return finish_notebook(new_notebook(cells=cells), page.src, outputs)


def experiment_outputs(page, per_cell: list[list[dict]], figures: list[str], page_url: str) -> tuple[str, str, str]:
    """An experiment's executed notebook for mkdocs-jupyter (figures as the site's files, download
    buttons under the title), its download (figures inline) and a Markdown version of it."""
    from literate.render import figure_markdown, text_output

    stem = page.src.rsplit(".", 1)[0]
    here = page_url.rstrip("/")
    links = iter(posixpath.relpath(uri, here) for uri in figures)
    site_outputs, lines = [], []
    md_links = iter(posixpath.relpath(uri, posixpath.dirname(page.src)) for uri in figures)
    for outs in per_cell:
        site_outputs.append([_output(o, next(links) if o["kind"] == "svg" else None) for o in outs])
    download = finish_notebook(jupytext.reads(page.text, fmt="py:percent"), page.src,
                               [[_output(o) for o in outs] for outs in per_cell])
    notebook = jupytext.reads(page.text, fmt="py:percent")
    cells = iter(site_outputs)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = next(cells), None
    ipynb = posixpath.relpath(f"notebooks/{stem}.ipynb", here)
    source = posixpath.relpath(f"notebooks/{stem}.py", here)
    colab_at = colab_url(f"notebooks/{stem}.ipynb")
    colab = f' <a class="md-button zerodl-colab" href="{html.escape(colab_at)}">Colab で開く</a>' if colab_at else ""
    buttons = (f'<p><a class="md-button zerodl-notebook" href="{ipynb}" download="{posixpath.basename(stem)}.ipynb">'
               f'{DOWNLOAD_ICON} ノートブック (.ipynb)</a> <a class="md-button zerodl-source" href="{source}" '
               f'download="{posixpath.basename(stem)}.py">{DOWNLOAD_ICON} jupytext 形式 (.py)</a>{colab}</p>')
    first = next((i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown"), None)
    if first is None or not notebook.cells[first].source.lstrip().startswith("# "):
        raise NotebookPageError(f"docs/{page.src}: the notebook needs a '# title' markdown cell at the top")
    title, _, rest = notebook.cells[first].source.lstrip().partition("\n")
    notebook.cells[first].source = f"{title}\n\n{buttons}\n{rest}"
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
        if cell.cell_type == "markdown":  # the site's copy: math as MathML (the download keeps TeX)
            cell.source = typeset.markdown(cell.source, f"docs/{page.src}, markdown cell {number + 1}")
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    site = jupytext.writes(notebook, fmt="ipynb")
    # the same for a generator that lays out Markdown only
    cells_out = iter(per_cell)
    for cell in jupytext.reads(page.text, fmt="py:percent").cells:
        if cell.cell_type == "markdown":
            lines += ["", cell.source, ""]
        elif cell.cell_type == "code":
            lines += ["", "```python", cell.source, "```"]
            for out in next(cells_out, []):
                if out["kind"] == "svg":
                    lines += ["", figure_markdown(next(md_links), out["data"], out["alt"] or "図"), ""]
                else:
                    lines += text_output(out["data"])
    return site, download, typeset.markdown("\n".join(lines).strip() + "\n", f"docs/{page.src}")


_HEADING = re.compile(r'<h([1-6]) id="[^"]*">(.*?)</h\1>', re.S)
_ANCHOR = re.compile(r'<a class="anchor-link" href="[^"]*">.*?</a>', re.S)
_TAG = re.compile(r"<[^>]+>")
_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
_MERMAID = re.compile(r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded".*?'
                      r"<!-- End of mermaid configuration -->", re.S)


def fix_notebook_page(content: str, toc, slugify) -> str:
    """The HTML mkdocs-jupyter made, without external loaders, with a pruned stylesheet and the
    chapters' heading ids (``toc``, the page's table of contents, is updated in place)."""
    content = _MATHJAX.sub("", content)
    content = _MERMAID.sub("", content)
    content = prune_page_styles(content)
    return _heading_ids(content, toc, slugify)


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
