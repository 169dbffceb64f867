"""What the EnsLoss estimators share: parameters, fit/partial_fit, prediction.

An estimator validates input, holds the parameters and fitted state, and draws
every random number (batch order, the normals behind the random derivatives, the
Box-Cox parameter, initial weights) from one NumPy generator; training runs in
solver functions (:mod:`._solvers` for the linear model, :mod:`._torch_training`
for the networks). A subclass says how its model is made (``_init_model``),
trained (``_solve``) and scored (``_scores``).
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import check_magnitude, check_partial_fit_classes, keep_state_on_error
from ..utils._docstrings import fill_doc
from ._ensloss_derivatives import LOSSES
from ._solvers import TrainingMonitor, cosine_schedule, epoch_plan

_DTYPES = [np.float64, np.float32]

ensloss_doc = fill_doc(
    training_parameters="""\
loss : {"ensloss", "bce", "hinge", "exponential"}, default="ensloss"
        ``"ensloss"``: random calibrated derivatives every batch. The others are
        fixed losses: logistic (binary cross-entropy), hinge, exponential.
    boxcox_lambda : float or "random", default=0.0
        Parameter :math:`\\lambda` of the inverse Box-Cox transform that turns
        standard normals into derivative magnitudes (0: log-normal). With
        ``"random"``, :math:`\\lambda \\sim U(-1, 1)` is redrawn every
        ``lambda_period`` epochs.
    lambda_period : int, default=1
        Epochs between redraws of :math:`\\lambda` when
        ``boxcox_lambda="random"`` (each ``partial_fit`` call is one epoch).
    batch_size : int, default=128
        Mini-batch size (the whole data when larger).
    max_epochs : int, default=50
        Epochs of ``fit``; the step size follows a cosine schedule from ``lr``
        towards 0 over them. ``partial_fit`` runs one epoch at ``lr``.
    lr : float, default=0.01
        Step size of SGD.
    momentum : float, default=0.9
        Momentum of SGD (``torch.optim.SGD``'s update).
    weight_decay : float, default=1e-4
        L2 penalty on the weights (not on the biases).""",
    device_parameter="""\
device : str, default="cpu"
        The torch device to train on ("cpu", "cuda", "cuda:1", ...). CUDA is used
        only when asked; asking for it when torch sees no CUDA device is a
        ``ValueError``.""",
    random_state_parameter="""\
random_state : int, RandomState instance or None, default=None
        Seeds the batch order, the random losses, :math:`\\lambda` and the
        initial weights. A fixed seed gives bit-identical models on one machine.""",
    training_attributes="""\
classes_ : ndarray of shape (n_classes,)
        Class labels.
    boxcox_lambda_ : float
        :math:`\\lambda` of the last epoch (``loss="ensloss"``).
    n_iter_ : int
        Epochs run since the last ``fit`` (``partial_fit`` calls add one each).
    t_ : int
        SGD steps taken since the last ``fit``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when ``X`` has string column names.""",
    notes="""\
``predict_proba`` squashes the scores with the logistic function (and, with
    several classes, normalises the one-vs-rest values). It is an exact
    probability model only for ``loss="bce"``; for EnsLoss it is a monotone
    confidence score, consistent with ``predict``.

    Two classes are handled natively (labels mapped to -1, +1); more are handled
    one-vs-rest inside the estimator, one output per class, each a binary
    problem with its own random losses. Features should be standardised (put a
    ``StandardScaler`` in front), as in the paper.""",
    references="""\
.. [1] Dai, B., Li, Y. et al. "EnsLoss: Stochastic Calibrated Loss Ensembles
       for Preventing Overfitting in Classification." ICML (2025).
    .. [2] Bartlett, P. L., Jordan, M. I., McAuliffe, J. D. "Convexity,
       classification, and risk bounds." JASA 101 (2006).""",
)


class _EnsLossBase(ClassifierMixin, BaseEstimator):
    """Shared machinery of the EnsLoss classifiers (not public)."""

    _parameter_constraints = {
        "loss": [StrOptions(set(LOSSES))],
        "boxcox_lambda": [
            Interval(Real, None, None, closed="neither"),
            StrOptions({"random"}),
        ],
        "lambda_period": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }
    # Fitted attributes of the model, dropped when a fit starts afresh.
    _model_attributes = ()

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_state_on_error
    def fit(self, X, y):
        """Fit the model for ``max_epochs`` epochs on a cosine step-size schedule.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (standardised features are recommended).
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = validate_data(self, X, y, dtype=_DTYPES)
        _check_scale(X)
        check_classification_targets(y)
        classes = np.unique(y)
        self._check_options(classes)
        self._initialize(classes, X.shape[1], X.dtype)
        lrs = cosine_schedule(self.lr, self.max_epochs)
        monitor = self._train(X, y, lrs)
        monitor.warn_if_still_falling(lrs)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_state_on_error
    def partial_fit(self, X, y, classes=None):
        """Run one epoch over a batch of data at step size ``lr``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class of the stream; required on the first call.

        Returns
        -------
        self : object
            The updated estimator.
        """
        first = not hasattr(self, "classes_")
        X, y = validate_data(self, X, y, dtype=_DTYPES, reset=first)
        _check_scale(X, getattr(self, "_dtype", None))
        check_classification_targets(y)
        classes_ = check_partial_fit_classes(
            getattr(self, "classes_", None), classes, y
        )
        self._check_options(classes_)
        if first:
            self._initialize(classes_, X.shape[1], X.dtype)
        else:
            X = X.astype(self._dtype, copy=False)
        self._train(X, y, [self.lr])
        return self

    def _check_options(self, classes):
        if classes.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; got 1 "
                f"class ({classes.tolist()})."
            )

    def _initialize(self, classes, n_features, dtype):
        """Fresh model state; every random number comes from ``_rng`` from here."""
        for attr in (*self._model_attributes, "boxcox_lambda_"):
            self.__dict__.pop(attr, None)
        self._rng = np.random.default_rng(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )
        n_outputs = 1 if classes.size == 2 else classes.size
        self._velocity = self._init_model(n_features, n_outputs, dtype)
        self.classes_ = classes
        self.n_iter_ = 0
        self.t_ = 0
        self._dtype = dtype

    def _signed_labels(self, y):
        """+-1 labels, one column per binary problem (one-vs-rest)."""
        if self.classes_.size == 2:
            positive = (y == self.classes_[1])[:, None]
        else:
            positive = y[:, None] == self.classes_[None, :]
        return np.where(positive, 1.0, -1.0).astype(self._dtype)

    def _train(self, X, y, lrs):
        """Run the epochs of ``lrs``; return the monitor that watched them."""
        Y = self._signed_labels(y)
        # max of |X| without an |X| temporary the size of the data
        scale = float(max(X.max(), -X.min())) if X.size else 0.0
        monitor = TrainingMonitor(self.lr, scale)
        lambdas = []
        plan = epoch_plan(
            self._rng,
            lrs,
            X.shape[0],
            Y.shape[1],
            loss=self.loss,
            boxcox_lambda=self.boxcox_lambda,
            lambda_period=self.lambda_period,
            first_epoch=self.n_iter_,
            last_lambda=getattr(self, "boxcox_lambda_", None),
            lambdas=lambdas,
        )
        settings = dict(
            loss=self.loss,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            batch_size=min(self.batch_size, X.shape[0]),
            monitor=monitor,
        )
        self.t_ += self._solve(X, Y, plan, settings)
        monitor.finish()
        if self.loss == "ensloss":
            self.boxcox_lambda_ = lambdas[-1]
        self.n_iter_ += len(lambdas)
        return monitor

    def decision_function(self, X):
        """Scores of the binary problems.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With two classes, positive scores favour ``classes_[1]``; with more,
            one one-vs-rest score per class.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=_DTYPES, reset=False)
        _check_scale(X, self._dtype)
        scores = self._scores(X)
        return scores[:, 0] if self.classes_.size == 2 else scores

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X):
        """Class probabilities: logistic of the scores (normalised one-vs-rest).

        Exact for ``loss="bce"``; for the other losses a monotone confidence
        score whose argmax is ``predict``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            positive = expit(scores)
            return np.column_stack([1.0 - positive, positive])
        proba = expit(scores)
        total = proba.sum(axis=1, keepdims=True)
        uniform = np.full_like(proba, 1.0 / proba.shape[1])
        return np.divide(proba, total, out=uniform, where=total > 0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


def _check_scale(X, dtype=None):
    # Scores are sums over a row of w_j x_j: features whose squares overflow the
    # working dtype make them (and the loss derivatives) inf.
    check_magnitude(X, "X", dtype, n_summed=X.shape[1])
