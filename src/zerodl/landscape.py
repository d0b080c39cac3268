# Generated from docs/04-momentum.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["bowl", "bowl_grad", "optimizer_path", "plot_path"]


# --- from docs/04-momentum.md ---
import numpy as np

INIT_POS = (-7.0, 2.0)


def bowl(x, y):
    """The book's function (6.2): f(x, y) = x**2 / 20 + y**2, minimum 0 at (0, 0).

    Defined in chapter 4 (docs/04-momentum.md).
    """
    return x**2 / 20.0 + y**2


def bowl_grad(x, y):
    """Gradient (df/dx, df/dy) = (x / 10, 2 y) of :func:`bowl`. Defined in chapter 4."""
    return x / 10.0, 2.0 * y


def optimizer_path(optimizer, steps=30, init=INIT_POS):
    """Minimise :func:`bowl` with ``optimizer`` from ``init``; return the points visited.

    ``params`` is ``{'x': array([x]), 'y': array([y])}`` as in the book's
    ch06/optimizer_compare_naive.py. The result has shape ``(steps + 1, 2)``:
    the start and the point after each of the ``steps`` updates.
    Defined in chapter 4.
    """
    params = {"x": np.array([float(init[0])]), "y": np.array([float(init[1])])}
    history = [(params["x"][0], params["y"][0])]
    for _ in range(steps):
        gx, gy = bowl_grad(params["x"], params["y"])
        optimizer.update(params, {"x": gx, "y": gy})
        history.append((params["x"][0], params["y"][0]))
    return np.array(history)


def plot_path(ax, history, title):
    """Draw the contours of :func:`bowl` and ``history`` (from :func:`optimizer_path`) on ``ax``.

    ``ax`` is a matplotlib Axes; the package itself does not import matplotlib.
    Defined in chapter 4.
    """
    theta = np.linspace(0, 2 * np.pi, 97)
    for level in (0.1, 0.5, 1, 2, 3, 4.5, 6.5):  # the contour bowl = level is the ellipse x²/20 + y² = level
        ax.plot(np.sqrt(20 * level) * np.cos(theta), np.sqrt(level) * np.sin(theta), color="0.75", linewidth=0.8)
    ax.plot(history[:, 0], history[:, 1], "o-", color="tab:red", markersize=3, linewidth=1)
    ax.plot(0, 0, "+", color="k", markersize=12)
    ax.grid(False)  # the contours are the grid here
    ax.set_xlim(-10, 10)
    ax.set_ylim(-5, 5)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.set_title(title)
