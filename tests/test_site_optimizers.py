"""Chapters 4-7 as built: their figures, the numbers their code printed, their notebooks."""

from __future__ import annotations

import math
import re
from html import unescape
from pathlib import Path

import pytest

pytestmark = pytest.mark.build

# page -> number of figures its blocks show
FIGURES = {
    "04-momentum": 4,  # SGD path, SGD vs Momentum, Momentum vs Nesterov, MNIST losses
    "05-adagrad-rmsprop": 3,  # AdaGrad path, effective learning rates, RMSprop path
    "06-adam": 3,  # bias correction, Adam lr 0.3, Adam lr 90
    "07-optimizer-comparison": 2,  # five paths, MNIST losses
}


def text_of(site: Path, page: str) -> str:
    return unescape((site / page / "index.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize("page, count", FIGURES.items())
def test_every_figure_is_a_built_svg_with_its_title_as_alt_text(site, page, count):
    html = (site / page / "index.html").read_text(encoding="utf-8")
    images = re.findall(r'<img alt="([^"]*)" class="zerodl-figure" src="([^"]+)"', html)
    assert len(images) == count == len(re.findall(r"zerodl-figure", html))
    for alt, src in images:
        assert alt.strip(), f"{page}: a figure without a title"
        assert "\\(" not in alt and "$" not in alt, f"{page}: TeX in alt text: {alt}"
        assert (site / page / src).resolve().is_file()


def test_chapter_4_prints_the_mnist_losses_of_its_run(site):
    text = text_of(site, "04-momentum")
    sgd = re.search(r"SGD\s+最初の損失 ([\d.]+)\s+最後の損失 ([\d.]+)\s+最後の 100 回の平均 ([\d.]+)", text)
    momentum = re.search(r"Momentum\s+最初の損失 ([\d.]+)\s+最後の損失 ([\d.]+)\s+最後の 100 回の平均 ([\d.]+)", text)
    assert sgd and momentum, "the final losses are printed by the page's run"
    assert sgd.group(1) == momentum.group(1)  # same initial weights and first batch
    assert float(momentum.group(3)) < float(sgd.group(3))


def table_rows(text: str) -> list[list[str]]:
    """Cell texts of every row of every HTML table in ``text``."""
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", text, re.S)
    ]


def test_chapter_6_shows_both_forms_of_adam_and_the_nan_table(site):
    text = text_of(site, "06-adam")
    assert r"\tag{6}" in text and r"\tag{5}" in text
    adam = [row for row in table_rows(text) if row[:1] == ["Adam"]]
    assert len(adam) == 1, "the printed NaN table is rendered as a table"
    assert adam[0][1:3] == ["nan", "nan"] and adam[0][4] == "m: nan, v: nan"
    assert not math.isnan(float(adam[0][3]))  # the other parameter is still a number


def test_chapter_7_prints_its_tables(site):
    text = text_of(site, "07-optimizer-comparison")
    assert "30 回後に最も近いのは AdaGrad" in text
    names = ["SGD", "Momentum", "AdaGrad", "RMSprop", "Adam"]
    rows = [row for row in table_rows(text) if len(row) == 5 and row[0] in names]
    assert [row[0] for row in rows] == names, "the MNIST table is rendered as a table"
    accuracy = {row[0]: float(row[4]) for row in rows}
    assert min(accuracy, key=accuracy.get) == "SGD"
    assert all(0.9 < value < 1 for value in accuracy.values())


@pytest.mark.parametrize("page", FIGURES)
def test_each_chapter_is_offered_as_a_notebook(site, page):
    import nbformat

    nb = nbformat.read(site / "notebooks" / f"{page}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert sum(cell.cell_type == "code" for cell in nb.cells) >= 5
