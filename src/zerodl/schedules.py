# Generated from docs/12-beyond.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["optimizer_lr", "LRSchedule", "StepDecay", "CosineAnnealing", "LinearWarmup", "warmup_cosine"]


# --- from docs/12-beyond.md ---
import math
import numbers


def optimizer_lr(optimizer):
    """The learning rate ``optimizer.lr``; TypeError unless it is a positive number.
    Defined in chapter 12 (docs/12-beyond.md)."""
    lr = getattr(optimizer, "lr", None)
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (math.isfinite(lr) and lr > 0):
        raise TypeError(
            f"a schedule needs an optimizer with a positive learning rate in .lr; "
            f"got {type(optimizer).__name__} with lr={lr!r}"
        )
    return lr


class LRSchedule:
    """Base of the learning-rate schedules: sets ``optimizer.lr`` between steps.

    The schedule remembers ``optimizer.lr`` as ``base_lr`` when it is made and sets
    ``optimizer.lr = lr_at(0)`` at once; call ``step()`` after every ``update`` and it
    sets ``optimizer.lr = lr_at(t)``, t being the number of updates so far. Works with
    every optimizer that reads ``self.lr`` in ``update`` (all of zerodl's).
    Subclasses set their own attributes, then call ``super().__init__(optimizer)``.
    Defined in chapter 12 (docs/12-beyond.md).
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lr = optimizer_lr(optimizer)
        self.t = 0
        optimizer.lr = self.lr_at(0)

    def lr_at(self, t):
        raise NotImplementedError

    def step(self):
        """Count one update and set the learning rate of the next one."""
        self.t += 1
        self.optimizer.lr = self.lr_at(self.t)


def _check_steps(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a whole number of steps >= 1; got {value!r}")


class StepDecay(LRSchedule):
    """lr(t) = base_lr * gamma ** (t // step_size): multiply by ``gamma`` every ``step_size`` steps.

    Defined in chapter 12 (docs/12-beyond.md).
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        _check_steps("step_size", step_size)
        if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or not 0 < gamma <= 1:
            raise ValueError(f"gamma must be a number in (0, 1], e.g. 0.1; got {gamma!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, t):
        return self.base_lr * self.gamma ** (t // self.step_size)


class CosineAnnealing(LRSchedule):
    """lr(t) = lr_min + (base_lr - lr_min) * (1 + cos(pi * t / total_steps)) / 2, then lr_min.

    Defined in chapter 12 (docs/12-beyond.md).
    """

    def __init__(self, optimizer, total_steps, lr_min=0.0):
        _check_steps("total_steps", total_steps)
        if isinstance(lr_min, bool) or not isinstance(lr_min, numbers.Real) or not 0 <= lr_min <= optimizer_lr(optimizer):
            raise ValueError(f"lr_min must be a number from 0 to the optimizer's lr; got {lr_min!r}")
        self.total_steps, self.lr_min = total_steps, lr_min
        super().__init__(optimizer)

    def lr_at(self, t):
        t = min(t, self.total_steps)
        return self.lr_min + (self.base_lr - self.lr_min) * (1 + math.cos(math.pi * t / self.total_steps)) / 2


class LinearWarmup(LRSchedule):
    """lr(t) = base_lr * (t + 1) / warmup_steps for t < warmup_steps, then ``then.lr_at(t - warmup_steps)``
    (or base_lr if ``then`` is None).

    ``then`` is another schedule of the same optimizer, made first: its counter starts
    when the warm-up ends. Defined in chapter 12 (docs/12-beyond.md).
    """

    def __init__(self, optimizer, warmup_steps, then=None):
        _check_steps("warmup_steps", warmup_steps)
        if then is not None and getattr(then, "optimizer", None) is not optimizer:
            raise ValueError("then= must be a schedule of the same optimizer, made before the warm-up")
        self.warmup_steps, self.then = warmup_steps, then
        super().__init__(optimizer)

    def lr_at(self, t):
        if t < self.warmup_steps:
            return self.base_lr * (t + 1) / self.warmup_steps
        return self.base_lr if self.then is None else self.then.lr_at(t - self.warmup_steps)


def warmup_cosine(optimizer, warmup_steps, total_steps, lr_min=0.0):
    """Linear warm-up for ``warmup_steps`` steps, then cosine annealing to ``lr_min``
    at ``total_steps`` (the length of the whole run, warm-up included).

    Defined in chapter 12 (docs/12-beyond.md).
    """
    _check_steps("warmup_steps", warmup_steps)
    _check_steps("total_steps", total_steps)
    if warmup_steps >= total_steps:
        raise ValueError(
            f"warmup_steps ({warmup_steps}) must be smaller than total_steps ({total_steps}), the length of the "
            "whole run: the warm-up would never end. Use fewer warm-up steps (a few percent of the run is usual)"
        )
    cosine = CosineAnnealing(optimizer, total_steps - warmup_steps, lr_min)
    return LinearWarmup(optimizer, warmup_steps, then=cosine)
