"""Appendix 高速化 (zerodl.fast): the fast form computes what the textbook form
computes. Gradients against a central difference written here; several steps
of both forms from the same initial weights on the same batches; FastAdam
against Adam's equations written out and against chapter 6's Adam; no
per-step temporaries; clear errors for input the fast form does not take."""

from __future__ import annotations

import math
import os
import tracemalloc

import numpy as np
import pytest

from zerodl.fast import FastAdam, FastMultiLayerNet
from zerodl.network import MultiLayerNet
from zerodl.optimizers import Adam


def net_for(dtype=np.float64, sizes=(784, 200, 200, 10), seed=8):
    np.random.seed(seed)
    return MultiLayerNet(sizes[0], list(sizes[1:-1]), sizes[-1], weight_init_std="relu", dtype=dtype)


def batch(rng, n, n_in=784, dtype=np.float64):
    return rng.random((n, n_in)).astype(dtype), rng.integers(0, 10, n)


def mean_cross_entropy(scores, t):
    """The exact loss written out: mean over rows of log(sum(exp(s))) - s[t], in float64."""
    s = scores.astype(np.float64)
    s = s - s.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(s).sum(axis=1)) - s[np.arange(len(t)), t]))


def books_cross_entropy(scores, t):
    """The book's loss (SoftmaxWithLoss's default) written out: mean of -log(y_k + 1e-7), in float64."""
    s = scores.astype(np.float64)
    y = np.exp(s - s.max(axis=1, keepdims=True))
    y /= y.sum(axis=1, keepdims=True)
    return float(np.mean(-np.log(y[np.arange(len(t)), t] + 1e-7)))


def test_gradient_matches_central_differences():
    rng = np.random.default_rng(8)
    fast = FastMultiLayerNet(net_for(sizes=(6, 5, 4, 3)))
    x, t = rng.normal(size=(4, 6)), rng.integers(0, 3, 4)
    grads = fast.gradient(x, t)
    assert fast.loss_value == pytest.approx(books_cross_entropy(fast.predict(x), t), rel=1e-12)
    h = 1e-6  # the gradient is the exact loss's derivative, as SoftmaxWithLoss's backward
    for key, param in fast.params.items():
        expected = np.empty_like(param)
        for idx in np.ndindex(param.shape):
            keep = param[idx]
            param[idx] = keep + h
            up = mean_cross_entropy(fast.predict(x), t)
            param[idx] = keep - h
            down = mean_cross_entropy(fast.predict(x), t)
            param[idx] = keep
            expected[idx] = (up - down) / (2 * h)
        np.testing.assert_allclose(grads[key], expected, rtol=1e-5, atol=1e-8, err_msg=key)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-key"])
def test_both_forms_train_identically(dtype, flat):
    """Same initial weights, same batches (sizes 100, 100, 7, 100, ...): same losses, gradients, parameters."""
    net = net_for(dtype)
    fast = FastMultiLayerNet(net)
    adam, fast_adam = Adam(), FastAdam()
    rng = np.random.default_rng(8)
    tol = {"rtol": 1e-4, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-13}
    for step, n in enumerate([100, 100, 7, 100, 100, 32]):
        x, t = batch(rng, n, dtype=dtype)
        grads = net.gradient(x, t)
        fast_grads = fast.gradient(x, t)
        assert fast.loss_value == pytest.approx(net.last_layer.loss, rel=tol["rtol"])
        for key in net.params:
            np.testing.assert_allclose(fast_grads[key], grads[key], **tol, err_msg=f"step {step} d{key}")
        adam.update(net.params, grads)
        if flat:
            fast_adam.update({"all": fast.flat_params}, {"all": fast.flat_grads})
        else:
            fast_adam.update(fast.params, fast.grads)
        for key in net.params:
            assert fast.params[key].dtype == dtype
            np.testing.assert_allclose(fast.params[key], net.params[key], **tol, err_msg=f"step {step} {key}")
    x, t = batch(rng, 50, dtype=dtype)
    np.testing.assert_allclose(fast.predict(x), net.predict(x), **tol)
    assert fast.accuracy(x, t) == net.accuracy(x, t)


KERNELS = ["numba", "numpy"]


@pytest.mark.parametrize("kernel", KERNELS)
def test_fast_adam_follows_the_equations_written_out(kernel):
    """Equations (1), (2), (6) of chapter 6 by hand, per element, in float64."""
    rng = np.random.default_rng(8)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    params = {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}
    expect = {k: v.copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    adam = FastAdam(lr=lr, kernel=kernel)
    assert adam.kernel == kernel
    for t in range(1, 31):
        grads = {k: rng.normal(size=p.shape) for k, p in params.items()}
        adam.update(params, grads)
        for k in params:
            m[k] = b1 * m[k] + (1 - b1) * grads[k]
            v[k] = b2 * v[k] + (1 - b2) * grads[k] ** 2
            expect[k] = expect[k] - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m[k] / (np.sqrt(v[k]) + eps)
            np.testing.assert_allclose(params[k], expect[k], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(adam.m[k], m[k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_adam_is_chapter_6_adam_bit_for_bit(dtype, threads, kernel):
    rng = np.random.default_rng(8)
    # W is large enough to be cut into parts when threads > 1 (2**15 elements for NumPy's
    # operations, 2**19 for the compiled pass); b is not
    shape = (800, 700) if kernel == "numba" else (300, 200)
    p1 = {"W": rng.normal(size=shape).astype(dtype), "b": rng.normal(size=20).astype(dtype)}
    p2 = {k: v.copy() for k, v in p1.items()}
    adam, fast_adam = Adam(lr=0.01), FastAdam(lr=0.01, threads=threads, kernel=kernel)
    for _ in range(20):
        grads = {k: rng.normal(size=v.shape).astype(dtype) for k, v in p1.items()}
        adam.update(p1, grads)
        fast_adam.update(p2, grads)
    for k in p1:
        assert p2[k].dtype == dtype
        np.testing.assert_array_equal(p2[k], p1[k])
        np.testing.assert_array_equal(fast_adam.v[k], adam.v[k])
    assert (fast_adam._pool is not None) == (threads > 1), "W was cut into parts for the threads"


@pytest.mark.parametrize("case", ["float64 gradient", "transposed view"])
def test_what_the_compiled_loop_cannot_take_goes_through_the_numpy_operations(case):
    """A gradient of another dtype and a non-contiguous parameter are updated by the NumPy
    operations, so kernel='numba' gives what kernel='numpy' gives, bit for bit."""
    rng = np.random.default_rng(8)
    if case == "float64 gradient":
        p1 = {"W": rng.normal(size=(60, 50)).astype(np.float32)}
    else:
        p1 = {"W": rng.normal(size=(50, 60)).T}  # Fortran order
    p2 = {k: v.copy(order="K") for k, v in p1.items()}
    numpy_adam, numba_adam = FastAdam(lr=0.01, kernel="numpy"), FastAdam(lr=0.01, kernel="numba")
    for _ in range(10):
        grads = {"W": rng.normal(size=(60, 50))}
        numpy_adam.update(p1, grads)
        numba_adam.update(p2, grads)
    np.testing.assert_array_equal(p2["W"], p1["W"])
    assert numba_adam.work_a, "the NumPy operations ran (with their work arrays)"


def test_the_default_kernel_is_numba_when_it_is_installed():
    numba = pytest.importorskip("numba") if os.environ.get("CI", "").lower() not in {"1", "true", "yes"} else None
    if numba is None:
        import numba  # noqa: F401  (CI installs the test extra, which has numba: a missing numba fails here)
    assert FastAdam().kernel == "numba"
    assert FastAdam(kernel="numpy").kernel == "numpy"


def test_without_numba_auto_falls_back_and_numba_is_refused_with_the_fix(monkeypatch):
    # FastAdam's own module globals: another test may have imported zerodl.fast afresh since
    monkeypatch.setitem(FastAdam.__init__.__globals__, "_ADAM_KERNEL", False)  # as if `import numba` had failed
    assert FastAdam().kernel == "numpy"
    with pytest.raises(ImportError, match=r"pip install numba.*kernel='numpy'"):
        FastAdam(kernel="numba")


@pytest.mark.parametrize("kernel", ["fused", None, "NUMBA"])
def test_fast_adam_kernel_must_be_one_of_the_names(kernel):
    with pytest.raises(ValueError, match="kernel must be one of"):
        FastAdam(kernel=kernel)


@pytest.mark.parametrize("threads", [0, 1.5, "2", True])
def test_fast_adam_threads_must_be_a_whole_number(threads):
    with pytest.raises(ValueError, match="threads must be a whole number"):
        FastAdam(threads=threads)


def test_params_and_grads_are_views_of_one_flat_array():
    fast = FastMultiLayerNet(net_for(sizes=(6, 5, 3)))
    sizes = [p.size for p in fast.params.values()]
    assert fast.flat_params.size == fast.flat_grads.size == sum(sizes) == 6 * 5 + 5 + 5 * 3 + 3
    for key in fast.params:
        assert np.shares_memory(fast.params[key], fast.flat_params)
        assert np.shares_memory(fast.grads[key], fast.flat_grads)
    fast.flat_params[:] = 0.5
    assert all(np.all(p == 0.5) for p in fast.params.values())


def test_the_textbook_network_is_copied_not_shared():
    net = net_for(sizes=(6, 5, 3))
    fast = FastMultiLayerNet(net)
    before = {k: v.copy() for k, v in net.params.items()}
    rng = np.random.default_rng(8)
    x, t = rng.normal(size=(4, 6)), rng.integers(0, 3, 4)
    FastAdam(lr=0.1).update(fast.params, fast.gradient(x, t))
    for key in net.params:
        np.testing.assert_array_equal(net.params[key], before[key])
        assert not np.array_equal(fast.params[key], before[key]), key


def peak_bytes(call):
    call()  # buffers and optimizer state are created on the first call
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - before


def test_a_fast_step_makes_no_large_temporaries():
    rng = np.random.default_rng(8)
    x, t = batch(rng, 100, dtype=np.float32)
    net = net_for(np.float32)
    fast, adam, fast_adam = FastMultiLayerNet(net), Adam(), FastAdam()
    flat = ({"all": fast.flat_params}, {"all": fast.flat_grads})

    def fast_step():
        fast.gradient(x, t)
        fast_adam.update(*flat)

    def textbook_step():
        adam.update(net.params, net.gradient(x, t))

    one_layer_output = 100 * 200 * 4  # bytes of one (100, 200) float32 array
    fast_peak, textbook_peak = peak_bytes(fast_step), peak_bytes(textbook_step)
    assert fast_peak < one_layer_output, fast_peak  # only small scratch (row maxima, a ReLU mask)
    assert textbook_peak > 20 * fast_peak
    assert peak_bytes(lambda: fast_adam.update(*flat)) < 4096  # the optimizer: nothing but Python floats


def test_changing_batch_size_reallocates_buffers():
    rng = np.random.default_rng(8)
    net = net_for(sizes=(784, 20, 10))
    fast = FastMultiLayerNet(net)
    for n in (10, 3, 10):
        x, t = batch(rng, n)
        grads = net.gradient(x, t)
        fast_grads = fast.gradient(x, t)
        for key in grads:
            np.testing.assert_allclose(fast_grads[key], grads[key], rtol=1e-10, atol=1e-14)


def test_sigmoid_networks_are_refused():
    np.random.seed(8)
    net = MultiLayerNet(6, [5], 3, activation="sigmoid")
    with pytest.raises(ValueError, match="activation='relu'"):
        FastMultiLayerNet(net)


def test_input_of_another_dtype_is_refused_with_the_fix():
    fast = FastMultiLayerNet(net_for(np.float32, sizes=(6, 5, 3)))
    with pytest.raises(TypeError, match=r"astype\(np.float32\)"):
        fast.gradient(np.zeros((2, 6)), np.array([0, 1]))


def test_one_hot_labels_and_bad_shapes_are_refused():
    fast = FastMultiLayerNet(net_for(sizes=(6, 5, 3)))
    x = np.zeros((2, 6))
    with pytest.raises(ValueError, match=r"argmax\(axis=1\)"):
        fast.gradient(x, np.eye(3)[[0, 1]])
    with pytest.raises(ValueError, match=r"shape \(batch_size, 6\)"):
        fast.gradient(np.zeros((2, 7)), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        fast.gradient(x, np.array([0, 1, 2]))


# --- labels the fast network cannot score; updates that must not stop half-way ------------------


@pytest.mark.parametrize(
    "t, message",
    [
        (np.array([[0], [1]]), r"shape \(2,\).*t\.ravel\(\)"),
        (np.array([0, 1, 2]), r"shape \(2,\)"),
        (np.array([0.0, 1.0]), r"integer label"),
        (np.array([0, -1]), r"labels must be 0 \.\. 2 .* t has -1 \.\. 0"),
        (np.array([3, 0]), r"labels must be 0 \.\. 2 .* t has 0 \.\. 3"),
    ],
    ids=["column", "length", "float", "negative", "too large"],
)
def test_labels_the_network_cannot_score_are_refused(t, message):
    fast = FastMultiLayerNet(net_for(sizes=(6, 5, 3)))
    x = np.zeros((2, 6))
    with pytest.raises(ValueError, match=message):
        fast.gradient(x, t)
    with pytest.raises(ValueError, match=message):
        fast.accuracy(x, t)
    assert fast.loss_value is None, "nothing was computed"


def test_a_negative_label_would_have_scored_the_last_class():
    """Why -1 is refused: NumPy indexing would silently read the last class instead."""
    scores = np.array([[0.0, 1.0, 5.0]])
    assert scores[np.arange(1), np.array([-1])][0] == scores[0, 2]


def test_an_empty_batch_is_refused():
    fast = FastMultiLayerNet(net_for(sizes=(6, 5, 3)))
    with pytest.raises(ValueError, match="empty batch"):
        fast.gradient(np.zeros((0, 6)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="empty batch"):
        fast.accuracy(np.zeros((0, 6)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match=r"shape \(batch_size, 6\)"):
        fast.predict(np.zeros(6))


def test_accuracy_takes_one_hot_rows_like_the_book_and_refuses_other_rows():
    rng = np.random.default_rng(8)
    net = net_for(sizes=(6, 5, 3))
    fast = FastMultiLayerNet(net)
    x, t = rng.normal(size=(20, 6)), rng.integers(0, 3, 20)
    assert fast.accuracy(x, np.eye(3)[t]) == fast.accuracy(x, t) == net.accuracy(x, t)
    for bad in (np.zeros((20, 3)), np.full((20, 3), 1 / 3), np.eye(3)[t] * 2):
        with pytest.raises(ValueError, match="one-hot"):
            fast.accuracy(x, bad)


def snapshot(params, adam):
    copy = lambda d: {k: np.array(v, copy=True) for k, v in d.items()}  # noqa: E731
    return copy(params), copy(adam.m), copy(adam.v), copy(adam.work_a), copy(adam.work_b), dict(adam.t), adam.iter


def assert_same(before, after):
    for one, two in zip(before[:5], after[:5]):
        assert one.keys() == two.keys()
        for key in one:
            np.testing.assert_array_equal(one[key], two[key])
    assert before[5:] == after[5:]


def two_params(rng):
    return {"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}


@pytest.mark.parametrize("first_update", [False, True], ids=["fresh", "after one update"])
@pytest.mark.parametrize(
    "spoil, error",
    [
        ("read-only", ValueError),
        ("list gradient", TypeError),
        ("complex gradient", TypeError),
        ("object gradient", TypeError),
        ("string gradient", TypeError),
    ],
)
def test_a_failed_update_changes_no_parameter_and_no_state(spoil, error, first_update):
    rng = np.random.default_rng(8)
    params = two_params(rng)
    grads = {key: rng.normal(size=p.shape) for key, p in params.items()}
    adam = FastAdam(lr=0.1)
    if first_update:
        adam.update(params, grads)
    grads = dict(grads)
    if spoil == "read-only":
        params["b"].flags.writeable = False
    elif spoil == "list gradient":
        grads["b"] = grads["b"].tolist()
    elif spoil == "complex gradient":
        grads["b"] = grads["b"] + 1j
    elif spoil == "object gradient":
        grads["b"] = grads["b"].astype(object)
    else:
        grads["b"] = np.array(["x"] * 4)
    before = snapshot(params, adam)
    with pytest.raises(error, match=r"\['b'\]"):
        adam.update(params, grads)
    assert_same(before, snapshot(params, adam))  # W (the key before b) was not updated either


@pytest.mark.parametrize("change", ["shape", "dtype"])
def test_a_replaced_parameter_is_refused_before_anything_changes(change):
    rng = np.random.default_rng(8)
    params = two_params(rng)
    adam = FastAdam(lr=0.1)
    adam.update(params, {key: np.ones_like(p) for key, p in params.items()})
    params["b"] = rng.normal(size=5) if change == "shape" else params["b"].astype(np.float32)
    grads = {key: np.ones_like(p) for key, p in params.items()}
    before = snapshot(params, adam)
    with pytest.raises(ValueError, match=r"params\['b'\].*create a new"):
        adam.update(params, grads)
    assert_same(before, snapshot(params, adam))


def test_fast_adam_refuses_numbers_and_float16_before_changing_anything():
    """FastAdam works in place on arrays: a number is refused (chapter 6's Adam takes numbers),
    and float16 is refused as chapter 6's Adam refuses it (the squared gradients underflow)."""
    from zerodl.fast import FastAdam

    W = np.ones(3)
    params = {"W": W, "x": 1.0}
    with pytest.raises(TypeError, match="use chapter 6's Adam for numbers"):
        FastAdam().update(params, {"W": np.ones(3), "x": 0.5})
    assert params["x"] == 1.0 and np.array_equal(W, np.ones(3))
    half = {"W": np.ones(3, dtype=np.float16)}
    optimizer = FastAdam()
    with pytest.raises(TypeError, match="float16"):
        optimizer.update(half, {"W": np.full(3, 1e-4, dtype=np.float16)})
    assert np.array_equal(half["W"], np.ones(3)) and not optimizer.m and not optimizer.t


def test_fast_adam_refuses_one_array_under_two_keys():
    W = np.ones(4)
    with pytest.raises(ValueError, match=r"params\['a'\] and params\['b'\] are the same array"):
        FastAdam().update({"a": W, "b": W}, {"a": np.ones(4), "b": np.ones(4)})
    np.testing.assert_array_equal(W, np.ones(4))


@pytest.mark.parametrize("kernel", ["numpy", "auto"])
@pytest.mark.parametrize("param_dtype, grad_dtype", [(np.float32, np.float64), (np.float32, np.int64), (np.float64, np.float32)])
@pytest.mark.parametrize("threads", [1, 2])
def test_fast_adam_is_adam_bit_for_bit_with_a_gradient_of_another_dtype(kernel, param_dtype, grad_dtype, threads):
    """The docstring's promise for mixed dtypes too (float32 W, float64 gradients differed by 2.4e-7)."""
    rng = np.random.default_rng(8)
    p1 = {"W": rng.normal(size=(300, 200)).astype(param_dtype), "b": rng.normal(size=20).astype(param_dtype)}
    p2 = {k: v.copy() for k, v in p1.items()}
    adam, fast_adam = Adam(lr=0.01), FastAdam(lr=0.01, threads=threads, kernel=kernel)
    for _ in range(20):
        grads = {k: (3 * rng.normal(size=v.shape)).astype(grad_dtype) for k, v in p1.items()}
        adam.update(p1, grads)
        fast_adam.update(p2, grads)
    for k in p1:
        assert p2[k].dtype == param_dtype
        np.testing.assert_array_equal(p2[k], p1[k])
        np.testing.assert_array_equal(fast_adam.m[k], adam.m[k])
        np.testing.assert_array_equal(fast_adam.v[k], adam.v[k])


def test_fast_adam_threads_are_bounded():
    from zerodl.fast import MAX_THREADS

    assert MAX_THREADS >= (os.cpu_count() or 1)
    FastAdam(threads=MAX_THREADS)
    with pytest.raises(ValueError, match=rf"threads must be a whole number from 1 to {MAX_THREADS}.*got 100000"):
        FastAdam(threads=10**5)
