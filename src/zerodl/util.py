# Generated from docs/11-hyperparameters.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["shuffle_dataset"]


# --- from docs/11-hyperparameters.md ---
import numpy as np


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
