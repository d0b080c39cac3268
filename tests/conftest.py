"""Shared fixtures: the project root and one strict build of the site per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# One BLAS thread (the same numbers as the build, no threads fighting over the
# cores) and figures drawn by plt.show(): set up for every test by the plugin
# tools/literate/pytest_blocks.py, which the root conftest.py loads.


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def _run_build(command: list[str], cache: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ZERODL_EXEC_CACHE=cache, NO_MKDOCS_2_WARNING="1")
    env.pop("MPLBACKEND", None)  # mkdocs-jupyter drops figures when it is set to Agg
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "tools"), env.get("PYTHONPATH", "")) if p)
    result = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def build_site(dest: Path, cache: str) -> subprocess.CompletedProcess:
    """Run `mkdocs build --strict` into ``dest``; fail the test with its log if it fails."""
    return _run_build(["-m", "mkdocs", "build", "--strict", "--site-dir", str(dest)], cache)


def build_site_twice(first: Path, second: Path, cache: str) -> subprocess.CompletedProcess:
    """Two strict builds in one process, as `mkdocs serve` rebuilds (literate.rebuild)."""
    return _run_build(["-m", "literate.rebuild", str(first), str(second)], cache)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The site, built once per session from a cold cache (every block executes)."""
    base = tmp_path_factory.mktemp("site")
    build_site(base / "site", str(exec_cache(base / "site")))
    return base / "site"


def exec_cache(site: Path) -> Path:
    """The execution cache of the ``site`` build: the outputs of every page's blocks
    (literate.execute); the executed notebook pages are cached beside it (tools/hooks.py)."""
    return site.parent / "exec-cache"


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
