"""Chapter 12: AdamW, the learning-rate schedules, clip_grads and the NumPy transcriptions of
PyTorch's rules, each against its equations written out here (independently of the package);
bad input; the chapter's claims. PyTorch itself: tests/test_torch_crosscheck.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zerodl.clipping import clip_grads
from zerodl.optimizers import SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSprop
from zerodl.schedules import CosineAnnealing, LinearWarmup, StepDecay, warmup_cosine
from zerodl.torch_rules import TorchAdagrad, TorchAdam, TorchRMSprop, TorchSGD

RNG_SEED = 12


def grads_sequence(steps=60, shape=(3, 2), scale=1.0, seed=RNG_SEED):
    return np.random.default_rng(seed).normal(scale=scale, size=(steps, *shape))


# --- AdamW ----------------------------------------------------------------------------------------------


def ref_adamw(w, gs, lrs, wd, b1=0.9, b2=0.999, eps=1e-7):
    """Decoupled decay with the step's lr, then Adam's folded form (6) of chapter 6, elementwise in floats."""
    w = np.array(w, dtype=np.float64).ravel().tolist()
    m, v, path = [0.0] * len(w), [0.0] * len(w), []
    for t, (g, lr) in enumerate(zip(gs, lrs), start=1):
        g = np.ravel(g)
        for i in range(len(w)):
            w[i] = w[i] * (1 - lr * wd)
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            w[i] -= lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m[i] / (math.sqrt(v[i]) + eps)
        path.append(list(w))
    return np.array(path)


@pytest.mark.parametrize("wd", [0.0, 0.01, 0.3])
def test_adamw_against_its_equations(wd):
    gs = grads_sequence()
    w0 = np.linspace(-1, 1, 6).reshape(3, 2)
    opt, params, path = AdamW(lr=0.01, weight_decay=wd), {"W": w0.copy()}, []
    for g in gs:
        opt.update(params, {"W": g})
        path.append(params["W"].ravel().copy())
    np.testing.assert_allclose(np.array(path), ref_adamw(w0, gs, [0.01] * len(gs), wd), rtol=1e-12, atol=1e-14)


def test_adamw_uses_the_current_lr_and_keeps_per_key_state():
    gs = grads_sequence(steps=40)
    lrs = [0.02 * (1 + math.cos(math.pi * t / 40)) / 2 + 1e-4 for t in range(40)]
    w0 = np.ones((3, 2))
    opt, params = AdamW(lr=0.02, weight_decay=0.2), {"a": w0.copy(), "b": w0.copy()}
    path = []
    for t, (g, lr) in enumerate(zip(gs, lrs)):
        opt.lr = lr  # what a schedule does
        grads = {"a": g, "b": -g} if t >= 10 else {"a": g}
        current = {"a": params["a"], "b": params["b"]} if t >= 10 else {"a": params["a"]}
        opt.update(current, grads)
        path.append(params["a"].ravel().copy())
    np.testing.assert_allclose(np.array(path), ref_adamw(w0, gs, lrs, 0.2), rtol=1e-12, atol=1e-14)
    # 'b' joined at step 11: its own bias correction from t = 1
    np.testing.assert_allclose(params["b"].ravel(), ref_adamw(w0, -gs[10:], lrs[10:], 0.2)[-1], rtol=1e-12, atol=1e-14)
    assert opt.t == {"a": 40, "b": 30}


def test_adamw_without_decay_is_adam():
    gs = grads_sequence()
    a, b = {"W": np.ones((3, 2))}, {"W": np.ones((3, 2))}
    adam, adamw = Adam(lr=0.01), AdamW(lr=0.01, weight_decay=0.0)
    for g in gs:
        adam.update(a, {"W": g})
        adamw.update(b, {"W": g})
    assert np.array_equal(a["W"], b["W"])


def test_adamw_updates_in_place_and_float32_stays_float32():
    w = np.ones(4, dtype=np.float32)
    params = {"w": w}
    AdamW(lr=0.01, weight_decay=0.1).update(params, {"w": np.full(4, 0.5, dtype=np.float32)})
    assert params["w"] is w and w.dtype == np.float32 and np.all(w < 1)


@pytest.mark.parametrize("wd", [-0.01, float("nan"), float("inf"), True, "0.01", None])
def test_adamw_rejects_bad_weight_decay(wd):
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=wd)


def test_adamw_rejects_a_decay_that_flips_the_sign():
    with pytest.raises(ValueError, match="lr \\* weight_decay"):
        AdamW(lr=0.5, weight_decay=2.0)
    with pytest.raises(ValueError, match="lr"):
        AdamW(lr=-0.1)


def test_adamw_wrong_call_changes_nothing():
    params = {"W": np.ones((2, 2)), "b": np.ones(2)}
    opt = AdamW(lr=0.1, weight_decay=0.5)
    with pytest.raises(ValueError, match="shape"):
        opt.update(params, {"W": np.ones((2, 2)), "b": np.ones(3)})
    with pytest.raises(ValueError, match="no gradient"):
        opt.update(params, {"W": np.ones((2, 2))})
    assert np.array_equal(params["W"], np.ones((2, 2))) and np.array_equal(params["b"], np.ones(2))


def test_claim_l2_under_adam_decays_less_where_gradients_are_large():
    """The page's example: gradients +-sigma (mean 0); AdamW shrinks every weight like (1 - lr*wd)^t,
    Adam + L2 shrinks a weight less the larger its gradients; with sigma >> wd*w its decay per step
    is about lr*wd*w/sigma (the L2 term divided by sqrt(v) ~ sigma)."""
    sigmas, lr, wd, steps = np.array([100.0, 10.0, 1.0, 0.1, 0.0]), 0.01, 0.1, 1000
    p_l2, p_w = {"w": np.ones(5)}, {"w": np.ones(5)}
    adam, adamw = Adam(lr=lr), AdamW(lr=lr, weight_decay=wd)
    for t in range(steps):
        g = sigmas * (-1.0) ** t
        adam.update(p_l2, {"w": g + wd * p_l2["w"]})
        adamw.update(p_w, {"w": g})
    np.testing.assert_allclose(p_w["w"], (1 - lr * wd) ** steps, atol=0.01)
    assert np.all(np.diff(p_l2["w"]) < 0)
    # large sigma: the weight follows exp(-lr*wd*t/sigma) (within 2 %)
    assert abs(p_l2["w"][0] - math.exp(-lr * wd * steps / 100)) < 0.02
    assert abs(p_l2["w"][-1]) < 0.02  # no loss gradient: Adam moves it by ~lr per step to 0


# --- schedules ------------------------------------------------------------------------------------------


def lr_sequence(make, steps, lr=0.2, optimizer_class=SGD):
    optimizer = optimizer_class(lr=lr)
    schedule = make(optimizer)
    out = []
    for _ in range(steps):
        out.append(optimizer.lr)
        schedule.step()
    out.append(optimizer.lr)
    return np.array(out), schedule


def test_step_decay():
    lrs, s = lr_sequence(lambda o: StepDecay(o, step_size=7, gamma=0.5), 30)
    expected = [0.2 * 0.5 ** (t // 7) for t in range(31)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-15)
    assert s.base_lr == 0.2 and s.t == 30


def test_cosine_annealing_and_after_the_end():
    lrs, _ = lr_sequence(lambda o: CosineAnnealing(o, total_steps=20, lr_min=0.01), 30)
    expected = [0.01 + 0.19 * (1 + math.cos(math.pi * min(t, 20) / 20)) / 2 for t in range(31)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-14)
    assert lrs[0] == 0.2 and abs(lrs[20] - 0.01) < 1e-15 and np.all(lrs[20:] == lrs[20])


def test_linear_warmup_alone_and_then_another_schedule():
    lrs, _ = lr_sequence(lambda o: LinearWarmup(o, warmup_steps=4), 8)
    np.testing.assert_allclose(lrs, [0.05, 0.1, 0.15, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2], rtol=1e-15)
    make = lambda o: LinearWarmup(o, warmup_steps=4, then=StepDecay(o, step_size=3, gamma=0.1))  # noqa: E731
    lrs, _ = lr_sequence(make, 10)
    expected = [0.2 * (t + 1) / 4 if t < 4 else 0.2 * 0.1 ** ((t - 4) // 3) for t in range(11)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-14)


def test_warmup_cosine():
    lrs, _ = lr_sequence(lambda o: warmup_cosine(o, warmup_steps=5, total_steps=25, lr_min=0.02), 30)
    expected = [
        0.2 * (t + 1) / 5 if t < 5 else 0.02 + 0.18 * (1 + math.cos(math.pi * min(t - 5, 20) / 20)) / 2 for t in range(31)
    ]
    np.testing.assert_allclose(lrs, expected, rtol=1e-14)
    assert lrs.argmax() in (4, 5) and abs(lrs[25] - 0.02) < 1e-15


@pytest.mark.parametrize("cls", [SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW])
def test_a_schedule_drives_every_optimizer(cls):
    """The schedule's run equals the same optimizer with optimizer.lr set by hand to the formula,
    and differs from the run at a constant lr."""
    gs = grads_sequence(steps=30)
    formula = [0.05 * 0.5 ** (t // 10) for t in range(30)]

    def run(lr_by_hand=None, schedule=False):
        opt, params = cls(lr=0.05), {"W": np.ones((3, 2))}
        sched = StepDecay(opt, step_size=10, gamma=0.5) if schedule else None
        for t, g in enumerate(gs):
            if lr_by_hand:
                opt.lr = lr_by_hand[t]
            opt.update(params, {"W": g})
            if sched:
                sched.step()
        return params["W"]

    scheduled = run(schedule=True)
    assert np.array_equal(scheduled, run(lr_by_hand=formula))
    assert not np.allclose(scheduled, run(), rtol=1e-6, atol=0)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda o: warmup_cosine(o, warmup_steps=100, total_steps=50), "warmup_steps \\(100\\) must be smaller than total_steps \\(50\\)"),
        (lambda o: warmup_cosine(o, warmup_steps=50, total_steps=50), "smaller than total_steps"),
        (lambda o: LinearWarmup(o, warmup_steps=0), "warmup_steps"),
        (lambda o: LinearWarmup(o, warmup_steps=2.5), "warmup_steps"),
        (lambda o: StepDecay(o, step_size=0), "step_size"),
        (lambda o: StepDecay(o, step_size=5, gamma=0.0), "gamma"),
        (lambda o: StepDecay(o, step_size=5, gamma=1.5), "gamma"),
        (lambda o: CosineAnnealing(o, total_steps=-3), "total_steps"),
        (lambda o: CosineAnnealing(o, total_steps=10, lr_min=-0.1), "lr_min"),
        (lambda o: CosineAnnealing(o, total_steps=10, lr_min=1.0), "lr_min"),
        (lambda o: LinearWarmup(o, warmup_steps=3, then=StepDecay(SGD(lr=0.1), step_size=2)), "same optimizer"),
    ],
)
def test_schedules_reject_bad_input(make, match):
    optimizer = SGD(lr=0.1)
    with pytest.raises(ValueError, match=match):
        make(optimizer)
    assert optimizer.lr == 0.1  # nothing changed


def test_schedule_needs_an_optimizer_with_lr():
    with pytest.raises(TypeError, match="positive learning rate"):
        StepDecay(object(), step_size=3)


# --- clip_grads -----------------------------------------------------------------------------------------


def make_grads(seed=5):
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=3), "W2": rng.normal(size=(3, 2))}


def test_clip_grads_scales_to_max_norm_in_place():
    grads = make_grads()
    before = {k: g.copy() for k, g in grads.items()}
    arrays = {k: g for k, g in grads.items()}
    total = np.linalg.norm(np.concatenate([g.ravel() for g in before.values()]))
    norm = clip_grads(grads, 1.0)
    assert abs(norm - total) < 1e-12 and total > 1
    for k in grads:
        assert grads[k] is arrays[k]  # in place
        np.testing.assert_allclose(grads[k], before[k] * 1.0 / (total + 1e-6), rtol=1e-14)
    after = np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()]))
    assert after <= 1.0 and after > 1.0 - 1e-5


def test_clip_grads_leaves_small_gradients_alone():
    grads = make_grads()
    before = {k: g.copy() for k, g in grads.items()}
    norm = clip_grads(grads, 1e3)
    assert norm < 1e3
    for k in grads:
        assert np.array_equal(grads[k], before[k])


def test_clip_grads_float32():
    grads = {"W": np.full((2, 2), 10.0, dtype=np.float32)}
    norm = clip_grads(grads, 2.0)
    assert norm == pytest.approx(20.0) and grads["W"].dtype == np.float32
    assert float(np.linalg.norm(grads["W"])) == pytest.approx(2.0, rel=1e-5)


@pytest.mark.parametrize("max_norm", [0, -1.0, float("nan"), float("inf"), True, "1"])
def test_clip_grads_rejects_bad_max_norm(max_norm):
    with pytest.raises(ValueError, match="max_norm"):
        clip_grads(make_grads(), max_norm)


def test_clip_grads_rejects_nonfinite_and_non_dicts():
    grads = make_grads()
    grads["b1"][1] = np.nan
    with pytest.raises(ValueError, match="'b1'"):
        clip_grads(grads, 1.0)
    with pytest.raises(TypeError, match="dict"):
        clip_grads([np.ones(3)], 1.0)


def read_only(array):
    array.flags.writeable = False
    return array


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (np.array([1, 2, 3]), TypeError, r"grads\['b1'\] must be a floating-point"),  # int: cannot be scaled in place
        (read_only(np.ones(3)), ValueError, r"grads\['b1'\] is a read-only array"),
        ([1.0, 2.0, 3.0], TypeError, r"grads\['b1'\] must be .* got list"),
    ],
)
def test_clip_grads_refuses_what_it_cannot_scale_before_scaling_anything(bad, error, message):
    """All or nothing: W1 (first, large) must not be scaled when b1 cannot be."""
    grads = make_grads()
    grads["W1"] *= 100  # the clipping applies
    grads["b1"] = bad
    before = grads["W1"].copy()
    with pytest.raises(error, match=message):
        clip_grads(grads, 1.0)
    np.testing.assert_array_equal(grads["W1"], before)


def test_clip_grads_refuses_one_array_under_two_keys():
    g = np.full(3, 10.0)
    with pytest.raises(ValueError, match=r"grads\['a'\] and grads\['b'\] are the same array"):
        clip_grads({"a": g, "b": g}, 1.0)  # would be scaled twice
    np.testing.assert_array_equal(g, np.full(3, 10.0))


def test_clip_grads_scales_numbers_too():
    """A number in grads is replaced by the scaled number (as the optimizers replace number parameters)."""
    grads = {"x": 3.0, "y": np.array([4.0])}
    assert clip_grads(grads, 1.0) == pytest.approx(5.0)
    assert grads["x"] == pytest.approx(3.0 / (5.0 + 1e-6)) and grads["y"][0] == pytest.approx(4.0 / (5.0 + 1e-6))


# --- the NumPy transcriptions of PyTorch's rules, against the equations --------------------------------


def test_torch_sgd_momentum_equals_book_under_fixed_lr_and_not_when_it_changes():
    gs = grads_sequence()
    a, b = {"W": np.ones((3, 2))}, {"W": np.ones((3, 2))}
    book, torch_like = Momentum(lr=0.03), TorchSGD(lr=0.03, momentum=0.9)
    for t, g in enumerate(gs):
        if t == 30:  # change lr half-way
            book.lr = torch_like.lr = 0.003
        book.update(a, {"W": g})
        torch_like.update(b, {"W": g})
        if t < 30:
            np.testing.assert_allclose(book.v["W"], -0.03 * torch_like.b["W"], rtol=1e-12, atol=1e-15)
    assert np.abs(a["W"] - b["W"]).max() > 1e-3
    # written out: b <- 0.9 b + g;  W <- W - lr b
    w, buf = np.ones((3, 2)), None
    for t, g in enumerate(gs):
        buf = g.copy() if buf is None else 0.9 * buf + g
        w = w - (0.03 if t < 30 else 0.003) * buf
    np.testing.assert_allclose(b["W"], w, rtol=1e-12, atol=1e-14)


def test_torch_sgd_nesterov_equals_book_nesterov():
    gs = grads_sequence()
    a, b = {"W": np.ones((3, 2))}, {"W": np.ones((3, 2))}
    book, torch_like = Nesterov(lr=0.02), TorchSGD(lr=0.02, momentum=0.9, nesterov=True)
    for g in gs:
        book.update(a, {"W": g})
        torch_like.update(b, {"W": g})
    np.testing.assert_allclose(a["W"], b["W"], rtol=1e-12, atol=1e-14)


def test_torch_adagrad_and_rmsprop_equal_book_with_the_same_eps():
    gs = grads_sequence(scale=0.01)
    for ours, theirs in ((AdaGrad(lr=0.05, eps=1e-10), TorchAdagrad(lr=0.05)), (RMSprop(lr=0.01, eps=1e-8), TorchRMSprop(lr=0.01))):
        a, b = {"W": np.ones((3, 2))}, {"W": np.ones((3, 2))}
        for g in gs:
            ours.update(a, {"W": g})
            theirs.update(b, {"W": g})
        np.testing.assert_allclose(a["W"], b["W"], rtol=1e-12, atol=1e-14)


def test_torch_adagrad_initial_accumulator():
    opt, p = TorchAdagrad(lr=0.1, eps=0.0, initial_accumulator_value=0.5), {"w": np.array([1.0])}
    opt.update(p, {"w": np.array([2.0])})
    assert p["w"][0] == pytest.approx(1.0 - 0.1 * 2.0 / math.sqrt(0.5 + 4.0), rel=1e-14)


def test_torch_adam_is_equation_5_and_the_book_is_5_with_a_growing_eps():
    """Chapter 6: the folded form (6) with eps is (5) with eps / sqrt(1 - beta2**t)."""
    gs = grads_sequence(scale=1e-4)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    torch_like, book = TorchAdam(lr=lr, eps=eps), Adam(lr=lr, eps=eps)
    a, b = {"W": np.ones((3, 2))}, {"W": np.ones((3, 2))}
    w5, w5_grown = np.ones((3, 2)), np.ones((3, 2))
    m = v = np.zeros((3, 2))
    for t, g in enumerate(gs, start=1):
        torch_like.update(a, {"W": g})
        book.update(b, {"W": g})
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        w5 = w5 - lr * m_hat / (np.sqrt(v_hat) + eps)
        w5_grown = w5_grown - lr * m_hat / (np.sqrt(v_hat) + eps / math.sqrt(1 - b2**t))
    np.testing.assert_allclose(a["W"], w5, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b["W"], w5_grown, rtol=1e-12, atol=1e-14)
    assert np.abs(a["W"] - b["W"]).max() > 1e-6  # tiny gradients: the placement of eps shows


def test_torch_adamw_and_adam_weight_decay():
    gs = grads_sequence()
    w0 = np.linspace(-1, 1, 6).reshape(3, 2)
    a = {"W": w0.copy()}
    opt = TorchAdam(lr=0.01, eps=1e-7, weight_decay=0.3, decoupled=True)
    for t, g in enumerate(gs, start=1):
        opt.eps = 1e-7 / math.sqrt(1 - 0.999**t)  # then it is zerodl's AdamW exactly
        opt.update(a, {"W": g})
    np.testing.assert_allclose(a["W"].ravel(), ref_adamw(w0, gs, [0.01] * len(gs), 0.3)[-1], rtol=1e-12, atol=1e-14)
    # Adam(weight_decay) is L2: Adam on g + wd * W
    l2, by_hand = {"W": w0.copy()}, {"W": w0.copy()}
    coupled, plain = TorchAdam(lr=0.01, weight_decay=0.3), TorchAdam(lr=0.01)
    for g in gs:
        coupled.update(l2, {"W": g})
        plain.update(by_hand, {"W": g + 0.3 * by_hand["W"]})
    np.testing.assert_allclose(l2["W"], by_hand["W"], rtol=1e-12, atol=1e-14)
