"""Independent numerical checks shared by the tests: central differences written out."""

from __future__ import annotations

import numpy as np


def central_difference(f, x, h=1e-5):
    """d f / d x for every element of the float64 array x (f reads x; x is restored)."""
    grad = np.empty_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + h
        up = f()
        flat[i] = keep - h
        down = f()
        flat[i] = keep
        out[i] = (up - down) / (2 * h)
    return grad


def rel_error(a, b):
    """Relative error of a against b (norms)."""
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)
