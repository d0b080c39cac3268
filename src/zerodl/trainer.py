# Generated from docs/10-regularization.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["Trainer"]


# --- from docs/10-regularization.md ---
import numbers

import numpy as np

from zerodl.optimizers import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop
from zerodl.progress import progress

# The book's names, lower case; 'rmsprpo' is a misspelling in some versions of the book's trainer.
OPTIMIZER_CLASSES = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": AdaGrad,
    "rmsprop": RMSprop,
    "rmsprpo": RMSprop,
    "adam": Adam,
}


class Trainer:
    """Mini-batch training loop with per-epoch accuracy, as the book's ``common/trainer.py``.

    Each step draws ``np.random.choice(len(x_train), mini_batch_size)`` (with
    replacement, as the book), computes the gradient, updates the parameters
    and records the loss of the batch after the update. At the first step of
    every epoch it records the accuracy on the training and test data (their
    first ``evaluate_sample_num_per_epoch`` items if given). ``optimizer`` is a
    name from ``OPTIMIZER_CLASSES`` (any case), built with ``optimizer_param``.
    ``train()`` ends with the accuracy on all of the test data in
    ``final_test_acc``. ``verbose`` prints the book's progress lines.
    Defined in chapter 10 (docs/10-regularization.md).
    """

    def __init__(self, network, x_train, t_train, x_test, t_test, epochs=20, mini_batch_size=100,
                 optimizer="SGD", optimizer_param={"lr": 0.01},  # never modified: the book's default
                 evaluate_sample_num_per_epoch=None, verbose=True):
        for x, t, name in ((x_train, t_train, "train"), (x_test, t_test, "test")):
            if len(x) != len(t):
                raise ValueError(f"Trainer: x_{name} has {len(x)} items but t_{name} has {len(t)}; "
                                 "give one label per input")
        if len(x_train) == 0:
            raise ValueError("Trainer: x_train is empty")
        if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
            raise ValueError(f"Trainer: epochs must be a non-negative integer, got {epochs!r}")
        if isinstance(mini_batch_size, bool) or not isinstance(mini_batch_size, numbers.Integral) or mini_batch_size < 1:
            raise ValueError(f"Trainer: mini_batch_size must be a positive integer, got {mini_batch_size!r}")
        n = evaluate_sample_num_per_epoch  # None: all samples, as the book
        if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1):
            raise ValueError("Trainer: evaluate_sample_num_per_epoch must be a positive integer (the number of "
                             f"samples evaluated each epoch) or None for all of them, got {n!r}")
        key = optimizer.lower() if isinstance(optimizer, str) else None
        if key not in OPTIMIZER_CLASSES:
            raise ValueError(f"Trainer: unknown optimizer {optimizer!r}; use one of "
                             f"{', '.join(repr(name) for name in OPTIMIZER_CLASSES)} (any case)")
        self.network = network
        self.verbose = verbose
        self.x_train, self.t_train = x_train, t_train
        self.x_test, self.t_test = x_test, t_test
        self.epochs = epochs
        self.batch_size = mini_batch_size
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.optimizer = OPTIMIZER_CLASSES[key](**optimizer_param)

        self.train_size = len(x_train)
        self.iter_per_epoch = max(self.train_size / mini_batch_size, 1)
        self.max_iter = int(epochs * self.iter_per_epoch)
        self.current_iter = 0
        self.current_epoch = 0

        self.train_loss_list = []
        self.train_acc_list = []
        self.test_acc_list = []
        self.final_test_acc = None

    def _starts_epoch(self, i):
        # The book tests i % iter_per_epoch == 0, which misses epochs when
        # iter_per_epoch is not a whole number; this is the same test otherwise.
        return i == 0 or i // self.iter_per_epoch != (i - 1) // self.iter_per_epoch

    def train_step(self):
        """One update on a random mini-batch (and the accuracies, if an epoch starts)."""
        batch_mask = np.random.choice(self.train_size, self.batch_size)
        x_batch, t_batch = self.x_train[batch_mask], self.t_train[batch_mask]

        grads = self.network.gradient(x_batch, t_batch)
        self.optimizer.update(self.network.params, grads)

        loss = self.network.loss(x_batch, t_batch)
        self.train_loss_list.append(loss)
        if self.verbose:
            print("train loss:" + str(loss))

        if self._starts_epoch(self.current_iter):
            self.current_epoch += 1
            x_train, t_train, x_test, t_test = self.x_train, self.t_train, self.x_test, self.t_test
            n = self.evaluate_sample_num_per_epoch
            if n is not None:
                x_train, t_train, x_test, t_test = x_train[:n], t_train[:n], x_test[:n], t_test[:n]
            train_acc = self.network.accuracy(x_train, t_train)
            test_acc = self.network.accuracy(x_test, t_test)
            self.train_acc_list.append(train_acc)
            self.test_acc_list.append(test_acc)
            if self.verbose:
                print("=== epoch:" + str(self.current_epoch) + ", train acc:" + str(train_acc)
                      + ", test acc:" + str(test_acc) + " ===")
        self.current_iter += 1

    def train(self):
        """Run all ``max_iter`` steps, then measure the accuracy on all of the test data.

        Quiet (``verbose=False``), it shows a progress bar where someone watches (本サイトの第2章)."""
        steps = range(self.max_iter)
        for _ in steps if self.verbose else progress(steps, desc="Trainer"):
            self.train_step()
        self.final_test_acc = self.network.accuracy(self.x_test, self.t_test)
        if self.verbose:
            print("=============== Final Test Accuracy ===============")
            print("test acc:" + str(self.final_test_acc))
