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


def _build_env(cache: str) -> dict[str, str]:
    env = dict(os.environ, ZERODL_EXEC_CACHE=cache, NO_MKDOCS_2_WARNING="1")
    env.pop("MPLBACKEND", None)  # mkdocs-jupyter drops figures when it is set to Agg
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "tools"), env.get("PYTHONPATH", "")) if p)
    return env


def _run_build(command: list[str], cache: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, *command], cwd=ROOT, env=_build_env(cache), capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def build_site(dest: Path, cache: str) -> subprocess.CompletedProcess:
    """Run `mkdocs build --strict` into ``dest``; fail the test with its log if it fails."""
    return _run_build(_build_command(dest)[1:], cache)


def build_site_twice(first: Path, second: Path, cache: str) -> subprocess.CompletedProcess:
    """Two strict builds in one process, as `mkdocs serve` rebuilds (literate.rebuild)."""
    return _run_build(["-m", "literate.rebuild", str(first), str(second)], cache)


# The session's build, started when collection ends (see pytest_collection_finish).
_background: dict[str, object] = {}


def _build_command(site: Path) -> list[str]:
    return [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)]


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The site, built once per session from a cold cache (every block executes).

    ``ZERODL_TEST_SITE=<dir>`` uses a site already built there instead (quick
    reruns of the browser tests while working on a page; never in CI).
    """
    prebuilt = os.environ.get("ZERODL_TEST_SITE")
    if prebuilt:
        return Path(prebuilt)
    if _background:
        process, site, log = _background["process"], _background["site"], _background["log"]
        if process.wait() != 0:
            pytest.fail(f"mkdocs build --strict failed:\n{Path(log).read_text(encoding='utf-8', errors='replace')[-20000:]}")
        return site
    base = tmp_path_factory.mktemp("site")
    build_site(base / "site", str(exec_cache(base / "site")))
    return base / "site"


def pytest_collection_finish(session):
    """Start the session's build at once, beside the tests that need no build.

    The code-block tests (and the other tests without the ``build`` mark, run
    first: see pytest_collection_modifyitems) use one core; the build's pages
    run in worker processes beside them, so the two cores are busy together
    instead of one after the other."""
    if session.config.option.collectonly or not session.items:
        return
    if not any(item.get_closest_marker("build") for item in session.items):
        return
    if all(item.get_closest_marker("build") for item in session.items):
        return  # nothing to run beside it: the fixture builds when asked
    base = session.config._tmp_path_factory.mktemp("site")
    site = base / "site"
    log = base / "build.log"
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(
            _build_command(site), cwd=ROOT, env=_build_env(str(exec_cache(site))), stdout=out, stderr=subprocess.STDOUT
        )
    _background.update(process=process, site=site, log=log)


def pytest_sessionfinish(session, exitstatus):
    process = _background.get("process")
    if process is not None and process.poll() is None:  # e.g. -x stopped the session early
        process.terminate()
        process.wait()


def exec_cache(site: Path) -> Path:
    """The execution cache of the ``site`` build: the outputs of every page's blocks
    (literate.execute); the executed notebook pages are cached beside it (tools/hooks.py)."""
    return site.parent / "exec-cache"


def pytest_collection_modifyitems(session, config, items):
    """Tests that need no build run first, in their order (code blocks, then tests/),
    while the build runs beside them; then the tests of the built site.

    Every chapter with code must yield code-block tests: none may drop out silently."""
    items[:] = [item for item in items if not item.get_closest_marker("build")] + [
        item for item in items if item.get_closest_marker("build")
    ]
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
