"""`make notebooks`: every notebook the site offers, run top to bottom as a reader runs it.

A fresh virtualenv (``build/notebook-venv``, made anew each session) gets only the reader's one
install line, ``pip install "zerodl[notebook] @ <wheel>"``, with the wheel taken from the built
site, plus ipykernel and nbclient to run the notebooks. Each notebook runs with nbclient in a
kernel of that virtualenv (never the checkout's ``src/``), MNIST from ``ZERODL_DATA_DIR`` when it
is set, and must print what it carries (the build's run): "Run all" reproduces the page. A second
execution of every page, so it is not part of `make test`; `.ci/run` runs it after it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from literate import notebooks, render

pytestmark = [pytest.mark.notebooks, pytest.mark.build]

NOTEBOOKS = [p.src.rsplit(".", 1)[0] + ".ipynb" for p in render.site_pages(ROOT)]
VENV = ROOT / "build" / "notebook-venv"
KERNEL = "zerodl-notebooks"

# Run by the virtualenv's Python: execute one notebook, write it back with its outputs.
DRIVER = """
import sys
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

source, target, cwd, kernel = sys.argv[1:5]
notebook = nbformat.read(source, as_version=4)
client = NotebookClient(notebook, timeout=1800, kernel_name=kernel, resources={"metadata": {"path": cwd}})
try:
    client.execute()
    code = 0
except CellExecutionError as exc:
    print(exc, file=sys.stderr)
    code = 3
nbformat.write(notebook, target)
sys.exit(code)
"""


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def reader_env() -> dict[str, str]:
    """The kernel's environment: the virtualenv first on PATH, nothing of the checkout on the path."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONNOUSERSITE="1")  # one BLAS thread, as the site's run
    for name in ("PYTHONPATH", "MPLBACKEND", "VIRTUAL_ENV", "PYTHONHOME"):  # the inline backend shows the figures
        env.pop(name, None)
    env["PATH"] = os.pathsep.join([str(venv_python().parent), env.get("PATH", "")])
    return env


def run(cmd: list[str], what: str) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, env=reader_env(), cwd=VENV.parent, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({' '.join(cmd)}):\n{done.stdout[-4000:]}\n{done.stderr[-6000:]}")
    return done


@pytest.fixture(scope="session")
def reader_venv(site) -> Path:
    """A fresh virtualenv with the reader's install line (the site's wheel) and a kernel of its own."""
    wheel = site / render.wheel_name(ROOT)
    assert wheel.is_file(), f"the site does not publish {wheel.name}"
    shutil.rmtree(VENV, ignore_errors=True)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "venv", str(VENV)], "python -m venv")
    pip = [str(venv_python()), "-m", "pip", "--disable-pip-version-check", "-q", "install"]
    run(pip + [f"zerodl[notebook] @ {wheel.resolve().as_uri()}"], "the reader's install line")
    run(pip + ["ipykernel>=6", "nbclient>=0.10"], "installing the notebook runner")
    run([str(venv_python()), "-m", "ipykernel", "install", "--prefix", str(VENV), "--name", KERNEL], "the kernelspec")
    where = run([str(venv_python()), "-c", "import zerodl; print(zerodl.__file__)"], "import zerodl").stdout.strip()
    assert Path(where).resolve().is_relative_to(VENV.resolve()), f"zerodl comes from {where}, not the wheel"
    return VENV


def printed(notebook: dict) -> list[str]:
    return ["".join("".join(o.get("text", "")) for o in c["outputs"] if o.get("name") == "stdout")
            for c in notebook["cells"] if c["cell_type"] == "code"]


def failed_cell(notebook: dict) -> str:
    """"code cell N" of the first cell with an error, and its error's name and message."""
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    for number, cell in enumerate(code, 1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"code cell {number} ({out.get('ename')}: {out.get('evalue')})"
    return "no cell recorded an error"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_run_all_reproduces_the_notebook(reader_venv, site, name, tmp_path):
    source = site / "notebooks" / name
    stored = json.loads(source.read_text(encoding="utf-8"))
    target = tmp_path / Path(name).name
    code = "".join("".join(c["source"]) for c in stored["cells"] if c["cell_type"] == "code")
    for data in notebooks.data_files(code):  # as its first cell tells the reader: the site's file beside it
        assert data in "".join(stored["cells"][0]["source"]), f"{name} reads {data} without saying where it is"
        shutil.copy(site / "data" / data, tmp_path / data)
    done = subprocess.run([str(venv_python()), "-c", DRIVER, str(source), str(target), str(tmp_path), KERNEL],
                          env=reader_env(), capture_output=True, text=True)
    ran = json.loads(target.read_text(encoding="utf-8")) if target.is_file() else None
    if done.returncode != 0:
        where = failed_cell(ran) if ran else "before any cell ran"
        pytest.fail(f"notebooks/{name}, {where}:\n{done.stderr[-6000:]}")
    setup = next(c for c in ran["cells"] if c["cell_type"] == "code")
    assert setup["outputs"] == [], f"{name}: the install cell ran pip although zerodl was installed: {setup['outputs']}"
    for number, (want, got) in enumerate(zip(printed(stored), printed(ran)), 1):
        assert want == got, f"{name}, code cell {number}: Run all printed something else"
    errors = "".join("".join(o.get("text", "")) for c in ran["cells"] if c["cell_type"] == "code"
                     for o in c["outputs"] if o.get("name") == "stderr")
    assert "missing from" not in errors, f"{name}: figures lack a Japanese font: {errors[:500]}"
