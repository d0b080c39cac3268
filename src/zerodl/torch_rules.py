# Generated from docs/12-beyond.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["TorchSGD", "TorchAdagrad", "TorchRMSprop", "TorchAdam"]


# --- from docs/12-beyond.md ---
"""NumPy transcriptions of the update rules of torch.optim (PyTorch 2.x, the single-tensor
code path, maximize=False), for comparing them with the book's rules on the same gradients.
This is not PyTorch and never imports it; tests/test_torch_crosscheck.py checks the
transcriptions against torch.optim itself where PyTorch is installed."""

import math

import numpy as np

from zerodl.optimizers import check_update_args


class TorchSGD:
    """torch.optim.SGD(lr, momentum, nesterov=..., weight_decay=...), dampening 0:
    g <- g + weight_decay * W;  b <- g on the first step, else b <- momentum * b + g;
    W <- W - lr * (g + momentum * b if nesterov else b).  Defined in chapter 12.
    """

    def __init__(self, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        self.lr, self.momentum, self.nesterov, self.weight_decay = lr, momentum, nesterov, weight_decay
        self.b = {}

    def update(self, params, grads):
        check_update_args(params, grads)
        for key, param in params.items():
            g = grads[key] + self.weight_decay * param if self.weight_decay else grads[key]
            if self.momentum:
                if key not in self.b:
                    self.b[key] = np.array(g, dtype=param.dtype)
                else:
                    self.b[key] *= self.momentum
                    self.b[key] += g
                g = g + self.momentum * self.b[key] if self.nesterov else self.b[key]
            param -= self.lr * g


class TorchAdagrad:
    """torch.optim.Adagrad(lr, eps=1e-10, initial_accumulator_value=0):
    h <- h + g * g;  W <- W - lr * (g / (sqrt(h) + eps)).  Defined in chapter 12.
    """

    def __init__(self, lr=0.01, eps=1e-10, initial_accumulator_value=0.0):
        self.lr, self.eps, self.initial = lr, eps, initial_accumulator_value
        self.h = {}

    def update(self, params, grads):
        check_update_args(params, grads)
        for key, param in params.items():
            h = self.h.setdefault(key, np.full_like(param, self.initial))
            g = grads[key]
            h += g * g
            param -= self.lr * (g / (np.sqrt(h) + self.eps))


class TorchRMSprop:
    """torch.optim.RMSprop(lr, alpha=0.99, eps=1e-8), not centered, no momentum:
    h <- alpha * h + (1 - alpha) * g * g;  W <- W - lr * (g / (sqrt(h) + eps)).  Defined in chapter 12.
    """

    def __init__(self, lr=0.01, alpha=0.99, eps=1e-8):
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.h = {}

    def update(self, params, grads):
        check_update_args(params, grads)
        for key, param in params.items():
            h = self.h.setdefault(key, np.zeros_like(param))
            g = grads[key]
            h *= self.alpha
            h += (1 - self.alpha) * g * g
            param -= self.lr * (g / (np.sqrt(h) + self.eps))


class TorchAdam:
    """torch.optim.Adam (decoupled=False) and torch.optim.AdamW (decoupled=True):
    AdamW first W <- W * (1 - lr * weight_decay), Adam adds weight_decay * W to g; then
    m <- m + (1 - beta1) * (g - m);  v <- beta2 * v + (1 - beta2) * g * g;
    W <- W - lr / (1 - beta1**t) * (m / (sqrt(v) / sqrt(1 - beta2**t) + eps)).  Defined in chapter 12.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.weight_decay, self.decoupled = weight_decay, decoupled
        self.t, self.m, self.v = {}, {}, {}

    def update(self, params, grads):
        check_update_args(params, grads)
        for key, param in params.items():
            g = grads[key]
            if self.weight_decay and self.decoupled:
                param *= 1 - self.lr * self.weight_decay
            elif self.weight_decay:
                g = g + self.weight_decay * param
            m = self.m.setdefault(key, np.zeros_like(param))
            v = self.v.setdefault(key, np.zeros_like(param))
            t = self.t[key] = self.t.get(key, 0) + 1
            m += (1 - self.beta1) * (g - m)
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            denom = np.sqrt(v) / math.sqrt(1 - self.beta2**t) + self.eps
            param -= self.lr / (1 - self.beta1**t) * (m / denom)
