# Generated from docs/02-sgd-minibatch.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["SGD", "check_update_args"]


# --- from docs/02-sgd-minibatch.md ---
from collections.abc import Mapping

import numpy as np


class SGD:
    """Stochastic gradient descent: W <- W - lr * dL/dW, in place for every key.

    Defined in chapter 2 (docs/02-sgd-minibatch.md).
    """

    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        check_update_args(params, grads)
        for key in params:
            params[key] -= self.lr * grads[key]


def check_update_args(params, grads):
    """Check the arguments of an optimizer's ``update(params, grads)``.

    ``params`` and ``grads`` must be dicts with the same keys; every parameter
    must be a floating-point NumPy array (it is updated in place, and an
    integer array would silently truncate the update) and every gradient must
    have its parameter's shape (NumPy would otherwise broadcast silently).
    Raises ``TypeError`` or ``ValueError`` naming the offending key.
    Defined in chapter 2 (docs/02-sgd-minibatch.md); used by every optimizer.
    """
    if not isinstance(params, Mapping) or not isinstance(grads, Mapping):
        raise TypeError(
            "update(params, grads) takes two dicts keyed by parameter name ('W1', 'b1', ...); "
            f"got {type(params).__name__} and {type(grads).__name__}"
        )
    missing = [key for key in params if key not in grads]
    if missing:
        raise ValueError(f"grads has no gradient for parameter(s) {', '.join(map(repr, missing))}")
    extra = [key for key in grads if key not in params]
    if extra:
        raise ValueError(
            f"grads has key(s) {', '.join(map(repr, extra))} that are not in params "
            f"(params has {', '.join(map(repr, params))})"
        )
    for key, param in params.items():
        if not isinstance(param, np.ndarray) or not np.issubdtype(param.dtype, np.floating):
            raise TypeError(
                f"params[{key!r}] must be a floating-point NumPy array (it is updated in place); "
                f"got {type(param).__name__} of dtype {getattr(param, 'dtype', None)}. "
                f"Convert it first, e.g. params[{key!r}] = params[{key!r}].astype(np.float64)"
            )
        if np.shape(grads[key]) != param.shape:
            raise ValueError(
                f"grads[{key!r}] has shape {np.shape(grads[key])}, but params[{key!r}] has shape {param.shape}"
            )
