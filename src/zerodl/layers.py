# Generated from docs/03-backprop.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["MulLayer", "AddLayer", "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss"]


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

from zerodl.functions import check_labels, log_softmax, sigmoid, softmax


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
    ``backward(dout=1)`` returns dout * (y - t) / N. Defined in chapter 3.
    """

    def __init__(self):
        self.loss = None
        self.y = None  # softmax output
        self.t = None  # targets as given

    def forward(self, x, t):
        t = np.asarray(t)
        check_labels(t, x, "SoftmaxWithLoss.forward")  # shape, range, one-hot rows: see chapter 2
        batch_size = x.shape[0]
        self.t = t
        self.y = softmax(x)
        log_y = log_softmax(x)  # exact log(y): finite even where y underflows to 0
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
