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
    "04-momentum": 5,  # SGD path, SGD vs Momentum, Momentum vs Nesterov, MNIST losses, tuned rates (kappa)
    "05-adagrad-rmsprop": 3,  # AdaGrad path, effective learning rates, RMSprop path
    "06-adam": 3,  # bias correction, Adam lr 0.3, Adam lr 90
    "07-optimizer-comparison": 2,  # five paths, MNIST losses
}


def text_of(site: Path, page: str) -> str:
    return unescape((site / page / "index.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize("page, count", FIGURES.items())
def test_every_figure_is_a_built_svg_with_its_title_as_alt_text(site, page, count):
    html = (site / page / "index.html").read_text(encoding="utf-8")
    tags = re.findall(r'<img [^>]*class="zerodl-figure"[^>]*>', html)
    images = [(re.search(r'alt="([^"]*)"', t).group(1), re.search(r'src="([^"]+)"', t).group(1)) for t in tags]
    assert len(images) == count == len(re.findall(r"zerodl-figure", html))
    for alt, src in images:
        assert alt.strip(), f"{page}: a figure without a title"
        assert "\\(" not in alt and "$" not in alt, f"{page}: TeX in alt text: {alt}"
        assert (site / page / src).resolve().is_file()


def test_chapter_4_prints_the_mnist_losses_of_its_run(site):
    text = text_of(site, "04-momentum")
    rows = {row[0]: row[1:] for row in table_rows(text) if len(row) == 4 and row[0].startswith(("SGD", "Momentum"))}
    sgd, momentum, sgd10 = rows["SGD（学習率 0.001）"], rows["Momentum（学習率 0.001）"], rows["SGD（学習率 0.01）"]
    assert sgd[0] == momentum[0] == sgd10[0]  # same initial weights and first batch
    assert float(momentum[2]) < float(sgd[2])
    assert abs(float(momentum[2]) - float(sgd10[2])) < 0.1 * float(momentum[2])  # Momentum(lr) ~ SGD(lr / (1 - alpha))


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
    assert "30 ステップ後に最も近いのは AdaGrad" in text
    names = ["SGD", "Momentum", "AdaGrad", "RMSprop", "Adam"]
    rows = [row for row in table_rows(text) if len(row) == 4 and row[0] in names and "〜" in row[3]]
    assert [row[0] for row in rows] == names, "the MNIST table is rendered as a table"
    spread = {row[0]: [float(x) for x in re.findall(r"\d\.\d{4}", row[3])] for row in rows}
    assert all(len(values) == 3 and values[1] <= values[0] <= values[2] for values in spread.values()), "mean (min to max)"
    assert min(spread, key=lambda name: spread[name][0]) == "SGD"
    assert all(0.8 < values[0] < 1 for values in spread.values())
    assert re.search(r"テストデータの認識精度: 平均 0\.9\d{3}", text), "one final report on the test data"


@pytest.mark.parametrize("page", FIGURES)
def test_each_chapter_is_offered_as_a_notebook(site, page):
    import nbformat

    nb = nbformat.read(site / "notebooks" / f"{page}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert sum(cell.cell_type == "code" for cell in nb.cells) >= 5
