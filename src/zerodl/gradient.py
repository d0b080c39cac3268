# Generated from docs/01-gradient-descent.md, docs/book-compat.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["numerical_diff", "numerical_gradient", "gradient_descent", "numerical_gradient_2d"]


# --- from docs/01-gradient-descent.md ---
import numpy as np


def numerical_diff(f, x, h=1e-4):
    """Derivative of a scalar function ``f`` at ``x`` by central difference.

    Defined in chapter 1 (docs/01-gradient-descent.md).
    """
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x, h=1e-4):
    """Gradient of ``f`` at the float array ``x`` by central differences.

    ``f`` is called as ``f(x)``; each element of ``x`` is moved by ``+h`` and
    ``-h`` in place and restored afterwards, so ``f`` may also read ``x``
    through a closure (as the network's loss does in chapter 3).
    Works for arrays of any shape. Defined in chapter 1.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            "numerical_gradient needs a float NumPy array (e.g. np.array([3.0, 4.0])); "
            f"got {type(x).__name__} of dtype {getattr(x, 'dtype', None)}: "
            "an integer array cannot hold x + h"
        )
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        original = x[idx].copy()
        x[idx] = original + h
        f_plus = f(x)
        x[idx] = original - h
        f_minus = f(x)
        grad[idx] = (f_plus - f_minus) / (2 * h)
        x[idx] = original
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100, return_history=False):
    """Minimise ``f`` by ``step_num`` steps of x <- x - lr * grad f(x).

    Returns the final ``x``; with ``return_history=True`` also an array of all
    points visited, starting with ``init_x`` (shape ``(step_num + 1, *x.shape)``).
    ``init_x`` itself is not modified. Defined in chapter 1.
    """
    x = np.array(init_x, dtype=np.float64)
    history = [x.copy()]
    for _ in range(step_num):
        grad = numerical_gradient(f, x)
        x -= lr * grad
        history.append(x.copy())
    if return_history:
        return x, np.array(history)
    return x


# --- from docs/book-compat.md ---
def numerical_gradient_2d(f, X, h=1e-4):
    """Numerical gradient of ``f`` at each row of ``X`` (2-D), or at ``X`` itself (1-D).

    ``f`` is called with one row at a time, as in the book's ch04/gradient_2d.py
    (``numerical_gradient_2d`` in its common/gradient.py): row i of the result
    is the gradient of ``f`` at row i. For one point of any shape use
    :func:`numerical_gradient`. Defined in the appendix 書籍のコードとの対応.
    """
    if not isinstance(X, np.ndarray) or X.ndim not in (1, 2):
        raise ValueError(
            "numerical_gradient_2d takes a 1-D point or a 2-D array of points (one per row); "
            f"got {type(X).__name__} with shape {np.shape(X)}. For one point of any shape use numerical_gradient"
        )
    if X.ndim == 1:
        return numerical_gradient(f, X, h)
    grad = np.zeros_like(X)
    for idx, row in enumerate(X):
        grad[idx] = numerical_gradient(f, row, h)  # row is a view: f sees the moved row
    return grad
