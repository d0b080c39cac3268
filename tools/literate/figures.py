"""A matplotlib backend for the pages: ``plt.show()`` hands every open figure to the render step.

Selected with ``matplotlib.use("module://literate.figures")`` (matplotlib's
documented way to name a backend module). Drawing is Agg's; ``show`` saves each
open figure as SVG with the site's settings, passes it to :data:`RECEIVER`
(set by the page runner, ``literate.run``) and closes it.
"""

from __future__ import annotations

import io

from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

# Matplotlib writes a timestamp and its URL into SVG metadata; without them two
# builds give the same bytes (they would also land in the search index).
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}

RECEIVER = None  # called with (svg text, alt text) for each figure shown


def figure_svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata=SVG_METADATA)
    return buffer.getvalue()


def alt_text(figure) -> str:
    """What the figure shows, in the page's words: the figure's label (``fig.set_label("…")``,
    matplotlib's public ``Figure`` label; ``plt.figure(num="…")`` sets it too).

    A figure without one stops the block (``ValueError``): its titles name the panels, they do
    not say what a reader who cannot see the image should take from it."""
    label = figure.get_label().strip()
    if not label:
        titles = [figure.get_suptitle()] + [ax.get_title() for ax in figure.axes]
        raise ValueError("a figure needs its alt text: fig.set_label(\"<what it shows>\") before plt.show()"
                         f" (figure titled {' / '.join(t for t in titles if t) or 'nothing'!r})")
    return label


class FigureManager(FigureManagerBase):
    @classmethod
    def pyplot_show(cls, *args, **kwargs):
        import matplotlib.pyplot as plt

        for number in plt.get_fignums():
            figure = plt.figure(number)
            if RECEIVER is not None:
                RECEIVER(figure_svg(figure), alt_text(figure))
            plt.close(figure)


class FigureCanvas(FigureCanvasAgg):
    manager_class = FigureManager
