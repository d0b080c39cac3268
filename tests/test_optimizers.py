"""Chapters 4-7: every optimizer against its update equations written out here,
independently of the package; in-place updates; bad input; NaN/inf; and the
claims the chapters make about the paths on f(x, y) = x**2 / 20 + y**2."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zerodl.landscape import bowl, bowl_grad, optimizer_path
from zerodl.network import MultiLayerNet
from zerodl import optimizers
from zerodl.optimizers import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop

# Every optimizer the package exports (classes with an `update` in __all__): a new
# chapter's optimizer joins the generic tests below without being listed by hand.
ALL = [
    obj
    for obj in (getattr(optimizers, name) for name in optimizers.__all__)
    if isinstance(obj, type) and callable(getattr(obj, "update", None))
]
STATEFUL = [cls for cls in ALL if cls is not SGD]
# The state each keeps per parameter (the book's names), read by the NaN test.
STATE = {Momentum: "v", Nesterov: "v", AdaGrad: "h", RMSprop: "h", Adam: "mv"}


def state_names(cls) -> str:
    """The one-letter names of the state ``cls`` keeps (from the nearest class in STATE)."""
    return next((STATE[klass] for klass in cls.__mro__ if klass in STATE), "")


# Optimizers whose update equations are written out in another test file.
EQUATIONS_ELSEWHERE = {"AdamW": "tests/test_beyond.py"}

EPS = 1e-7  # the book's epsilon, the default of AdaGrad, RMSprop and Adam


# --- reference implementations: the equations of the chapters, one step at a time ---------------
# Each takes the parameter w, the gradient g and a dict of state, and returns the new w.
# They work on float64 copies and never touch the package's code.


def ref_sgd(w, g, s, lr):
    return w - lr * g


def ref_momentum(w, g, s, lr, alpha=0.9):
    s["v"] = alpha * s.get("v", 0.0) - lr * g
    return w + s["v"]


def ref_nesterov(w, g, s, lr, alpha=0.9):
    # Bengio et al., eq. (7): the velocity *before* this step enters the parameter update.
    v_old = s.get("v", 0.0)
    s["v"] = alpha * v_old - lr * g
    return w + alpha**2 * v_old - (1 + alpha) * lr * g


def ref_adagrad(w, g, s, lr):
    s["h"] = s.get("h", 0.0) + g * g
    return w - lr * g / (np.sqrt(s["h"]) + EPS)


def ref_rmsprop(w, g, s, lr, rho=0.99):
    s["h"] = rho * s.get("h", 0.0) + (1 - rho) * g * g
    return w - lr * g / (np.sqrt(s["h"]) + EPS)


def ref_adam(w, g, s, lr, b1=0.9, b2=0.999):
    # equations (1), (2) and the folded form (6) of chapter 6
    t = s["t"] = s.get("t", 0) + 1
    s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
    lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
    return w - lr_t * s["m"] / (np.sqrt(s["v"]) + EPS)


CASES = [
    (SGD, {"lr": 0.1}, ref_sgd),
    (Momentum, {"lr": 0.05, "momentum": 0.9}, ref_momentum),
    (Momentum, {"lr": 0.01, "momentum": 0.5}, lambda w, g, s, lr: ref_momentum(w, g, s, lr, alpha=0.5)),
    (Nesterov, {"lr": 0.05, "momentum": 0.9}, ref_nesterov),
    (AdaGrad, {"lr": 0.1}, ref_adagrad),
    (RMSprop, {"lr": 0.01, "decay_rate": 0.99}, ref_rmsprop),
    (RMSprop, {"lr": 0.01, "decay_rate": 0.9}, lambda w, g, s, lr: ref_rmsprop(w, g, s, lr, rho=0.9)),
    (Adam, {"lr": 0.001, "beta1": 0.9, "beta2": 0.999}, ref_adam),
    (Adam, {"lr": 0.01, "beta1": 0.5, "beta2": 0.9}, lambda w, g, s, lr: ref_adam(w, g, s, lr, b1=0.5, b2=0.9)),
]
IDS = [f"{cls.__name__}-{kw}" for cls, kw, _ in CASES]


def test_every_exported_optimizer_is_checked_against_its_equations():
    checked = {cls.__name__ for cls, _, _ in CASES} | EQUATIONS_ELSEWHERE.keys()
    missing = [cls.__name__ for cls in ALL if cls.__name__ not in checked]
    assert not missing, f"add a reference implementation and a CASES entry (or EQUATIONS_ELSEWHERE) for {missing}"
    missing = [cls.__name__ for cls in STATEFUL if not state_names(cls)]
    assert not missing, f"name the state of {missing} in STATE"


@pytest.mark.parametrize("cls, kwargs, reference", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_optimizer_follows_its_equations(cls, kwargs, reference, dtype):
    rng = np.random.default_rng(5)
    shapes = {"W1": (4, 3), "b1": (3,), "W2": (3, 2), "b2": (2,)}
    params = {key: rng.normal(size=shape).astype(dtype) for key, shape in shapes.items()}
    expected = {key: value.astype(np.float64) for key, value in params.items()}
    states = {key: {} for key in shapes}
    optimizer = cls(**kwargs)
    for _ in range(200):
        # gradients of very different sizes per key, as in a real network
        grads = {key: (rng.normal(size=shape) * 10.0 ** rng.integers(-3, 2)).astype(dtype) for key, shape in shapes.items()}
        ids = {key: id(value) for key, value in params.items()}
        optimizer.update(params, grads)
        for key in shapes:
            expected[key] = reference(expected[key], grads[key].astype(np.float64), states[key], kwargs["lr"])
            assert id(params[key]) == ids[key], "updated in place"
            assert params[key].dtype == dtype, f"{key} stays {np.dtype(dtype).name}"
    tol = {"rtol": 1e-9, "atol": 1e-12} if dtype == np.float64 else {"rtol": 2e-4, "atol": 2e-5}
    for key in shapes:
        np.testing.assert_allclose(params[key], expected[key], **tol, err_msg=key)


def test_adam_float32_update_is_computed_in_float32(monkeypatch):
    """lr_t is a Python float: nothing in the update is promoted to float64."""
    seen = []
    real_sqrt = np.sqrt

    def spy(x, *args, **kwargs):
        out = real_sqrt(x, *args, **kwargs)
        seen.append(np.asarray(out).dtype)
        return out

    monkeypatch.setattr(np, "sqrt", spy)
    params = {"W": np.ones((2, 2), dtype=np.float32)}
    Adam().update(params, {"W": np.full((2, 2), 0.5, dtype=np.float32)})
    assert seen == [np.float32]
    assert params["W"].dtype == np.float32


def test_book_incremental_form_equals_equation_1():
    rng = np.random.default_rng(0)
    b1, m_inc, m_eq = 0.9, np.zeros(5), np.zeros(5)
    for _ in range(100):
        g = rng.normal(size=5)
        m_inc += (1 - b1) * (g - m_inc)
        m_eq = b1 * m_eq + (1 - b1) * g
    np.testing.assert_allclose(m_inc, m_eq, rtol=1e-12)


def test_adam_equation_5_is_equation_6_with_a_smaller_epsilon():
    """(5) with eps equals (6) with eps * sqrt(1 - beta2**t), exactly as chapter 6 derives."""
    rng = np.random.default_rng(1)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-3  # a large eps makes the difference visible
    m = v = np.zeros(6)
    for t in range(1, 50):
        g = rng.normal(size=6) * 1e-3
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        by5 = lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        by6_adjusted = lr_t * m / (np.sqrt(v) + eps * math.sqrt(1 - b2**t))
        by6 = lr_t * m / (np.sqrt(v) + eps)
        np.testing.assert_allclose(by5, by6_adjusted, rtol=1e-12)
        assert np.all(np.abs(by6) < np.abs(by5)), "(6) uses the larger epsilon, so its steps are smaller"


# --- in place, on a real network ------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL)
def test_update_changes_the_arrays_the_network_computes_with(cls):
    np.random.seed(0)
    net = MultiLayerNet(6, [5], 3, weight_init_std=0.5)
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(4, 6)), np.array([0, 1, 2, 1])
    before = {key: value.copy() for key, value in net.params.items()}
    arrays = dict(net.params)
    optimizer = cls(lr=0.1)
    for _ in range(3):
        optimizer.update(net.params, net.gradient(x, t))
    for key, value in net.params.items():
        assert value is arrays[key], f"{key} was replaced instead of updated in place"
        assert not np.array_equal(value, before[key]), f"{key} did not move"
    assert net.layers["Affine1"].W is net.params["W1"] and net.layers["Affine2"].b is net.params["b2"]
    # what the network predicts is computed with the updated weights
    hidden = np.maximum(0, x @ net.params["W1"] + net.params["b1"])
    np.testing.assert_allclose(net.predict(x), hidden @ net.params["W2"] + net.params["b2"], rtol=1e-12)


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL)
def test_missing_or_extra_gradient_names_the_key(cls):
    params = {"W1": np.zeros((2, 2)), "b1": np.zeros(2)}
    with pytest.raises(ValueError, match="'b1'"):
        cls().update(params, {"W1": np.ones((2, 2))})
    with pytest.raises(ValueError, match="'W9'"):
        cls().update(params, {"W1": np.ones((2, 2)), "b1": np.ones(2), "W9": np.ones(1)})


@pytest.mark.parametrize("cls", ALL)
def test_gradient_of_the_wrong_shape_names_the_key(cls):
    params = {"W1": np.zeros((2, 3)), "b1": np.zeros(3)}
    before = {k: v.copy() for k, v in params.items()}
    with pytest.raises(ValueError, match=r"'b1'.*\(1, 3\)"):
        cls().update(params, {"W1": np.ones((2, 3)), "b1": np.ones((1, 3))})  # would broadcast silently
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])  # nothing half-updated


@pytest.mark.parametrize("cls", ALL)
def test_integer_parameters_are_refused(cls):
    with pytest.raises(TypeError, match=r"params\['W'\].*floating-point"):
        cls().update({"W": np.array([1, 2, 3])}, {"W": np.array([0.5, 0.5, 0.5])})


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Momentum(lr=0), "lr"),
        (lambda: Momentum(lr=-0.1), "lr"),
        (lambda: Momentum(momentum=1.0), "momentum"),
        (lambda: Nesterov(momentum=-0.1), "momentum"),
        (lambda: AdaGrad(lr=float("nan")), "lr"),
        (lambda: AdaGrad(eps=0), "eps"),
        (lambda: RMSprop(decay_rate=1), "decay_rate"),
        (lambda: Adam(beta1=1.0), "beta1"),
        (lambda: Adam(beta2=1.5), "beta2"),
        (lambda: Adam(lr="0.001"), "lr"),
        (lambda: Adam(lr=True), "lr"),
    ],
)
def test_bad_hyperparameters_are_refused_when_created(make, message):
    with pytest.raises(ValueError, match=f"^{message} must be"):
        make()


@pytest.mark.parametrize("cls", STATEFUL)
def test_a_key_added_later_starts_from_fresh_state(cls):
    """After some steps on W, a new key b behaves exactly as if it had been alone from the start."""
    rng = np.random.default_rng(3)
    grads_w = [rng.normal(size=3) for _ in range(20)]
    grads_b = [rng.normal(size=2) for _ in range(10)]

    together = cls(lr=0.01)
    params = {"W": np.zeros(3)}
    for g in grads_w[:10]:
        together.update(params, {"W": g})
    params["b"] = np.zeros(2)
    for gw, gb in zip(grads_w[10:], grads_b):
        together.update(params, {"W": gw, "b": gb})

    alone = cls(lr=0.01)
    only_b = {"b": np.zeros(2)}
    for gb in grads_b:
        alone.update(only_b, {"b": gb})
    np.testing.assert_allclose(params["b"], only_b["b"], rtol=1e-12)


@pytest.mark.parametrize("cls", STATEFUL)
def test_a_parameter_replaced_by_another_shape_fails_clearly_and_changes_nothing(cls):
    optimizer = cls()
    optimizer.update({"A": np.zeros(3), "W": np.zeros((2, 2))}, {"A": np.ones(3), "W": np.ones((2, 2))})
    params = {"A": np.array([1.0, 2.0, 3.0]), "W": np.zeros((3, 2))}
    with pytest.raises(ValueError, match=r"params\['W'\] has shape \(3, 2\).*new optimizer"):
        optimizer.update(params, {"A": np.ones(3), "W": np.ones((3, 2))})
    np.testing.assert_array_equal(params["A"], [1.0, 2.0, 3.0])  # the key before W was not updated


# --- NaN and inf ----------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_gradient_poisons_the_parameter(cls, bad):
    """No optimizer repairs a NaN or inf gradient: it reaches the parameter (with a warning)."""
    params = {"W": np.array([1.0, 2.0])}
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match=r"grads\['W'\] contains nan or inf"):
        cls(lr=0.1).update(params, {"W": np.array([bad, 0.5])})
    assert not np.isfinite(params["W"][0])
    assert np.isfinite(params["W"][1]), "other elements are unaffected"


@pytest.mark.parametrize("cls, state", [(cls, name) for cls in STATEFUL for name in state_names(cls)])
def test_after_one_nan_gradient_the_state_stays_nan(cls, state):
    optimizer = cls(lr=0.1)
    params = {"W": np.array([1.0])}
    with pytest.warns(RuntimeWarning):
        optimizer.update(params, {"W": np.array([np.nan])})
    for _ in range(5):
        optimizer.update(params, {"W": np.array([0.5])})
        assert np.isnan(getattr(optimizer, state)["W"][0])
        assert np.isnan(params["W"][0])


def test_sgd_carries_a_nan_gradient_into_the_parameter():
    params = {"W": np.array([1.0])}
    with pytest.warns(RuntimeWarning):
        SGD(lr=0.1).update(params, {"W": np.array([np.nan])})
    assert np.isnan(params["W"][0])


@pytest.mark.parametrize("cls", ALL)
def test_the_first_non_finite_gradient_is_warned_once_per_optimizer(cls):
    import warnings

    optimizer, params = cls(lr=0.1), {"a": np.ones(3), "b": np.ones(2)}
    good = {"a": np.ones(3), "b": np.ones(2)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizer.update(params, good)
        assert not caught, "finite gradients: no warning"
        with np.errstate(invalid="ignore"):
            for bad in (np.inf, np.nan, np.nan):
                optimizer.update(params, {"a": np.ones(3), "b": np.array([1.0, bad])})
    assert len(caught) == 1 and caught[0].category is RuntimeWarning
    assert "grads['b']" in str(caught[0].message)


def test_large_finite_gradients_whose_sum_overflows_are_not_warned():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SGD(lr=1e-40).update({"W": np.zeros(4, np.float32)}, {"W": np.full(4, 3e38, np.float32)})


# --- scalars as in the book, and update() that changes nothing when it fails -----------------------

SCALAR_CASES = [case for case in CASES]


@pytest.mark.parametrize("cls, kwargs, reference", SCALAR_CASES, ids=IDS)
@pytest.mark.parametrize("kind", ["float", "int", "np.float64", "0-d array"])
def test_scalar_parameters_are_updated_as_the_equations_say(cls, kwargs, reference, kind):
    """params['x'] = -7.0 as in the book's optimizer_compare_naive.py: the dict entry is
    rebound to the new number (a 0-d array is an array: updated in place)."""
    make = {"float": float, "int": int, "np.float64": np.float64, "0-d array": lambda x: np.array(float(x))}[kind]
    params = {"x": make(-7), "y": make(2)}
    zero_d = {key: value for key, value in params.items() if isinstance(value, np.ndarray)}
    expected, states = {"x": -7.0, "y": 2.0}, {"x": {}, "y": {}}
    optimizer = cls(**kwargs)
    for _ in range(30):
        grads = {"x": float(params["x"]) / 10.0, "y": 2.0 * float(params["y"])}
        optimizer.update(params, grads)
        for key in expected:
            expected[key] = reference(expected[key], grads[key], states[key], kwargs["lr"])
    for key in expected:
        assert np.ndim(params[key]) == 0 and isinstance(float(params[key]), float)
        assert math.isclose(float(params[key]), expected[key], rel_tol=1e-12, abs_tol=1e-12), key
        if key in zero_d:
            assert params[key] is zero_d[key], "a 0-d array is updated in place"
    for name in ("v", "h", "m"):
        for value in getattr(optimizer, name, {}).values():
            assert np.ndim(value) == 0 and np.issubdtype(np.asarray(value).dtype, np.floating)


@pytest.mark.parametrize("cls, kwargs, reference", SCALAR_CASES, ids=IDS)
def test_scalar_and_array_parameters_in_one_call(cls, kwargs, reference):
    rng = np.random.default_rng(11)
    W = rng.normal(size=(3, 2))
    params = {"W": W, "s": 0.5}
    expected, states = {"W": W.copy(), "s": 0.5}, {"W": {}, "s": {}}
    optimizer = cls(**kwargs)
    for _ in range(20):
        grads = {"W": rng.normal(size=(3, 2)), "s": float(rng.normal())}
        optimizer.update(params, grads)
        for key in expected:
            expected[key] = reference(expected[key], grads[key], states[key], kwargs["lr"])
    assert params["W"] is W
    np.testing.assert_allclose(W, expected["W"], rtol=1e-10, atol=1e-13)
    assert math.isclose(params["s"], expected["s"], rel_tol=1e-10, abs_tol=1e-13)


def test_float32_scalar_parameter_stays_float32():
    params = {"x": np.float32(1.0)}
    Adam(lr=0.1).update(params, {"x": np.float32(0.5)})
    assert type(params["x"]) is np.float32


def snapshot(optimizer, params):
    state = {
        name: {key: np.array(value, copy=True) for key, value in getattr(optimizer, name).items()}
        for name in ("v", "h", "m")
        if isinstance(getattr(optimizer, name, None), dict)
    }
    counts = (dict(getattr(optimizer, "t", {})), getattr(optimizer, "iter", None))
    return {key: np.array(value, copy=True) for key, value in params.items()}, state, counts


def assert_unchanged(before, after):
    (p0, s0, c0), (p1, s1, c1) = before, after
    assert p0.keys() == p1.keys() and all(np.array_equal(p0[k], p1[k]) for k in p0)
    assert s0.keys() == s1.keys()
    for name in s0:
        assert s0[name].keys() == s1[name].keys(), f"{name} gained or lost keys"
        assert all(np.array_equal(s0[name][k], s1[name][k]) for k in s0[name])
    assert c0 == c1, "step counts advanced"


def read_only(shape):
    array = np.ones(shape)
    array.flags.writeable = False
    return array


BAD_SECOND_KEY = {
    "gradient is a list": ({"b": np.zeros(2)}, {"b": [1.0, 1.0]}, TypeError, r"grads\['b'\] must be a NumPy array"),
    "gradient is complex": ({"b": np.zeros(2)}, {"b": np.ones(2, complex)}, TypeError, r"grads\['b'\]"),
    "gradient is bool": ({"b": np.zeros(2)}, {"b": np.ones(2, bool)}, TypeError, r"grads\['b'\]"),
    "gradient is a string": ({"b": 1.0}, {"b": "0.5"}, TypeError, r"grads\['b'\]"),
    "gradient has the wrong shape": ({"b": np.zeros(2)}, {"b": np.ones((1, 2))}, ValueError, r"grads\['b'\] has shape"),
    "parameter is read-only": ({"b": read_only(2)}, {"b": np.ones(2)}, ValueError, r"params\['b'\] is a read-only"),
    "parameter is an integer array": ({"b": np.zeros(2, int)}, {"b": np.ones(2)}, TypeError, r"params\['b'\] must be a floating-point"),
    "parameter is a 0-d integer array": ({"b": np.array(3)}, {"b": 1.0}, TypeError, r"params\['b'\] must be a floating-point"),
    "parameter is a list": ({"b": [0.0, 0.0]}, {"b": np.ones(2)}, TypeError, r"params\['b'\] must be a floating-point"),
    "parameter is a bool": ({"b": True}, {"b": 1.0}, TypeError, r"params\['b'\] must be a floating-point"),
}


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("case", BAD_SECOND_KEY, ids=list(BAD_SECOND_KEY))
def test_a_failed_update_leaves_parameters_and_state_as_they_were(cls, case):
    """Validate everything, then update: the good first key is not touched, no step is counted."""
    extra_param, extra_grad, error, message = BAD_SECOND_KEY[case]
    optimizer = cls(lr=0.1)
    params = {"W": np.ones((2, 2))}
    optimizer.update(params, {"W": np.full((2, 2), 0.5)})
    params.update(extra_param)
    before = snapshot(optimizer, {"W": params["W"]})
    with pytest.raises(error, match=message):
        optimizer.update(params, {"W": np.full((2, 2), 0.5), **extra_grad})
    assert_unchanged(before, snapshot(optimizer, {"W": params["W"]}))


@pytest.mark.parametrize("cls", [Momentum, Nesterov, AdaGrad, RMSprop, Adam])
def test_a_replaced_parameter_is_found_before_anything_changes(cls):
    optimizer = cls(lr=0.1)
    optimizer.update({"W": np.ones(2), "b": np.ones(3)}, {"W": np.ones(2), "b": np.ones(3)})
    params = {"W": np.ones(2), "b": np.ones(4)}
    before = snapshot(optimizer, params)
    with pytest.raises(ValueError, match=r"params\['b'\] has shape \(4,\).*new optimizer"):
        optimizer.update(params, {"W": np.ones(2), "b": np.ones(4)})
    assert_unchanged(before, snapshot(optimizer, params))


@pytest.mark.parametrize("cls", [AdaGrad, RMSprop, Adam])
@pytest.mark.parametrize("where", ["param", "grad"])
def test_float16_is_refused_by_optimizers_that_square_the_gradient(cls, where):
    """(1 - beta2) * g**2 underflows in float16: Adam and RMSprop would blow up silently."""
    param = np.ones(3, np.float16 if where == "param" else np.float32)
    grad = np.full(3, 1e-3, np.float16 if where == "grad" else np.float32)
    with pytest.raises(TypeError, match="float16"):
        cls().update({"W": param}, {"W": grad})
    np.testing.assert_array_equal(param, 1.0)


def test_why_float16_is_refused():
    """The failure the refusal prevents: in float16 v underflows to 0 and the step is lr * m / eps."""
    assert np.float16(1e-4) * np.float16(1e-4) == 0  # the appendix: 1e-4 squared is already 0 in float16
    assert 5e-8 < float(np.finfo(np.float16).smallest_subnormal) < 7e-8  # "about 6e-8"
    g = np.float16(1e-3)
    assert np.float16(1 - 0.999) * g * g == 0
    m, v = np.float16(0.1) * g, np.float16(0.001) * g * g
    assert v == 0 and abs(float(m) / (math.sqrt(float(v)) + EPS)) > 100  # vs about 3.16 in exact arithmetic


@pytest.mark.parametrize("cls", [SGD, Momentum, Nesterov])
def test_float16_parameters_are_updated_correctly_where_nothing_is_squared(cls):
    """No squares: a float16 update is the float64 one rounded, within float16's precision."""
    rng = np.random.default_rng(4)
    p16, p64 = {"W": np.ones(50, np.float16)}, {"W": np.ones(50)}
    o16, o64 = cls(lr=0.01), cls(lr=0.01)
    for _ in range(10):
        g = rng.normal(size=50)
        o16.update(p16, {"W": g.astype(np.float16)})
        o64.update(p64, {"W": g.astype(np.float16).astype(np.float64)})
    assert p16["W"].dtype == np.float16
    np.testing.assert_allclose(p16["W"], p64["W"], rtol=1e-2)


def test_adam_update_one_is_the_extension_point_for_a_subclass():
    """A subclass changes one parameter's step (here: decoupled decay as in AdamW), update() stays."""

    class DecayedAdam(Adam):
        def __init__(self, lr=0.001, weight_decay=0.01, **kwargs):
            super().__init__(lr, **kwargs)
            self.weight_decay = weight_decay

        def update_one(self, key, param, grad):
            param *= 1 - self.lr * self.weight_decay
            return super().update_one(key, param, grad)

    W = np.array([1.0, -2.0])
    params = {"W": W, "s": 3.0}
    DecayedAdam(lr=0.1, weight_decay=0.5).update(params, {"W": np.array([0.5, 0.5]), "s": 0.5})
    expected = lambda w: ref_adam(w * (1 - 0.1 * 0.5), 0.5, {}, 0.1)  # decay, then chapter 6's step
    assert params["W"] is W and np.allclose(W, expected(np.array([1.0, -2.0])), rtol=1e-12)
    assert math.isclose(params["s"], expected(3.0), rel_tol=1e-12)


# --- chapter 4-7 claims on f(x, y) = x**2 / 20 + y**2 ------------------------------------------------


def plain_path(step, steps=30, start=(-7.0, 2.0)):
    """The path of an optimizer written as plain Python on the two coordinates."""
    x, y, state = start[0], start[1], [{}, {}]
    path = [(x, y)]
    for _ in range(steps):
        gx, gy = x / 10.0, 2.0 * y
        x, y = step(x, gx, state[0]), step(y, gy, state[1])
        path.append((x, y))
    return np.array(path)


def test_bowl_and_its_gradient():
    assert bowl(0.0, 0.0) == 0.0 and bowl(-7.0, 2.0) == pytest.approx(49 / 20 + 4)
    for x, y in [(-7.0, 2.0), (3.0, -1.5)]:
        h = 1e-6
        gx = (bowl(x + h, y) - bowl(x - h, y)) / (2 * h)
        gy = (bowl(x, y + h) - bowl(x, y - h)) / (2 * h)
        np.testing.assert_allclose(bowl_grad(x, y), (gx, gy), rtol=1e-6)


def test_optimizer_path_records_the_start_and_every_update():
    path = optimizer_path(SGD(lr=0.95), steps=30)
    assert path.shape == (31, 2)
    k = np.arange(31)
    np.testing.assert_allclose(path[:, 0], -7.0 * 0.905**k, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], 2.0 * (-0.9) ** k, rtol=1e-12)


@pytest.mark.parametrize(
    "optimizer, reference",
    [
        (Momentum(lr=0.1), lambda w, g, s: ref_momentum(w, g, s, 0.1)),
        (Nesterov(lr=0.1), lambda w, g, s: ref_nesterov(w, g, s, 0.1)),
        (AdaGrad(lr=1.5), lambda w, g, s: ref_adagrad(w, g, s, 1.5)),
        (RMSprop(lr=0.1), lambda w, g, s: ref_rmsprop(w, g, s, 0.1)),
    ],
    ids=["Momentum", "Nesterov", "AdaGrad", "RMSprop"],
)
def test_paths_of_the_chapters(optimizer, reference):
    np.testing.assert_allclose(optimizer_path(optimizer), plain_path(reference), rtol=1e-12, atol=1e-15)


def adam_plain_python(lr, steps, b1=0.9, b2=0.999, eps=1e-7):
    """Seed article 002's setting, with nothing but Python floats and the math module."""
    x, y = -7.0, 2.0
    m, v = [0.0, 0.0], [0.0, 0.0]
    path = [(x, y)]
    for t in range(1, steps + 1):
        g = (x / 10.0, 2.0 * y)
        new = []
        for i, w in enumerate((x, y)):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
            m_hat = m[i] / (1 - b1**t)
            v_hat = v[i] / (1 - b2**t)
            # (5) with the epsilon that makes it equal to the folded form (6): eps / sqrt(1 - b2**t)
            new.append(w - lr * m_hat / (math.sqrt(v_hat) + eps / math.sqrt(1 - b2**t)))
        x, y = new
        path.append((x, y))
    return np.array(path)


@pytest.mark.parametrize("lr, steps", [(0.3, 30), (90.0, 100)])
def test_seed_002_adam_trajectories(lr, steps):
    path = optimizer_path(Adam(lr=lr, beta1=0.9, beta2=0.999), steps=steps)
    np.testing.assert_allclose(path, adam_plain_python(lr, steps), rtol=1e-9, atol=1e-9)
    # the first step moves every coordinate by lr against the sign of its gradient
    np.testing.assert_allclose(path[1], [-7.0 + lr, 2.0 - lr], rtol=1e-4)
    # and no step is longer than lr in any coordinate (chapter 6)
    assert np.all(np.abs(np.diff(path, axis=0)) <= lr * (1 + 1e-6))


def test_adam_with_lr_90_comes_back():
    path = optimizer_path(Adam(lr=90), steps=100)
    assert np.abs(path).max() > 80
    assert np.linalg.norm(path[-1]) < 1


def test_chapter_4_claims():
    sgd, momentum, nesterov = (optimizer_path(o) for o in (SGD(lr=0.95), Momentum(lr=0.1), Nesterov(lr=0.1)))
    # SGD at 0.95 ends closer than Momentum at 0.1, Momentum has rolled past the minimum
    assert np.linalg.norm(sgd[-1]) < np.linalg.norm(momentum[-1])
    assert momentum[-1, 0] > 0
    # Nesterov overshoots less and settles y sooner
    assert nesterov[:, 0].max() < momentum[:, 0].max()
    assert np.abs(nesterov[10:, 1]).max() < np.abs(momentum[10:, 1]).max()


def test_nesterov_is_nag_at_the_look_ahead_point():
    """Nesterov's parameters are W + alpha v of NAG written with the gradient at W + alpha v."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4))
    a = a @ a.T / 4 + np.eye(4)  # a convex quadratic 0.5 w A w
    lr, alpha = 0.05, 0.9
    w, v = rng.normal(size=4), np.zeros(4)
    params = {"w": w.copy()}
    nesterov = Nesterov(lr=lr, momentum=alpha)
    for _ in range(50):
        v = alpha * v - lr * a @ (w + alpha * v)
        w = w + v
        nesterov.update(params, {"w": a @ params["w"]})
        np.testing.assert_allclose(params["w"], w + alpha * v, rtol=1e-10, atol=1e-12)


def test_book_nesterov_order_is_a_different_method():
    """The book's order (v updated first) moves by alpha**3 v - (1 + alpha + alpha**2) lr g instead."""
    lr, alpha = 0.1, 0.9
    w_book, v_book = np.array([1.0]), np.array([0.3])
    g = np.array([0.5])
    v_book = alpha * v_book - lr * g
    w_book = w_book + alpha * alpha * v_book - (1 + alpha) * lr * g
    ours = Nesterov(lr=lr, momentum=alpha)
    ours.v["w"] = np.array([0.3])
    params = {"w": np.array([1.0])}
    ours.update(params, {"w": g})
    assert not np.allclose(params["w"], w_book)
    np.testing.assert_allclose(w_book - 1.0, alpha**3 * 0.3 - (1 + alpha + alpha**2) * lr * 0.5)
    np.testing.assert_allclose(params["w"] - 1.0, alpha**2 * 0.3 - (1 + alpha) * lr * 0.5)


@pytest.mark.parametrize("lr, diverges", [(1.85, False), (1.95, True)])
def test_momentum_on_y_squared_is_stable_below_one_plus_alpha(lr, diverges):
    optimizer, params = Momentum(lr=lr, momentum=0.9), {"y": np.array([2.0])}
    for _ in range(2000):
        optimizer.update(params, {"y": 2 * params["y"]})
    assert (abs(params["y"][0]) > 1e3) == diverges


def test_chapter_5_claims():
    # AdaGrad's and RMSprop's first steps: lr and lr / sqrt(1 - rho) in every coordinate
    np.testing.assert_allclose(optimizer_path(AdaGrad(lr=1.5), steps=1)[1], [-5.5, 0.5], rtol=1e-6)
    np.testing.assert_allclose(optimizer_path(RMSprop(lr=0.1), steps=1)[1], [-6.0, 1.0], rtol=1e-6)
    # for 30 steps RMSprop(0.1, rho=0.99) is close to AdaGrad(0.1 / sqrt(0.01) = 1.0)
    assert np.abs(optimizer_path(RMSprop(lr=0.1)) - optimizer_path(AdaGrad(lr=1.0))).max() < 0.1
    # SGD at 1.5 diverges in y, AdaGrad at 1.5 does not
    assert abs(optimizer_path(SGD(lr=1.5))[-1, 1]) > 1e8
    assert np.linalg.norm(optimizer_path(AdaGrad(lr=1.5))[-1]) < 0.2


def test_adagrad_effective_rate_only_shrinks_and_rmsprop_recovers():
    rng = np.random.default_rng(0)
    grads = np.r_[np.full(100, 1.0), np.full(700, 0.1)] * rng.choice([-1.0, 1.0], size=800)
    ada, rms = AdaGrad(lr=0.01), RMSprop(lr=0.01)
    pa, pr = {"w": np.zeros(1)}, {"w": np.zeros(1)}
    rates_a, rates_r = [], []
    for g in grads:
        ada.update(pa, {"w": np.array([g])})
        rms.update(pr, {"w": np.array([g])})
        rates_a.append(0.01 / (math.sqrt(ada.h["w"][0]) + EPS))
        rates_r.append(0.01 / (math.sqrt(rms.h["w"][0]) + EPS))
    assert np.all(np.diff(rates_a) < 0)
    assert rates_r[0] == pytest.approx(0.1, rel=1e-5)
    assert rates_r[-1] == pytest.approx(0.1, rel=0.05)  # lr / |g| with |g| = 0.1


def test_chapter_7_two_dimensional_ranking():
    settings = {"SGD": SGD(lr=0.95), "Momentum": Momentum(lr=0.1), "AdaGrad": AdaGrad(lr=1.5),
                "RMSprop": RMSprop(lr=0.1), "Adam": Adam(lr=0.3)}
    distances = {name: np.linalg.norm(optimizer_path(opt)[-1]) for name, opt in settings.items()}
    assert min(distances, key=distances.get) == "AdaGrad"
    # with another learning rate RMSprop wins: the ranking is the learning rate's
    assert np.linalg.norm(optimizer_path(RMSprop(lr=0.3))[-1]) < distances["AdaGrad"]


@pytest.mark.parametrize("cls, names", [(cls, state_names(cls)) for cls in STATEFUL])
def test_state_is_updated_in_place_and_keeps_the_parameters_dtype(cls, names):
    """float64 gradients on float32 parameters: the state stays float32, the same arrays throughout."""
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(3, 2)).astype(np.float32)}
    optimizer = cls(lr=0.01)
    optimizer.update(params, {"W": rng.normal(size=(3, 2))})
    states = {name: getattr(optimizer, name)["W"] for name in names}
    for _ in range(5):
        optimizer.update(params, {"W": rng.normal(size=(3, 2))})
    for name, first in states.items():
        assert getattr(optimizer, name)["W"] is first, f"{name} was replaced by a new array"
        assert first.dtype == np.float32
    assert params["W"].dtype == np.float32


# --- chapters 4-6: how far one step can go, and what Momentum buys --------------------------------


def book_adam_first_step_of_a_late_key(T, lr=0.001, b1=0.9, b2=0.999, g=0.5):
    """The book's Adam (one global step count), written out: key 'b' first appears at call T."""
    m = v = 0.0
    for it in range(1, T + 1):  # 'b' gets its first gradient at call T; its m and v start at 0 then
        lr_t = lr * math.sqrt(1.0 - b2**it) / (1.0 - b1**it)
    m += (1 - b1) * (g - m)
    v += (1 - b2) * (g * g - v)
    return lr_t * m / (math.sqrt(v) + EPS) / lr


@pytest.mark.parametrize("T, expected", [(10, 0.48), (1000, 2.51), (10**5, 3.16)])
def test_the_books_global_step_makes_a_late_keys_first_step_wrong(T, expected):
    factor = math.sqrt(1 - 0.999**T) / (1 - 0.9**T) * 0.1 / math.sqrt(0.001)
    assert math.isclose(book_adam_first_step_of_a_late_key(T), factor, rel_tol=1e-4)
    assert round(factor, 2) == expected
    # the package counts per key: the late key's first step is lr (|g| >> eps)
    adam, params = Adam(), {"W": np.zeros(1)}
    for _ in range(T - 1):
        adam.update(params, {"W": np.ones(1)})
    params["b"] = 0.0
    adam.update(params, {"W": np.ones(1), "b": 0.5})
    assert math.isclose(-params["b"] / 0.001, 1.0, rel_tol=1e-4)


def test_adams_step_is_about_lr_but_not_bounded_by_it():
    def ratios(grads):
        adam, params, out = Adam(lr=1.0), {"w": 0.0}, []
        for g in grads:
            before = params["w"]
            adam.update(params, {"w": g})
            out.append(abs(params["w"] - before))
        return np.array(out)

    assert ratios([0.5] * 5).max() < 1 + 1e-6  # a steady gradient: lr per step
    sparse = 0.1 / math.sqrt(0.001)  # Kingma & Ba 2015, section 2.1
    assert math.isclose(ratios([0.0] * 20000 + [1.0])[-1], sparse, rel_tol=1e-3)
    cauchy_schwarz = sparse / math.sqrt(1 - 0.81 / 0.999)  # the largest |m| / sqrt(v) there is
    growing = ratios([0.0] * 20000 + list(1e-9 * (0.999 / 0.9) ** np.arange(400))).max()
    assert sparse < growing <= cauchy_schwarz * (1 + 1e-9) and math.isclose(growing, cauchy_schwarz, rel_tol=1e-3)
    rng = np.random.default_rng(6)
    heavy = rng.standard_cauchy(5000) * 10.0 ** rng.integers(-6, 6, 5000)
    assert ratios(heavy).max() <= cauchy_schwarz


@pytest.mark.parametrize("cls, bound", [(AdaGrad, 1.0), (RMSprop, 10.0)])
def test_adagrad_never_steps_more_than_lr_and_rmsprop_never_more_than_ten(cls, bound):
    """h >= g**2 (AdaGrad) and h >= (1 - rho) g**2 (RMSprop): |step| <= lr and <= lr / sqrt(1 - rho)."""
    rng = np.random.default_rng(7)
    opt, params = cls(lr=0.1), {"W": np.zeros(200)}
    largest = 0.0
    for _ in range(300):
        g = rng.standard_cauchy(200) * 10.0 ** rng.integers(-5, 5, 200)
        before = params["W"].copy()
        opt.update(params, {"W": g})
        largest = max(largest, np.abs(params["W"] - before).max() / 0.1)
    assert largest <= bound * (1 + 1e-9)
    assert largest > 0.9 * bound  # the bound is reached (RMSprop: at its first step)


@pytest.mark.parametrize("kappa", [20, 100, 1000])
def test_tuned_heavy_ball_contracts_at_the_square_root_rate(kappa):
    """Polyak 1964: on curvatures [mu, L], tuned GD (kappa-1)/(kappa+1), tuned heavy ball (sqrt(kappa)-1)/(sqrt(kappa)+1)."""
    mu, L = 1.0 / kappa, 1.0

    def distance_after(optimizer, steps):
        params = {"x": 1.0, "y": 1.0}
        for _ in range(steps):
            optimizer.update(params, {"x": mu * params["x"], "y": L * params["y"]})
        return math.hypot(params["x"], params["y"])

    r_gd = (kappa - 1) / (kappa + 1)
    r_hb = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    gd = lambda: SGD(lr=2 / (L + mu))
    hb = lambda: Momentum(lr=4 / (math.sqrt(L) + math.sqrt(mu)) ** 2, momentum=r_hb**2)
    assert math.isclose((distance_after(gd(), 400) / distance_after(gd(), 200)) ** (1 / 200), r_gd, rel_tol=1e-9)
    measured = (distance_after(hb(), 400) / distance_after(hb(), 200)) ** (1 / 200)
    assert r_hb < measured < r_hb * 2 ** (1 / 200) * (1 + 1e-9)  # k r^k: a double root


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("lr", [float("nan"), -1.0, 1e308, "0.1"])
def test_a_bad_learning_rate_assigned_later_is_refused_at_the_next_update(cls, lr):
    """The book's code and the schedules assign opt.lr: the next update checks it as the constructor does."""
    opt = cls(lr=0.01)
    params = {"W": np.ones(3)}
    opt.update(params, {"W": np.full(3, 0.5)})
    before = params["W"].copy()
    opt.lr = lr
    with pytest.raises(ValueError, match=rf"^{cls.__name__}\.lr must be .*assigned after"):
        opt.update(params, {"W": np.full(3, 2.0)})
    np.testing.assert_array_equal(params["W"], before)  # refused before anything changed


@pytest.mark.parametrize(
    "cls, name, value",
    [(Momentum, "momentum", 1.0), (RMSprop, "decay_rate", -0.1), (Adam, "beta2", 1.0), (AdaGrad, "eps", 0.0)],
)
def test_other_hyperparameters_assigned_later_are_refused_too(cls, name, value):
    opt = cls()
    setattr(opt, name, value)
    with pytest.raises(ValueError, match=rf"^{cls.__name__}\.{name} must be"):
        opt.update({"W": np.ones(2)}, {"W": np.ones(2)})


@pytest.mark.parametrize("cls", ALL)
def test_a_learning_rate_annealed_to_zero_is_accepted(cls):
    """A schedule may end at lr = 0 (CosineAnnealing's default lr_min): updates go on, without new gradient steps."""
    from zerodl.schedules import CosineAnnealing

    opt = cls(lr=0.1)
    schedule = CosineAnnealing(opt, total_steps=2)
    params = {"W": np.ones(2)}
    for _ in range(2):
        opt.update(params, {"W": np.ones(2)})
        schedule.step()
    assert opt.lr == 0
    before = params["W"].copy()
    opt.update(params, {"W": np.full(2, 1e3)})  # a gradient that would move W if lr were used
    if cls is SGD:
        np.testing.assert_array_equal(params["W"], before)
    assert np.isfinite(params["W"]).all()


def test_a_huge_learning_rate_is_refused_when_created():
    with pytest.raises(ValueError, match=r"^lr must be a positive number up to 1e6"):
        SGD(lr=1e308)
    SGD(lr=1e6)  # the largest accepted


def test_adamw_refuses_an_assigned_lr_that_flips_the_weights():
    """lr * weight_decay >= 1 multiplies W by 1 - lr * weight_decay <= 0: refused at construction and at update."""
    from zerodl.optimizers import AdamW

    opt, W = AdamW(lr=0.001, weight_decay=0.01), np.ones(2)
    opt.lr = 200  # 1 - 200 * 0.01 = -1 would flip the sign of W
    with pytest.raises(ValueError, match=r"lr \* weight_decay must be below 1.*lr=200"):
        opt.update({"W": W}, {"W": np.zeros(2)})
    np.testing.assert_array_equal(W, [1.0, 1.0])


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("alias", ["same", "view", "row"])
def test_one_array_under_two_keys_is_refused(cls, alias):
    """Two keys holding one array (or views of its numbers) would be updated twice per step."""
    W = np.ones((2, 3))
    other = {"same": W, "view": W.reshape(3, 2), "row": W[1]}[alias]
    params = {"W1": W, "W2": other}
    grads = {"W1": np.ones((2, 3)), "W2": np.ones(other.shape)}
    with pytest.raises(ValueError, match=r"params\['W1'\] and params\['W2'\] are the same array"):
        cls().update(params, grads)
    np.testing.assert_array_equal(W, np.ones((2, 3)))


@pytest.mark.parametrize("cls", ALL)
def test_disjoint_views_of_one_buffer_are_accepted(cls):
    """FastMultiLayerNet's params are views into one flat array: distinct numbers, each updated once."""
    flat = np.ones(10)
    params = {"W": flat[:6].reshape(2, 3), "b": flat[6:]}
    cls(lr=0.1).update(params, {"W": np.ones((2, 3)), "b": np.ones(4)})
    ref = {"W": np.ones((2, 3)), "b": np.ones(4)}
    cls(lr=0.1).update(ref, {"W": np.ones((2, 3)), "b": np.ones(4)})
    np.testing.assert_array_equal(flat, np.concatenate([ref["W"].ravel(), ref["b"]]))
