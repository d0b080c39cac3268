# Generated from docs/appendix-speed.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["FastMultiLayerNet", "adam_loop", "adam_kernel", "FastAdam"]


# --- from docs/appendix-speed.md ---
import math

import numpy as np

from zerodl.layers import Relu
from zerodl.optimizers import Adam, check_update_args, state_for


class FastMultiLayerNet:
    """The ReLU network of a ``MultiLayerNet``, trained without temporaries.

    The constructor copies the weights of ``network`` (a ``MultiLayerNet``
    with ``activation='relu'``) into one flat array ``flat_params``;
    ``params['W1']``, ``params['b1']``, ... are views into it, and
    ``grads`` are views into ``flat_grads``. ``gradient(x, t)`` computes
    the same gradients as ``MultiLayerNet.gradient`` into ``grads``, in
    buffers allocated once per batch size, and stores the batch's loss in
    ``loss_value``. ``x`` must have the network's dtype; ``t`` holds integer
    labels. Defined in the appendix 高速化 (docs/appendix-speed.md).
    """

    def __init__(self, network):
        for name, layer in network.layers.items():
            if name.startswith("Activation") and not isinstance(layer, Relu):
                raise ValueError(
                    f"FastMultiLayerNet supports ReLU networks only, but {name} is {type(layer).__name__}; "
                    "build the MultiLayerNet with activation='relu', or train it in its textbook form"
                )
        self.layer_num = network.hidden_layer_num + 1
        self.dtype = network.params["W1"].dtype
        keys = [f"{kind}{i}" for i in range(1, self.layer_num + 1) for kind in ("W", "b")]
        total = sum(network.params[key].size for key in keys)
        self.flat_params = np.empty(total, dtype=self.dtype)
        self.flat_grads = np.zeros(total, dtype=self.dtype)
        self.params, self.grads = {}, {}
        start = 0
        for key in keys:
            shape, size = network.params[key].shape, network.params[key].size
            self.params[key] = self.flat_params[start : start + size].reshape(shape)
            self.grads[key] = self.flat_grads[start : start + size].reshape(shape)
            self.params[key][...] = network.params[key]
            start += size
        self.loss_value = None
        self._outs = self._douts = None

    def _buffers(self, batch_size):
        """Each layer's output and the gradient for it, allocated once per batch size."""
        if self._outs is None or len(self._outs[0]) != batch_size:
            widths = [self.params[f"W{i}"].shape[1] for i in range(1, self.layer_num + 1)]
            self._outs = [np.empty((batch_size, n), dtype=self.dtype) for n in widths]
            self._douts = [np.empty((batch_size, n), dtype=self.dtype) for n in widths]
        return self._outs, self._douts

    def _check_x(self, x):
        x = np.asarray(x)
        n_in = self.params["W1"].shape[0]
        if x.ndim != 2 or x.shape[1] != n_in:
            raise ValueError(f"x must have shape (batch_size, {n_in}); got {x.shape}")
        if len(x) == 0:
            raise ValueError("x is an empty batch (0 rows); a batch needs at least one example")
        return x

    def _check_labels(self, t, n):
        """``t`` as integer labels for ``n`` rows, each in 0 .. classes - 1."""
        t = np.asarray(t)
        if t.shape != (n,) or not np.issubdtype(t.dtype, np.integer):
            raise ValueError(
                f"t must hold one integer label per row of x, shape ({n},); got {t.dtype} array "
                f"of shape {t.shape} (for one-hot rows pass t.argmax(axis=1), for a column t.ravel())"
            )
        classes = self.params[f"W{self.layer_num}"].shape[1]
        low, high = t.min(), t.max()
        if low < 0 or high >= classes:  # a negative label would silently pick a class from the end
            raise ValueError(f"labels must be 0 .. {classes - 1} (the network has {classes} classes); t has {low} .. {high}")
        return t

    def _check_batch(self, x, t):
        x = self._check_x(x)
        if x.dtype != self.dtype:
            raise TypeError(
                f"x is {x.dtype} but the network is {self.dtype}: convert the data once before training, "
                f"e.g. x_train = x_train.astype(np.{self.dtype.name}), not in every step"
            )
        return x, self._check_labels(t, len(x))

    def gradient(self, x, t):
        """Gradients of the mean cross-entropy loss, written into ``self.grads`` (returned)."""
        x, t = self._check_batch(x, t)
        outs, douts = self._buffers(len(x))
        params, grads = self.params, self.grads
        last = self.layer_num
        # Forward: out = h @ W + b, then ReLU in place (not after the last layer).
        h = x
        for i in range(1, last + 1):
            out = outs[i - 1]
            np.matmul(h, params[f"W{i}"], out=out)
            out += params[f"b{i}"]
            if i < last:
                np.maximum(out, 0, out=out)
            h = out
        # Softmax with loss, in place on the scores h; dout = (softmax(h) - onehot(t)) / N.
        rows = np.arange(len(t))
        h -= h.max(axis=1, keepdims=True)
        np.exp(h, out=h)
        sums = h.sum(axis=1, keepdims=True)
        # The loss SoftmaxWithLoss computes (the book's): -log(y_k + 1e-7), averaged over the batch.
        self.loss_value = float(-np.sum(np.log(h[rows, t] / sums[:, 0] + 1e-7)) / len(t))
        dout = douts[-1]
        np.divide(h, sums, out=dout)
        dout[rows, t] -= 1
        dout *= 1 / len(t)
        # Backward: dW = h_in.T @ dout, db = column sums of dout, dh_in = dout @ W.T.
        for i in range(last, 0, -1):
            h_in = x if i == 1 else outs[i - 2]
            np.matmul(h_in.T, dout, out=grads[f"W{i}"])
            np.sum(dout, axis=0, out=grads[f"b{i}"])
            if i > 1:  # the input's gradient of layer 1 would be thrown away: skip it
                dh = douts[i - 2]
                np.matmul(dout, params[f"W{i}"].T, out=dh)
                dh *= h_in > 0  # ReLU backward: its output is > 0 exactly where its input was
                dout = dh
        return grads

    def predict(self, x):
        """Scores (before softmax) for ``x``, any number of rows (allocates; for evaluation)."""
        h = self._check_x(x).astype(self.dtype, copy=False)
        for i in range(1, self.layer_num + 1):
            h = h @ self.params[f"W{i}"] + self.params[f"b{i}"]
            if i < self.layer_num:
                h = np.maximum(h, 0)
        return h

    def accuracy(self, x, t):
        """Fraction of ``x`` classified as ``t`` (integer labels, or one-hot rows as in the book)."""
        x, t = self._check_x(x), np.asarray(t)
        if t.ndim == 2 and t.shape[1] == self.params[f"W{self.layer_num}"].shape[1]:
            if not (np.isin(t, (0, 1)).all() and (t.sum(axis=1) == 1).all()):
                raise ValueError("one-hot t must have exactly one 1 (and zeros) in every row")
            t = t.argmax(axis=1)
        t = self._check_labels(t, len(x))
        return float(np.mean(np.argmax(self.predict(x), axis=1) == t))


def adam_loop(grad, m, v, param, c1, c2, lr_t, eps):
    """Chapter 6's Adam on flat arrays, one element at a time in a single pass.

    The operations and their order are those of FastAdam's NumPy passes
    (and chapter 6's lines), so the results are the same bit for bit when
    ``c1 = 1 - beta1``, ``c2 = 1 - beta2``, ``lr_t`` and ``eps`` are numbers of
    the arrays' dtype. Slow in Python; ``adam_kernel()`` compiles it.
    """
    for i in range(grad.size):
        g = grad[i]
        m_i = m[i] + c1 * (g - m[i])  # m += (1 - beta1) * (grad - m)
        v_i = v[i] + c2 * (g * g - v[i])  # v += (1 - beta2) * (grad * grad - v)
        m[i], v[i] = m_i, v_i
        param[i] -= m_i * lr_t / (np.sqrt(v_i) + eps)  # param -= lr_t * m / (np.sqrt(v) + eps)


_ADAM_KERNEL = None


def adam_kernel():
    """``adam_loop`` compiled by numba (once per process), or None if numba is not installed."""
    global _ADAM_KERNEL
    if _ADAM_KERNEL is None:
        try:
            import numba
        except ImportError:
            _ADAM_KERNEL = False
        else:
            # nogil: threads can run it side by side; error_model="numpy": a division is a plain
            # IEEE division as in NumPy (no check for zero, which would stop the loop's vectorization)
            _ADAM_KERNEL = numba.njit(nogil=True, error_model="numpy")(adam_loop)
    return _ADAM_KERNEL or None


import os
from concurrent.futures import ThreadPoolExecutor

KERNELS = ("auto", "numba", "numpy")
MAX_THREADS = max(64, os.cpu_count() or 1)  # more threads than cores only add overhead


class FastAdam(Adam):
    """Adam with the same arithmetic as chapter 6's ``Adam``, bit for bit,
    done in place without temporaries.

    Pass ``{"all": net.flat_params}`` and ``{"all": net.flat_grads}`` of a
    ``FastMultiLayerNet`` to update every parameter with one call.
    ``kernel="numba"`` updates each parameter in one compiled pass
    (``adam_loop``); ``kernel="numpy"`` in twelve NumPy operations on two
    work arrays per parameter; ``"auto"`` (the default) uses numba when it is
    installed. ``self.kernel`` says which one runs (a strided parameter, or a
    gradient of another dtype, always takes the NumPy operations; for the latter
    m and v are computed in the wider dtype, as chapter 6's lines do, with temporaries).
    With ``threads=n`` (1 < n <= MAX_THREADS) large parameters are cut into n parts
    updated at the same time by n threads (both kernels release the GIL while they
    compute). Defined in the appendix 高速化 (docs/appendix-speed.md).
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7, threads=1, kernel="auto"):
        super().__init__(lr, beta1, beta2, eps)
        if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= MAX_THREADS:
            raise ValueError(
                f"threads must be a whole number from 1 to {MAX_THREADS} (e.g. the number of cores: "
                f"more threads only add overhead); got {threads!r}"
            )
        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}; got {kernel!r}")
        self._loop = adam_kernel() if kernel != "numpy" else None
        if kernel == "numba" and self._loop is None:
            raise ImportError(
                "FastAdam(kernel='numba') needs numba: pip install numba (or pip install 'zerodl[fast]'); "
                "kernel='numpy' gives the same results without it"
            )
        self.kernel = "numpy" if self._loop is None else "numba"
        self.threads = threads
        self.work_a, self.work_b = {}, {}
        self._pool = None

    def update(self, params, grads):
        check_update_args(params, grads, self, squares=True)  # as chapter 6's Adam: float16 refused
        self._check_in_place(params, grads)  # everything, before anything changes
        self.iter += 1
        for key, param in params.items():
            m, v = state_for(self.m, key, param), state_for(self.v, key, param)
            t = self.t[key] = self.t.get(key, 0) + 1
            lr_t = self.lr * math.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)  # a Python float
            arrays = (grads[key], m, v, param)
            contiguous = all(x.flags.c_contiguous for x in arrays)
            # Handing half of the work to another thread costs tens of microseconds: it pays above
            # 2**15 elements for the NumPy operations, but only above about 2**19 for the compiled
            # pass, which is that much faster (measured on 2 cores): ``smallest`` to split.
            if self._loop is not None and contiguous and grads[key].dtype == param.dtype:
                part, smallest = self._loop_part, 2**19  # one compiled pass
            else:  # twelve NumPy operations (also for a gradient of another dtype, or strided arrays)
                part, smallest = self._update_part, 2**15
                arrays += (state_for(self.work_a, key, param), state_for(self.work_b, key, param))
                contiguous = contiguous and all(x.flags.c_contiguous for x in arrays[4:])
            if self.threads == 1 or param.size < smallest or not contiguous:
                part(lr_t, *arrays)
            else:
                self._update_in_threads(part, lr_t, arrays)

    def _check_in_place(self, params, grads):
        """Refuse, before any array or count changes, what would stop the update half-way."""
        for key, param in params.items():
            grad = grads[key]
            if not isinstance(param, np.ndarray):
                raise TypeError(
                    f"params[{key!r}] is a {type(param).__name__}: FastAdam updates arrays in place; "
                    "use chapter 6's Adam for numbers (it replaces them in the dict, as the book does)"
                )
            if not param.flags.writeable:
                raise ValueError(f"params[{key!r}] is read-only; the update writes into it (pass a writable array)")
            if not isinstance(grad, np.ndarray) or grad.dtype.kind not in "fiu":
                raise TypeError(
                    f"grads[{key!r}] must be a NumPy array of real numbers; "
                    f"got {type(grad).__name__} of dtype {getattr(grad, 'dtype', None)}"
                )
            for state in (self.m, self.v, self.work_a, self.work_b):
                old = state.get(key)
                if old is not None and (old.shape != param.shape or old.dtype != param.dtype):
                    raise ValueError(
                        f"params[{key!r}] is {param.dtype} of shape {param.shape}, but this optimizer's state "
                        f"for it is {old.dtype} of shape {old.shape}: the parameter was replaced; "
                        "create a new FastAdam for the new network"
                    )

    def _loop_part(self, lr_t, grad, m, v, param):
        number = param.dtype.type  # the constants in the arrays' dtype, as NumPy casts a Python float
        self._loop(grad.reshape(-1), m.reshape(-1), v.reshape(-1), param.reshape(-1),
                   number(1 - self.beta1), number(1 - self.beta2), number(lr_t), number(self.eps))

    def _update_part(self, lr_t, grad, m, v, param, a, b):
        if grad.dtype != param.dtype:  # chapter 6's lines compute these in the wider dtype: so do we
            m += (1 - self.beta1) * (grad - m)
            v += (1 - self.beta2) * (grad * grad - v)
        else:
            np.subtract(grad, m, out=a)  # m += (1 - beta1) * (grad - m)
            a *= 1 - self.beta1
            m += a
            np.multiply(grad, grad, out=a)  # v += (1 - beta2) * (grad * grad - v)
            a -= v
            a *= 1 - self.beta2
            v += a
        np.multiply(m, lr_t, out=a)  # param -= lr_t * m / (np.sqrt(v) + eps)
        np.sqrt(v, out=b)
        b += self.eps
        a /= b
        param -= a

    def _update_in_threads(self, part, lr_t, arrays):
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.threads - 1)
        flat = [x.reshape(-1) for x in arrays]  # views: the arrays are contiguous
        bounds = [flat[0].size * i // self.threads for i in range(self.threads + 1)]
        parts = [[x[lo:hi] for x in flat] for lo, hi in zip(bounds[:-1], bounds[1:])]
        others = [self._pool.submit(part, lr_t, *each) for each in parts[1:]]
        part(lr_t, *parts[0])
        for future in others:
            future.result()
