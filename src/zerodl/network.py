# Generated from docs/03-backprop.md, docs/09-batch-norm.md by tools/literate/tangle.py.
# Do not edit: change the chapter(s) and run `make tangle`.

__all__ = ["MultiLayerNet", "check_net_args", "MultiLayerNetExtend"]


# --- from docs/03-backprop.md ---
import numpy as np

from zerodl.functions import check_labels
from zerodl.gradient import numerical_gradient
from zerodl.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss


class MultiLayerNet:
    """Fully connected network: (Affine -> activation) x hidden layers -> Affine -> SoftmaxWithLoss.

    ``params`` holds ``W1``, ``b1``, ... ``W{L}``, ``b{L}`` (L = number of
    hidden layers + 1); the Affine layers hold the same arrays, so an
    optimizer must update them in place. ``weight_init_std`` is the standard
    deviation of the initial weights, or ``'relu'``/``'he'`` (sqrt(2/n)) or
    ``'sigmoid'``/``'xavier'`` (sqrt(1/n)), n being the layer's input size;
    the default ``'relu'`` is the book's. Weights come from ``np.random.randn``
    (seed it for reproducible runs) and are stored as ``dtype``.
    ``weight_decay_lambda`` adds 0.5 * lambda * sum(W**2) over the weight
    matrices (not the biases) to the loss and lambda * W to their gradients,
    as the book's class does. Defined in chapter 3 (docs/03-backprop.md).
    """

    def __init__(
        self,
        input_size,
        hidden_size_list,
        output_size,
        activation="relu",
        weight_init_std="relu",
        weight_decay_lambda=0,
        dtype=np.float64,
    ):
        check_net_args(input_size, hidden_size_list, output_size, activation, dtype)  # defined below
        activations = {"relu": Relu, "sigmoid": Sigmoid}
        sizes = [input_size, *hidden_size_list, output_size]
        self.input_size = input_size
        self.hidden_size_list = list(hidden_size_list)
        self.output_size = output_size
        self.hidden_layer_num = len(self.hidden_size_list)
        self.weight_decay_lambda = weight_decay_lambda
        self.params = {}
        for idx in range(1, len(sizes)):
            scale = self._init_scale(weight_init_std, sizes[idx - 1])
            self.params[f"W{idx}"] = (scale * np.random.randn(sizes[idx - 1], sizes[idx])).astype(dtype)
            self.params[f"b{idx}"] = np.zeros(sizes[idx], dtype=dtype)

        self.layers = {}  # dicts keep insertion order: this is the forward order
        for idx in range(1, self.hidden_layer_num + 1):
            self.layers[f"Affine{idx}"] = Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
            self.layers[f"Activation_function{idx}"] = activations[activation]()
        idx = self.hidden_layer_num + 1
        self.layers[f"Affine{idx}"] = Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
        self.last_layer = SoftmaxWithLoss()

    @staticmethod
    def _init_scale(weight_init_std, fan_in):
        if isinstance(weight_init_std, str):
            name = weight_init_std.lower()
            if name in ("relu", "he"):
                return np.sqrt(2.0 / fan_in)
            if name in ("sigmoid", "xavier"):
                return np.sqrt(1.0 / fan_in)
            raise ValueError(f"weight_init_std must be a number, 'relu'/'he' or 'sigmoid'/'xavier', got {name!r}")
        return float(weight_init_std)

    def predict(self, x):
        """Scores (before softmax) for the inputs ``x``."""
        if len(x) == 0:
            raise ValueError(f"MultiLayerNet.predict: needs a non-empty batch; got x of shape {np.shape(x)}")
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        """Mean cross-entropy error of the batch (x, t), plus the weight decay term if any."""
        loss = self.last_layer.forward(self.predict(x), t)
        if self.weight_decay_lambda:
            for idx in range(1, self.hidden_layer_num + 2):
                W = self.params[f"W{idx}"]
                loss += 0.5 * self.weight_decay_lambda * np.sum(W**2)
        return loss

    def accuracy(self, x, t):
        """Fraction of ``x`` classified as ``t`` (integer labels or one-hot rows)."""
        scores = self.predict(x)
        t = check_labels(t, scores, "MultiLayerNet.accuracy")  # integer labels (N,)
        return float(np.mean(np.argmax(scores, axis=1) == t))

    def numerical_gradient(self, x, t):
        """Gradient of the loss for every parameter, by central differences (slow; for checking)."""
        def loss_w(_):
            return self.loss(x, t)

        return {key: numerical_gradient(loss_w, param) for key, param in self.params.items()}

    def gradient(self, x, t):
        """Gradient of the loss for every parameter, by backpropagation."""
        self.loss(x, t)  # forward: every layer keeps what its backward needs
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for idx in range(1, self.hidden_layer_num + 2):
            affine = self.layers[f"Affine{idx}"]
            grads[f"W{idx}"] = affine.dW + self.weight_decay_lambda * affine.W if self.weight_decay_lambda else affine.dW
            grads[f"b{idx}"] = affine.db
        return grads


def check_net_args(input_size, hidden_size_list, output_size, activation, dtype):
    """Raise a ValueError naming the problem with MultiLayerNet's arguments. Defined in chapter 3."""
    if activation not in ("relu", "sigmoid"):
        raise ValueError(f"activation must be 'relu' or 'sigmoid', got {activation!r}")
    if hidden_size_list is None or isinstance(hidden_size_list, (str, bytes, int, np.integer)):
        raise ValueError(
            "hidden_size_list must be a list of hidden layer sizes, e.g. [100, 100] (or [] for none); "
            f"got {hidden_size_list!r}"
        )
    sizes = [input_size, *hidden_size_list, output_size]
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0 for n in sizes):
        raise ValueError(f"layer sizes must be positive integers, got {sizes}")
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise ValueError(f"dtype must be a floating-point type such as np.float64 or np.float32; got {np.dtype(dtype)}")


# --- from docs/09-batch-norm.md ---
from zerodl.layers import BatchNormalization


class MultiLayerNetExtend:
    """MultiLayerNet with optional Batch Normalization and Dropout, as the book's class.

    Hidden layer k is Affine -> BatchNorm (``use_batchnorm``) -> activation ->
    Dropout (``use_dropout``, ratio ``dropout_ration``: the book's spelling).
    ``params`` holds ``W1``, ``b1``, ... and, with batch norm, ``gamma1``,
    ``beta1``, ...; weights are drawn with ``np.random.randn`` in layer order
    and scaled as in ``MultiLayerNet`` (``weight_init_std``: 'relu'/'he',
    'sigmoid'/'xavier' or a number). ``weight_decay_lambda`` adds
    0.5 * lambda * sum(W**2) to the loss and lambda * W to the weights'
    gradients. ``predict``/``loss`` take ``train_flg`` (False: inference, the
    running statistics of batch norm, no dropout); ``gradient`` and
    ``numerical_gradient`` differentiate the training-mode loss.
    Defined in chapter 9 (docs/09-batch-norm.md); Dropout comes from chapter 10.
    """

    def __init__(
        self,
        input_size,
        hidden_size_list,
        output_size,
        activation="relu",
        weight_init_std="relu",
        weight_decay_lambda=0,
        use_dropout=False,
        dropout_ration=0.5,
        use_batchnorm=False,
    ):
        check_net_args(input_size, hidden_size_list, output_size, activation, np.float64)  # chapter 3's checks
        activations = {"relu": Relu, "sigmoid": Sigmoid}
        sizes = [input_size, *hidden_size_list, output_size]
        self.input_size = input_size
        self.hidden_size_list = list(hidden_size_list)
        self.output_size = output_size
        self.hidden_layer_num = len(self.hidden_size_list)
        self.weight_decay_lambda = weight_decay_lambda
        self.use_dropout = use_dropout
        self.use_batchnorm = use_batchnorm
        self.params = {}
        for idx in range(1, len(sizes)):  # all weights first, in layer order (the book's draws)
            scale = MultiLayerNet._init_scale(weight_init_std, sizes[idx - 1])
            self.params[f"W{idx}"] = scale * np.random.randn(sizes[idx - 1], sizes[idx])
            self.params[f"b{idx}"] = np.zeros(sizes[idx])
        if use_dropout:
            from zerodl.layers import Dropout  # written in chapter 10

        self.layers = {}
        for idx in range(1, self.hidden_layer_num + 1):
            self.layers[f"Affine{idx}"] = Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
            if use_batchnorm:
                units = self.hidden_size_list[idx - 1]
                self.params[f"gamma{idx}"] = np.ones(units)
                self.params[f"beta{idx}"] = np.zeros(units)
                self.layers[f"BatchNorm{idx}"] = BatchNormalization(self.params[f"gamma{idx}"], self.params[f"beta{idx}"])
            self.layers[f"Activation_function{idx}"] = activations[activation]()
            if use_dropout:
                self.layers[f"Dropout{idx}"] = Dropout(dropout_ration)
        idx = self.hidden_layer_num + 1
        self.layers[f"Affine{idx}"] = Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x, train_flg=False):
        """Scores (before softmax); ``train_flg`` goes to the BatchNorm and Dropout layers."""
        for name, layer in self.layers.items():
            if name.startswith(("BatchNorm", "Dropout")):
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        """Mean cross-entropy error plus 0.5 * lambda * (sum of W**2 over the weight matrices)."""
        scores = self.predict(x, train_flg)
        decay = 0
        for idx in range(1, self.hidden_layer_num + 2):
            decay += 0.5 * self.weight_decay_lambda * np.sum(self.params[f"W{idx}"] ** 2)
        return self.last_layer.forward(scores, t) + decay

    def accuracy(self, x, t):
        """Fraction of ``x`` classified as ``t`` (labels or one-hot rows), in inference mode."""
        y = np.argmax(self.predict(x, train_flg=False), axis=1)
        t = np.asarray(t)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return float(np.sum(y == t) / float(x.shape[0]))

    def _grad_keys(self):
        for idx in range(1, self.hidden_layer_num + 2):
            yield f"W{idx}"
            yield f"b{idx}"
            if self.use_batchnorm and idx <= self.hidden_layer_num:
                yield f"gamma{idx}"
                yield f"beta{idx}"

    def numerical_gradient(self, x, t):
        """Gradient of the training-mode loss by central differences (slow; for checking)."""
        def loss_w(_):
            return self.loss(x, t, train_flg=True)

        return {key: numerical_gradient(loss_w, self.params[key]) for key in self._grad_keys()}

    def gradient(self, x, t):
        """Gradient of the training-mode loss for every parameter, by backpropagation."""
        self.loss(x, t, train_flg=True)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for idx in range(1, self.hidden_layer_num + 2):
            affine = self.layers[f"Affine{idx}"]
            grads[f"W{idx}"] = affine.dW + self.weight_decay_lambda * self.params[f"W{idx}"]
            grads[f"b{idx}"] = affine.db
            if self.use_batchnorm and idx <= self.hidden_layer_num:
                batch_norm = self.layers[f"BatchNorm{idx}"]
                grads[f"gamma{idx}"], grads[f"beta{idx}"] = batch_norm.dgamma, batch_norm.dbeta
        return grads
