"""MkDocs hooks: lay out what the render step (``literate.render``, as ``python -m literate.render``) made.

Each page's rendered Markdown replaces its source, its figures and notebook join the site's files,
and an experiment reaches mkdocs-jupyter as the notebook the render step executed. Under
``mkdocs serve`` the tangle is brought up to date first (an edited exported block re-runs the
pages that import it), and a save during a build stops the pages still running.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

from literate import highlight, notebooks, render, tangle
from literate.pages import PageError

_state: dict = {"serve": False, "rendered": {}}


def on_startup(command, dirty):
    _state["serve"] = command == "serve"


def on_config(config):
    root = _state["root"] = Path(config.config_file_path).resolve().parent
    if "SOURCE_DATE_EPOCH" not in os.environ:  # the sitemap's date: the last commit's, so builds are identical
        stamp = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True, text=True)
        if stamp.returncode == 0 and stamp.stdout.strip().isdigit():
            os.environ["SOURCE_DATE_EPOCH"] = stamp.stdout.strip()
    highlight_config = config["mdx_configs"].setdefault("pymdownx.highlight", {})
    highlight_config.setdefault("extend_pygments_lang", []).extend(highlight.lexer_options())
    return config


def _docs_changed(root: Path):
    """A test for 'a page was saved since this build began' (only under mkdocs serve)."""
    def snapshot():  # (mkdocs serve's own watcher has no documented way to ask)
        return {p: p.stat().st_mtime_ns for p in (root / "docs").rglob("*") if p.suffix in (".md", ".py")}

    before = snapshot()
    return lambda: snapshot() != before


@event_priority(100)  # before mkdocs-jupyter wraps the experiment's file
def on_files(files, config):
    root = _state["root"]
    try:
        if _state["serve"]:
            tangle.write(root)
        results = render.Results(root, cancelled=_docs_changed(root) if _state["serve"] else (lambda: False))
        try:
            rendered = render.render_site(root, results)
        finally:
            results.close()
    except (render.RenderError, PageError, tangle.TangleError) as exc:
        raise PluginError(str(exc)) from None
    ran = results.executed
    print(f"render: ran {len(ran)} pages ({', '.join(ran) or 'none'}), the rest from the cache")
    _state["rendered"] = rendered
    notebook_dir = (render.cache_dir(root) or Path(tempfile.gettempdir()) / "zerodl-render") / "laid-out"
    for src, page in rendered.items():
        for uri, data in page.files.items():
            if src.endswith(render.EXPERIMENT_SUFFIX) and uri == src[:-3] + ".ipynb":
                path = notebook_dir / uri  # mkdocs-jupyter reads the executed notebook from a file
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                files.append(File(uri, src_dir=str(notebook_dir), dest_dir=config.site_dir,
                                  use_directory_urls=config.use_directory_urls))
                continue
            if files.get_file_from_path(uri) is not None:
                files.remove(files.get_file_from_path(uri))
            files.append(File.generated(config, uri, content=data))
    return files


def on_page_markdown(markdown, page, config, files):
    rendered = _state["rendered"].get(page.file.src_uri)
    return rendered.markdown if rendered is not None else markdown


def on_page_context(context, page, config, nav):
    """An experiment's edit link opens its jupytext source, the file a writer edits."""
    if page.file.src_uri.endswith(".ipynb") and page.edit_url:
        page.edit_url = page.edit_url[: -len(".ipynb")] + render.EXPERIMENT_SUFFIX
    return context


def on_page_content(content, page, config, files):
    if not page.file.src_uri.endswith(".ipynb"):
        return content
    slugify = config["mdx_configs"].get("toc", {}).get("slugify")
    if slugify is None:
        from markdown.extensions.toc import slugify
    return notebooks.fix_notebook_page(content, page.toc, slugify)
