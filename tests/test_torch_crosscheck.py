"""Chapter 12 against PyTorch itself: torch.optim.{SGD, Adam, AdamW, RMSprop, Adagrad},
the learning-rate schedulers and clip_grad_norm_, run on the same gradients as
zerodl's optimizers and the page's NumPy transcriptions (zerodl.torch_rules),
100 steps in float64. Where the conventions are the same they agree to 1e-12;
where they differ, the difference is the one the chapter's table documents.

PyTorch is never a dependency of the package or the site. Without it these tests
skip locally (install it with the command in the skip reason); with CI=true they
fail, so CI (.ci/run installs it) really runs them."""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest

from zerodl.clipping import clip_grads
from zerodl.optimizers import SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSprop
from zerodl.schedules import CosineAnnealing, LinearWarmup, StepDecay, warmup_cosine
from zerodl.torch_rules import TorchAdagrad, TorchAdam, TorchRMSprop, TorchSGD

INSTALL = ".venv/bin/python -m pip install torch==2.13.0"
STEPS = 100
TOL = 1e-12


@pytest.fixture(scope="module")
def torch():
    try:
        import torch
    except ImportError:
        message = f"PyTorch is not installed; install the CPU build with: {INSTALL}"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + " (.ci/run does this)")
        pytest.skip(message)
    torch.set_num_threads(1)
    return torch


def gradients(scale=1.0, seed=14, shape=(STEPS, 6)):
    return np.random.default_rng(seed).normal(scale=scale, size=shape)


W0 = np.linspace(-1.5, 2.0, 6)


def run_torch(torch, make_optimizer, grads, make_scheduler=None, before_step=None):
    """The path of one float64 tensor under torch.optim, fed the given gradients."""
    p = torch.tensor(W0.copy(), dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([p])
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    path, lrs = [], []
    for t, g in enumerate(grads, start=1):
        if before_step:
            before_step(optimizer, t)
        lrs.append(optimizer.param_groups[0]["lr"])
        p.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
        if scheduler:
            scheduler.step()
        path.append(p.detach().numpy().copy())
    return np.array(path), np.array(lrs)


def run_numpy(optimizer, grads, make_schedule=None):
    """The same with one of zerodl's optimizers (or a transcription) and a zerodl schedule."""
    params = {"w": W0.copy()}
    schedule = make_schedule(optimizer) if make_schedule else None
    path, lrs = [], []
    for g in grads:
        lrs.append(optimizer.lr)
        optimizer.update(params, {"w": g.copy()})
        if schedule:
            schedule.step()
        path.append(params["w"].copy())
    return np.array(path), np.array(lrs)


def assert_same(a, b, tol=TOL):
    assert np.abs(a - b).max() < tol, np.abs(a - b).max()


# --- optimizers whose conventions match ------------------------------------------------------------


def test_sgd(torch):
    g = gradients()
    expected, _ = run_torch(torch, lambda p: torch.optim.SGD(p, lr=0.05, foreach=False), g)
    assert_same(run_numpy(SGD(lr=0.05), g)[0], expected)
    assert_same(run_numpy(TorchSGD(lr=0.05), g)[0], expected)


def test_momentum_equals_book_under_fixed_lr(torch):
    g = gradients()
    expected, _ = run_torch(torch, lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, foreach=False), g)
    assert_same(run_numpy(Momentum(lr=0.01, momentum=0.9), g)[0], expected)
    assert_same(run_numpy(TorchSGD(lr=0.01, momentum=0.9), g)[0], expected)


def test_nesterov_equals_book_under_fixed_lr(torch):
    g = gradients()
    make = lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True, foreach=False)  # noqa: E731
    expected, _ = run_torch(torch, make, g)
    assert_same(run_numpy(Nesterov(lr=0.01, momentum=0.9), g)[0], expected)
    assert_same(run_numpy(TorchSGD(lr=0.01, momentum=0.9, nesterov=True), g)[0], expected)


def test_sgd_weight_decay_is_l2(torch):
    g = gradients()
    make = lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, weight_decay=0.1, foreach=False)  # noqa: E731
    expected, _ = run_torch(torch, make, g)
    assert_same(run_numpy(TorchSGD(lr=0.01, momentum=0.9, weight_decay=0.1), g)[0], expected)


def test_adagrad_with_the_same_eps(torch):
    g = gradients(scale=0.1)
    expected, _ = run_torch(torch, lambda p: torch.optim.Adagrad(p, lr=0.05, eps=1e-10, foreach=False), g)
    assert_same(run_numpy(AdaGrad(lr=0.05, eps=1e-10), g)[0], expected)
    assert_same(run_numpy(TorchAdagrad(lr=0.05), g)[0], expected)  # the transcription's default eps is torch's
    # the documented difference: the book's default eps is 1e-7
    assert np.abs(run_numpy(AdaGrad(lr=0.05), g)[0] - expected).max() > 1e-9


def test_rmsprop_with_the_same_eps(torch):
    g = gradients(scale=0.1)
    make = lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8, foreach=False)  # noqa: E731
    expected, _ = run_torch(torch, make, g)
    assert_same(run_numpy(RMSprop(lr=0.01, decay_rate=0.99, eps=1e-8), g)[0], expected)
    assert_same(run_numpy(TorchRMSprop(lr=0.01), g)[0], expected)
    assert np.abs(run_numpy(RMSprop(lr=0.01), g)[0] - expected).max() > 1e-9


# --- Adam and AdamW: eps outside the bias correction in PyTorch, folded in the book ----------------------


def folded_eps(eps, beta2=0.999):
    """Before torch's step t, set its eps to eps / sqrt(1 - beta2**t): then torch's equation (5)
    is the book's folded form (6) with eps (chapter 6), the difference the chapter documents."""

    def before_step(optimizer, t):
        optimizer.param_groups[0]["eps"] = eps / math.sqrt(1 - beta2**t)

    return before_step


@pytest.mark.parametrize("scale", [1.0, 1e-3])
def test_adam(torch, scale):
    g = gradients(scale=scale)
    expected, _ = run_torch(torch, lambda p: torch.optim.Adam(p, lr=0.01, foreach=False), g)
    assert_same(run_numpy(TorchAdam(lr=0.01), g)[0], expected)
    folded, _ = run_torch(torch, lambda p: torch.optim.Adam(p, lr=0.01, foreach=False), g, before_step=folded_eps(1e-8))
    assert_same(run_numpy(Adam(lr=0.01, eps=1e-8), g)[0], folded)
    if scale < 1:  # with small gradients the placement of eps shows
        assert np.abs(run_numpy(Adam(lr=0.01, eps=1e-8), g)[0] - expected).max() > 1e-9


def test_adam_weight_decay_is_l2(torch):
    g = gradients()
    expected, _ = run_torch(torch, lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1, foreach=False), g)
    assert_same(run_numpy(TorchAdam(lr=0.01, weight_decay=0.1), g)[0], expected)
    adamw, _ = run_torch(torch, lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, foreach=False), g)
    assert np.abs(adamw - expected).max() > 1e-3


@pytest.mark.parametrize("weight_decay", [0.01, 0.5])
def test_adamw(torch, weight_decay):
    g = gradients(scale=1e-2)
    make = lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=weight_decay, foreach=False)  # noqa: E731
    expected, _ = run_torch(torch, make, g)
    assert_same(run_numpy(TorchAdam(lr=0.01, weight_decay=weight_decay, decoupled=True), g)[0], expected)
    folded, _ = run_torch(torch, make, g, before_step=folded_eps(1e-7))
    assert_same(run_numpy(AdamW(lr=0.01, weight_decay=weight_decay), g)[0], folded)


def test_adamw_under_a_schedule_decays_with_the_current_lr(torch):
    g = gradients(scale=1e-2)
    make = lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.5, foreach=False)  # noqa: E731
    cosine = lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=STEPS)  # noqa: E731
    folded, _ = run_torch(torch, make, g, make_scheduler=cosine, before_step=folded_eps(1e-7))
    ours, _ = run_numpy(AdamW(lr=0.01, weight_decay=0.5), g, lambda o: CosineAnnealing(o, total_steps=STEPS))
    assert_same(ours, folded)


# --- momentum under a changing learning rate: the documented difference ---------------------------------


def test_momentum_differs_when_lr_changes(torch):
    g = gradients()
    make = lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, foreach=False)  # noqa: E731
    steplr = lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=30, gamma=0.5)  # noqa: E731
    expected, torch_lrs = run_torch(torch, make, g, make_scheduler=steplr)
    decay = lambda o: StepDecay(o, step_size=30, gamma=0.5)  # noqa: E731
    transcribed, lrs = run_numpy(TorchSGD(lr=0.05, momentum=0.9), g, decay)
    assert_same(transcribed, expected)
    np.testing.assert_allclose(lrs, torch_lrs, rtol=TOL)
    book, _ = run_numpy(Momentum(lr=0.05, momentum=0.9), g, decay)
    assert np.abs(book - expected).max() > 1e-3
    # torch's rule is the book's with the velocity rescaled by lr_t / lr_{t-1} whenever lr changes
    w, v, rescaled = W0.copy(), np.zeros_like(W0), []
    for t, grad in enumerate(g):
        ratio = lrs[t] / lrs[t - 1] if t else 1.0
        v = ratio * 0.9 * v - lrs[t] * grad
        w = w + v
        rescaled.append(w)
    assert_same(np.array(rescaled), expected)


# --- learning-rate schedulers ---------------------------------------------------------------------------


def schedule_cases(torch):
    sched = torch.optim.lr_scheduler
    return [
        (lambda o: StepDecay(o, step_size=25, gamma=0.3), lambda o: sched.StepLR(o, step_size=25, gamma=0.3)),
        (lambda o: CosineAnnealing(o, total_steps=STEPS), lambda o: sched.CosineAnnealingLR(o, T_max=STEPS)),
        (
            lambda o: CosineAnnealing(o, total_steps=STEPS, lr_min=0.001),
            lambda o: sched.CosineAnnealingLR(o, T_max=STEPS, eta_min=0.001),
        ),
        (
            lambda o: LinearWarmup(o, warmup_steps=10),
            lambda o: sched.LinearLR(o, start_factor=1 / 10, end_factor=1.0, total_iters=9),
        ),
        (
            lambda o: warmup_cosine(o, warmup_steps=10, total_steps=STEPS),
            lambda o: sched.SequentialLR(
                o,
                [sched.LinearLR(o, start_factor=1 / 10, total_iters=9), sched.CosineAnnealingLR(o, T_max=STEPS - 10)],
                milestones=[10],
            ),
        ),
    ]


@pytest.mark.parametrize("case", range(5))
def test_schedules_match_torch_schedulers(torch, case):
    ours, theirs = schedule_cases(torch)[case]
    g = gradients()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's deprecation notes
        expected, torch_lrs = run_torch(
            torch, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, foreach=False), g, make_scheduler=theirs
        )
    path, lrs = run_numpy(TorchSGD(lr=0.1, momentum=0.9), g, ours)
    np.testing.assert_allclose(lrs, torch_lrs, rtol=TOL, atol=1e-15)
    assert_same(path, expected)


# --- gradient clipping ----------------------------------------------------------------------------------


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 100.0])
def test_clip_grads_matches_clip_grad_norm(torch, max_norm):
    rng = np.random.default_rng(3)
    arrays = {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=3), "W2": rng.normal(size=(3, 2))}
    tensors = [torch.zeros(a.shape, dtype=torch.float64, requires_grad=True) for a in arrays.values()]
    for t, a in zip(tensors, arrays.values()):
        t.grad = torch.tensor(a)
    expected_norm = float(torch.nn.utils.clip_grad_norm_(tensors, max_norm))
    grads = {k: a.copy() for k, a in arrays.items()}
    norm = clip_grads(grads, max_norm)
    assert abs(norm - expected_norm) < TOL
    for t, g in zip(tensors, grads.values()):
        assert_same(g, t.grad.numpy())
