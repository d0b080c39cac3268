"""Chapters 10-11: Trainer (against a transcription of the book's training
loop under the same seed, recorded lengths, learning, names, bad input) and
shuffle_dataset (pairs kept, the book's permutation draw)."""

from __future__ import annotations

import numpy as np
import pytest

from zerodl.network import MultiLayerNet, MultiLayerNetExtend
from zerodl.optimizers import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop
from zerodl.trainer import Trainer
from zerodl.util import shuffle_dataset


def blobs(n, seed=0, dim=8, classes=3):
    """Separable toy data: class k is a Gaussian blob around 3 * e_k."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, classes, size=n)
    x = rng.normal(size=(n, dim))
    x[np.arange(n), t] += 3.0
    return x, t


def book_loop(network, optimizer, x_train, t_train, x_test, t_test, epochs, batch_size):
    """The book's overfit_weight_decay.py / Trainer loop, transcribed: choice, gradient, update, loss, epoch check."""
    train_size = x_train.shape[0]
    iter_per_epoch = max(train_size / batch_size, 1)
    losses, train_acc, test_acc = [], [], []
    for i in range(int(epochs * iter_per_epoch)):
        batch_mask = np.random.choice(train_size, batch_size)
        x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]
        grads = network.gradient(x_batch, t_batch)
        optimizer.update(network.params, grads)
        losses.append(network.loss(x_batch, t_batch))
        if i % iter_per_epoch == 0:
            train_acc.append(network.accuracy(x_train, t_train))
            test_acc.append(network.accuracy(x_test, t_test))
    return losses, train_acc, test_acc


@pytest.mark.parametrize(
    "make_network",
    [
        lambda: MultiLayerNet(8, [16, 16], 3, weight_decay_lambda=0.01),
        lambda: MultiLayerNetExtend(8, [16, 16], 3, use_dropout=True, dropout_ration=0.2),
    ],
    ids=["weight-decay", "dropout"],
)
def test_trainer_gives_the_numbers_of_the_books_loop(make_network):
    x, t = blobs(120)
    x_test, t_test = blobs(50, seed=1)
    np.random.seed(9)
    network = make_network()
    expected = book_loop(network, SGD(lr=0.05), x, t, x_test, t_test, epochs=6, batch_size=20)
    np.random.seed(9)
    trainer = Trainer(make_network(), x, t, x_test, t_test, epochs=6, mini_batch_size=20,
                      optimizer="sgd", optimizer_param={"lr": 0.05}, verbose=False)
    trainer.train()
    assert trainer.train_loss_list == expected[0]
    assert trainer.train_acc_list == expected[1]
    assert trainer.test_acc_list == expected[2]


def test_trainer_learns_and_records_lists_of_the_right_length():
    x, t = blobs(200)
    x_test, t_test = blobs(100, seed=1)
    np.random.seed(0)
    trainer = Trainer(MultiLayerNet(8, [20], 3), x, t, x_test, t_test, epochs=15, mini_batch_size=25,
                      optimizer="Adam", optimizer_param={"lr": 0.01}, verbose=False)
    trainer.train()
    assert len(trainer.train_loss_list) == 15 * 200 // 25 == trainer.max_iter
    assert len(trainer.train_acc_list) == len(trainer.test_acc_list) == 15
    losses = np.array(trainer.train_loss_list)
    assert losses[-8:].mean() < 0.5 * losses[:8].mean()
    assert trainer.test_acc_list[-1] > 0.9 > trainer.test_acc_list[0]
    assert trainer.final_test_acc == trainer.network.accuracy(x_test, t_test)


def test_trainer_measures_every_epoch_when_the_batch_does_not_divide_the_data():
    x, t = blobs(100)
    np.random.seed(0)
    trainer = Trainer(MultiLayerNet(8, [5], 3), x, t, x, t, epochs=6, mini_batch_size=30, verbose=False)
    trainer.train()
    iter_per_epoch = 100 / 30
    assert trainer.max_iter == int(6 * iter_per_epoch) == 20
    epochs_started = {int(i // iter_per_epoch) for i in range(trainer.max_iter)}
    assert len(trainer.train_acc_list) == len(epochs_started) == 6


class Recorder:
    """A stand-in network that records the sizes accuracy() is called with."""

    def __init__(self):
        self.params = {"W": np.zeros(1)}
        self.sizes = []

    def gradient(self, x, t):
        return {"W": np.zeros(1)}

    def loss(self, x, t):
        return 0.0

    def accuracy(self, x, t):
        assert len(x) == len(t)
        self.sizes.append(len(x))
        return 0.5


def test_evaluate_sample_num_per_epoch_uses_the_first_items():
    x, t = blobs(60)
    x_test, t_test = blobs(500, seed=1)
    network = Recorder()
    trainer = Trainer(network, x, t, x_test, t_test, epochs=2, mini_batch_size=20,
                      evaluate_sample_num_per_epoch=40, verbose=False)
    trainer.train()
    assert network.sizes == [40, 40, 40, 40, 500]  # two epochs (train, test), then all of the test data


def test_verbose_prints_the_books_lines(capsys):
    x, t = blobs(40)
    np.random.seed(1)
    trainer = Trainer(MultiLayerNet(8, [5], 3), x, t, x, t, epochs=2, mini_batch_size=20)
    trainer.train()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "train loss:" + str(trainer.train_loss_list[0])
    assert lines[1] == (f"=== epoch:1, train acc:{trainer.train_acc_list[0]}, test acc:{trainer.test_acc_list[0]} ===")
    assert sum(line.startswith("train loss:") for line in lines) == 4
    assert lines[-2:] == ["=============== Final Test Accuracy ===============", f"test acc:{trainer.final_test_acc}"]


@pytest.mark.parametrize(
    "name, cls",
    [("SGD", SGD), ("sgd", SGD), ("Momentum", Momentum), ("NESTEROV", Nesterov), ("AdaGrad", AdaGrad),
     ("RMSprop", RMSprop), ("rmsprop", RMSprop), ("rmsprpo", RMSprop), ("Adam", Adam)],
)
def test_optimizer_names_are_case_insensitive(name, cls):
    x, t = blobs(10)
    trainer = Trainer(MultiLayerNet(8, [4], 3), x, t, x, t, optimizer=name, optimizer_param={"lr": 0.123}, verbose=False)
    assert type(trainer.optimizer) is cls and trainer.optimizer.lr == 0.123


@pytest.mark.parametrize("name", ["adamw", "", "s g d", None, SGD])
def test_unknown_optimizer_lists_the_valid_names(name):
    x, t = blobs(10)
    with pytest.raises(ValueError) as info:
        Trainer(MultiLayerNet(8, [4], 3), x, t, x, t, optimizer=name)
    for valid in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        assert repr(valid) in str(info.value)


def test_mismatched_lengths_are_rejected():
    x, t = blobs(10)
    with pytest.raises(ValueError, match="x_train has 10 items but t_train has 9"):
        Trainer(MultiLayerNet(8, [4], 3), x, t[:9], x, t)
    with pytest.raises(ValueError, match="x_test has 8 items but t_test has 10"):
        Trainer(MultiLayerNet(8, [4], 3), x, t, x[:8], t)


@pytest.mark.parametrize("kwargs", [{"mini_batch_size": 0}, {"mini_batch_size": 2.5}, {"epochs": -1}, {"epochs": 1.5}])
def test_bad_sizes_are_rejected(kwargs):
    x, t = blobs(10)
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        Trainer(MultiLayerNet(8, [4], 3), x, t, x, t, **kwargs)


@pytest.mark.parametrize("n", [-3, 0, 2.5, True, "40"])
def test_a_bad_evaluate_sample_num_per_epoch_is_refused_by_name(n):
    """-3 would silently evaluate x[:-3], 2.5 fail in a slice, 0 in the accuracy: refused when made."""
    x, t = blobs(10)
    with pytest.raises(ValueError, match=r"^Trainer: evaluate_sample_num_per_epoch must be a positive integer .* or None"):
        Trainer(MultiLayerNet(8, [4], 3), x, t, x, t, evaluate_sample_num_per_epoch=n)


@pytest.mark.parametrize("n, sizes", [(None, [60, 500, 500]), (np.int64(7), [7, 7, 500]), (10**6, [60, 500, 500])])
def test_evaluate_sample_num_per_epoch_none_is_all_and_numpy_integers_work(n, sizes):
    x, t = blobs(60)
    x_test, t_test = blobs(500, seed=1)
    network = Recorder()
    Trainer(network, x, t, x_test, t_test, epochs=1, mini_batch_size=60,
            evaluate_sample_num_per_epoch=n, verbose=False).train()
    assert network.sizes == sizes


# --- shuffle_dataset -----------------------------------------------------------


@pytest.mark.parametrize("shape", [(50, 3), (50, 1, 4, 4), (50,)])
def test_shuffle_dataset_keeps_pairs_together(shape):
    size = int(np.prod(shape))
    x = np.arange(size, dtype=float).reshape(shape)
    t = np.arange(50) * 7  # the label says which row it belongs to
    x_before, t_before = x.copy(), t.copy()
    np.random.seed(3)
    xs, ts = shuffle_dataset(x, t)
    rows = xs.reshape(50, -1)[:, 0] // (size // 50)
    np.testing.assert_array_equal(ts, rows.astype(int) * 7)
    assert not np.array_equal(ts, t)  # it did shuffle
    np.testing.assert_array_equal(np.sort(ts), t)
    np.testing.assert_array_equal(x, x_before)  # inputs left alone
    np.testing.assert_array_equal(t, t_before)


def test_shuffle_dataset_draws_the_books_permutation():
    x, t = blobs(30)
    np.random.seed(11)
    order = np.random.permutation(x.shape[0])  # the book's common/util.py
    after = np.random.rand()
    np.random.seed(11)
    xs, ts = shuffle_dataset(x, t)
    np.testing.assert_array_equal(xs, x[order, :])
    np.testing.assert_array_equal(ts, t[order])
    assert np.random.rand() == after  # exactly one draw


def test_shuffle_dataset_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="x has 5 items but t has 4"):
        shuffle_dataset(np.zeros((5, 2)), np.zeros(4))
