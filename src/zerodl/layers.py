# Generated from docs/03-backprop.md, docs/09-batch-norm.md, docs/10-regularization.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["MulLayer", "AddLayer", "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss", "BatchNormalization", "check_train_flg", "Dropout"]


# --- from docs/03-backprop.md ---
class MulLayer:
    """Multiplication node z = x * y; backward returns (dout * y, dout * x).

    Defined in chapter 3 (docs/03-backprop.md).
    """

    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y  # backward needs the other input
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


class AddLayer:
    """Addition node z = x + y; backward passes dout to both inputs.

    Defined in chapter 3.
    """

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout * 1, dout * 1


import numpy as np

from zerodl.functions import check_labels, cross_entropy_error, log_softmax, sigmoid, softmax


class Relu:
    """ReLU layer: forward max(0, x); backward passes dout where x > 0.

    Defined in chapter 3 (docs/03-backprop.md).
    """

    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()  # the book writes into dout; we leave the caller's array alone
        dx[self.mask] = 0
        return dx


class Sigmoid:
    """Sigmoid layer: forward y = 1 / (1 + exp(-x)); backward dout * y * (1 - y).

    Defined in chapter 3.
    """

    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class Affine:
    """Affine layer y = x W + b; backward stores dW and db and returns dx.

    ``x`` may have more than two axes (e.g. images of shape (N, 1, 28, 28)):
    it is flattened to (N, -1) and dx is given back in the original shape.
    Defined in chapter 3.
    """

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.original_x_shape = x.shape
        # Flatten, and cast once to W's dtype (kept for backward, so x.T @ dout does not cast again)
        self.x = x.reshape(x.shape[0], -1).astype(self.W.dtype, copy=False)
        return self.x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return dx.reshape(self.original_x_shape)


class SoftmaxWithLoss:
    """Softmax followed by the mean cross-entropy error over the batch.

    ``forward(x, t)`` takes scores ``x`` of shape (N, classes) and one-hot
    ``t`` (same shape) or integer labels (N,); it returns the loss.
    ``backward(dout=1)`` returns dout * (y - t) / N.

    The loss is the book's: chapter 2's ``cross_entropy_error``, which adds
    1e-7 inside the log. ``exact=True`` computes the exact -log y with
    ``log_softmax`` instead (finite even where y underflows to 0), the loss
    whose derivative ``backward`` returns exactly. Defined in chapter 3.
    """

    def __init__(self, exact=False):
        if not isinstance(exact, (bool, np.bool_)):
            raise TypeError(f"SoftmaxWithLoss(exact=...) takes True or False; got {exact!r}")
        self.exact = bool(exact)
        self.loss = None
        self.y = None  # softmax output
        self.t = None  # targets as given

    def forward(self, x, t):
        t = np.asarray(t)
        check_labels(t, x, "SoftmaxWithLoss.forward")  # shape, range, one-hot rows: see chapter 2
        self.t = t
        self.y = softmax(x)
        if not self.exact:
            self.loss = cross_entropy_error(self.y, t)  # the book's -log(y + 1e-7)
            return self.loss
        batch_size = x.shape[0]
        log_y = log_softmax(x)  # exact log(y)
        if t.shape == x.shape:
            self.loss = -np.sum(t * log_y) / batch_size
        else:
            self.loss = -np.sum(log_y[np.arange(batch_size), t]) / batch_size
        return self.loss

    def backward(self, dout=1):
        batch_size = self.y.shape[0]
        if self.t.shape == self.y.shape:
            dx = (self.y - self.t).astype(self.y.dtype, copy=False)
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
        return dx * (dout / batch_size)


# --- from docs/09-batch-norm.md ---
import warnings


class BatchNormalization:
    """Batch normalization (Ioffe & Szegedy 2015) of every unit over the batch.

    ``forward(x, train_flg=True)`` normalises each column of ``x`` (N, D) with
    the batch's mean and variance, then scales by ``gamma`` and shifts by
    ``beta``; it also updates ``running_mean``/``running_var`` with
    ``momentum``. With ``train_flg=False`` it uses the running statistics
    instead and changes nothing. Images (N, C, H, W) are reshaped to
    (N, C*H*W) and back, as the book's layer does. ``backward(dout)`` stores
    ``dgamma``/``dbeta`` and returns dx. eps is the book's 10e-7.
    A batch of one in training mode normalises every unit to 0: the output is
    ``beta`` and dx is 0 (the book's gradient check runs on one sample); it warns
    and leaves the running statistics as they are. A batch with NaN or inf is
    refused before anything changes. Defined in chapter 9 (docs/09-batch-norm.md).
    """

    eps = 10e-7  # the book's value (= 1e-6)

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        if np.ndim(gamma) != 1 or np.shape(beta) != np.shape(gamma):
            raise ValueError(
                "BatchNormalization: gamma and beta must be 1-D arrays of the same length D "
                f"(one per unit); got shapes {np.shape(gamma)} and {np.shape(beta)}"
            )
        if (running_mean is None) != (running_var is None):
            raise ValueError("BatchNormalization: give both running_mean and running_var, or neither")
        self.gamma = gamma  # the network's own arrays: an optimizer updates them in place
        self.beta = beta
        self.momentum = momentum
        self.running_mean = running_mean
        self.running_var = running_var
        self.input_shape = None
        self.batch_size = None
        self.xc = None  # x - mean         (kept for backward)
        self.xn = None  # normalised x     (kept for backward)
        self.std = None  # sqrt(var + eps)  (kept for backward)
        self.dgamma = None
        self.dbeta = None
        self.backward_ready = False  # True only after a training forward

    def forward(self, x, train_flg=True):
        check_train_flg("BatchNormalization", train_flg)
        x2 = self._as_rows(x, "forward: x")
        if not train_flg:
            self.backward_ready = False  # an inference forward has nothing to differentiate
            return self._inference(x2).reshape(x.shape)
        averaged = self._check_batch(x2)  # NaN refused; one sample not averaged into the statistics
        mean = x2.mean(axis=0)
        xc = x2 - mean
        var = np.mean(xc**2, axis=0)
        std = np.sqrt(var + self.eps)
        xn = xc / std
        self.input_shape, self.batch_size = x.shape, x2.shape[0]
        self.xc, self.xn, self.std = xc, xn, std
        self.backward_ready = True
        if averaged:
            if self.running_mean is None:
                self.running_mean = np.zeros(x2.shape[1])
                self.running_var = np.zeros(x2.shape[1])
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mean
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        return (self.gamma * xn + self.beta).reshape(x.shape)

    def _check_batch(self, x2):
        """Refuse a training batch with nan or inf; warn for one sample (returns False)."""
        if not np.isfinite(x2).all():
            raise ValueError(
                "BatchNormalization.forward: x contains nan or inf; the running statistics would keep "
                "them for good. Find where they come from (a learning rate too large?) before training on"
            )
        if len(x2) == 1:
            warnings.warn(
                "BatchNormalization.forward: a training batch of 1 sample has variance 0, so the output is "
                "beta and dx is 0; the running statistics are not updated from it. Train on batches of 2 or "
                "more (PyTorch refuses one), or pass train_flg=False",
                RuntimeWarning,
                stacklevel=3,
            )
        return len(x2) > 1

    def _inference(self, x2):
        if self.running_mean is None:
            raise RuntimeError(
                "BatchNormalization.forward(x, train_flg=False) needs running statistics: "
                "train first (forward with train_flg=True) or pass running_mean and running_var"
            )
        xn = (x2 - self.running_mean) / np.sqrt(self.running_var + self.eps)
        return self.gamma * xn + self.beta

    def backward(self, dout):
        if not self.backward_ready:
            raise RuntimeError(
                "BatchNormalization.backward: the last forward was not a training forward; "
                "call forward(x, train_flg=True) right before backward"
            )
        if np.shape(dout) != self.input_shape:
            raise ValueError(
                f"BatchNormalization.backward: dout has shape {np.shape(dout)}, "
                f"but the last training forward had input shape {self.input_shape}"
            )
        dout = dout.reshape(self.batch_size, -1)
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std  # path through xc itself
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar  # path through var
        dmean = np.sum(dxc, axis=0)
        dx = dxc - dmean / self.batch_size  # path through the mean
        return dx.reshape(self.input_shape)

    def _as_rows(self, x, what):
        if not isinstance(x, np.ndarray) or x.ndim not in (2, 4):
            raise ValueError(
                f"BatchNormalization.{what} must be a NumPy array of shape (N, D) or (N, C, H, W); "
                f"got {type(x).__name__} of shape {np.shape(x)}"
            )
        if x.shape[0] == 0:
            raise ValueError(f"BatchNormalization.{what} is an empty batch (shape {x.shape}); give it at least 2 samples")
        x2 = x.reshape(x.shape[0], -1)
        if x2.shape[1] != np.shape(self.gamma)[0]:
            raise ValueError(
                f"BatchNormalization.{what} has {x2.shape[1]} values per sample (shape {x.shape}), "
                f"but gamma and beta have {np.shape(self.gamma)[0]}: make them one per unit"
            )
        return x2


def check_train_flg(layer, train_flg):
    """TypeError unless ``train_flg`` is True or False (a NumPy bool too): a string such as
    'False' would count as true. Defined in chapter 9 (docs/09-batch-norm.md)."""
    if not isinstance(train_flg, (bool, np.bool_)):
        raise TypeError(f"{layer}.forward: train_flg must be True or False, got {train_flg!r}")


# --- from docs/10-regularization.md ---
import numbers


class Dropout:
    """Dropout layer with the book's convention (Srivastava et al. 2014; Hinton et al. 2012, arXiv:1207.0580).

    ``forward(x, train_flg=True)`` keeps each element where
    ``np.random.rand(*x.shape) > dropout_ratio`` (probability 1 - ratio) and
    zeroes the rest; with ``train_flg=False`` it returns
    ``x * (1 - dropout_ratio)``, the expected training output. ``backward``
    passes the gradient of the kept elements only. ``dropout_ratio`` must be
    in [0, 1). Defined in chapter 10 (docs/10-regularization.md).
    """

    def __init__(self, dropout_ratio=0.5):
        if (isinstance(dropout_ratio, bool) or not isinstance(dropout_ratio, numbers.Real)
                or not 0 <= dropout_ratio < 1):
            raise ValueError(f"Dropout: dropout_ratio is the fraction of units dropped and must be "
                             f"in [0, 1), got {dropout_ratio!r}")
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        check_train_flg("Dropout", train_flg)  # chapter 9: a string such as "no" would be true
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        if self.mask is None:
            raise RuntimeError("Dropout.backward: call forward(x, train_flg=True) first")
        return dout * self.mask
