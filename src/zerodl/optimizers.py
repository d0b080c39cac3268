# Generated from docs/02-sgd-minibatch.md, docs/04-momentum.md, docs/05-adagrad-rmsprop.md, docs/06-adam.md, docs/12-beyond.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["SGD", "check_update_args", "check_hyperparameter", "state_for", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "AdamW"]


# --- from docs/02-sgd-minibatch.md ---
import math
import numbers
from collections.abc import Mapping

import numpy as np


class SGD:
    """Stochastic gradient descent: W <- W - lr * dL/dW, in place for every key.

    Defined in chapter 2 (docs/02-sgd-minibatch.md).
    """

    def __init__(self, lr=0.01):
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"lr must be a positive number, e.g. 0.01; got {lr!r}")
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


# --- from docs/04-momentum.md ---
def check_hyperparameter(name, value, *, fraction=False):
    """Raise ValueError unless ``value`` is a finite real number > 0
    (with ``fraction=True``: a number in [0, 1), like a momentum or a decay rate).

    Defined in chapter 4 (docs/04-momentum.md).
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = 0 <= value < 1 if fraction else value > 0
    if not ok:
        allowed = "a number in [0, 1), e.g. 0.9" if fraction else "a positive number, e.g. 0.01"
        raise ValueError(f"{name} must be {allowed}; got {value!r}")


def state_for(state, key, param):
    """The optimizer state array of ``key`` in the dict ``state``, created as
    zeros like ``param`` (same shape and dtype) the first time ``key`` is seen.

    Raises ValueError if ``param`` no longer has the shape the state was made
    for (the network changed under the optimizer). The optimizers call it for
    every key before they change anything, so a failed ``update`` leaves the
    parameters as they were. Defined in chapter 4.
    """
    array = state.get(key)
    if array is None:
        array = state[key] = np.zeros_like(param)
    elif array.shape != param.shape:
        raise ValueError(
            f"params[{key!r}] has shape {param.shape}, but this optimizer's state for it has shape "
            f"{array.shape}: the parameter was replaced; create a new optimizer for the new network"
        )
    return array


class Momentum:
    """Momentum SGD: v <- momentum * v - lr * grad; W <- W + v (in place).

    The velocity ``self.v[key]`` starts at zero the first time ``key`` is seen.
    Defined in chapter 4 (docs/04-momentum.md).
    """

    def __init__(self, lr=0.01, momentum=0.9):
        check_hyperparameter("lr", lr)
        check_hyperparameter("momentum", momentum, fraction=True)
        self.lr = lr
        self.momentum = momentum
        self.v = {}

    def update(self, params, grads):
        check_update_args(params, grads)
        velocities = {key: state_for(self.v, key, param) for key, param in params.items()}
        for key, param in params.items():
            v = velocities[key]
            v *= self.momentum
            v -= self.lr * grads[key]
            param += v


class Nesterov(Momentum):
    """Nesterov's accelerated gradient in the form of Bengio et al. (arXiv:1212.0901):
    the parameters are the look-ahead point W + momentum * v, and with v the
    velocity before this step and g the gradient at the parameters,
    W <- W + momentum**2 * v - (1 + momentum) * lr * g;  v <- momentum * v - lr * g.

    Same hyperparameters and velocity state as :class:`Momentum`. Unlike the
    book's code, the first line uses the velocity *before* it is updated, as
    the paper's equation does. Defined in chapter 4.
    """

    def update(self, params, grads):
        check_update_args(params, grads)
        velocities = {key: state_for(self.v, key, param) for key, param in params.items()}
        for key, param in params.items():
            v = velocities[key]
            grad = grads[key]
            param += self.momentum * self.momentum * v
            param -= (1 + self.momentum) * self.lr * grad
            v *= self.momentum
            v -= self.lr * grad


# --- from docs/05-adagrad-rmsprop.md ---
class AdaGrad:
    """AdaGrad: h <- h + grad * grad; W <- W - lr * grad / (sqrt(h) + eps) (in place).

    ``self.h[key]`` starts at zero the first time ``key`` is seen and only
    grows, so the effective learning rate lr / (sqrt(h) + eps) only shrinks.
    Defined in chapter 5 (docs/05-adagrad-rmsprop.md).
    """

    def __init__(self, lr=0.01, eps=1e-7):
        check_hyperparameter("lr", lr)
        check_hyperparameter("eps", eps)
        self.lr = lr
        self.eps = eps
        self.h = {}

    def update(self, params, grads):
        check_update_args(params, grads)
        squares = {key: state_for(self.h, key, param) for key, param in params.items()}
        for key, param in params.items():
            h = squares[key]
            grad = grads[key]
            h += grad * grad
            param -= self.lr * grad / (np.sqrt(h) + self.eps)


class RMSprop:
    """RMSprop: h <- decay_rate * h + (1 - decay_rate) * grad * grad;
    W <- W - lr * grad / (sqrt(h) + eps) (in place).

    ``self.h[key]`` starts at zero the first time ``key`` is seen.
    Defined in chapter 5 (docs/05-adagrad-rmsprop.md).
    """

    def __init__(self, lr=0.01, decay_rate=0.99, eps=1e-7):
        check_hyperparameter("lr", lr)
        check_hyperparameter("decay_rate", decay_rate, fraction=True)
        check_hyperparameter("eps", eps)
        self.lr = lr
        self.decay_rate = decay_rate
        self.eps = eps
        self.h = {}

    def update(self, params, grads):
        check_update_args(params, grads)
        squares = {key: state_for(self.h, key, param) for key, param in params.items()}
        for key, param in params.items():
            h = squares[key]
            grad = grads[key]
            h *= self.decay_rate
            h += (1 - self.decay_rate) * grad * grad
            param -= self.lr * grad / (np.sqrt(h) + self.eps)


# --- from docs/06-adam.md ---
class Adam:
    """Adam (Kingma & Ba, arXiv:1412.6980) in the folded form of the book's code:
    m <- m + (1 - beta1) * (g - m);  v <- v + (1 - beta2) * (g * g - v);
    W <- W - lr_t * m / (sqrt(v) + eps),  lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t).

    ``t`` is counted per key (``self.t[key]``), so a key first seen later
    gets its own bias correction; ``self.iter`` counts calls of ``update``.
    ``lr_t`` is a Python float, so float32 parameters are updated in float32.
    Defined in chapter 6 (docs/06-adam.md).
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7):
        check_hyperparameter("lr", lr)
        check_hyperparameter("beta1", beta1, fraction=True)
        check_hyperparameter("beta2", beta2, fraction=True)
        check_hyperparameter("eps", eps)
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.iter = 0
        self.t = {}
        self.m = {}
        self.v = {}

    def update(self, params, grads):
        check_update_args(params, grads)
        moments = {key: state_for(self.m, key, param) for key, param in params.items()}
        squares = {key: state_for(self.v, key, param) for key, param in params.items()}
        self.iter += 1
        for key, param in params.items():
            m, v = moments[key], squares[key]
            t = self.t[key] = self.t.get(key, 0) + 1
            lr_t = self.lr * math.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)
            grad = grads[key]
            m += (1 - self.beta1) * (grad - m)
            v += (1 - self.beta2) * (grad * grad - v)
            param -= lr_t * m / (np.sqrt(v) + self.eps)


# --- from docs/12-beyond.md ---
class AdamW(Adam):
    """AdamW (Loshchilov & Hutter 2019): decoupled weight decay, as torch.optim.AdamW does it.

    For every parameter, first W <- W * (1 - lr * weight_decay) with the current ``lr``
    (a schedule may change it between steps), then the ordinary Adam step of chapter 6
    (the book's folded form, per-key step count, the same eps). The decay does not go
    through m and v, so every weight shrinks by the same factor whatever its gradients.
    Defined in chapter 12 (docs/12-beyond.md).
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, weight_decay=0.01, eps=1e-7):
        super().__init__(lr=lr, beta1=beta1, beta2=beta2, eps=eps)
        ok = isinstance(weight_decay, numbers.Real) and not isinstance(weight_decay, bool)
        if not (ok and math.isfinite(weight_decay) and weight_decay >= 0):
            raise ValueError(f"weight_decay must be a number >= 0, e.g. 0.01; got {weight_decay!r}")
        if lr * weight_decay >= 1:
            raise ValueError(
                f"lr * weight_decay must be below 1 (each step multiplies W by 1 - lr * weight_decay); "
                f"got lr={lr!r}, weight_decay={weight_decay!r}"
            )
        self.weight_decay = weight_decay

    def update(self, params, grads):
        check_update_args(params, grads)  # a wrong call changes nothing
        for key, param in params.items():  # nor does a parameter of a new shape (checked before the decay)
            state_for(self.m, key, param)
            state_for(self.v, key, param)
        shrink = 1 - self.lr * self.weight_decay
        for key in params:
            params[key] *= shrink  # arrays in place, like the Adam step below
        super().update(params, grads)
