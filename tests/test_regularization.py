"""Chapter 10: weight decay (loss and gradient against the formula and a
central-difference gradient written here) and the Dropout layer (mask
statistics, the book's random draws, expected output in both modes, inverted
dropout, backward, bad arguments, and SGD on the book's form as SGD on inverted
dropout with shrunk weights and learning rates)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zerodl.layers import Dropout, SoftmaxWithLoss
from zerodl.network import MultiLayerNet, MultiLayerNetExtend
from numeric import central_difference


def loss_by_hand(params, n_layers, x, t, lam):
    """Mean cross-entropy of a ReLU MLP plus 0.5 * lam * sum of squared weights, written out."""
    h = x
    for idx in range(1, n_layers + 1):
        h = h @ params[f"W{idx}"] + params[f"b{idx}"]
        if idx < n_layers:
            h = np.maximum(h, 0)
    h = h - h.max(axis=1, keepdims=True)
    log_y = h - np.log(np.exp(h).sum(axis=1, keepdims=True))
    cross_entropy = -log_y[np.arange(len(t)), t].mean()
    return cross_entropy + 0.5 * lam * sum(np.sum(params[f"W{idx}"] ** 2) for idx in range(1, n_layers + 1))


def small_problem(seed=3):
    rng = np.random.default_rng(seed)
    return rng, rng.normal(size=(7, 5)), rng.integers(0, 4, size=7)


@pytest.mark.parametrize("cls", [MultiLayerNet, MultiLayerNetExtend])
@pytest.mark.parametrize("lam", [0.0, 0.1, 2.0])
def test_weight_decay_loss_and_gradient_match_the_formula(cls, lam):
    rng, x, t = small_problem()
    np.random.seed(0)
    net = cls(5, [6, 4], 4, weight_decay_lambda=lam)
    net.last_layer = SoftmaxWithLoss(exact=True)  # the loss whose derivative backward returns exactly
    for key in ("b1", "b2", "b3"):  # biases off zero: no ReLU input exactly on the kink
        net.params[key][...] = rng.normal(scale=0.2, size=net.params[key].shape)
    assert np.isclose(net.loss(x, t), loss_by_hand(net.params, 3, x, t, lam), rtol=1e-12)

    grads = net.gradient(x, t)
    for key, param in net.params.items():
        numerical = central_difference(lambda: loss_by_hand(net.params, 3, x, t, lam), param)
        assert np.allclose(grads[key], numerical, rtol=1e-6, atol=1e-8), key


def test_weight_decay_adds_lambda_w_to_weights_only():
    _, x, t = small_problem(4)
    np.random.seed(1)
    plain = MultiLayerNet(5, [6], 4)
    np.random.seed(1)
    decayed = MultiLayerNet(5, [6], 4, weight_decay_lambda=0.3)
    g0, g1 = plain.gradient(x, t), decayed.gradient(x, t)
    for key in ("W1", "W2"):
        np.testing.assert_allclose(g1[key] - g0[key], 0.3 * decayed.params[key], rtol=1e-12, atol=1e-15)
    for key in ("b1", "b2"):
        np.testing.assert_array_equal(g1[key], g0[key])


# --- Dropout -----------------------------------------------------------------


@pytest.mark.parametrize("ratio", [0.0, 0.2, 0.5, 0.9])
def test_dropout_keeps_each_unit_with_probability_one_minus_ratio(ratio):
    np.random.seed(10)
    x = np.ones((300, 400))
    out = Dropout(ratio).forward(x, train_flg=True)
    n = out.size
    kept = np.count_nonzero(out) / n
    sigma = math.sqrt(ratio * (1 - ratio) / n)
    assert abs(kept - (1 - ratio)) <= 5 * sigma + 1e-12
    # rows and columns are not treated differently: every column keeps about the same share
    assert np.abs(np.count_nonzero(out, axis=0) / 300 - (1 - ratio)).max() <= 5 * math.sqrt(ratio * (1 - ratio) / 300) + 1e-12


def test_dropout_draws_the_books_mask():
    """The book: mask = np.random.rand(*x.shape) > dropout_ratio, one draw per forward."""
    x = np.random.default_rng(0).normal(size=(4, 3, 5))
    np.random.seed(42)
    expected_masks = [np.random.rand(*x.shape) > 0.3 for _ in range(3)]
    np.random.seed(42)
    layer = Dropout(0.3)
    for mask in expected_masks:
        np.testing.assert_array_equal(layer.forward(x, train_flg=True), x * mask)
        np.testing.assert_array_equal(layer.mask, mask)


def test_dropout_inference_is_the_expected_training_output():
    x = np.array([[1.5, -2.0, 0.25, 4.0]])
    ratio = 0.35
    layer = Dropout(ratio)
    np.random.seed(5)
    samples = np.stack([layer.forward(x, train_flg=True) for _ in range(40000)])
    inference = layer.forward(x, train_flg=False)
    np.testing.assert_allclose(inference, x * (1 - ratio), rtol=0, atol=1e-15)
    stderr = np.abs(x) * math.sqrt(ratio * (1 - ratio) / len(samples))
    assert np.all(np.abs(samples.mean(axis=0) - inference) <= 5 * stderr)


def test_inverted_dropout_has_the_same_expectation_rule():
    """Inverted dropout (x * mask / (1 - p) at training, x at inference) is the book's form divided by (1 - p)."""
    ratio = 0.5
    x = np.random.default_rng(1).normal(size=(2, 6))
    layer = Dropout(ratio)
    np.random.seed(6)
    book = np.stack([layer.forward(x, train_flg=True) for _ in range(40000)])
    np.random.seed(6)
    masks = np.stack([np.random.rand(*x.shape) > ratio for _ in range(40000)])
    inverted = x * masks / (1 - ratio)
    np.testing.assert_allclose(inverted, book / (1 - ratio), rtol=1e-15)
    stderr = np.abs(x) * math.sqrt(ratio * (1 - ratio) / len(masks)) / (1 - ratio)
    assert np.all(np.abs(inverted.mean(axis=0) - x) <= 5 * stderr)
    assert np.all(np.abs(book.mean(axis=0) - layer.forward(x, train_flg=False)) <= 5 * stderr * (1 - ratio))


def test_dropout_backward_passes_only_kept_units():
    np.random.seed(7)
    layer = Dropout(0.4)
    x = np.random.default_rng(2).normal(size=(5, 8))
    out = layer.forward(x, train_flg=True)
    dout = np.random.default_rng(3).normal(size=x.shape)
    dx = layer.backward(dout)
    kept = out != 0
    np.testing.assert_array_equal(dx[kept], dout[kept])
    np.testing.assert_array_equal(dx[~kept], 0)
    # d(sum(out * dout))/dx by central differences, with the mask held fixed
    numerical = central_difference(lambda: np.sum(x * layer.mask * dout), x)
    np.testing.assert_allclose(dx, numerical, atol=1e-9)


def test_dropout_ratio_zero_changes_nothing():
    x = np.arange(12.0).reshape(3, 4)
    layer = Dropout(0.0)
    np.random.seed(0)
    np.testing.assert_array_equal(layer.forward(x, train_flg=True), x)
    np.testing.assert_array_equal(layer.forward(x, train_flg=False), x)


@pytest.mark.parametrize("bad", [-0.1, 1, 1.0, 1.5, float("nan"), "0.5", None, True])
def test_dropout_rejects_ratios_outside_zero_to_one(bad):
    with pytest.raises(ValueError, match=r"dropout_ratio.*\[0, 1\)"):
        Dropout(bad)


def test_dropout_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="forward"):
        Dropout(0.5).backward(np.ones(3))


@pytest.mark.parametrize("flag", ["no", "False", 1, None])
def test_dropout_refuses_a_train_flg_that_is_not_a_bool(flag):
    """As BatchNormalization does: the string "no" is truthy and would train."""
    layer = Dropout(0.5)
    with pytest.raises(TypeError, match="Dropout.forward: train_flg must be True or False"):
        layer.forward(np.ones((2, 3)), train_flg=flag)
    assert layer.mask is None  # nothing drawn, nothing kept


def test_dropout_takes_numpy_bools():
    x = np.ones((2, 3))
    np.testing.assert_array_equal(Dropout(0.25).forward(x, train_flg=np.bool_(False)), x * 0.75)
    np.random.seed(1)
    a = Dropout(0.5).forward(x, train_flg=np.bool_(True))
    np.random.seed(1)
    np.testing.assert_array_equal(a, Dropout(0.5).forward(x, train_flg=True))


class _InvertedDropout(Dropout):
    """The book's masks scaled by 1 / (1 - ratio) at training time; inference returns x."""

    def forward(self, x, train_flg=True):
        return super().forward(x, train_flg) / (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return super().backward(dout) / (1.0 - self.dropout_ratio)


@pytest.mark.parametrize("ratio", [0.2, 0.5])
def test_book_dropout_sgd_is_inverted_dropout_sgd_with_shrunk_weights_and_rates(ratio):
    """Chapter 10: with the same masks, SGD on the book's form from W is SGD on inverted dropout from
    W'_1 = W_1, W'_k = (1 - p) W_k (k >= 2) with the rate of those W'_k times (1 - p)**2; biases unchanged."""
    rng = np.random.default_rng(11)
    x, t = rng.normal(size=(40, 6)), rng.integers(0, 3, size=40)
    nets = []
    for inverted in (False, True):
        np.random.seed(12)
        net = MultiLayerNetExtend(6, [8, 7, 5], 3, use_dropout=True, dropout_ration=ratio)
        for key in ("b1", "b2", "b3"):  # biases off zero, the same in both
            net.params[key][...] = np.random.default_rng(13).normal(scale=0.1, size=net.params[key].shape)
        if inverted:
            for name in [name for name in net.layers if name.startswith("Dropout")]:
                net.layers[name] = _InvertedDropout(ratio)
        nets.append(net)
    book, twin = nets
    keep, lr = 1 - ratio, 0.05
    shrunk = ("W2", "W3", "W4")
    for key in shrunk:
        twin.params[key] *= keep
    # same outputs before training, in both modes (the next layer absorbs the constant)
    np.testing.assert_allclose(twin.predict(x, train_flg=False), book.predict(x, train_flg=False), rtol=1e-12, atol=1e-14)
    for step in range(20):
        batch = rng.choice(40, 10)
        np.random.seed(100 + step)
        g_book = book.gradient(x[batch], t[batch])
        np.random.seed(100 + step)
        g_twin = twin.gradient(x[batch], t[batch])
        for key in shrunk:
            np.testing.assert_allclose(g_book[key], keep * g_twin[key], rtol=1e-10, atol=1e-14)
        for key in book.params:
            book.params[key] -= lr * g_book[key]
            twin.params[key] -= (lr * keep**2 if key in shrunk else lr) * g_twin[key]
    for key, param in book.params.items():
        np.testing.assert_allclose(twin.params[key], (keep if key in shrunk else 1.0) * param, rtol=1e-10, atol=1e-14)
    np.random.seed(7)
    train_book = book.predict(x, train_flg=True)
    np.random.seed(7)
    np.testing.assert_allclose(twin.predict(x, train_flg=True), train_book, rtol=1e-10, atol=1e-14)
