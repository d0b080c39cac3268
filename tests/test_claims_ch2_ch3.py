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
    """The chapters' split: 50,000 training images, 10,000 for validation (book 6.5.1), the test set apart."""
    (x_all, t_all), test = load_mnist()
    shuffled = np.random.default_rng(8).permutation(len(x_all))
    train = x_all[shuffled[10000:]], t_all[shuffled[10000:]]
    val = x_all[shuffled[:10000]], t_all[shuffled[:10000]]
    return train, val, test


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
    (x_train, t_train), _, _ = mnist
    noise = {n: successive_difference_std(softmax_regression_losses(x_train, t_train, n)) for n in (1, 10, 100, 1000)}
    assert noise[1] > noise[10] > noise[100] > noise[1000]
    # 10x the batch: about 1/sqrt(10) of the noise from 10 on (the chapter says "3 to 4 times smaller")
    for n in (10, 100):
        assert 2.5 < noise[n] / noise[10 * n] < 5, noise


def day60_run(x_train, t_train, batch_size, lr, fixed, steps=1000):
    """The Day60 article's setting: 784-200-200-10 ReLU, std 0.01, seed 8 (float32, as the chapter runs it)."""
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
    (x_train, t_train), (x_val, t_val), _ = mnist
    losses, net = day60_run(x_train, t_train, 10, 0.1, fixed=True)
    assert losses[0] == pytest.approx(np.log(10), abs=0.01)
    assert losses[-100:].mean() < 0.01  # the chapter: "ほぼ 0 まで下がります"
    assert net.accuracy(x_val, t_val) < 0.5  # but it does not generalise


def test_chapter_3_batch_100_is_smoother_than_batch_10(mnist):
    (x_train, t_train), (x_val, t_val), _ = mnist
    losses_10, net_10 = day60_run(x_train, t_train, 10, 0.01, fixed=False)
    losses_100, net_100 = day60_run(x_train, t_train, 100, 0.01, fixed=False)
    assert successive_difference_std(losses_100) < successive_difference_std(losses_10) / 2
    # with the correct gradient, lr 0.01 barely moves the loss from log 10 in 1000 steps
    assert losses_10[-100:].mean() > 2.2 and losses_100[-100:].mean() > 2.2
    # ... and both networks answer the same digit for every image: their accuracy is that digit's share
    for net in (net_10, net_100):
        answers = np.unique(np.argmax(net.predict(x_val), axis=1))
        assert len(answers) == 1
        assert net.accuracy(x_val, t_val) == pytest.approx(np.mean(t_val == answers[0]))


def test_chapter_3_batch_and_rate_each_give_about_half_of_the_gain(mnist):
    """Batch 10 -> 100 at lr 0.1, then lr 0.1 -> 1.0 at batch 100: both help, neither is most of the gain.

    The lr 1.0 run amplifies rounding (its numbers change with the BLAS threads), hence the wide band."""
    (x_train, t_train), (x_val, t_val), _ = mnist
    runs = [day60_run(x_train, t_train, n, lr, fixed=False) for n, lr in ((10, 0.1), (100, 0.1), (100, 1.0))]
    final_losses = np.array([losses[-100:].mean() for losses, _ in runs])
    accuracies = np.array([net.accuracy(x_val, t_val) for _, net in runs])
    for values in (-final_losses, accuracies):
        batch_part, rate_part = np.diff(values)
        assert batch_part > 0 and rate_part > 0, values
        assert 0.25 < batch_part / (batch_part + rate_part) < 0.75, values


def test_chapter_2_the_same_lr_is_worst_at_batch_size_1(mnist):
    """The mean loss keeps the expected gradient, not the best learning rate: lr 0.1 is worst at N_t = 1."""
    (x_train, t_train), (x_val, t_val), _ = mnist
    x_val = x_val.astype(np.float64)
    val_loss = {}
    for n in (1, 10, 100, 1000):
        np.random.seed(8)
        params = {"W": np.zeros((784, 10)), "b": np.zeros(10)}
        affine, last = Affine(params["W"], params["b"]), SoftmaxWithLoss()
        optimizer = SGD(lr=0.1)
        for _ in range(300):
            mask = np.random.choice(len(x_train), n)
            last.forward(affine.forward(x_train[mask]), t_train[mask])
            affine.backward(last.backward())
            optimizer.update(params, {"W": affine.dW, "b": affine.db})
        val_loss[n] = SoftmaxWithLoss().forward(x_val @ params["W"] + params["b"], t_val)
    assert max(val_loss, key=val_loss.get) == 1, val_loss
    assert val_loss[1] > 2 * val_loss[10], val_loss


def test_chapter_3_mixed_dtype_matmul_casts_then_multiplies():
    """NumPy 2 computes float32 @ float64 as a cast followed by the float64 product (bit for bit)."""
    rng = np.random.default_rng(8)
    x32 = rng.random((100, 784), dtype=np.float32)
    W64 = rng.normal(size=(784, 200))
    assert np.array_equal(x32 @ W64, x32.astype(np.float64) @ W64)
    affine = Affine(W64, np.zeros(200))
    assert np.array_equal(affine.forward(x32), x32.astype(np.float64) @ W64)
    assert affine.x.dtype == np.float64  # kept cast for backward's x.T @ dout


def test_chapter_3_extreme_scores_loss_is_the_mean_of_the_two_samples():
    x = np.array([[-1e4, 1e4, 1e4], [1e4, -1e4, 0.0]])
    t = np.array([0, 0])
    first = -(x[0, 0] - (1e4 + np.log(2)))  # -log softmax, written out: logsumexp = 1e4 + log 2
    assert SoftmaxWithLoss(exact=True).forward(x[:1], t[:1]) == pytest.approx(first, rel=1e-12)
    assert SoftmaxWithLoss(exact=True).forward(x[1:], t[1:]) == pytest.approx(0.0, abs=1e-12)
    assert SoftmaxWithLoss(exact=True).forward(x, t) == pytest.approx((first + 0.0) / 2, rel=1e-12)
    # the book's: the first capped at -log(0 + 1e-7), the second -log(1 + 1e-7)
    assert SoftmaxWithLoss().forward(x, t) == pytest.approx((-np.log(1e-7) - np.log(1 + 1e-7)) / 2, rel=1e-12)
