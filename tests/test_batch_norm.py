"""Chapter 9: BatchNormalization and MultiLayerNetExtend against computations
written here (the normalisation per unit, a closed-form backward, central
differences, the running averages as sums), the book's draw order, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from zerodl.layers import BatchNormalization, SoftmaxWithLoss
from zerodl.network import MultiLayerNetExtend
from numeric import central_difference, rel_error

EPS = 1e-6  # the book's 10e-7


def normalise_by_hand(x, gamma, beta):
    """Column by column, with Python's own mean and (biased) variance."""
    rows = x.reshape(x.shape[0], -1)
    out = np.empty_like(rows)
    for j in range(rows.shape[1]):
        col = [float(v) for v in rows[:, j]]
        mean = sum(col) / len(col)
        var = sum((v - mean) ** 2 for v in col) / len(col)
        out[:, j] = [gamma[j] * (v - mean) / (var + EPS) ** 0.5 + beta[j] for v in col]
    return out.reshape(x.shape)


@pytest.fixture
def rng():
    return np.random.default_rng(9)


def make_layer(rng, d, **kwargs):
    return BatchNormalization(rng.normal(size=d) + 1.0, rng.normal(size=d), **kwargs)


# --- the layer ---------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7, 5), (4, 2, 3, 3)])
def test_training_forward_is_the_normalisation_written_out(rng, shape):
    x = rng.normal(2.0, 3.0, size=shape)
    d = int(np.prod(shape[1:]))
    layer = make_layer(rng, d)
    out = layer.forward(x, train_flg=True)
    assert out.shape == x.shape
    np.testing.assert_allclose(out, normalise_by_hand(x, layer.gamma, layer.beta), rtol=1e-12, atol=1e-12)


def test_each_unit_has_mean_beta_and_spread_gamma(rng):
    x = rng.normal(5.0, 4.0, size=(200, 6))
    layer = BatchNormalization(np.full(6, 2.0), np.full(6, -1.0))
    out = layer.forward(x)
    np.testing.assert_allclose(out.mean(axis=0), -1.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 2.0, rtol=1e-6)


@pytest.mark.parametrize("shape", [(6, 4), (3, 2, 2, 2)])
def test_backward_matches_central_differences(rng, shape):
    x = rng.normal(size=shape)
    d = int(np.prod(shape[1:]))
    layer = make_layer(rng, d)
    dout = rng.normal(size=shape)
    layer.forward(x, train_flg=True)
    dx = layer.backward(dout)

    def loss():
        return float(np.sum(BatchNormalization(layer.gamma, layer.beta).forward(x) * dout))

    assert dx.shape == x.shape
    assert rel_error(dx, central_difference(loss, x)) < 1e-7
    assert rel_error(layer.dgamma, central_difference(loss, layer.gamma)) < 1e-7
    assert rel_error(layer.dbeta, central_difference(loss, layer.beta)) < 1e-7


def test_backward_matches_the_closed_form(rng):
    # dx = gamma / (N std) * (N dout - sum(dout) - xn * sum(dout * xn)), Ioffe & Szegedy's result simplified
    x = rng.normal(size=(9, 4))
    dout = rng.normal(size=(9, 4))
    layer = make_layer(rng, 4)
    layer.forward(x)
    dx = layer.backward(dout)
    n = x.shape[0]
    std = np.sqrt(x.var(axis=0) + EPS)
    xn = (x - x.mean(axis=0)) / std
    expected = layer.gamma / (n * std) * (n * dout - dout.sum(axis=0) - xn * np.sum(dout * xn, axis=0))
    np.testing.assert_allclose(dx, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.dgamma, np.sum(dout * xn, axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.dbeta, dout.sum(axis=0), rtol=1e-12)


def test_running_statistics_after_k_steps_are_the_weighted_sums(rng):
    momentum, k, d = 0.9, 6, 3
    layer = make_layer(rng, d, momentum=momentum)
    batches = [rng.normal(i, 1.0 + i, size=(10, d)) for i in range(k)]
    for batch in batches:
        layer.forward(batch, train_flg=True)
    # starting from zeros: running = sum_i (1 - m) m^(k-1-i) stat_i
    weights = [(1 - momentum) * momentum ** (k - 1 - i) for i in range(k)]
    expected_mean = sum(w * b.mean(axis=0) for w, b in zip(weights, batches))
    expected_var = sum(w * b.var(axis=0) for w, b in zip(weights, batches))
    np.testing.assert_allclose(layer.running_mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, expected_var, rtol=1e-12)


def test_inference_uses_the_running_statistics_and_changes_nothing(rng):
    layer = make_layer(rng, 4)
    train = rng.normal(1.0, 2.0, size=(8, 4))
    layer.forward(train, train_flg=True)
    dout = rng.normal(size=(8, 4))
    saved = {k: np.copy(getattr(layer, k)) for k in ("running_mean", "running_var", "gamma", "beta", "xn", "xc", "std")}
    test = rng.normal(size=(3, 4))
    out = layer.forward(test, train_flg=False)
    expected = layer.gamma * (test - saved["running_mean"]) / np.sqrt(saved["running_var"] + EPS) + layer.beta
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    for key, value in saved.items():
        np.testing.assert_array_equal(getattr(layer, key), value, err_msg=key)
    # one sample at a time gives the same answers: inference does not depend on the batch
    one_by_one = np.concatenate([layer.forward(row[None], train_flg=False) for row in test])
    np.testing.assert_allclose(one_by_one, out, rtol=1e-12)
    # backward now refers to nothing: an inference forward has no graph to go back through
    with pytest.raises(RuntimeError, match="train_flg=True"):
        layer.backward(dout)


def test_given_running_statistics_are_used(rng):
    mean, var = np.array([1.0, -2.0]), np.array([4.0, 0.25])
    layer = BatchNormalization(np.ones(2), np.zeros(2), running_mean=mean, running_var=var)
    out = layer.forward(np.array([[3.0, -1.0]]), train_flg=False)
    np.testing.assert_allclose(out, [[2.0 / np.sqrt(4.0 + EPS), 1.0 / np.sqrt(0.25 + EPS)]])


def test_a_batch_of_one_in_training_mode_gives_beta_and_a_zero_gradient(rng):
    # documented result: the book's own gradient check (ch06) runs on one sample; it is not silent
    layer = make_layer(rng, 5)
    layer.forward(rng.normal(size=(4, 5)), train_flg=True)
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    with pytest.warns(RuntimeWarning, match=r"training batch of 1 sample .* running statistics are not updated"):
        out = layer.forward(rng.normal(size=(1, 5)), train_flg=True)
    np.testing.assert_array_equal(layer.running_mean, mean)  # not pulled toward the one sample
    np.testing.assert_array_equal(layer.running_var, var)  # nor toward variance 0
    np.testing.assert_array_equal(out, layer.beta[None])
    dx = layer.backward(rng.normal(size=(1, 5)))
    np.testing.assert_array_equal(dx, np.zeros((1, 5)))
    np.testing.assert_array_equal(layer.dgamma, np.zeros(5))


def test_optimizer_updates_reach_the_layer(rng):
    gamma, beta = np.ones(3), np.zeros(3)
    layer = BatchNormalization(gamma, beta)
    gamma -= 0.5  # as SGD.update does, in place
    beta += 2.0
    out = layer.forward(rng.normal(size=(10, 3)))
    np.testing.assert_allclose(out.mean(axis=0), 2.0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 0.5, rtol=1e-5)


@pytest.mark.parametrize(
    "gamma, beta, message",
    [
        (np.ones(3), np.zeros(4), "same length"),
        (np.ones((2, 3)), np.zeros((2, 3)), "1-D"),
        (1.0, 0.0, "1-D"),
    ],
)
def test_gamma_and_beta_must_match(gamma, beta, message):
    with pytest.raises(ValueError, match=message):
        BatchNormalization(gamma, beta)


def test_bad_input_gets_a_clear_error(rng):
    layer = BatchNormalization(np.ones(4), np.zeros(4))
    with pytest.raises(ValueError, match="3 values per sample.*one per unit"):
        layer.forward(rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match=r"\(N, D\) or \(N, C, H, W\)"):
        layer.forward(rng.normal(size=(5, 2, 2)))
    with pytest.raises(ValueError, match=r"\(N, D\) or \(N, C, H, W\)"):
        layer.forward([[1.0, 2.0, 3.0, 4.0]])
    with pytest.raises(TypeError, match="train_flg must be True or False"):
        layer.forward(rng.normal(size=(5, 4)), train_flg="False")
    with pytest.raises(RuntimeError, match="running statistics"):
        layer.forward(rng.normal(size=(5, 4)), train_flg=False)
    with pytest.raises(RuntimeError, match="train_flg=True"):
        layer.backward(rng.normal(size=(5, 4)))
    layer.forward(rng.normal(size=(5, 4)))
    with pytest.raises(ValueError, match="dout has shape"):
        layer.backward(rng.normal(size=(4, 4)))
    with pytest.raises(ValueError, match="both running_mean and running_var"):
        BatchNormalization(np.ones(2), np.zeros(2), running_mean=np.zeros(2))


# --- the network -------------------------------------------------------------


@pytest.mark.parametrize("use_batchnorm", [False, True])
@pytest.mark.parametrize("weight_decay_lambda", [0, 0.1])
def test_network_gradient_matches_central_differences(rng, use_batchnorm, weight_decay_lambda):
    np.random.seed(3)
    network = MultiLayerNetExtend(
        6, [5, 4], 3, weight_init_std=0.5, use_batchnorm=use_batchnorm, weight_decay_lambda=weight_decay_lambda
    )
    network.last_layer = SoftmaxWithLoss(exact=True)  # the loss whose derivative backward returns exactly
    for key in ("b1", "b2", "b3"):
        # nonzero biases: with b = 0 a sample whose previous layer is all dead sits exactly on ReLU's kink
        network.params[key] += rng.uniform(0.1, 0.3, size=network.params[key].shape)
    x = rng.normal(size=(8, 6))
    t = rng.integers(0, 3, size=8)
    grads = network.gradient(x, t)
    expected_keys = ["W1", "b1", "W2", "b2", "W3", "b3"]
    if use_batchnorm:
        expected_keys = ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"]
    assert list(grads) == expected_keys
    for key in expected_keys:
        numerical = central_difference(lambda: network.loss(x, t, train_flg=True), network.params[key])
        # atol: with batch norm, b1 and b2 have gradient 0 (the mean subtraction cancels them)
        np.testing.assert_allclose(grads[key], numerical, rtol=1e-6, atol=1e-9, err_msg=key)
    numerical = network.numerical_gradient(x, t)
    assert list(numerical) == expected_keys
    for key in expected_keys:
        np.testing.assert_allclose(grads[key], numerical[key], rtol=1e-4, atol=1e-7, err_msg=key)
    if use_batchnorm:
        assert np.abs(grads["b1"]).max() < 1e-12 and np.abs(grads["b2"]).max() < 1e-12


def test_weight_decay_is_half_lambda_sum_of_squared_weights(rng):
    x, t = rng.normal(size=(4, 6)), rng.integers(0, 3, size=4)
    np.random.seed(1)
    plain = MultiLayerNetExtend(6, [5], 3, use_batchnorm=True)
    np.random.seed(1)
    decayed = MultiLayerNetExtend(6, [5], 3, use_batchnorm=True, weight_decay_lambda=0.3)
    squares = sum(np.sum(plain.params[k] ** 2) for k in ("W1", "W2"))  # weights only: not b, gamma, beta
    assert decayed.loss(x, t, train_flg=True) == pytest.approx(plain.loss(x, t, train_flg=True) + 0.15 * squares, rel=1e-12)


def test_parameters_are_drawn_in_the_books_order():
    np.random.seed(5)
    network = MultiLayerNetExtend(784, [100, 50], 10, use_batchnorm=True)
    np.random.seed(5)
    expected = {
        "W1": np.sqrt(2.0 / 784) * np.random.randn(784, 100),
        "W2": np.sqrt(2.0 / 100) * np.random.randn(100, 50),
        "W3": np.sqrt(2.0 / 50) * np.random.randn(50, 10),
    }
    for key, value in expected.items():
        np.testing.assert_array_equal(network.params[key], value)
    assert list(network.params) == ["W1", "b1", "W2", "b2", "W3", "b3", "gamma1", "beta1", "gamma2", "beta2"]
    assert list(network.layers) == [
        "Affine1", "BatchNorm1", "Activation_function1",
        "Affine2", "BatchNorm2", "Activation_function2",
        "Affine3",
    ]  # fmt: skip
    np.testing.assert_array_equal(network.params["gamma2"], np.ones(50))
    np.random.seed(5)
    xavier = MultiLayerNetExtend(784, [100], 10, activation="sigmoid", weight_init_std="xavier")
    np.random.seed(5)
    np.testing.assert_array_equal(xavier.params["W1"], np.sqrt(1.0 / 784) * np.random.randn(784, 100))


def test_the_network_shares_its_arrays_with_its_layers():
    network = MultiLayerNetExtend(4, [3], 2, use_batchnorm=True)
    assert network.layers["BatchNorm1"].gamma is network.params["gamma1"]
    assert network.layers["BatchNorm1"].beta is network.params["beta1"]
    assert network.layers["Affine1"].W is network.params["W1"]


def test_accuracy_is_in_inference_mode(rng):
    np.random.seed(2)
    network = MultiLayerNetExtend(6, [5], 3, use_batchnorm=True)
    x, t = rng.normal(size=(10, 6)), rng.integers(0, 3, size=10)
    network.gradient(x, t)
    bn = network.layers["BatchNorm1"]
    running = bn.running_mean.copy(), bn.running_var.copy()
    scores = network.predict(x, train_flg=False)
    accuracy = network.accuracy(x, t)
    assert accuracy == np.mean(scores.argmax(axis=1) == t)
    one_hot = np.eye(3)[t]
    assert network.accuracy(x, one_hot) == accuracy
    np.testing.assert_array_equal(bn.running_mean, running[0])
    np.testing.assert_array_equal(bn.running_var, running[1])


def test_bad_network_arguments():
    with pytest.raises(ValueError, match="activation"):
        MultiLayerNetExtend(4, [3], 2, activation="tanh")
    with pytest.raises(ValueError, match="positive integers"):
        MultiLayerNetExtend(4, [0], 2)
    with pytest.raises(ValueError, match="weight_init_std"):
        MultiLayerNetExtend(4, [3], 2, weight_init_std="lecun")


def test_a_first_batch_of_one_leaves_no_running_statistics(rng):
    """Inference after training on one sample only is refused, as before any training."""
    layer = make_layer(rng, 3)
    with pytest.warns(RuntimeWarning, match="batch of 1"):
        layer.forward(rng.normal(size=(1, 3)), train_flg=True)
    assert layer.running_mean is None
    with pytest.raises(RuntimeError, match="needs running statistics"):
        layer.forward(rng.normal(size=(2, 3)), train_flg=False)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_a_training_batch_is_refused_before_the_running_statistics_change(rng, bad):
    layer = make_layer(rng, 3)
    layer.forward(rng.normal(size=(4, 3)), train_flg=True)
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    x = rng.normal(size=(4, 3))
    x[2, 1] = bad
    with pytest.raises(ValueError, match="x contains nan or inf"):
        layer.forward(x, train_flg=True)
    np.testing.assert_array_equal(layer.running_mean, mean)
    np.testing.assert_array_equal(layer.running_var, var)
    out = layer.forward(rng.normal(size=(4, 3)), train_flg=False)  # the layer still works
    assert np.isfinite(out).all()


@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 1, 1)])
@pytest.mark.parametrize("train_flg", [True, False])
def test_an_empty_batch_is_a_clear_error(rng, shape, train_flg):
    layer = make_layer(rng, 3, running_mean=np.zeros(3), running_var=np.ones(3))
    with pytest.raises(ValueError, match=r"forward: x is an empty batch \(shape \(0,"):
        layer.forward(np.zeros(shape), train_flg=train_flg)


@pytest.mark.parametrize("flag", ["no", "False", 1, 0, None])
def test_batch_norm_refuses_a_train_flg_that_is_not_a_bool(rng, flag):
    with pytest.raises(TypeError, match="BatchNormalization.forward: train_flg must be True or False"):
        make_layer(rng, 3).forward(rng.normal(size=(4, 3)), train_flg=flag)


def test_batch_norm_takes_numpy_bools(rng):
    layer = make_layer(rng, 3)
    x = rng.normal(size=(4, 3))
    np.testing.assert_array_equal(layer.forward(x, train_flg=np.bool_(True)), layer.forward(x, train_flg=True))


def test_eps_can_be_set_on_a_layer(rng):
    """eps is the book's 1e-6 by default and can be changed per layer (a class attribute, overridden)."""
    x = np.array([[0.0], [1e-3]])  # variance 2.5e-7, of the order of eps
    small, large = BatchNormalization(np.ones(1), np.zeros(1)), BatchNormalization(np.ones(1), np.zeros(1))
    large.eps = 1.0
    assert small.eps == EPS and BatchNormalization.eps == EPS
    np.testing.assert_allclose(large.forward(x)[:, 0], [-0.5e-3, 0.5e-3] / np.sqrt(2.5e-7 + 1.0))
    np.testing.assert_allclose(small.forward(x)[:, 0], [-0.5e-3, 0.5e-3] / np.sqrt(2.5e-7 + EPS))


@pytest.mark.parametrize("eps, rtol", [(0.0, 1e-9), (EPS, 1e-3)])
def test_batch_norm_makes_the_loss_blind_to_the_scale_of_the_weights_before_it(rng, eps, rtol):
    """Chapter 9's explanation of the slow start at std 1: BN(aWx) = BN(Wx), so the gradient of aW is
    the gradient of W divided by a, and one SGD step of aW at lr is a times a step of W at lr / a^2.
    Exact with eps = 0; with the book's eps only as long as the variances are far above eps."""
    x, t = rng.normal(size=(16, 6)), rng.integers(0, 3, size=16)
    scales = {"W1": 3.0, "W2": 0.2}  # the weights in front of a BatchNorm layer; not W3 (the output layer)

    def network(scaled):
        np.random.seed(4)
        net = MultiLayerNetExtend(6, [5, 4], 3, weight_init_std=0.5, use_batchnorm=True)
        for name, layer in net.layers.items():
            if name.startswith("BatchNorm"):
                layer.eps = eps
        for key, a in scales.items() if scaled else ():
            net.params[key] *= a  # in place: the Affine layers share the arrays
        return net

    plain, scaled = network(False), network(True)
    np.testing.assert_allclose(scaled.predict(x, train_flg=True), plain.predict(x, train_flg=True), rtol=rtol, atol=rtol)
    plain_grads, scaled_grads = plain.gradient(x, t), scaled.gradient(x, t)
    lr = 0.1
    for key, a in scales.items():
        np.testing.assert_allclose(scaled_grads[key] * a, plain_grads[key], rtol=rtol, atol=rtol * np.abs(plain_grads[key]).max())
        step_scaled = scaled.params[key] - lr * scaled_grads[key]
        step_plain = plain.params[key] - lr / a**2 * plain_grads[key]
        np.testing.assert_allclose(step_scaled, a * step_plain, rtol=rtol, atol=rtol * a * np.abs(step_plain).max())
    for key in ("W3", "b3", "gamma1", "beta1", "gamma2", "beta2"):  # the rest sees the same signals
        np.testing.assert_allclose(scaled_grads[key], plain_grads[key], rtol=rtol, atol=rtol * np.abs(plain_grads[key]).max())
    # the output layer has no BatchNorm after it: its scale does change the scores
    plain.params["W3"] *= 2.0
    assert not np.allclose(plain.predict(x, train_flg=True), scaled.predict(x, train_flg=True))
