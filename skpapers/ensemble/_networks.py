"""The EnsLoss networks, trained with torch: a ReLU MLP, and any torch module.

Two estimators rather than one with a ``model=`` switch: the linear model
(:class:`~skpapers.ensemble.EnsLossClassifier`) has no architecture and no
device, the MLP is described by ``hidden_layer_sizes``, and a user network by its
``module`` class and ``module_params``; each estimator has exactly the
parameters that shape its model, and the training settings are shared.
"""

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ..utils._torch import check_device
from ._base import _EnsLossBase, ensloss_doc


def init_mlp(layer_sizes, rng, dtype=np.float64):
    """Initial weights and biases of an MLP, drawn from ``rng``.

    Each layer is drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the default of
    ``torch.nn.Linear``.

    Parameters
    ----------
    layer_sizes : sequence of int
        Input width, hidden widths, output width.
    rng : numpy.random.Generator
    dtype : numpy dtype, default=np.float64

    Returns
    -------
    coefs : list of ndarray of shape (fan_in, fan_out)
    intercepts : list of ndarray of shape (fan_out,)
    """
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in)
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
        intercepts.append(rng.uniform(-bound, bound, fan_out).astype(dtype))
    return coefs, intercepts


def mlp_forward(X, coefs, intercepts):
    """Scores of the MLP (ReLU hidden layers, linear output) in NumPy.

    Returns
    -------
    scores : ndarray of shape (n_samples, n_outputs)
    """
    hidden = X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        hidden = np.maximum(hidden @ W + b, 0.0)
    return hidden @ coefs[-1] + intercepts[-1]


class _BaseEnsLossNet(_EnsLossBase):
    _parameter_constraints = {**_EnsLossBase._parameter_constraints, "device": [str]}

    def _check_options(self, classes):
        super()._check_options(classes)
        check_device(self.device)

    def _settings(self, settings):
        return dict(settings, device=self.device)


@ensloss_doc
class EnsLossMLPClassifier(_BaseEnsLossNet):
    """ReLU MLP trained on a stochastic ensemble of calibrated losses (EnsLoss).

    The training of :class:`EnsLossClassifier` (random calibrated derivatives
    every mini-batch, SGD with momentum, a cosine step-size schedule) applied to
    a ReLU network, trained with torch. The parameters are kept as NumPy arrays,
    like :class:`~sklearn.neural_network.MLPClassifier`'s, so a fitted model
    pickles and predicts without torch. With several classes the hidden layers
    are shared by the one-vs-rest outputs.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(100,)
        Widths of the hidden layers (the paper's tabular MLPs have 1, 3 or 5).
    %(training_parameters)s
    %(device_parameter)s
    %(random_state_parameter)s

    Attributes
    ----------
    coefs_ : list of ndarray
        Weight matrices, ``coefs_[i]`` of shape (fan_in, fan_out).
    intercepts_ : list of ndarray
        Bias vectors.
    %(training_attributes)s

    See Also
    --------
    EnsLossClassifier : The linear model.
    EnsLossNetClassifier : Any torch module (e.g. a CNN).
    sklearn.neural_network.MLPClassifier : MLP with the cross-entropy loss.

    Notes
    -----
    %(notes)s

    References
    ----------
    %(references)s

    Examples
    --------
    >>> from sklearn.datasets import make_circles
    >>> from skpapers import EnsLossMLPClassifier
    >>> X, y = make_circles(300, noise=0.05, factor=0.5, random_state=0)
    >>> clf = EnsLossMLPClassifier((16, 16), max_epochs=60, lr=0.05, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    """

    _parameter_constraints = {
        **_BaseEnsLossNet._parameter_constraints,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
    }
    _model_attributes = ("coefs_", "intercepts_")

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        *,
        loss="ensloss",
        boxcox_lambda=0.0,
        lambda_period=1,
        batch_size=128,
        max_epochs=50,
        lr=0.01,
        momentum=0.9,
        weight_decay=1e-4,
        device="cpu",
        random_state=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.loss = loss
        self.boxcox_lambda = boxcox_lambda
        self.lambda_period = lambda_period
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.device = device
        self.random_state = random_state

    def _check_options(self, classes):
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes))
        if (
            sizes.ndim != 1
            or sizes.size == 0
            or not np.issubdtype(sizes.dtype, np.integer)
            or not np.all(sizes >= 1)
        ):
            raise ValueError(
                "hidden_layer_sizes must be a non-empty sequence of positive "
                f"integers, got {self.hidden_layer_sizes!r}."
            )
        super()._check_options(classes)

    def _init_model(self, n_features, n_outputs, dtype):
        sizes = [n_features, *np.atleast_1d(self.hidden_layer_sizes), n_outputs]
        self.coefs_, self.intercepts_ = init_mlp(
            [int(s) for s in sizes], self._rng, dtype
        )
        return [
            np.zeros_like(p)
            for pair in zip(self.coefs_, self.intercepts_)
            for p in pair
        ]

    def _solve(self, X, Y, plan, settings):
        from ._torch_training import train_mlp

        self.coefs_, self.intercepts_, self._velocity, n_updates = train_mlp(
            X,
            Y,
            self.coefs_,
            self.intercepts_,
            self._velocity,
            plan,
            **self._settings(settings),
        )
        return n_updates

    def _scores(self, X):
        return mlp_forward(X, self.coefs_, self.intercepts_)


@ensloss_doc
class EnsLossNetClassifier(_BaseEnsLossNet):
    """Any torch network trained on a stochastic ensemble of calibrated losses.

    The training of :class:`EnsLossClassifier` applied to a network the user
    defines, skorch-style: ``module`` is a ``torch.nn.Module`` class, built as
    ``module(n_features, n_outputs, **module_params)``; its ``forward`` takes a
    (batch, n_features) tensor (the rows of ``X``; a CNN reshapes them into
    images) and returns (batch, n_outputs) scores. This is how the paper's
    convolutional backbones are trained.

    Parameters
    ----------
    module : torch.nn.Module class or None, default=None
        The network's class. None: a ReLU MLP (``module_params`` may set its
        ``hidden_layer_sizes``, default ``(100,)``), the architecture of
        :class:`EnsLossMLPClassifier`.
    module_params : dict or None, default=None
        Further keyword arguments of ``module``.
    %(training_parameters)s
    %(device_parameter)s
    %(random_state_parameter)s

    Attributes
    ----------
    parameters_ : list of ndarray
        The trained network's parameters, in ``module_.parameters()`` order, as
        NumPy arrays of ``X``'s dtype (the fitted state: it pickles and compares
        without torch).
    module_ : torch.nn.Module
        The trained network, built from ``parameters_`` on the CPU, in the
        precision of ``X`` (a new object at each access).
    %(training_attributes)s

    See Also
    --------
    EnsLossMLPClassifier : The built-in ReLU MLP, with NumPy parameters.

    Notes
    -----
    %(notes)s

    The initial weights are drawn by ``module``'s own initialisation from torch's
    generator, seeded from ``random_state`` (torch's global generator state is
    restored afterwards).

    References
    ----------
    %(references)s

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import make_moons
    >>> from skpapers import EnsLossNetClassifier
    >>> class TwoLayers(torch.nn.Sequential):
    ...     def __init__(self, n_features, n_outputs, width=32):
    ...         super().__init__(
    ...             torch.nn.Linear(n_features, width),
    ...             torch.nn.ReLU(),
    ...             torch.nn.Linear(width, n_outputs),
    ...         )
    >>> X, y = make_moons(200, noise=0.1, random_state=0)
    >>> clf = EnsLossNetClassifier(TwoLayers, batch_size=32, lr=0.1, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    """

    _parameter_constraints = {
        **_BaseEnsLossNet._parameter_constraints,
        "module": [callable, None],
        "module_params": [dict, None],
    }
    _model_attributes = ("parameters_",)

    def __init__(
        self,
        module=None,
        *,
        module_params=None,
        loss="ensloss",
        boxcox_lambda=0.0,
        lambda_period=1,
        batch_size=128,
        max_epochs=50,
        lr=0.01,
        momentum=0.9,
        weight_decay=1e-4,
        device="cpu",
        random_state=None,
    ):
        self.module = module
        self.module_params = module_params
        self.loss = loss
        self.boxcox_lambda = boxcox_lambda
        self.lambda_period = lambda_period
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.device = device
        self.random_state = random_state

    def _build(self, seed, parameters=None):
        from ._torch_training import build_module

        return build_module(
            self.module,
            self.n_features_in_,
            1 if self.classes_.size == 2 else self.classes_.size,
            self.module_params,
            seed=seed,
            dtype=self._dtype,
            parameters=parameters,
        )

    @property
    def module_(self):
        check_is_fitted(self)
        return self._build(seed=0, parameters=self.parameters_)

    def _init_model(self, n_features, n_outputs, dtype):
        from ._torch_training import build_module

        seed = int(self._rng.integers(np.iinfo(np.int32).max))
        module = build_module(
            self.module, n_features, n_outputs, self.module_params, seed, dtype
        )
        self.parameters_ = [
            p.detach().numpy().astype(dtype, copy=True) for p in module.parameters()
        ]
        return [np.zeros_like(p) for p in self.parameters_]

    def _solve(self, X, Y, plan, settings):
        from ._torch_training import train_module

        self.parameters_, self._velocity, n_updates = train_module(
            X, Y, self.module_, self._velocity, plan, **self._settings(settings)
        )
        return n_updates

    def _scores(self, X):
        from ._torch_training import module_scores

        return module_scores(self.module_, X.astype(self._dtype, copy=False))
