"""Chapter 3 (and the functions of chapter 2): every layer and the network
against a central-difference gradient written here, independently of
zerodl.gradient, in float64; the batch-mean property; numerical extremes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from zerodl.functions import cross_entropy_error, log_softmax, sigmoid, softmax
from zerodl.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss
from zerodl.network import MultiLayerNet
from numeric import central_difference, rel_error


@pytest.fixture
def rng():
    return np.random.default_rng(8)


def away_from_zero(rng, shape, margin=0.05):
    """Random values with |x| >= margin, so that +-h never crosses ReLU's kink."""
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin, x)


# --- layers ----------------------------------------------------------------


def test_relu_backward_is_the_derivative(rng):
    x = away_from_zero(rng, (4, 6))
    dout = rng.normal(size=(4, 6))
    layer = Relu()
    layer.forward(x)
    dx = layer.backward(dout)
    expected = central_difference(lambda: np.sum(Relu().forward(x) * dout), x)
    np.testing.assert_allclose(dx, expected, rtol=1e-7, atol=1e-9)


def test_relu_leaves_its_arguments_alone(rng):
    x = rng.normal(size=(3, 5))
    dout = rng.normal(size=(3, 5))
    x0, dout0 = x.copy(), dout.copy()
    layer = Relu()
    out = layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(dout, dout0)  # the book's version zeroes dout in place
    np.testing.assert_array_equal(out, np.maximum(x, 0))
    np.testing.assert_array_equal(dx, np.where(x > 0, dout, 0))


def test_sigmoid_backward_is_the_derivative(rng):
    x = rng.normal(scale=3, size=(5, 4))
    dout = rng.normal(size=(5, 4))
    layer = Sigmoid()
    layer.forward(x)
    expected = central_difference(lambda: np.sum(Sigmoid().forward(x) * dout), x)
    np.testing.assert_allclose(layer.backward(dout), expected, rtol=1e-7, atol=1e-10)


def test_affine_backward_is_the_derivative(rng):
    x = rng.normal(size=(4, 2, 3))  # more than two axes: flattened to (4, 6)
    W = rng.normal(size=(6, 5))
    b = rng.normal(size=5)
    dout = rng.normal(size=(4, 5))
    layer = Affine(W, b)
    out = layer.forward(x)
    np.testing.assert_allclose(out, x.reshape(4, 6) @ W + b)
    dx = layer.backward(dout)
    assert dx.shape == x.shape and layer.dW.shape == W.shape and layer.db.shape == b.shape

    def objective():
        return np.sum(Affine(W, b).forward(x) * dout)

    np.testing.assert_allclose(dx, central_difference(objective, x), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(layer.dW, central_difference(objective, W), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(layer.db, central_difference(objective, b), rtol=1e-7, atol=1e-9)


def test_affine_computes_in_the_weights_dtype(rng):
    W = rng.normal(size=(6, 3))
    layer = Affine(W, np.zeros(3))
    out = layer.forward(rng.normal(size=(2, 6)).astype(np.float32))
    assert out.dtype == np.float64
    layer32 = Affine(W.astype(np.float32), np.zeros(3, np.float32))
    assert layer32.forward(rng.normal(size=(2, 6))).dtype == np.float32


@pytest.mark.parametrize("targets", ["labels", "one-hot"])
@pytest.mark.parametrize("dout", [1.0, 2.5])
def test_softmax_with_loss_backward_is_the_derivative_of_the_exact_loss(rng, targets, dout):
    x = rng.normal(scale=2, size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    t = labels if targets == "labels" else np.eye(4)[labels]
    layer = SoftmaxWithLoss(exact=True)
    loss = layer.forward(x, t)
    # independent loss: mean over the batch of -log softmax at the label
    expected_loss = np.mean([-np.log(np.exp(row[k]) / np.sum(np.exp(row))) for row, k in zip(x, labels)])
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    expected = central_difference(lambda: dout * SoftmaxWithLoss(exact=True).forward(x, t), x)
    np.testing.assert_allclose(layer.backward(dout), expected, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("targets", ["labels", "one-hot"])
def test_softmax_with_loss_computes_the_books_loss_by_default(rng, targets):
    """The book's loss is -log(y_k + 1e-7): its central difference is backward's (y - t) / N
    scaled per sample by y_k / (y_k + 1e-7), which differs from (y - t) / N by about 1e-7 / y_k."""
    x = rng.normal(scale=2, size=(5, 4))
    labels = rng.integers(0, 4, size=5)
    t = labels if targets == "labels" else np.eye(4)[labels]
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    y = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)
    y_k = y[np.arange(5), labels]
    assert loss == pytest.approx(-np.mean(np.log(y_k + 1e-7)), rel=1e-12)
    exact = SoftmaxWithLoss(exact=True)
    exact.forward(x, t)
    np.testing.assert_array_equal(layer.backward(), exact.backward())  # the same backward in both modes
    numerical = central_difference(lambda: SoftmaxWithLoss().forward(x, t), x)
    books_derivative = (y - np.eye(4)[labels]) * (y_k / (y_k + 1e-7))[:, None] / 5
    np.testing.assert_allclose(numerical, books_derivative, rtol=1e-7, atol=1e-10)
    assert rel_error(layer.backward(), numerical) > 1e-8  # so the gradient checks use exact=True


@pytest.mark.parametrize("exact", ["yes", 1, None])
def test_softmax_with_loss_exact_must_be_a_bool(exact):
    with pytest.raises(TypeError, match="True or False"):
        SoftmaxWithLoss(exact=exact)


def test_softmax_with_loss_keeps_float32():
    x = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    for t in (np.array([2]), np.array([[0.0, 0.0, 1.0]])):
        layer = SoftmaxWithLoss()
        layer.forward(x, t)
        assert layer.backward().dtype == np.float32


# --- the network -----------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_network_gradient_against_central_differences(rng, activation):
    np.random.seed(3)
    net = MultiLayerNet(6, [5, 4], 3, activation=activation, weight_init_std="he")
    x = rng.normal(size=(4, 6))
    t = np.array([0, 2, 1, 2])
    if activation == "relu":  # make sure no pre-activation sits within h of the kink
        a1 = x @ net.params["W1"] + net.params["b1"]
        a2 = np.maximum(a1, 0) @ net.params["W2"] + net.params["b2"]
        assert min(np.abs(a1).min(), np.abs(a2).min()) > 1e-4
    net.last_layer = SoftmaxWithLoss(exact=True)  # the loss whose derivative backward returns exactly
    grads = net.gradient(x, t)
    assert set(grads) == set(net.params) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    for key, param in net.params.items():
        expected = central_difference(lambda: net.loss(x, t), param)
        assert grads[key].shape == param.shape
        assert rel_error(grads[key], expected) < 1e-7, key


def test_network_numerical_gradient_agrees_with_backprop(rng):
    np.random.seed(5)
    net = MultiLayerNet(8, [6], 4, weight_init_std="he")
    x, t = rng.normal(size=(3, 8)), np.eye(4)[[1, 3, 0]]
    backprop, numerical = net.gradient(x, t), net.numerical_gradient(x, t)
    for key in net.params:
        assert rel_error(backprop[key], numerical[key]) < 1e-6, key


def test_duplicating_the_batch_changes_neither_loss_nor_gradient(rng):
    np.random.seed(8)
    net = MultiLayerNet(10, [7, 7], 4, weight_init_std="he")
    x, t = rng.normal(size=(6, 10)), rng.integers(0, 4, size=6)
    loss = net.loss(x, t)
    grads = {k: v.copy() for k, v in net.gradient(x, t).items()}
    x2, t2 = np.concatenate([x, x, x]), np.concatenate([t, t, t])
    assert net.loss(x2, t2) == pytest.approx(loss, rel=1e-12)
    for key, grad in net.gradient(x2, t2).items():
        np.testing.assert_allclose(grad, grads[key], rtol=1e-10, atol=1e-14)


def test_params_are_the_arrays_the_layers_use():
    np.random.seed(1)
    net = MultiLayerNet(4, [3], 2)
    assert net.layers["Affine1"].W is net.params["W1"] and net.layers["Affine2"].b is net.params["b2"]
    x = np.ones((1, 4))
    before = net.predict(x)
    net.params["b2"] += 1.0  # an in-place update reaches the layer
    np.testing.assert_allclose(net.predict(x), before + 1.0)


def test_network_shapes_dtype_and_accuracy():
    np.random.seed(2)
    net = MultiLayerNet(784, [20, 20, 20], 10, weight_init_std=0.01, dtype=np.float32)
    assert [net.params[f"W{i}"].shape for i in (1, 2, 3, 4)] == [(784, 20), (20, 20), (20, 20), (20, 10)]
    assert all(p.dtype == np.float32 for p in net.params.values())
    x = np.random.rand(7, 784).astype(np.float32)
    scores = net.predict(x)
    assert scores.shape == (7, 10) and scores.dtype == np.float32
    labels = np.argmax(scores, axis=1)
    assert net.accuracy(x, labels) == 1.0
    assert net.accuracy(x, np.eye(10)[labels]) == 1.0
    assert net.accuracy(x, (labels + 1) % 10) == 0.0


@pytest.mark.parametrize("init, std", [(0.01, 0.01), ("relu", np.sqrt(2 / 400)), ("xavier", np.sqrt(1 / 400))])
def test_weight_init_std(init, std):
    np.random.seed(0)
    W1 = MultiLayerNet(400, [500], 10, weight_init_std=init).params["W1"]
    assert W1.std() == pytest.approx(std, rel=0.02)  # 200,000 samples: sampling error ~0.2 %


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"activation": "tanh"}, "activation"),
        ({"weight_init_std": "lecun"}, "weight_init_std"),
        ({"hidden_size_list": [10, 0]}, "positive integers"),
    ],
)
def test_network_rejects_bad_arguments(kwargs, match):
    args = {"input_size": 4, "hidden_size_list": [3], "output_size": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        MultiLayerNet(**args)


# --- softmax, cross entropy, sigmoid at the extremes --------------------------


def test_softmax_and_log_softmax_at_plus_minus_1e4():
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = softmax(x)
        log_y = log_softmax(x)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(log_y))
    np.testing.assert_allclose(y.sum(axis=1), 1.0)
    np.testing.assert_allclose(y, [[1, 0, 0], [1 / 3] * 3, [0.5, 0.5, 0]], atol=1e-300)
    np.testing.assert_allclose(log_y, [[0, -2e4, -1e4], [-np.log(3)] * 3, [-np.log(2), -np.log(2), -2e4 - np.log(2)]])
    np.testing.assert_allclose(softmax(x[0]), y[0])  # one sample as a 1-D array


def test_softmax_agrees_with_the_plain_formula_where_that_is_safe(rng):
    x = rng.normal(size=(4, 5))
    np.testing.assert_allclose(softmax(x), np.exp(x) / np.exp(x).sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(log_softmax(x), np.log(softmax(x)), rtol=1e-12)


def test_cross_entropy_error_labels_one_hot_and_zeros():
    y = np.array([[0.1, 0.7, 0.2], [0.0, 0.0, 1.0]])
    labels = np.array([1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = cross_entropy_error(y, labels)
    expected = -(np.log(0.7 + 1e-7) + np.log(1e-7)) / 2  # a zero probability is capped by the 1e-7
    assert loss == pytest.approx(expected)
    assert cross_entropy_error(y, np.eye(3)[labels]) == pytest.approx(loss)
    assert cross_entropy_error(y[0], np.eye(3)[1]) == pytest.approx(-np.log(0.7 + 1e-7))  # one sample
    assert cross_entropy_error(y[0], 1) == pytest.approx(-np.log(0.7 + 1e-7))


def test_cross_entropy_error_rejects_mismatched_targets():
    y = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match="one-hot rows of shape"):
        cross_entropy_error(y, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="integer labels"):
        cross_entropy_error(y, np.array([0.0, 1.0]))


def test_softmax_with_loss_at_plus_minus_1e4():
    x = np.array([[-1e4, 1e4, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layer = SoftmaxWithLoss(exact=True)
        loss = layer.forward(x, np.array([0]))
        dx = layer.backward()
        books = SoftmaxWithLoss()
        books_loss = books.forward(x, np.array([0]))
        books_dx = books.backward()
    assert loss == pytest.approx(2e4 + np.log(2))
    np.testing.assert_allclose(dx, [[-1.0, 0.5, 0.5]])
    assert books_loss == pytest.approx(-np.log(1e-7))  # the book's loss stops at -log(1e-7)
    np.testing.assert_array_equal(books_dx, dx)


def test_sigmoid_at_the_extremes():
    x = np.array([-1e4, -745.0, -30.0, 0.0, 30.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = sigmoid(x)
    assert np.all(np.isfinite(y)) and y[0] == 0.0 and y[-1] == 1.0 and y[3] == 0.5
    np.testing.assert_allclose(sigmoid(-x), 1 - y, atol=1e-15)
    moderate = np.linspace(-20, 20, 41)
    np.testing.assert_allclose(sigmoid(moderate), 1 / (1 + np.exp(-moderate)), rtol=1e-14)


# --- the book's defaults and weight decay ----------------------------------------


def test_default_init_is_the_books_he():
    np.random.seed(0)
    W1 = MultiLayerNet(400, [500], 10).params["W1"]
    assert W1.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)


@pytest.mark.parametrize("lam", [0.0, 0.1])
def test_weight_decay_loss_and_gradient(lam):
    np.random.seed(3)
    net = MultiLayerNet(5, [4, 3], 3, weight_decay_lambda=lam)
    x, t = np.random.randn(4, 5), np.array([0, 2, 1, 2])
    net.last_layer = SoftmaxWithLoss(exact=True)  # the loss whose derivative backward returns exactly
    plain = net.last_layer.forward(net.predict(x), t)
    penalty = sum(0.5 * lam * np.sum(net.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    assert net.loss(x, t) == pytest.approx(plain + penalty, rel=1e-12)
    numerical = net.numerical_gradient(x, t)
    for key, grad in net.gradient(x, t).items():
        np.testing.assert_allclose(grad, numerical[key], rtol=1e-5, atol=1e-8, err_msg=key)


# --- computational-graph layers (the book's ch05/layer_naive.py semantics) ----


def test_mul_and_add_layers_against_central_differences(rng):
    from zerodl.layers import AddLayer, MulLayer

    x, y, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    for layer, f in ((MulLayer(), lambda a, b: a * b), (AddLayer(), lambda a, b: a + b)):
        out = layer.forward(x, y)
        np.testing.assert_array_equal(out, f(x, y))
        dx, dy = layer.backward(dout)
        xx, yy = x.copy(), y.copy()
        np.testing.assert_allclose(dx, central_difference(lambda: np.sum(f(xx, y) * dout), xx), rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(dy, central_difference(lambda: np.sum(f(x, yy) * dout), yy), rtol=1e-7, atol=1e-9)


def test_apple_example_by_hand():
    """The book's 5.4.1 numbers, written out: d(price)/d(apple) = num * tax, and so on."""
    from zerodl.layers import MulLayer

    apple, num, tax = 100.0, 2.0, 1.1
    mul_apple, mul_tax = MulLayer(), MulLayer()
    price = mul_tax.forward(mul_apple.forward(apple, num), tax)
    dapple_price, dtax = mul_tax.backward(1.0)
    dapple, dnum = mul_apple.backward(dapple_price)
    assert price == pytest.approx(apple * num * tax)
    assert (dapple, dnum, dtax) == pytest.approx((num * tax, apple * tax, apple * num))


# --- malformed labels and arguments: a ValueError that names the problem -------

Y3 = softmax(np.array([[0.3, 2.9, 4.0], [2.0, 0.1, -1.0]]))
BAD_LABELS = [
    (np.array([[2], [0]]), r"shape \(2, 1\).*reshape"),
    (np.array([2, 0, 1]), r"shape \(3,\)"),
    (np.array([2, -1]), r"0 \.\.\. 2; got -1"),
    (np.array([2, 3]), r"0 \.\.\. 2; got 3"),
    (np.array([[0, 0, 1], [0, 0, 0]]), r"one-hot.*row 1"),
    (np.array([[0, 0, 1], [1, 1, 0]]), r"one-hot.*row 1"),
    (np.array([[0, 0, 1], [0.5, 0.5, 0]]), r"one-hot.*row 1"),
    (np.array([2.0, 0.0]), "integer dtype"),
]


@pytest.mark.parametrize("t, match", BAD_LABELS)
def test_cross_entropy_error_refuses_malformed_labels(t, match):
    with pytest.raises(ValueError, match="cross_entropy_error: .*" + match):
        cross_entropy_error(Y3, t)


@pytest.mark.parametrize("t, match", BAD_LABELS)
def test_softmax_with_loss_refuses_malformed_labels(t, match):
    with pytest.raises(ValueError, match="SoftmaxWithLoss.forward: .*" + match):
        SoftmaxWithLoss().forward(np.log(Y3), t)


@pytest.mark.parametrize("t, match", BAD_LABELS)
def test_network_loss_gradient_accuracy_refuse_malformed_labels(t, match):
    np.random.seed(8)
    net = MultiLayerNet(4, [5], 3)
    x = np.random.randn(2, 4)
    for call in (net.loss, net.gradient):
        with pytest.raises(ValueError, match="SoftmaxWithLoss.forward: .*" + match):
            call(x, t)
    with pytest.raises(ValueError, match="MultiLayerNet.accuracy: .*" + match):
        net.accuracy(x, t)


def test_empty_batches_are_refused():
    empty = np.zeros(0, dtype=np.int64)
    with pytest.raises(ValueError, match="non-empty batch"):
        cross_entropy_error(np.zeros((0, 3)), empty)
    with pytest.raises(ValueError, match="non-empty batch"):
        SoftmaxWithLoss().forward(np.zeros((0, 3)), empty)
    net = MultiLayerNet(4, [5], 3)
    for call in (net.loss, net.gradient, net.accuracy):
        with pytest.raises(ValueError, match="non-empty batch"):
            call(np.zeros((0, 4)), empty)


def test_negative_labels_no_longer_wrap():
    """The book's indexing would read -1 as the last class; the loss must not silently do that."""
    x = np.array([[0.0, 1.0, 5.0]])
    assert SoftmaxWithLoss(exact=True).forward(x, np.array([2])) == pytest.approx(-log_softmax(x)[0, 2])
    assert SoftmaxWithLoss().forward(x, np.array([2])) == pytest.approx(-np.log(np.exp(log_softmax(x)[0, 2]) + 1e-7))
    with pytest.raises(ValueError):
        SoftmaxWithLoss().forward(x, np.array([-1]))


def test_valid_labels_still_work_one_hot_and_integer():
    t = np.array([2, 0])
    one_hot = np.eye(3)[t]
    assert cross_entropy_error(Y3, t) == pytest.approx(cross_entropy_error(Y3, one_hot))
    assert cross_entropy_error(Y3, one_hot.astype(np.float32)) == pytest.approx(cross_entropy_error(Y3, t))
    net = MultiLayerNet(4, [5], 3)
    x = np.random.default_rng(8).normal(size=(2, 4))
    assert net.accuracy(x, t) == net.accuracy(x, one_hot)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"hidden_size_list": None}, "list of hidden layer sizes"),
        ({"hidden_size_list": 100}, "list of hidden layer sizes"),
        ({"hidden_size_list": np.int64(100)}, "list of hidden layer sizes"),
        ({"hidden_size_list": [100, True]}, "positive integers"),
        ({"dtype": np.int64}, "floating-point"),
        ({"dtype": int}, "floating-point"),
    ],
)
def test_network_argument_errors_name_the_problem(kwargs, match):
    args = {"input_size": 4, "hidden_size_list": [5], "output_size": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        MultiLayerNet(**args)


def test_network_accepts_float32_and_an_empty_hidden_list():
    net = MultiLayerNet(4, [], 3, dtype=np.float32)
    assert list(net.params) == ["W1", "b1"] and net.params["W1"].dtype == np.float32
