"""The stability claims of chapter 4 (「学習率が大きいとき：安定の限界」), checked on the
package's optimizers: on f(w) = lam * w**2 / 2, Momentum(lr, alpha) converges iff
0 < lr * lam < 2 (1 + alpha), while SGD at the "effective" rate lr / (1 - alpha)
converges only iff lr * lam < 2 (1 - alpha); the ratio of the ranges is
(1 + alpha) / (1 - alpha) (19 at alpha = 0.9). Chapter 7 quotes the same bound."""

from __future__ import annotations

import numpy as np
import pytest

from zerodl.optimizers import SGD, Momentum

CASES = [(0.1, 0.9), (0.01, 0.9), (0.05, 0.5), (0.3, 0.99)]


def final_abs_w(optimizer, lam, steps):
    params = {"w": np.array([1.0])}
    for _ in range(steps):
        optimizer.update(params, {"w": lam * params["w"]})
        if abs(params["w"][0]) > 1e6:  # diverged: stop before float64 overflows
            break
    return abs(params["w"][0])


def spectral_radius(lr, alpha, lam):
    """Largest |eigenvalue| of the heavy-ball iteration (w_t, w_{t-1}) -> (w_{t+1}, w_t)."""
    return np.abs(np.linalg.eigvals([[1 + alpha - lr * lam, -alpha], [1.0, 0.0]])).max()


@pytest.mark.parametrize("lr, alpha", CASES)
def test_momentum_converges_below_2_1_plus_alpha_and_diverges_above(lr, alpha):
    limit = 2 * (1 + alpha) / lr
    assert spectral_radius(lr, alpha, 0.99 * limit) < 1 < spectral_radius(lr, alpha, 1.01 * limit)
    steps = 20000 if alpha > 0.95 else 3000  # alpha near 1: the oscillation decays slowly
    assert final_abs_w(Momentum(lr=lr, momentum=alpha), 0.97 * limit, steps) < 1e-3
    assert final_abs_w(Momentum(lr=lr, momentum=alpha), 1.03 * limit, 3000) > 1e3


@pytest.mark.parametrize("lr, alpha", CASES)
def test_sgd_at_the_effective_rate_is_stable_on_a_range_1_minus_alpha_over_1_plus_alpha_as_wide(lr, alpha):
    sgd_limit = 2 * (1 - alpha) / lr  # SGD(lr / (1 - alpha)) converges iff lr / (1 - alpha) * lam < 2
    assert final_abs_w(SGD(lr=lr / (1 - alpha)), 0.97 * sgd_limit, 3000) < 1e-3
    assert final_abs_w(SGD(lr=lr / (1 - alpha)), 1.03 * sgd_limit, 3000) > 1e3
    # the curvatures between the two limits: Momentum converges, SGD at the effective rate diverges
    lam = np.sqrt(sgd_limit * 2 * (1 + alpha) / lr)
    assert spectral_radius(lr, alpha, lam) < 1 < abs(1 - lr / (1 - alpha) * lam)
    assert (2 * (1 + alpha) / lr) / sgd_limit == pytest.approx((1 + alpha) / (1 - alpha))


def test_the_ratio_is_19_at_alpha_0_9_and_the_limits_are_38_and_2_at_lr_0_1():
    lr, alpha = 0.1, 0.9
    assert 2 * (1 + alpha) / lr == pytest.approx(38) and 2 * (1 - alpha) / lr == pytest.approx(2)
    assert (1 + alpha) / (1 - alpha) == pytest.approx(19)


@pytest.mark.parametrize("lr, alpha", CASES)
def test_alternating_gradients_give_a_velocity_of_lr_over_1_plus_alpha(lr, alpha):
    """The prose's reason: where the gradient flips sign every step, |v| -> lr |g| / (1 + alpha)."""
    optimizer, params = Momentum(lr=lr, momentum=alpha), {"w": np.array([0.0])}
    for t in range(5000):
        optimizer.update(params, {"w": np.array([(-1.0) ** t])})
    assert abs(optimizer.v["w"][0]) == pytest.approx(lr / (1 + alpha), rel=1e-6)
