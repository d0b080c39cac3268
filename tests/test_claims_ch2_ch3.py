"""The claims chapters 2 and 3 make about their MNIST experiments, checked by
runs written here with the package's API (the chapters' blocks assert them
too, but a failing block reports only its first line)."""

from __future__ import annotations

import numpy as np
import pytest

from zerodl.datasets.mnist import load_mnist
from zerodl.layers import Affine, SoftmaxWithLoss
from zerodl.network import MultiLayerNet
from zerodl.optimizers import SGD


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def successive_difference_std(losses):
    """The chapters' measure of noise: std of E_{t+1} - E_t over the second half of the run."""
    losses = np.asarray(losses)
    return np.std(np.diff(losses[len(losses) // 2 :]))


def softmax_regression_losses(x_train, t_train, batch_size, steps=300, lr=0.1):
    """Chapter 2's experiment, with the gradient from chapter 3's layers instead of the hand formula."""
    np.random.seed(8)
    params = {"W": np.zeros((784, 10)), "b": np.zeros(10)}
    affine, last = Affine(params["W"], params["b"]), SoftmaxWithLoss()
    optimizer = SGD(lr=lr)
    losses = []
    for _ in range(steps):
        mask = np.random.choice(len(x_train), batch_size)
        losses.append(last.forward(affine.forward(x_train[mask]), t_train[mask]))
        affine.backward(last.backward())
        optimizer.update(params, {"W": affine.dW, "b": affine.db})
    return np.array(losses)


def test_chapter_2_noise_falls_with_the_batch_size(mnist):
    (x_train, t_train), _ = mnist
    noise = {n: successive_difference_std(softmax_regression_losses(x_train, t_train, n)) for n in (1, 10, 100, 1000)}
    assert noise[1] > noise[10] > noise[100] > noise[1000]
    # 10x the batch: about 1/sqrt(10) of the noise from 10 on (the chapter says "3 to 4 times smaller")
    for n in (10, 100):
        assert 2.5 < noise[n] / noise[10 * n] < 5, noise


def seed_003_run(x_train, t_train, batch_size, lr, fixed, steps=1000):
    """Seed article 003's setting: 784-200-200-10 ReLU, std 0.01, seed 8 (float32, as the chapter runs it)."""
    np.random.seed(8)
    net = MultiLayerNet(784, [200, 200], 10, weight_init_std=0.01, dtype=np.float32)
    optimizer = SGD(lr=lr)
    fixed_mask = np.random.choice(len(x_train), batch_size)
    losses = []
    for _ in range(steps):
        mask = fixed_mask if fixed else np.random.choice(len(x_train), batch_size)
        grads = net.gradient(x_train[mask], t_train[mask])
        losses.append(net.last_layer.loss)
        optimizer.update(net.params, grads)
    return np.array(losses), net


def test_chapter_3_a_fixed_batch_is_memorised(mnist):
    (x_train, t_train), (x_test, t_test) = mnist
    losses, net = seed_003_run(x_train, t_train, 10, 0.1, fixed=True)
    assert losses[0] == pytest.approx(np.log(10), abs=0.01)
    assert losses[-100:].mean() < 0.01  # the chapter: "ほぼ 0 まで下がります"
    assert net.accuracy(x_test, t_test) < 0.5  # but it does not generalise


def test_chapter_3_batch_100_is_smoother_than_batch_10(mnist):
    (x_train, t_train), _ = mnist
    losses_10, _ = seed_003_run(x_train, t_train, 10, 0.01, fixed=False)
    losses_100, _ = seed_003_run(x_train, t_train, 100, 0.01, fixed=False)
    assert successive_difference_std(losses_100) < successive_difference_std(losses_10) / 2
    # with the correct gradient, lr 0.01 barely moves the loss from log 10 in 1000 steps
    assert losses_10[-100:].mean() > 2.2 and losses_100[-100:].mean() > 2.2
