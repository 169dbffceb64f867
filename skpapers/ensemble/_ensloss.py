"""EnsLossClassifier: doubly stochastic gradient descent over random calibrated losses.

The estimator validates input, holds the parameters and fitted state, and draws
every random number (batch order, the normals behind the random derivatives,
the Box-Cox parameter, initial MLP weights) from one NumPy generator. Training
runs in ``_kernels.linear_sgd_epoch`` (linear model, numba) or
``_torch_mlp.train_mlp`` (MLP, torch); the derivative rule and why it gives
convex calibrated losses are in ``_ensloss_derivatives``.
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import check_partial_fit_classes, keep_state_on_error
from ._ensloss_derivatives import LOSSES
from ._kernels import LOSS_CODES, linear_sgd_epoch
from ._torch_mlp import (
    divergence_message,
    init_mlp,
    mlp_forward,
    resolve_device,
    train_mlp,
)

_DTYPES = [np.float64, np.float32]


class EnsLossClassifier(ClassifierMixin, BaseEstimator):
    """Classifier trained on a stochastic ensemble of calibrated losses (EnsLoss).

    Every mini-batch gets a fresh random loss: its derivatives at the batch's
    margins are drawn so that the loss is convex and classification-calibrated
    (negative at 0, non-decreasing in the margin), and SGD with momentum follows
    them. This "doubly stochastic" descent (random batches, random losses) acts
    like Dropout over losses and curbs overfitting. The fixed losses of the
    paper's comparison (``"bce"``, ``"hinge"``, ``"exponential"``) run through
    the same loop, so comparisons are like for like.

    Two classes are handled natively (labels mapped to -1, +1); more are handled
    one-vs-rest inside the estimator, one output per class, each a binary
    problem with its own random losses. Features should be standardised (put a
    ``StandardScaler`` in front), as in the paper.

    Parameters
    ----------
    model : {"linear", "mlp"}, default="linear"
        ``"linear"``: scores ``X @ coef_.T + intercept_``, trained by a numba
        kernel on the CPU (torch is not imported). ``"mlp"``: a ReLU network
        with ``hidden_layer_sizes``, trained with torch; with several classes
        its hidden layers are shared by the one-vs-rest outputs.
    hidden_layer_sizes : array-like of int, default=(100,)
        Widths of the MLP's hidden layers (``model="mlp"`` only).
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
        L2 penalty on the weights (not on the intercepts).
    device : {"cpu", "cuda"}, default="cpu"
        Where the MLP trains. ``"cuda"`` is used only when asked, and raises a
        ``ValueError`` when torch sees no CUDA device. The linear model always
        trains on the CPU (``"cuda"`` with it is an error). Fitted parameters are
        NumPy arrays either way.
    random_state : int, RandomState instance or None, default=None
        Seeds the batch order, the random losses, :math:`\\lambda` and the MLP's
        initial weights. A fixed seed gives bit-identical models on one machine.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights of the linear model (``model="linear"``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts of the linear model (``model="linear"``).
    coefs_ : list of ndarray
        Weight matrices of the MLP, ``coefs_[i]`` of shape (fan_in, fan_out)
        (``model="mlp"``).
    intercepts_ : list of ndarray
        Bias vectors of the MLP (``model="mlp"``).
    boxcox_lambda_ : float
        :math:`\\lambda` of the last epoch (``loss="ensloss"``).
    n_iter_ : int
        Epochs run since the last ``fit`` (``partial_fit`` calls add one each).
    t_ : int
        SGD steps taken since the last ``fit``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.SGDClassifier : Linear models by SGD with a fixed loss.
    sklearn.neural_network.MLPClassifier : MLP with the cross-entropy loss.

    Notes
    -----
    ``predict_proba`` squashes the scores with the logistic function (and, with
    several classes, normalises the one-vs-rest values). It is an exact
    probability model only for ``loss="bce"``; for EnsLoss it is a monotone
    confidence score, consistent with ``predict``.

    References
    ----------
    .. [1] Dai, B., Li, Y. et al. "EnsLoss: Stochastic Calibrated Loss Ensembles
       for Preventing Overfitting in Classification." (2024).
    .. [2] Bartlett, P. L., Jordan, M. I., McAuliffe, J. D. "Convexity,
       classification, and risk bounds." JASA 101 (2006).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skpapers import EnsLossClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), EnsLossClassifier(random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    """

    _parameter_constraints = {
        "model": [StrOptions({"linear", "mlp"})],
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
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
        "device": [StrOptions({"cpu", "cuda"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        model="linear",
        *,
        hidden_layer_sizes=(100,),
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
        self.model = model
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
        self : EnsLossClassifier
        """
        X, y = validate_data(self, X, y, dtype=_DTYPES)
        check_classification_targets(y)
        classes = np.unique(y)
        self._check_model_options(classes)
        self._initialize(classes, X.shape[1], X.dtype)
        epochs = np.arange(self.max_epochs)
        lrs = 0.5 * self.lr * (1.0 + np.cos(np.pi * epochs / self.max_epochs))
        return self._train(X, y, lrs)

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
        self : EnsLossClassifier
        """
        first = not hasattr(self, "classes_")
        X, y = validate_data(self, X, y, dtype=_DTYPES, reset=first)
        check_classification_targets(y)
        classes_ = check_partial_fit_classes(
            getattr(self, "classes_", None), classes, y
        )
        if first:
            self._check_model_options(classes_)
            self._initialize(classes_, X.shape[1], X.dtype)
        else:
            if self.model != self._fitted_model:
                raise ValueError(
                    f"model={self.model!r} but the fitted model is "
                    f"{self._fitted_model!r}; call fit to start a new model."
                )
            self._check_model_options(classes_)
            X = X.astype(self._dtype, copy=False)
        return self._train(X, y, [self.lr])

    def _check_model_options(self, classes):
        if classes.size < 2:
            raise ValueError(
                f"EnsLossClassifier needs samples of at least 2 classes; got 1 "
                f"class ({classes.tolist()})."
            )
        if self.model == "linear":
            if self.device != "cpu":
                raise ValueError(
                    f"device={self.device!r} applies to model='mlp' only: the "
                    "linear model trains on the CPU. Use device='cpu'."
                )
            return
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
        resolve_device(self.device)

    def _initialize(self, classes, n_features, dtype):
        """Fresh model state; every random number comes from ``_rng`` from here."""
        for attr in ("coef_", "intercept_", "coefs_", "intercepts_", "boxcox_lambda_"):
            self.__dict__.pop(attr, None)
        rng = np.random.default_rng(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )
        n_outputs = 1 if classes.size == 2 else classes.size
        if self.model == "linear":
            self.coef_ = np.zeros((n_outputs, n_features), dtype=dtype)
            self.intercept_ = np.zeros(n_outputs, dtype=dtype)
            velocity = [np.zeros_like(self.coef_), np.zeros_like(self.intercept_)]
        else:
            sizes = [n_features, *np.atleast_1d(self.hidden_layer_sizes), n_outputs]
            self.coefs_, self.intercepts_ = init_mlp(
                [int(s) for s in sizes], rng, dtype
            )
            velocity = []
            for W, b in zip(self.coefs_, self.intercepts_):
                velocity += [np.zeros_like(W), np.zeros_like(b)]
        self.classes_ = classes
        self.n_iter_ = 0
        self.t_ = 0
        self._rng = rng
        self._velocity = velocity
        self._fitted_model = self.model
        self._dtype = dtype

    def _signed_labels(self, y):
        """+-1 labels, one column per binary problem (one-vs-rest)."""
        if self.classes_.size == 2:
            positive = (y == self.classes_[1])[:, None]
        else:
            positive = y[:, None] == self.classes_[None, :]
        return np.where(positive, 1.0, -1.0).astype(self._dtype)

    def _epoch_plan(self, lrs, n_samples, n_outputs, lambdas):
        """Yield each epoch's step size and randomness, drawn from ``_rng``.

        Drawn lazily, in a fixed order, so one epoch's draws are in memory at a
        time; each epoch's Box-Cox parameter is appended to ``lambdas``.
        """
        boxcox_lambda = getattr(self, "boxcox_lambda_", None)
        for epoch, lr in enumerate(lrs, start=self.n_iter_):
            if self.loss == "ensloss":
                if self.boxcox_lambda == "random":
                    if boxcox_lambda is None or epoch % self.lambda_period == 0:
                        boxcox_lambda = float(self._rng.uniform(-1.0, 1.0))
                else:
                    boxcox_lambda = float(self.boxcox_lambda)
            else:
                boxcox_lambda = 0.0
            order = self._rng.permutation(n_samples)
            normals = (
                self._rng.standard_normal((n_samples, n_outputs))
                if self.loss == "ensloss"
                else None
            )
            lambdas.append(boxcox_lambda)
            yield float(lr), boxcox_lambda, order, normals

    def _train(self, X, y, lrs):
        Y = self._signed_labels(y)
        batch_size = min(self.batch_size, X.shape[0])
        lambdas = []
        plan = self._epoch_plan(lrs, X.shape[0], Y.shape[1], lambdas)
        if self._fitted_model == "linear":
            # The kernel updates in place: work on copies, so a failure (or a
            # divergence) leaves the fitted model as it was.
            coef, intercept = self.coef_.copy(), self.intercept_.copy()
            velocity = [v.copy() for v in self._velocity]
            # A read-only view: the kernel then sees one array type per dtype,
            # whether or not the caller's X is writable (one compilation each).
            X = np.ascontiguousarray(X).view()
            X.flags.writeable = False
            n_updates = 0
            for epoch, (lr, lam, order, normals) in enumerate(plan, start=1):
                if normals is None:
                    normals = np.empty((0, Y.shape[1]))
                n_updates += linear_sgd_epoch(
                    X,
                    Y,
                    coef,
                    intercept,
                    *velocity,
                    order,
                    normals,
                    lam,
                    LOSS_CODES[self.loss],
                    lr,
                    self.momentum,
                    self.weight_decay,
                    batch_size,
                )
                if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
                    raise ValueError(divergence_message(epoch))
            self.coef_, self.intercept_, self._velocity = coef, intercept, velocity
        else:
            self.coefs_, self.intercepts_, self._velocity, n_updates = train_mlp(
                X,
                Y,
                self.coefs_,
                self.intercepts_,
                self._velocity,
                plan,
                loss=self.loss,
                momentum=self.momentum,
                weight_decay=self.weight_decay,
                batch_size=batch_size,
                device=self.device,
            )
        if self.loss == "ensloss":
            self.boxcox_lambda_ = lambdas[-1]
        self.n_iter_ += len(lambdas)
        self.t_ += n_updates
        return self

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
        if self._fitted_model == "linear":
            scores = X @ self.coef_.T + self.intercept_
        else:
            scores = mlp_forward(X, self.coefs_, self.intercepts_)
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
