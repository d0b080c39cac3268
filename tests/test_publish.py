"""The GitHub Pages workflow: strict build, official actions, MNIST cached by its checksums."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def index_of(steps_: list[dict], predicate) -> int:
    return next(i for i, step in enumerate(steps_) if predicate(step))


def test_runs_on_push_to_main_with_pages_permissions(workflow):
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["permissions"]["pages"] == "write"
    assert workflow["permissions"]["id-token"] == "write"
    assert workflow["concurrency"]["group"]


def test_builds_strictly_after_the_tangle_check(workflow):
    build = steps(workflow, "build")
    check = index_of(build, lambda s: s.get("run", "").strip() == "make check-tangle")
    make_build = index_of(build, lambda s: s.get("run", "").strip() == "make build")
    assert check < make_build
    recipe = re.search(r"^build:.*?\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    assert recipe and "mkdocs build --strict" in recipe.group(1), "make build runs mkdocs build --strict"
    setup = next(s for s in build if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == "3.11"


def test_deploys_with_the_official_pages_actions(workflow):
    build = steps(workflow, "build")
    uses = [s.get("uses", "").split("@")[0] for s in build]
    assert "actions/configure-pages" in uses
    upload = next(s for s in build if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "site"  # where `make build` writes
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in deploy["steps"])


def test_mnist_is_cached_under_its_checksums(workflow):
    """The cache key holds the SHA-256 of each MNIST file the loader expects, and the
    cached folder is the one the loader uses (ZERODL_CACHE_DIR)."""
    from zerodl.datasets.mnist import FILES

    build = steps(workflow, "build")
    cache = next(s for s in build if s.get("uses", "").startswith("actions/cache@"))
    for name, sha256, *_ in FILES.values():
        assert re.fullmatch(r"[0-9a-f]{64}", sha256)
        assert sha256 in cache["with"]["key"], f"the cache key misses the SHA-256 of {name}"
    assert cache["with"]["path"] == workflow["env"]["ZERODL_CACHE_DIR"]
    make_build = index_of(build, lambda s: s.get("run", "").strip() == "make build")
    assert build.index(cache) < make_build, "the cache is restored before the build needs MNIST"


def test_site_and_repository_urls_come_from_github_in_the_workflow(workflow):
    """mkdocs.yml invents no address: site_url, repo_url and edit_uri are read from variables the
    workflow fills from GitHub's own values for this repository (a local build has none)."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^site_url: !ENV \[ZERODL_SITE_URL\]$", text, re.M)
    assert re.search(r"^repo_url: !ENV \[ZERODL_REPO_URL\]$", text, re.M)
    assert re.search(r'^edit_uri: !ENV \[ZERODL_EDIT_URI, ""\]$', text, re.M)
    assert "https://" not in "\n".join(l for l in text.splitlines() if l.startswith(("site_url", "repo_url", "edit_uri")))
    build = steps(workflow, "build")
    make_build = index_of(build, lambda s: s.get("run", "").strip() == "make build")
    pages = index_of(build, lambda s: s.get("uses", "").startswith("actions/configure-pages@"))
    assert pages < make_build and build[pages]["id"] == "pages"
    assert build[make_build]["env"] == {
        "ZERODL_SITE_URL": "${{ steps.pages.outputs.base_url }}/",
        "ZERODL_REPO_URL": "${{ github.server_url }}/${{ github.repository }}",
        "ZERODL_EDIT_URI": "edit/${{ github.ref_name }}/docs/",
    }
    assert "content.action.edit" in text
    assert (ROOT / "tools" / "theme" / "404.html").is_file()


def test_the_notebooks_colab_opens_are_pushed_to_their_branch(workflow):
    from literate.notebooks import COLAB_BRANCH

    build = steps(workflow, "build")
    make_build = index_of(build, lambda s: s.get("run", "").strip() == "make build")
    push = index_of(build, lambda s: "git push" in s.get("run", ""))
    upload = index_of(build, lambda s: s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert make_build < push < upload
    script = build[push]["run"]
    assert "site/notebooks" in script and f"-b {COLAB_BRANCH}" in script and script.rstrip().endswith(COLAB_BRANCH)
    assert "$RUNNER_TEMP" in script, "the branch is made in a copy: no .git folder in the uploaded site"
    assert workflow["permissions"]["contents"] == "write"


def test_a_site_lacking_pages_is_not_uploaded(workflow):
    """A check step between the build and the upload fails when a nav page is missing."""
    build = steps(workflow, "build")
    make_build = index_of(build, lambda s: s.get("run", "").strip() == "make build")
    check = index_of(build, lambda s: "literate.sitecheck" in s.get("run", ""))
    upload = index_of(build, lambda s: s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert make_build < check < upload
    assert build[check]["run"].split()[-1] == "site"


def test_sitecheck_names_every_missing_page(tmp_path, capsys, monkeypatch):
    from literate import sitecheck

    site = tmp_path / "site"
    wanted = sitecheck.expected_pages(ROOT)
    assert {"index.html", "404.html", "01-gradient-descent/index.html", "experiments/lr-sweep/index.html"} <= set(wanted)
    for page in wanted:
        (site / page).parent.mkdir(parents=True, exist_ok=True)
        (site / page).write_text("<html></html>", encoding="utf-8")
    assert sitecheck.missing_pages(ROOT, site) == []
    (site / "03-backprop" / "index.html").unlink()
    (site / "index.html").write_text("", encoding="utf-8")  # empty counts as missing
    assert sitecheck.missing_pages(ROOT, site) == ["index.html", "03-backprop/index.html"]
    monkeypatch.chdir(ROOT)
    assert sitecheck.main([str(site)]) == 1
    assert sitecheck.main([str(tmp_path / "empty")]) == 1
    assert "03-backprop/index.html" in capsys.readouterr().err


# Issue 25: the site's own addresses (repository, site, Colab) come from the one setting the
# workflow fills (ZERODL_REPO_URL / ZERODL_SITE_URL); no page or README writes one by hand.
OWN_ADDRESS = re.compile(r"https?://(?:github\.com/zerodl|zerodl\.github\.io|[\w.-]*zerodl[\w.-]*\.(?:io|com|org))\b", re.I)


def test_no_page_writes_an_address_of_the_project_by_hand():
    files = [*sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "docs").rglob("*.py")),
             ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "mkdocs.yml"]
    found = [f"{path.relative_to(ROOT)}:{n}: {m.group(0)}"
             for path in files for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for m in OWN_ADDRESS.finditer(line)]
    assert not found, "addresses of the project written by hand (use the repository setting instead): " + "; ".join(found)
