"""Figures are written with path coordinates rounded to 0.1 pt (tools/literate/svg.py)."""

from __future__ import annotations

import io
import re

import matplotlib
import numpy as np

from literate.svg import compact_svg

matplotlib.use("Agg")


def numbers(path_data: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", path_data)]


def test_only_path_data_is_rounded():
    svg = (
        '<svg viewBox="0 0 460.8 345.6"><path id="g" d="M 2034.123456 -0.04 L 12.5 7.250001 z" '
        'transform="scale(0.015625)"/><use x="33.123456" style="stroke-width: 0.812345"/></svg>'
    )
    assert compact_svg(svg) == (
        '<svg viewBox="0 0 460.8 345.6"><path id="g" d="M 2034.1 0 L 12.5 7.3 z" '
        'transform="scale(0.015625)"/><use x="33.123456" style="stroke-width: 0.812345"/></svg>'
    )


def test_a_matplotlib_figure_keeps_its_shape_and_shrinks():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    rng = np.random.default_rng(0)
    ax.plot(np.cumsum(rng.normal(size=2000)))  # a noisy curve, like a loss curve
    ax.set_title("random walk")
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    original = buffer.getvalue()
    compact = compact_svg(original)
    assert len(compact) < 0.85 * len(original)
    before = re.findall(r'\sd="([^"]*)"', original)
    after = re.findall(r'\sd="([^"]*)"', compact)
    assert len(before) == len(after)
    for a, b in zip(before, after):
        assert re.sub(r"[-\d.]+", "#", a) == re.sub(r"[-\d.]+", "#", b), "same commands, same number of values"
        assert np.allclose(numbers(a), numbers(b), atol=0.05 + 1e-9)
    assert compact_svg(compact) == compact
