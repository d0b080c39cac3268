# Generated from docs/08-weight-init.md, docs/11-hyperparameters.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["smooth_curve", "shuffle_dataset"]


# --- from docs/08-weight-init.md ---
import numpy as np


def smooth_curve(x):
    """Smooth a loss curve for plotting: an 11-point moving average weighted by np.kaiser(11, 2).

    The ends are padded with mirrored values (x[5], ..., x[1] before the start;
    x[-1], ..., x[-5] after the end), so the result has one value per input
    value, the same as the book's common/util.py smooth_curve.
    Defined in chapter 8 (docs/08-weight-init.md).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or len(x) < 6:
        raise ValueError(f"smooth_curve needs a 1-D sequence of at least 6 values, got shape {x.shape}")
    window = np.kaiser(11, 2)
    padded = np.concatenate([x[5:0:-1], x, x[:-6:-1]])
    return np.convolve(padded, window / window.sum(), mode="valid")


# --- from docs/11-hyperparameters.md ---
def shuffle_dataset(x, t):
    """Shuffle inputs ``x`` and labels ``t`` with one permutation (pairs stay together).

    Draws ``np.random.permutation(len(x))`` once, as the book's
    ``common/util.py``, so the same seed gives the book's order. ``x`` may have
    any number of axes (rows, or images (N, C, H, W)). Returns new arrays.
    Defined in chapter 11 (docs/11-hyperparameters.md).
    """
    if len(x) != len(t):
        raise ValueError(f"shuffle_dataset: x has {len(x)} items but t has {len(t)}; give one label per input")
    permutation = np.random.permutation(len(x))
    return x[permutation], t[permutation]
