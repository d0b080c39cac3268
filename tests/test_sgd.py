"""Chapter 2: SGD against its update equation written out here, and the
argument checks every optimizer shares (check_update_args)."""

from __future__ import annotations

import numpy as np
import pytest

from zerodl.optimizers import SGD, check_update_args


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_follows_w_minus_lr_times_grad(dtype):
    rng = np.random.default_rng(8)
    params = {"W1": rng.normal(size=(3, 4)).astype(dtype), "b1": rng.normal(size=4).astype(dtype)}
    arrays = dict(params)  # the very objects the update must modify
    expected = {k: v.astype(np.float64) for k, v in params.items()}
    optimizer = SGD(lr=0.05)
    for _ in range(50):
        grads = {k: rng.normal(size=v.shape).astype(dtype) for k, v in params.items()}
        optimizer.update(params, grads)
        for k in expected:
            expected[k] = expected[k] - 0.05 * grads[k].astype(np.float64)
    for k, v in params.items():
        assert v is arrays[k] and v.dtype == dtype
        tolerance = 1e-5 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(v, expected[k], rtol=tolerance, atol=tolerance)


def test_sgd_default_learning_rate_is_the_books():
    params = {"x": np.array([1.0])}
    SGD().update(params, {"x": np.array([1.0])})
    assert params["x"][0] == pytest.approx(0.99)


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.01", True, None])
def test_sgd_refuses_a_bad_learning_rate(lr):
    with pytest.raises(ValueError, match="^lr must be a positive number"):
        SGD(lr=lr)


def test_nothing_is_updated_when_one_gradient_is_bad():
    params = {"W1": np.ones((2, 2)), "b1": np.ones(2), "W2": np.ones((2, 1))}
    grads = {"W1": np.ones((2, 2)), "b1": np.ones(2), "W2": np.ones(2)}  # W2's has the wrong shape
    with pytest.raises(ValueError, match=r"grads\['W2'\] has shape \(2,\), but params\['W2'\] has shape \(2, 1\)"):
        SGD(lr=0.1).update(params, grads)
    assert all(np.all(v == 1.0) for v in params.values())


def test_check_update_args_names_every_missing_and_extra_key():
    params = {"W1": np.zeros(2), "b1": np.zeros(2), "W2": np.zeros(2)}
    with pytest.raises(ValueError, match=r"parameter\(s\) 'b1', 'W2'$"):
        check_update_args(params, {"W1": np.zeros(2)})
    with pytest.raises(ValueError, match=r"key\(s\) 'w1' that are not in params \(params has 'W1', 'b1', 'W2'\)"):
        check_update_args(params, {"W1": np.zeros(2), "b1": np.zeros(2), "W2": np.zeros(2), "w1": np.zeros(2)})


@pytest.mark.parametrize(
    "param, grad",
    [
        (np.array([1, 2]), np.array([0.5, 0.5])),  # integers: NumPy's -= would refuse without naming the key
        (np.array([True, False]), np.array([0.5, 0.5])),
        ([1.0, 2.0], [0.5, 0.5]),  # a list: neither an array nor a number
    ],
)
def test_check_update_args_refuses_parameters_that_cannot_be_updated_in_place(param, grad):
    with pytest.raises(TypeError, match=r"params\['W'\] must be a floating-point NumPy array"):
        check_update_args({"W": param}, {"W": grad})


def test_check_update_args_accepts_matching_float_arrays_and_numbers():
    params = {"W": np.zeros((2, 3), np.float32), "b": np.zeros(3), "x": -7.0, "n": 3, "z": np.array(0.5)}
    grads = {"W": np.ones((2, 3)), "b": np.ones(3, np.float32), "x": 0.5, "n": np.int64(1), "z": np.array(1.0)}
    check_update_args(params, grads)  # no error


def test_sgd_rebinds_a_number_as_the_books_code_does():
    params = {"x": -7.0, "n": 3}
    SGD(lr=0.95).update(params, {"x": -0.7, "n": 1})
    assert params == {"x": -7.0 + 0.95 * 0.7, "n": 3 - 0.95}


@pytest.mark.parametrize("params, grads", [([np.zeros(2)], [np.zeros(2)]), ({"W": np.zeros(2)}, None)])
def test_check_update_args_needs_dicts(params, grads):
    with pytest.raises(TypeError, match="two dicts keyed by parameter name"):
        check_update_args(params, grads)
