# Generated from docs/12-beyond.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["clip_grads"]


# --- from docs/12-beyond.md ---
import math
import numbers
from collections.abc import Mapping

import numpy as np

from zerodl.optimizers import check_distinct, check_updatable


def clip_grads(grads, max_norm):
    """Gradient clipping by global norm, in place: if the norm of all gradients together
    exceeds ``max_norm``, multiply every gradient by max_norm / (norm + 1e-6), as
    torch.nn.utils.clip_grad_norm_ does. Returns the norm before clipping.

    Raises ValueError for max_norm <= 0 or a norm that is not finite (NaN or inf in a gradient),
    and, before any gradient is scaled, for one that cannot be scaled in place.
    Defined in chapter 12 (docs/12-beyond.md).
    """
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real) or not (math.isfinite(max_norm) and max_norm > 0):
        raise ValueError(f"max_norm must be a positive number, e.g. 1.0; got {max_norm!r}")
    if not isinstance(grads, Mapping):
        raise TypeError(f"clip_grads takes the dict of gradients ('W1', 'b1', ...); got {type(grads).__name__}")
    for key, g in grads.items():  # all of them, before the first is scaled
        check_updatable("grads", key, g)
    check_distinct(grads, "grads")
    norm = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values()))
    if not math.isfinite(norm):
        bad = [key for key, g in grads.items() if not np.all(np.isfinite(g))]
        raise ValueError(f"the gradient norm is not finite: NaN or inf in grads {', '.join(map(repr, bad))}")
    scale = max_norm / (norm + 1e-6)
    if scale < 1:
        for key in grads:
            grads[key] *= scale
    return norm
