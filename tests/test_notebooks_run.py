"""`make notebooks`: every notebook the site offers, run top to bottom with nbclient in a fresh
kernel, prints what it carries (the build's run): "Run all" reproduces the page. A second
execution of every page, so it is not part of `make test`; `.ci/run` runs it after it."""

from __future__ import annotations

import os

import pytest

from conftest import ROOT
from literate import render

pytestmark = [pytest.mark.notebooks, pytest.mark.build]

NOTEBOOKS = [p.src.rsplit(".", 1)[0] + ".ipynb" for p in render.site_pages(ROOT)]


def kernel_env() -> dict[str, str]:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")  # as the site's run: one BLAS thread
    env.pop("MPLBACKEND", None)  # the inline backend shows the figures
    return env


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_run_all_reproduces_the_notebook(site, name, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    stored = nbformat.read(site / "notebooks" / name, as_version=4)
    notebook = nbformat.read(site / "notebooks" / name, as_version=4)
    client = NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=kernel_env())  # raises CellExecutionError naming the cell on any error

    def printed(nb):
        return [("".join(o.get("text", "")) for o in c.outputs if o.get("name") == "stdout")
                for c in nb.cells if c.cell_type == "code"]

    for number, (want, got) in enumerate(zip(printed(stored), printed(notebook)), 1):
        assert "".join(want) == "".join(got), f"{name}, code cell {number}: Run all printed something else"
    errors = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs
                     if o.get("name") == "stderr")
    assert "missing from" not in errors, f"{name}: figures lack a Japanese font: {errors[:500]}"
