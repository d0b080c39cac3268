"""Smaller figures: coordinates in SVG path data rounded to 0.1 pt.

Matplotlib writes path coordinates with six decimals (``339.158594``). A
figure is drawn in points (1/72 inch), so a tenth of a point is far below
what a screen shows, and rounding there makes the figures about a fifth
smaller (every page's weight counts them; see tests/test_browser.py).
Only ``d="…"`` attributes change: transforms (glyphs are scaled by
``scale(0.015625)``), the viewBox and styles keep their exact values.
"""

from __future__ import annotations

import re

_PATH_DATA = re.compile(r'(\sd=")([^"]*)(")')
_LONG_NUMBER = re.compile(r"-?\d+\.\d{2,}")


def compact_svg(svg: str, digits: int = 1) -> str:
    """``svg`` with the numbers of every path's ``d`` rounded to ``digits`` decimals."""

    def round_number(match: re.Match) -> str:
        text = f"{float(match.group()):.{digits}f}"
        return "0" if float(text) == 0 else text  # no "-0.0"

    def round_path(match: re.Match) -> str:
        return match.group(1) + _LONG_NUMBER.sub(round_number, match.group(2)) + match.group(3)

    return _PATH_DATA.sub(round_path, svg)
