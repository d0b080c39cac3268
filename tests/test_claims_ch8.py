"""Chapter 8's claims about the backward pass, on other seeds than the page's and with
an independent NumPy implementation (no zerodl layers): with sigmoid layers the gradient
vanishes for weight std 0.01 (about sqrt(n) * 0.01 * 0.25 = 0.025 per layer), hardly
shrinks for std 1 (saturation, but W's scale sqrt(n) compensates the small derivative),
shrinks by about the slope 1/4 per layer for Xavier, and far less for tanh with Xavier;
and the LeCun-uniform exercise's prediction 1/2 is an average over the weight draws."""

from __future__ import annotations

import numpy as np
import pytest

N, LAYERS, BATCH = 100, 5, 1000


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


ACTIVATIONS = {
    "sigmoid": (sigmoid, lambda y: y * (1.0 - y)),
    "tanh": (np.tanh, lambda y: 1.0 - y**2),
    "relu": (lambda a: np.maximum(0.0, a), lambda y: (y > 0).astype(float)),
}


def backward(scale, activation, seed):
    """RMS of dL/dz from the last layer's output to the input (first = 1) and RMS of dL/dW1..W5."""
    f, df = ACTIVATIONS[activation]
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((BATCH, N))
    xs, ws, ys = [], [], []
    for _ in range(LAYERS):
        w = scale * rng.standard_normal((N, N))
        xs.append(z)
        ws.append(w)
        z = f(z @ w)
        ys.append(z)
    g = rng.standard_normal(z.shape) / BATCH
    signal, dW = [np.sqrt(np.mean(g**2))], []
    for x, w, y in zip(xs[::-1], ws[::-1], ys[::-1]):
        delta = g * df(y)
        dW.append(np.sqrt(np.mean((x.T @ delta) ** 2)))
        g = delta @ w.T
        signal.append(np.sqrt(np.mean(g**2)))
    signal = np.array(signal)
    return signal / signal[0], np.array(dW[::-1])


def test_backward_matches_a_numerical_derivative():
    """The hand-written backward is the gradient of L = sum(G * z5): checked on one weight."""
    f, _ = ACTIVATIONS["sigmoid"]
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 4))
    ws = [rng.standard_normal((4, 4)) for _ in range(3)]
    G = rng.standard_normal((7, 4))

    def loss(ws):
        z = x
        for w in ws:
            z = f(z @ w)
        return np.sum(G * z)

    zs = [x]
    for w in ws:
        zs.append(f(zs[-1] @ w))
    g, grads = G, []
    for k in range(3)[::-1]:
        delta = g * zs[k + 1] * (1 - zs[k + 1])
        grads.append(zs[k].T @ delta)
        g = delta @ ws[k].T
    dW1 = grads[-1]
    h = 1e-6
    plus = [w.copy() for w in ws]
    minus = [w.copy() for w in ws]
    plus[0][1, 2] += h
    minus[0][1, 2] -= h
    assert abs((loss(plus) - loss(minus)) / (2 * h) - dW1[1, 2]) < 1e-7


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigmoid_gradient_vanishes_for_std_001_not_for_std_1(seed):
    small, small_dW = backward(0.01, "sigmoid", seed)
    assert np.all(small[1:] / small[:-1] < 0.03)  # sqrt(100) * 0.01 * 0.25 = 0.025 per layer
    assert small[-1] < 1e-7 and small_dW[0] < 1e-5 * small_dW[-1]
    big, big_dW = backward(1.0, "sigmoid", seed)
    assert big[-1] > 0.4  # five layers of saturated sigmoids, and the signal is still of order 1
    assert big_dW.max() < 2 * big_dW.min()  # every layer's weights get about the same gradient


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xavier_sigmoid_shrinks_by_the_slope_tanh_much_less(seed):
    sig, _ = backward(np.sqrt(1 / N), "sigmoid", seed)
    assert np.all((0.17 < sig[1:] / sig[:-1]) & (sig[1:] / sig[:-1] < 0.26))  # slope 1/4 at 0, less elsewhere
    tanh, _ = backward(np.sqrt(1 / N), "tanh", seed)
    assert tanh[-1] > 100 * sig[-1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relu_backward_shrinks_like_the_forward(seed):
    for scale in (0.01, np.sqrt(1 / N), np.sqrt(2 / N)):
        signal, _ = backward(scale, "relu", seed)
        np.testing.assert_allclose(signal[1:] / signal[:-1], np.sqrt(N * scale**2 / 2), rtol=0.15)


def relu_ratios_lecun_uniform(seed, centre=False):
    """Layer-to-layer ratios of E[z^2] through ReLU layers, weights U(-sqrt(3/n), sqrt(3/n));
    with ``centre`` each layer's input has its per-unit mean removed first."""
    rng = np.random.default_rng(seed)
    limit = np.sqrt(3 / N)
    z = rng.standard_normal((BATCH, N))
    ratios = []
    for _ in range(LAYERS):
        x = z - z.mean(axis=0) if centre else z
        z = np.maximum(0.0, x @ rng.uniform(-limit, limit, size=(N, N)))
        ratios.append(np.mean(z**2) / np.mean(x**2))
    return np.array(ratios[1:])  # the first layer's input is the data


def test_lecun_uniform_has_std_one_over_sqrt_n_and_halves_relu_squares_on_average():
    w = np.random.default_rng(0).uniform(-np.sqrt(3 / N), np.sqrt(3 / N), size=200_000)
    assert abs(w.std() * np.sqrt(N) - 1) < 0.01  # LeCun et al. 1998: std 1/sqrt(fan_in)
    ratios = np.array([relu_ratios_lecun_uniform(seed) for seed in range(40)])
    assert np.all(np.abs(ratios.mean(axis=0) - 0.5) < 0.04)  # the expectation is 1/2 ...
    assert ratios.std() > 0.03  # ... one draw of 100 x 100 weights scatters around it
    # The scatter comes from the ReLU outputs' positive mean (a per-unit offset mean x column sum):
    centred = np.array([relu_ratios_lecun_uniform(seed, centre=True) for seed in range(40)])
    assert np.all(np.abs(centred.mean(axis=0) - 0.5) < 0.02)
    assert centred.std() < 0.3 * ratios.std()
