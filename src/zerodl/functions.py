# Generated from docs/02-sgd-minibatch.md, docs/03-backprop.md, docs/book-compat.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["softmax", "cross_entropy_error", "check_labels", "sigmoid", "log_softmax", "identity_function", "step_function", "sigmoid_grad", "relu", "relu_grad", "sum_squared_error", "mean_squared_error", "softmax_loss"]


# --- from docs/02-sgd-minibatch.md ---
import numpy as np


def softmax(x):
    """Softmax over the last axis, computed stably (x - max(x) before exp).

    Works for one sample (1-D) and for a batch (2-D, one row per sample).
    Defined in chapter 2 (docs/02-sgd-minibatch.md).
    """
    x = np.asarray(x)
    shifted = x - np.max(x, axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / np.sum(exp, axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    """Mean cross-entropy error of a batch of probabilities ``y``.

    ``t`` holds one-hot rows (same shape as ``y``) or integer labels (one
    per row). A single sample (1-D ``y``) is a batch of one. As in the book,
    1e-7 is added inside the log so that a probability of 0 gives a large
    finite loss instead of inf. Defined in chapter 2.
    """
    y = np.asarray(y)
    t = np.asarray(t)
    if y.ndim == 1:
        y = y.reshape(1, -1)
        t = t.reshape(1, -1) if t.size == y.size else t.reshape(1)
    t = check_labels(t, y, "cross_entropy_error")  # integer labels, shape (N,)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def check_labels(t, y, where):
    """Integer labels of shape (N,) for the targets ``t`` of a batch ``y`` of shape (N, classes).

    ``t`` is one-hot rows (``y``'s shape, exactly one 1 per row, the rest 0)
    or integer labels in 0 ... classes - 1 of shape (N,). Anything else
    (shape (N, 1), a wrong length, negative or too large labels, rows that
    are not one-hot, an empty batch) raises ValueError naming the problem;
    ``where`` names the caller in the message. Defined in chapter 2.
    """
    t = np.asarray(t)
    if y.ndim != 2 or y.shape[0] == 0:
        raise ValueError(f"{where}: needs a non-empty batch of shape (N, classes); got shape {y.shape}")
    n, classes = y.shape
    if t.shape == y.shape:
        not_one_hot = ~(np.all((t == 0) | (t == 1), axis=1) & (np.sum(t == 1, axis=1) == 1))
        if np.any(not_one_hot):
            row = int(np.argmax(not_one_hot))
            raise ValueError(
                f"{where}: one-hot targets need exactly one 1 in every row; row {row} is {t[row].tolist()}"
            )
        return t.argmax(axis=1)
    if t.shape != (n,):
        hint = " (flatten it: t.reshape(-1))" if t.shape == (n, 1) else ""
        raise ValueError(
            f"{where}: targets must be integer labels of shape ({n},) or one-hot rows of shape {y.shape}; "
            f"got shape {t.shape}{hint}"
        )
    if not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"{where}: integer labels must have an integer dtype; got {t.dtype}")
    if t.min() < 0 or t.max() >= classes:
        bad = int(t[(t < 0) | (t >= classes)][0])
        raise ValueError(f"{where}: labels must be in 0 ... {classes - 1}; got {bad}")
    return t


# --- from docs/03-backprop.md ---
def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)), without overflow for large |x|.

    Defined in chapter 3 (docs/03-backprop.md).
    """
    x = np.asarray(x)
    e = np.exp(-np.abs(x))  # never overflows: the exponent is <= 0
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def log_softmax(x):
    """log(softmax(x)) over the last axis, exact and stable: x - max - log(sum(exp(x - max))).

    Defined in chapter 3.
    """
    x = np.asarray(x)
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


# --- from docs/book-compat.md ---
def identity_function(x):
    """The identity, the output activation of a regression network (book 3.5.1).

    Defined in the appendix 書籍のコードとの対応 (docs/book-compat.md).
    """
    return x


def step_function(x):
    """Step function: 1 where x > 0, else 0, as an integer array (book 3.2.2).

    Defined in the appendix 書籍のコードとの対応 (docs/book-compat.md).
    """
    return np.array(np.asarray(x) > 0, dtype=int)


def sigmoid_grad(x):
    """Derivative of the sigmoid: (1 - sigmoid(x)) * sigmoid(x).

    Defined in the appendix 書籍のコードとの対応 (docs/book-compat.md).
    """
    y = sigmoid(x)
    return (1.0 - y) * y


def relu(x):
    """ReLU: max(0, x), elementwise (book 3.2.7).

    Defined in the appendix 書籍のコードとの対応 (docs/book-compat.md).
    """
    return np.maximum(0, x)


def relu_grad(x):
    """Derivative of ReLU as the book defines it: 1 where x >= 0, else 0.

    At x = 0 this gives 1, while the Relu layer (chapter 3, like the book's
    layer) passes no gradient there. Defined in the appendix 書籍のコードとの対応.
    """
    x = np.asarray(x)
    grad = np.zeros_like(x)
    grad[x >= 0] = 1
    return grad


def sum_squared_error(y, t):
    """Sum of squares error 0.5 * sum((y - t)**2) (book 4.2.1), not divided by the batch size.

    ``y`` and ``t`` must have the same shape (one-hot targets): NumPy would
    otherwise broadcast them silently. Defined in the appendix 書籍のコードとの対応.
    """
    y, t = np.asarray(y), np.asarray(t)
    if y.shape != t.shape:
        raise ValueError(
            f"sum_squared_error: y has shape {y.shape} but t has shape {t.shape}; "
            "they must match (give t as one-hot rows, e.g. load_mnist(one_hot_label=True))"
        )
    return 0.5 * np.sum((y - t) ** 2)


def mean_squared_error(y, t):
    """The book's name (4.2.1) for :func:`sum_squared_error`: 0.5 * sum((y - t)**2).

    Defined in the appendix 書籍のコードとの対応 (docs/book-compat.md).
    """
    return sum_squared_error(y, t)


def softmax_loss(x, t):
    """Cross-entropy error of softmax(x): cross_entropy_error(softmax(x), t).

    Defined in the appendix 書籍のコードとの対応 (docs/book-compat.md).
    """
    return cross_entropy_error(softmax(x), t)
