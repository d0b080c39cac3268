"""Shared fixtures: the project root and one strict build of the site per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
from threadpoolctl import threadpool_limits

# Chapters call plt.show(); under pytest there is no screen. As at build time,
# showing a figure is the end of it: close it, so figures do not pile up
# across the hundreds of code blocks of one session.
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _show_and_close(*args, **kwargs) -> None:
    plt.close("all")


plt.show = _show_and_close

ROOT = Path(__file__).resolve().parent.parent

# One BLAS thread, as at build time (tools/literate/execute.py): the same
# numbers as on the site, and no OpenBLAS threads fighting over the cores.
# The environment variable reaches the processes tests start (builds, kernels).
threadpool_limits(limits=1, user_api="blas")
os.environ["OPENBLAS_NUM_THREADS"] = "1"

# Tests never download MNIST: use the shared copy beside the project if there is one.
_SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"
if _SHARED_MNIST.is_dir():
    os.environ.setdefault("ZERODL_DATA_DIR", str(_SHARED_MNIST))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def build_site(dest: Path, cache: str) -> subprocess.CompletedProcess:
    """Run `mkdocs build --strict` into ``dest``; fail the test with its log if it fails."""
    env = dict(os.environ, ZERODL_EXEC_CACHE=cache, NO_MKDOCS_2_WARNING="1")
    env.pop("MPLBACKEND", None)  # mkdocs-jupyter drops figures when it is set to Agg
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(dest)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The site, built once per session from a cold cache (every block executes).

    ``ZERODL_TEST_SITE=<dir>`` uses a site already built there instead (quick
    reruns of the browser tests while working on a page; never in CI).
    """
    prebuilt = os.environ.get("ZERODL_TEST_SITE")
    if prebuilt:
        return Path(prebuilt)
    base = tmp_path_factory.mktemp("site")
    build_site(base / "site", str(base / "exec-cache"))
    return base / "site"


def pytest_collection_modifyitems(session, config, items):
    """Every chapter with code must yield code-block tests: none may drop out silently."""
    if not config.option.codeblocks:
        return
    from literate.fences import python_blocks

    collected = {Path(str(item.path)).resolve() for item in items if item.path.suffix == ".md"}
    for arg in config.args:
        target = (Path(config.invocation_params.dir) / arg.split("::")[0]).resolve()
        if target.is_dir() and target == ROOT / "docs":
            for page in sorted(target.rglob("*.md")):
                if python_blocks(page.read_text(encoding="utf-8")) and page.resolve() not in collected:
                    raise pytest.UsageError(f"{page}: has python blocks but no code-block tests were collected")
