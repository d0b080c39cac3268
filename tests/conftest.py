"""Shared fixtures: the project root and one strict build of the site per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def build_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", **extra)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "tools"), env.get("PYTHONPATH", "")) if p)
    return env


def build_site(dest: Path, **env: str) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` into ``dest``; the test fails with its log if it fails."""
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(dest)],
                            cwd=ROOT, env=build_env(**env), capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stdout[-5000:]}\n{result.stderr[-15000:]}")
    return result


@pytest.fixture(scope="session")
def site_build(tmp_path_factory, pytestconfig) -> dict:
    """The site, built once per session after every page has rendered (tools/literate/pytest_pages.py),
    so the build itself runs nothing: ``{"site": path, "log": build output, "pages": how pages ran}``.

    ``pytest --site DIR`` uses a site already built there (quick reruns of the
    browser tests while working on a page; never in CI)."""
    prebuilt = pytestconfig.getoption("--site")
    if prebuilt:
        return {"site": Path(prebuilt), "log": None, "pages": None}
    from literate.pytest_pages import wait_for_pages

    pages = wait_for_pages()
    site = tmp_path_factory.mktemp("site") / "site"
    result = build_site(site)
    return {"site": site, "log": result.stdout + result.stderr, "pages": pages}


@pytest.fixture(scope="session")
def site(site_build) -> Path:
    return site_build["site"]
