"""Chapters 2, 3 and the MNIST appendix as built: their figures, the outputs
their prose refers to, their exported files. (Their place in the search:
tests/test_search.py, which types ミニバッチ, 誤差逆伝播法, チェックサム and the rest.)"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.build

PAGES = {  # page: figures (chapter 3: four computational graphs and the experiment)
    "02-sgd-minibatch": 2,
    "03-backprop": 5,
    "appendix-mnist": 1,
}


def exported_modules(root: Path, page: str) -> Counter:
    """How many blocks of the page export to each module (their ``#| file:`` lines)."""
    from literate.pages import fences as python_blocks

    text = (root / "docs" / f"{page}.md").read_text(encoding="utf-8")
    return Counter(block.target for block in python_blocks(text) if block.target)


def html(site: Path, page: str) -> str:
    return (site / page / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES)
def test_figures_are_built_svg_with_titles(site, page):
    text = html(site, page)
    images = re.findall(r'<img[^>]*class="zerodl-figure"[^>]*>', text)
    assert len(images) == PAGES[page]
    for img in images:
        alt = re.search(r'alt="([^"]*)"', img).group(1)
        src = re.search(r'src="([^"]*)"', img).group(1)
        assert alt and "\\(" not in alt, f"alt text should read as plain text: {alt!r}"
        assert (site / page / src).resolve().is_file(), src


@pytest.mark.parametrize("page", PAGES)
def test_exported_blocks_are_titled_with_their_module(site, root, page):
    text = html(site, page)
    modules = exported_modules(root, page)
    assert modules, f"{page} exports nothing"
    for module, count in modules.items():
        assert text.count(f'<span class="filename">{module}</span>') == count, module
    assert "#| file:" not in text


def test_outputs_the_prose_refers_to_are_on_the_pages(site):
    sgd = html(site, "02-sgd-minibatch")
    assert "差の標準偏差は 1/" in sgd and "検証データの認識精度" in sgd
    backprop = html(site, "03-backprop")
    assert backprop.count("相対誤差 9.000000") == 6  # N - 1 for every parameter, N = 10
    assert "20 ステップ後のパラメータの差の最大値" in backprop
    assert "パラメータの数: 199,210" in backprop  # 784*200 + 200 + 200*200 + 200 + 200*10 + 10
    mnist = html(site, "appendix-mnist")
    assert "最初のラベル [5 0 4 1 9 2 1 3 1 4]" in mnist
