"""Chapters 8 and 9: smooth_curve against its definition written out; the
initialisation claims of chapter 8; and the book's ch06 programs
(weight_init_compare.py, batch_norm_test.py, batch_norm_gradient_check.py)
transcribed with zerodl against a NumPy reference written here, under the
same np.random.seed: the same random draws in the same order, the same numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zerodl.datasets.mnist import load_mnist
from zerodl.network import MultiLayerNet, MultiLayerNetExtend
from zerodl.optimizers import SGD
from zerodl.util import smooth_curve

# --- smooth_curve --------------------------------------------------------------


def kaiser_by_formula(m, beta):
    """w_n = I0(beta sqrt(1 - (2n/(m-1) - 1)^2)) / I0(beta), I0 by its power series."""

    def i0(z):
        return sum((z / 2) ** (2 * k) / math.factorial(k) ** 2 for k in range(40))

    return [i0(beta * math.sqrt(1 - (2 * n / (m - 1) - 1) ** 2)) / i0(beta) for n in range(m)]


def smooth_by_definition(x):
    """Each point: Kaiser-weighted mean of the 11 points centred on it; beyond the start
    x[-j] stands for x[j], beyond the end x[n-1+j] stands for x[n-j] (j = 1..5)."""
    w = kaiser_by_formula(11, 2.0)
    n = len(x)

    def value(i):
        if i < 0:
            return x[-i]
        if i >= n:
            return x[2 * n - 1 - i]
        return x[i]

    return [sum(w[k] * value(i + k - 5) for k in range(11)) / sum(w) for i in range(n)]


@pytest.mark.parametrize("n", [6, 11, 12, 57, 300])
def test_smooth_curve_is_the_kaiser_moving_average_written_out(n):
    x = list(np.random.default_rng(n).normal(size=n).cumsum())
    np.testing.assert_allclose(smooth_curve(x), smooth_by_definition(x), rtol=1e-12, atol=1e-12)


def test_smooth_curve_keeps_constants_and_lines_inside():
    assert np.allclose(smooth_curve(np.full(40, 3.0)), 3.0)
    line = np.arange(40.0)
    assert np.allclose(smooth_curve(line)[5:-5], line[5:-5])  # a symmetric window keeps a straight line


@pytest.mark.parametrize("bad", [[1.0, 2.0, 3.0], np.zeros((20, 2)), 5.0])
def test_smooth_curve_rejects_what_it_cannot_smooth(bad):
    with pytest.raises(ValueError, match="1-D sequence of at least 6 values"):
        smooth_curve(bad)


# --- chapter 8's claims ----------------------------------------------------------


def relu_layer_stds(scale, seed, layers=5, n=100):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((1000, n))
    stds = []
    for _ in range(layers):
        z = np.maximum(0.0, z @ (scale * rng.standard_normal((n, n))))
        stds.append(z.std())
    return np.array(stds)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_he_keeps_the_relu_spread_and_std_001_does_not(seed):
    he = relu_layer_stds(np.sqrt(2 / 100), seed)
    assert he.max() / he.min() < 1.6
    small = relu_layer_stds(0.01, seed)
    assert np.all(small[1:] / small[:-1] < 0.1)  # shrinks about sqrt(0.005) = 0.07 per layer
    xavier = relu_layer_stds(np.sqrt(1 / 100), seed)
    assert np.all(xavier[1:] / xavier[:-1] < 0.85)  # shrinks about sqrt(1/2) per layer


def test_weight_init_std_names_give_he_and_xavier():
    np.random.seed(0)
    he = MultiLayerNet(784, [100], 10)
    np.random.seed(0)
    assert np.array_equal(he.params["W1"], np.sqrt(2 / 784) * np.random.randn(784, 100))
    np.random.seed(0)
    xavier = MultiLayerNet(784, [100], 10, weight_init_std="xavier")
    np.random.seed(0)
    assert np.array_equal(xavier.params["W1"], np.sqrt(1 / 784) * np.random.randn(784, 100))


# --- an independent NumPy reference of the book's networks -------------------------

EPS = 1e-6


class Reference:
    """Affine -> (batch norm) -> ReLU per hidden layer, Affine, softmax cross-entropy.
    Batch norm's backward in its closed form; weights drawn like the book's class."""

    def __init__(self, sizes, std, use_bn):
        self.W, self.b = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            s = {"relu": math.sqrt(2 / n_in), "sigmoid": math.sqrt(1 / n_in)}.get(std, std)
            self.W.append(s * np.random.randn(n_in, n_out))
            self.b.append(np.zeros(n_out))
        hidden = sizes[1:-1]
        self.use_bn = use_bn
        self.gamma = [np.ones(n) for n in hidden]
        self.beta = [np.zeros(n) for n in hidden]
        self.mean = [np.zeros(n) for n in hidden]
        self.var = [np.zeros(n) for n in hidden]

    def scores(self, x, train, keep=None):
        h = x.astype(np.float64)
        for k in range(len(self.W) - 1):
            a = h @ self.W[k] + self.b[k]
            if self.use_bn:
                if train:
                    mu, var = a.mean(axis=0), a.var(axis=0)
                    self.mean[k] = 0.9 * self.mean[k] + 0.1 * mu
                    self.var[k] = 0.9 * self.var[k] + 0.1 * var
                else:
                    mu, var = self.mean[k], self.var[k]
                xn = (a - mu) / np.sqrt(var + EPS)
                pre = self.gamma[k] * xn + self.beta[k]
            else:
                xn, var, pre = None, None, a
            if keep is not None:
                keep.append((h, xn, var, pre))
            h = np.maximum(0.0, pre)
        return h @ self.W[-1] + self.b[-1], h

    def loss_and_grads(self, x, t):
        keep = []
        scores, h_last = self.scores(x, train=True, keep=keep)
        n = len(x)
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        d = np.exp(log_p)
        loss = -np.log(d[np.arange(n), t] + 1e-7).mean()  # the book's loss: 1e-7 inside the log
        d[np.arange(n), t] -= 1
        d /= n
        grads = {"W": [None] * len(self.W), "b": [None] * len(self.W), "gamma": [None] * len(self.gamma), "beta": [None] * len(self.beta)}
        grads["W"][-1], grads["b"][-1] = h_last.T @ d, d.sum(axis=0)
        dh = d @ self.W[-1].T
        for k in reversed(range(len(self.W) - 1)):
            h_in, xn, var, pre = keep[k]
            dpre = dh * (pre > 0)
            if self.use_bn:
                grads["gamma"][k], grads["beta"][k] = np.sum(dpre * xn, axis=0), dpre.sum(axis=0)
                da = self.gamma[k] / (n * np.sqrt(var + EPS)) * (
                    n * dpre - dpre.sum(axis=0) - xn * np.sum(dpre * xn, axis=0)
                )
            else:
                da = dpre
            grads["W"][k], grads["b"][k] = h_in.T @ da, da.sum(axis=0)
            dh = da @ self.W[k].T
        return loss, grads

    def sgd(self, grads, lr):
        for name in ("W", "b") + (("gamma", "beta") if self.use_bn else ()):
            for p, g in zip(getattr(self, name), grads[name]):
                p -= lr * g

    def loss(self, x, t):
        return self.loss_and_grads(x, t)[0] if not self.use_bn else None

    def accuracy(self, x, t):
        return float(np.mean(self.scores(x, train=False)[0].argmax(axis=1) == t))


@pytest.fixture(scope="module")
def mnist():
    return load_mnist(normalize=True)


def test_weight_init_compare_gives_the_references_numbers(mnist):
    """ch06/weight_init_compare.py's loop (first 15 iterations) with zerodl."""
    (x_train, t_train), _ = mnist
    types = {"std=0.01": 0.01, "Xavier": "sigmoid", "He": "relu"}
    iterations = 15

    np.random.seed(3)
    networks = {key: MultiLayerNet(784, [100, 100, 100, 100], 10, weight_init_std=std) for key, std in types.items()}
    optimizer = SGD(lr=0.01)
    losses = {key: [] for key in types}
    for _ in range(iterations):
        mask = np.random.choice(x_train.shape[0], 128)
        for key, network in networks.items():
            optimizer.update(network.params, network.gradient(x_train[mask], t_train[mask]))
            losses[key].append(network.loss(x_train[mask], t_train[mask]))

    np.random.seed(3)
    references = {key: Reference([784, 100, 100, 100, 100, 10], std, use_bn=False) for key, std in types.items()}
    expected = {key: [] for key in types}
    for _ in range(iterations):
        mask = np.random.choice(x_train.shape[0], 128)
        for key, reference in references.items():
            reference.sgd(reference.loss_and_grads(x_train[mask], t_train[mask])[1], 0.01)
            expected[key].append(reference.loss(x_train[mask], t_train[mask]))

    for key in types:
        np.testing.assert_allclose(losses[key], expected[key], rtol=1e-12, err_msg=key)
        for k, W in enumerate(references[key].W, start=1):
            np.testing.assert_allclose(networks[key].params[f"W{k}"], W, rtol=1e-10, atol=1e-14)
    assert losses["He"][-1] < losses["std=0.01"][-1]


def test_batch_norm_test_gives_the_references_numbers(mnist):
    """ch06/batch_norm_test.py's __train (3 epochs) for two weight scales, with zerodl."""
    (x_train, t_train), _ = mnist
    x_train, t_train = x_train[:1000], t_train[:1000]
    sizes, epochs = [784, 100, 100, 100, 100, 100, 10], 3

    def run(make, seed):
        np.random.seed(seed)
        out = []
        for w in np.logspace(0, -4, num=16)[[4, 12]]:
            bn_net, net = make(w, True), make(w, False)
            accuracy, bn_accuracy = [], []
            i = 0
            while len(accuracy) < epochs:
                mask = np.random.choice(1000, 100)
                for n in (bn_net, net):
                    n.step(x_train[mask], t_train[mask])
                if i % 10 == 0:
                    accuracy.append(net.accuracy(x_train, t_train))
                    bn_accuracy.append(bn_net.accuracy(x_train, t_train))
                i += 1
            out.append((accuracy, bn_accuracy, bn_net))
        return out

    class Zerodl:
        def __init__(self, w, use_bn):
            self.net = MultiLayerNetExtend(784, sizes[1:-1], 10, weight_init_std=w, use_batchnorm=use_bn)
            self.optimizer = SGD(lr=0.01)

        def step(self, x, t):
            self.optimizer.update(self.net.params, self.net.gradient(x, t))

        def accuracy(self, x, t):
            return self.net.accuracy(x, t)

    class Ref(Reference):
        def __init__(self, w, use_bn):
            super().__init__(sizes, w, use_bn)

        def step(self, x, t):
            self.sgd(self.loss_and_grads(x, t)[1], 0.01)

    ours, reference = run(Zerodl, 4), run(Ref, 4)
    for (acc, bn_acc, bn_net), (ref_acc, ref_bn_acc, ref_bn) in zip(ours, reference):
        assert acc == ref_acc
        assert bn_acc == ref_bn_acc
        for k in range(5):
            np.testing.assert_allclose(bn_net.net.params[f"gamma{k + 1}"], ref_bn.gamma[k], rtol=1e-9)
            np.testing.assert_allclose(bn_net.net.layers[f"BatchNorm{k + 1}"].running_var, ref_bn.var[k], rtol=1e-9)


def test_batch_norm_gradient_check_on_one_sample(mnist):
    """ch06/batch_norm_gradient_check.py: one sample, hidden [100, 100]; only b3 has a nonzero backprop gradient."""
    (x_train, t_train), _ = mnist
    np.random.seed(6)
    network = MultiLayerNetExtend(784, [100, 100], 10, use_batchnorm=True)
    np.random.seed(6)
    reference = Reference([784, 100, 100, 10], "relu", use_bn=True)
    with pytest.warns(RuntimeWarning, match="training batch of 1 sample"):  # runs, as in the book, but not silently
        grads = network.gradient(x_train[:1], t_train[:1])
    _, expected = reference.loss_and_grads(x_train[:1], t_train[:1])
    assert [key for key, g in grads.items() if np.any(g != 0)] == ["b3"]
    np.testing.assert_allclose(grads["b3"], expected["b"][2], rtol=1e-12)
    np.testing.assert_array_equal(grads["W1"], np.zeros((784, 100)))
