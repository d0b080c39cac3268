"""Chapter 1: numerical differentiation against analytic derivatives, and the
claims the chapter makes about gradient descent on y = x^2."""

from __future__ import annotations

import numpy as np
import pytest

from zerodl.gradient import gradient_descent, numerical_diff, numerical_gradient


@pytest.mark.parametrize(
    "f, df, x",
    [
        (np.sin, np.cos, 0.7),
        (np.exp, np.exp, -1.3),
        (lambda x: 0.01 * x**2 + 0.1 * x, lambda x: 0.02 * x + 0.1, 5.0),  # the book's function_1
        (lambda x: x**3, lambda x: 3 * x**2, 2.0),
    ],
)
def test_numerical_diff_matches_the_derivative(f, df, x):
    # central difference: error O(h^2) = 1e-8 times the third derivative
    assert numerical_diff(f, x) == pytest.approx(df(x), rel=1e-6, abs=1e-7)


def test_central_difference_beats_forward_difference():
    f, x, h = np.exp, 1.0, 1e-4
    forward = (f(x + h) - f(x)) / h
    assert abs(numerical_diff(f, x, h) - np.e) < abs(forward - np.e) / 100


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)])
def test_numerical_gradient_of_a_quadratic_form(shape):
    rng = np.random.default_rng(0)
    n = int(np.prod(shape))
    a = rng.normal(size=(n, n))
    a = a @ a.T
    b = rng.normal(size=n)
    x = rng.normal(size=shape)

    def f(v):
        flat = v.ravel()
        return 0.5 * flat @ a @ flat + b @ flat

    expected = (a @ x.ravel() + b).reshape(shape)
    before = x.copy()
    grad = numerical_gradient(f, x)
    assert grad.shape == shape
    np.testing.assert_allclose(grad, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(x, before)  # every element was restored


def test_numerical_gradient_sees_a_closure_over_the_same_array():
    w = np.array([[1.0, -2.0], [0.5, 3.0]])

    def loss(_):
        return np.sum(np.tanh(w))  # reads w, not its argument, as a network's loss does

    np.testing.assert_allclose(numerical_gradient(loss, w), 1 - np.tanh(w) ** 2, rtol=1e-6)


@pytest.mark.parametrize("bad", [np.array([3, 4]), [3.0, 4.0], 3.0])
def test_numerical_gradient_refuses_what_it_would_get_wrong(bad):
    with pytest.raises(TypeError, match="float NumPy array"):
        numerical_gradient(lambda x: np.sum(x**2), bad)


def square(x):
    return np.sum(x**2)


def test_learning_rate_0_1_gets_within_0_4_in_10_steps():
    x = gradient_descent(square, np.array([-3.0]), lr=0.1, step_num=10)
    assert abs(x[0]) < 0.4


def test_learning_rate_0_01_is_far_after_10_and_close_after_100_steps():
    assert abs(gradient_descent(square, np.array([-3.0]), lr=0.01, step_num=10)[0]) > 2
    assert abs(gradient_descent(square, np.array([-3.0]), lr=0.01, step_num=100)[0]) < 0.4


def test_learning_rate_1_1_diverges_with_alternating_sign():
    _, history = gradient_descent(square, np.array([-3.0]), lr=1.1, step_num=10, return_history=True)
    xs = np.abs(history[:, 0])
    assert np.all(np.diff(xs) > 0), "|x| grows every step"
    assert np.all(np.sign(history[1:, 0]) == -np.sign(history[:-1, 0])), "x jumps over the minimum"


@pytest.mark.parametrize("lr", [0.05, 0.3, 0.75, 1.0, 1.1, 1.5])
def test_update_is_x_times_one_minus_two_eta(lr):
    _, history = gradient_descent(square, np.array([-3.0]), lr=lr, step_num=8, return_history=True)
    np.testing.assert_allclose(history[:, 0], -3.0 * (1 - 2 * lr) ** np.arange(9), rtol=1e-6)


def test_gradient_descent_leaves_init_x_alone_and_accepts_integers():
    init = np.array([-3, 4])
    x = gradient_descent(square, init, lr=0.1, step_num=20)
    np.testing.assert_array_equal(init, [-3, 4])
    assert np.linalg.norm(x) == pytest.approx(5 * 0.8**20, rel=1e-6)


def test_chapter_1_exercise_2_what_remains_after_100_steps():
    """x0 <- (1 - lr/10) x0 on x0**2/20: 7 * 0.91**100 = 5.6e-4 remains at lr 0.9 (the chapter quotes it)."""
    from zerodl.gradient import gradient_descent

    x = gradient_descent(lambda v: v[0] ** 2 / 20 + v[1] ** 2, np.array([-7.0, 2.0]), lr=0.9, step_num=100)
    remaining = 7.0
    for _ in range(100):
        remaining *= 1 - 0.9 / 10
    assert abs(x[0]) == pytest.approx(remaining, rel=1e-4)
    assert 5.55e-4 < remaining < 5.65e-4
