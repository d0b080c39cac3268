# Generated from docs/02-sgd-minibatch.md, docs/04-momentum.md, docs/05-adagrad-rmsprop.md, docs/06-adam.md, docs/12-beyond.md, docs/appendix-robustness.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "AdamW", "check_weight_decay", "check_hyperparameter", "check_hyperparameters", "check_updatable", "check_distinct", "check_update_args", "state_for"]


# --- from docs/02-sgd-minibatch.md ---
import math
import numbers
import warnings
from collections.abc import Mapping, MutableMapping

import numpy as np


class SGD:
    """Stochastic gradient descent: W <- W - lr * dL/dW for every key
    (arrays in place, numbers replaced in the dict).

    Defined in chapter 2 (docs/02-sgd-minibatch.md).
    """

    def __init__(self, lr=0.01):
        check_hyperparameter("lr", lr)
        self.lr = lr

    def update(self, params, grads):
        check_update_args(params, grads, self)
        for key in params:
            params[key] -= self.lr * grads[key]


# --- from docs/04-momentum.md ---
class Momentum:
    """Momentum SGD: v <- momentum * v - lr * grad; W <- W + v (arrays in place).

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
        check_update_args(params, grads, self, states=[self.v])
        for key in params:
            v = state_for(self.v, key, params[key])
            v *= self.momentum
            v -= self.lr * grads[key]
            params[key] += v


class Nesterov(Momentum):
    """Nesterov's accelerated gradient in the form of Bengio et al. (arXiv:1212.0901):
    the parameters are the look-ahead point W + momentum * v, and with v the
    velocity before this step and g the gradient at the parameters,
    W <- W + momentum**2 * v - (1 + momentum) * lr * g;  v <- momentum * v - lr * g.

    Same hyperparameters and velocity state as :class:`Momentum`. The first
    line uses the velocity *before* it is updated, as the paper's equation
    does and as the book's repository has done since its January 2021 fix
    (before it, the velocity was updated first). Defined in chapter 4.
    """

    def update(self, params, grads):
        check_update_args(params, grads, self, states=[self.v])
        for key in params:
            v = state_for(self.v, key, params[key])
            grad = grads[key]
            params[key] += self.momentum * self.momentum * v
            params[key] -= (1 + self.momentum) * self.lr * grad
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
        check_update_args(params, grads, self, states=[self.h], squares=True)
        for key in params:
            h = state_for(self.h, key, params[key])
            grad = grads[key]
            h += grad * grad
            params[key] -= self.lr * grad / (np.sqrt(h) + self.eps)


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
        check_update_args(params, grads, self, states=[self.h], squares=True)
        for key in params:
            h = state_for(self.h, key, params[key])
            grad = grads[key]
            h *= self.decay_rate
            h += (1 - self.decay_rate) * grad * grad
            params[key] -= self.lr * grad / (np.sqrt(h) + self.eps)


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
        check_update_args(params, grads, self, states=[self.m, self.v], squares=True)
        self.iter += 1
        for key in params:
            params[key] = self.update_one(key, params[key], grads[key])

    def update_one(self, key, param, grad):
        """One Adam step for the parameter ``key``; returns the parameter
        (the same array, updated in place, or a new number)."""
        m, v = state_for(self.m, key, param), state_for(self.v, key, param)
        t = self.t[key] = self.t.get(key, 0) + 1
        lr_t = self.lr * math.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)
        m += (1 - self.beta1) * (grad - m)
        v += (1 - self.beta2) * (grad * grad - v)
        param -= lr_t * m / (np.sqrt(v) + self.eps)
        return param


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
        check_weight_decay(lr, weight_decay)
        self.weight_decay = weight_decay

    def update(self, params, grads):
        check_hyperparameters(self)  # lr may have been assigned since (a schedule): check it first
        check_weight_decay(self.lr, self.weight_decay)
        super().update(params, grads)

    def update_one(self, key, param, grad):
        # Adam.update has checked every key before this runs: a wrong call changes nothing.
        param *= 1 - self.lr * self.weight_decay  # an array in place; a number is rebound and returned
        return super().update_one(key, param, grad)


def check_weight_decay(lr, weight_decay):
    """ValueError unless weight_decay >= 0 and lr * weight_decay < 1 (at 1 the decay
    W <- W * (1 - lr * weight_decay) zeroes W, above it flips its sign).
    Defined in chapter 12 (docs/12-beyond.md)."""
    ok = isinstance(weight_decay, numbers.Real) and not isinstance(weight_decay, bool)
    if not (ok and math.isfinite(weight_decay) and weight_decay >= 0):
        raise ValueError(f"weight_decay must be a number >= 0, e.g. 0.01; got {weight_decay!r}")
    if lr * weight_decay >= 1:
        raise ValueError(
            f"lr * weight_decay must be below 1 (each step multiplies W by 1 - lr * weight_decay); "
            f"got lr={lr!r}, weight_decay={weight_decay!r}"
        )


# --- from docs/appendix-robustness.md ---
def check_hyperparameter(name, value, *, fraction=False):
    """Raise ValueError unless ``value`` is a finite real number > 0
    (with ``fraction=True``: a number in [0, 1), like a momentum or a decay rate).

    Defined in the appendix on argument checking (docs/appendix-robustness.md).
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = 0 <= value < 1 if fraction else 0 < value <= 1e6  # a larger lr is a typo: its steps overflow
    if not ok:
        allowed = "a number in [0, 1), e.g. 0.9" if fraction else "a positive number up to 1e6, e.g. 0.01"
        raise ValueError(f"{name} must be {allowed}; got {value!r}")


FRACTIONS = ("momentum", "decay_rate", "beta1", "beta2")


def check_hyperparameters(optimizer):
    """Check the hyperparameters ``optimizer`` has now (``lr``, ``eps``, ``momentum``, ``decay_rate``,
    ``beta1``, ``beta2``, those it has) by the rules of ``check_hyperparameter``: they may have been
    assigned since it was made (``opt.lr = ...``, a schedule). ``lr`` may also be 0, where a schedule
    may end. Defined in the appendix on argument checking (docs/appendix-robustness.md).
    """
    for name in ("lr", "eps", *FRACTIONS):
        if not hasattr(optimizer, name):
            continue
        value = getattr(optimizer, name)
        if name == "lr" and _is_real_number(value) and value == 0:
            continue
        try:
            check_hyperparameter(name, value, fraction=name in FRACTIONS)
        except ValueError as error:
            raise ValueError(
                f"{type(optimizer).__name__}.{error} (assigned after the optimizer was made); "
                "set a valid value before the next update"
            ) from None


def _is_real_number(value):
    """A Python or NumPy real scalar (not a bool)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _is_real_array(value):
    return isinstance(value, np.ndarray) and (
        np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)
    )


def _all_finite(value):
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.sum(value))) or bool(np.isfinite(value).all())


def check_updatable(name, key, value):
    """Raise unless ``value`` (``name[key]``) can be updated as the optimizers do: a writable
    floating-point NumPy array (changed in place) or a real number (replaced in the dict).
    Defined in the appendix on argument checking (docs/appendix-robustness.md).
    """
    if isinstance(value, np.ndarray):
        if not np.issubdtype(value.dtype, np.floating):
            raise TypeError(
                f"{name}[{key!r}] must be a floating-point NumPy array (it is updated in place) or a number; "
                f"got an array of dtype {value.dtype}. "
                f"Convert it first, e.g. {name}[{key!r}] = {name}[{key!r}].astype(np.float64)"
            )
        if not value.flags.writeable:
            raise ValueError(f"{name}[{key!r}] is a read-only array and cannot be updated in place; pass a copy")
    elif not _is_real_number(value):
        raise TypeError(
            f"{name}[{key!r}] must be a floating-point NumPy array (it is updated in place) or a number; "
            f"got {type(value).__name__}"
        )


def check_distinct(arrays, name):
    """Raise ValueError if two keys of the dict ``arrays`` hold the same NumPy array (or views
    of the same numbers): updating both in place would change those numbers twice.
    Defined in the appendix on argument checking (docs/appendix-robustness.md).
    """
    by_owner = {}  # arrays that share memory have the same owner (the array at the end of .base)
    for key, array in arrays.items():
        if isinstance(array, np.ndarray):
            owner = array
            while isinstance(owner.base, np.ndarray):
                owner = owner.base
            by_owner.setdefault(id(owner), []).append(key)
    for keys in by_owner.values():
        for i, first in enumerate(keys):
            for second in keys[i + 1 :]:
                if np.shares_memory(arrays[first], arrays[second]):
                    raise ValueError(
                        f"{name}[{first!r}] and {name}[{second!r}] are the same array (or share its numbers): "
                        "each update would change them twice; give every key an array of its own"
                    )


def check_update_args(params, grads, optimizer=None, *, states=(), squares=False):
    """Check everything an optimizer's ``update(params, grads)`` needs, before anything changes.

    ``params`` is a dict of floating-point NumPy arrays (updated in place) or Python/NumPy
    numbers (replaced in the dict, as the book's ``params[key] -= ...`` does); ``grads`` has
    the same keys, each a real (integer or float) array or number of its parameter's shape.
    Integer and read-only arrays are refused; with ``squares=True`` (optimizers that square
    the gradient) float16 is refused too. ``states``: the optimizer's per-key state dicts,
    whose existing entries must have the parameter's shape. With ``optimizer`` given, its
    hyperparameters are checked again (``check_hyperparameters``) and the first
    non-finite gradient it sees is reported once with a RuntimeWarning.
    Raises TypeError or ValueError naming the key.
    Defined in the appendix on argument checking (docs/appendix-robustness.md).
    """
    if optimizer is not None:
        check_hyperparameters(optimizer)
    if not isinstance(params, MutableMapping) or not isinstance(grads, Mapping):
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
        grad = grads[key]
        check_updatable("params", key, param)
        if not (_is_real_array(grad) or _is_real_number(grad)):
            raise TypeError(
                f"grads[{key!r}] must be a NumPy array of real numbers (or a number) shaped like params[{key!r}]; "
                f"got {type(grad).__name__}{' of dtype ' + str(grad.dtype) if isinstance(grad, np.ndarray) else ''}"
            )
        if np.shape(grad) != np.shape(param):
            raise ValueError(
                f"grads[{key!r}] has shape {np.shape(grad)}, but params[{key!r}] has shape {np.shape(param)}"
            )
        if squares and np.float16 in (np.result_type(param), np.result_type(grad)):
            raise TypeError(
                f"params[{key!r}] or grads[{key!r}] is float16: the squared gradients of this optimizer "
                "underflow to 0 in float16 and the steps blow up; use float32 (e.g. .astype(np.float32))"
            )
        for state in states:
            if key in state and np.shape(state[key]) != np.shape(param):
                raise ValueError(
                    f"params[{key!r}] has shape {np.shape(param)}, but this optimizer's state for it has shape "
                    f"{np.shape(state[key])}: the parameter was replaced; create a new optimizer for the new network"
                )
    check_distinct(params, "params")
    if optimizer is not None and not getattr(optimizer, "warned_not_finite", False):
        bad = [key for key, grad in grads.items() if not _all_finite(grad)]
        if bad:
            optimizer.warned_not_finite = True
            warnings.warn(
                f"{type(optimizer).__name__}: grads[{bad[0]!r}] contains nan or inf. It will stay in the parameter "
                "and in the optimizer's state; lower the learning rate and start again with a new optimizer "
                "(this warning is shown once per optimizer)",
                RuntimeWarning,
                stacklevel=3,
            )


def state_for(state, key, param):
    """The optimizer state of ``key`` in the dict ``state``, created as zeros the first
    time ``key`` is seen: like ``param`` for an array, a 0-d float array for a number.

    Raises ValueError if ``param`` no longer has the shape the state was made for.
    Defined in the appendix on argument checking (docs/appendix-robustness.md).
    """
    array = state.get(key)
    if array is None:
        if isinstance(param, np.ndarray):
            array = np.zeros_like(param)
        else:
            array = np.zeros((), dtype=np.result_type(param, 1.0))
        state[key] = array
    elif array.shape != np.shape(param):
        raise ValueError(
            f"params[{key!r}] has shape {np.shape(param)}, but this optimizer's state for it has shape "
            f"{array.shape}: the parameter was replaced; create a new optimizer for the new network"
        )
    return array
