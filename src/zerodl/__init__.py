# Generated from docs/book-compat.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.


# --- from docs/book-compat.md ---
"""zerodl: the book's names at the top level, e.g. ``from zerodl import SGD, MultiLayerNet``.

Every public name of the modules is re-exported here (see ``__all__``); the
modules stay importable as well (``zerodl.optimizers``, ...). Importing zerodl
loads NumPy and the standard library only: no matplotlib, and pooch only when
MNIST has to be downloaded. Defined in the appendix 書籍のコードとの対応
(docs/book-compat.md).
"""

from zerodl.datasets.mnist import load_mnist
from zerodl.fast import FastAdam, FastMultiLayerNet
from zerodl.functions import (
    cross_entropy_error,
    identity_function,
    log_softmax,
    mean_squared_error,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    softmax_loss,
    step_function,
    sum_squared_error,
)
from zerodl.gradient import gradient_descent, numerical_diff, numerical_gradient, numerical_gradient_2d
from zerodl.landscape import bowl, bowl_grad, optimizer_path, plot_path
from zerodl.clipping import clip_grads
from zerodl.layers import AddLayer, Affine, BatchNormalization, Dropout, MulLayer, Relu, Sigmoid, SoftmaxWithLoss
from zerodl.network import MultiLayerNet, MultiLayerNetExtend
from zerodl.optimizers import SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSprop
from zerodl.progress import progress
from zerodl.schedules import CosineAnnealing, LinearWarmup, LRSchedule, StepDecay, warmup_cosine
from zerodl.trainer import Trainer
from zerodl.util import shuffle_dataset, smooth_curve

__all__ = [
    # the book's common/functions.py and common/gradient.py
    "identity_function",
    "step_function",
    "sigmoid",
    "sigmoid_grad",
    "relu",
    "relu_grad",
    "softmax",
    "sum_squared_error",
    "mean_squared_error",
    "cross_entropy_error",
    "softmax_loss",
    "numerical_gradient",
    "numerical_gradient_2d",
    # the book's common/layers.py
    "Relu",
    "Sigmoid",
    "Affine",
    "SoftmaxWithLoss",
    "Dropout",
    "BatchNormalization",
    # the book's ch05/layer_naive.py
    "MulLayer",
    "AddLayer",
    # the book's common/optimizer.py
    "SGD",
    "Momentum",
    "Nesterov",
    "AdaGrad",
    "RMSprop",
    "Adam",
    # the book's common/multi_layer_net*.py, trainer.py, util.py and dataset/mnist.py
    "MultiLayerNet",
    "MultiLayerNetExtend",
    "Trainer",
    "shuffle_dataset",
    "smooth_curve",
    "load_mnist",
    # this site's own names
    "log_softmax",
    "progress",
    "numerical_diff",
    "gradient_descent",
    "bowl",
    "bowl_grad",
    "optimizer_path",
    "plot_path",
    "FastMultiLayerNet",
    "FastAdam",
    "AdamW",
    "LRSchedule",
    "StepDecay",
    "CosineAnnealing",
    "LinearWarmup",
    "warmup_cosine",
    "clip_grads",
]
