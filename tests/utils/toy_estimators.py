"""Toy estimators for testing the common battery: compliant ones and broken ones.

``ToyRegressor`` and ``ToyStreamingClassifier`` follow every convention; each
``Broken*`` subclass breaks exactly one, so a test can show that the battery notices.
"""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from skpapers.utils import check_partial_fit_classes


class ToyRegressor(RegressorMixin, BaseEstimator):
    """Ridge regression in a random rotation of the features, fitted by streaming.

    The rotation ``components_`` is drawn from ``random_state`` (so seeds matter);
    ``partial_fit`` accumulates the sufficient statistics X^T X and X^T y.
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, alpha=1.0, random_state=None):
        self.alpha = alpha
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        for attr in ("gram_", "moment_", "components_"):
            if hasattr(self, attr):
                delattr(self, attr)
        return self._partial_fit(X, y, reset=True)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y):
        return self._partial_fit(X, y, reset=not hasattr(self, "gram_"))

    def _partial_fit(self, X, y, reset):
        X, y = validate_data(self, X, y, reset=reset, y_numeric=True)
        if reset:
            d = X.shape[1]
            q, _ = np.linalg.qr(
                check_random_state(self.random_state).normal(size=(d, d))
            )
            gram, moment, components = np.zeros((d, d)), np.zeros(d), q
        else:
            gram, moment, components = self.gram_, self.moment_, self.components_
        Z = X @ components
        self.gram_, self.moment_, self.components_ = (
            gram + Z.T @ Z,
            moment + Z.T @ y,
            components,
        )
        self._update_coef()
        return self

    def _update_coef(self):
        d = self.gram_.shape[0]
        w = np.linalg.solve(self.gram_ + self.alpha * np.eye(d), self.moment_)
        self.coef_ = self.components_ @ w

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return X @ self.coef_


class BrokenNoValidation(ToyRegressor):
    """Accepts NaN, inf and empty input silently."""

    def fit(self, X, y):
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        self.n_features_in_ = X.shape[1]
        self.coef_ = np.linalg.lstsq(X, y, rcond=None)[0] if len(X) else np.zeros(0)
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        if X.shape[1] != self.n_features_in_:
            raise ValueError("bad shape")  # does not say what is wrong
        return X @ self.coef_


class BrokenIgnoresSeed(ToyRegressor):
    """Draws its randomness from an unseeded generator."""

    def fit(self, X, y):
        super().fit(X, y)
        self.coef_ = self.coef_ + 1e-3 * np.random.default_rng().normal(
            size=self.coef_.shape
        )
        return self


class BrokenIgnoresSeedInList(ToyRegressor):
    """Keeps unseeded random weights in a list attribute (as per-layer weights)."""

    def fit(self, X, y):
        super().fit(X, y)
        self.layers_ = [self.coef_, np.random.default_rng().normal(size=2)]
        return self


class BrokenSeedUnused(ToyRegressor):
    """Claims a random_state but every seed gives the same result."""

    def fit(self, X, y):
        seed, self.random_state = self.random_state, 0
        try:
            return super().fit(X, y)
        finally:
            self.random_state = seed


class BrokenHalfUpdate(ToyRegressor):
    """Updates its state before validating the batch."""

    def partial_fit(self, X, y):
        if hasattr(self, "gram_"):
            self.gram_ = self.gram_ + np.eye(self.gram_.shape[0])
        return super().partial_fit(X, y)


class BrokenPickle(ToyRegressor):
    """Loses precision when pickled."""

    def __getstate__(self):
        state = super().__getstate__()
        if "coef_" in state:
            state["coef_"] = state["coef_"].astype(np.float32)
        return state


class BrokenMutatesInput(ToyRegressor):
    """Uses the caller's X as scratch space."""

    def fit(self, X, y):
        super().fit(X, y)
        X *= 0.5
        return self


class BrokenNaNScore(ToyRegressor):
    """Scores NaN, so a search cannot rank it."""

    def score(self, X, y, sample_weight=None):
        return np.nan


class BrokenOverwritesParams(ToyRegressor):
    """Changes its own parameter in fit, which breaks cloning and grid search."""

    def fit(self, X, y):
        self.alpha = self.alpha + 1.0
        return super().fit(X, y)


class ToyStreamingClassifier(ClassifierMixin, BaseEstimator):
    """Nearest centroid, fitted by streaming: a compliant incremental classifier."""

    _parameter_constraints = {}

    def __init__(self):
        pass

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        for attr in ("classes_", "sums_", "counts_"):
            if hasattr(self, attr):
                delattr(self, attr)
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        return self.partial_fit(X, y, classes=np.unique(y))

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None):
        first = not hasattr(self, "classes_")
        X, y = validate_data(self, X, y, reset=first)
        classes_ = check_partial_fit_classes(
            getattr(self, "classes_", None), classes, y
        )
        if first:
            sums = np.zeros((len(classes_), X.shape[1]))
            counts = np.zeros(len(classes_))
        else:
            sums, counts = self.sums_, self.counts_
        index = np.searchsorted(classes_, y)
        sums = sums + np.eye(len(classes_))[index].T @ X
        counts = counts + np.bincount(index, minlength=len(classes_))
        self.classes_, self.sums_, self.counts_ = classes_, sums, counts
        return self

    def decision_function(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        centroids = self.sums_ / np.maximum(self.counts_, 1)[:, None]
        scores = -((X[:, None, :] - centroids[None]) ** 2).sum(-1)
        return scores[:, 1] - scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X):
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(1)
        return self.classes_[index]


class BrokenClassCheck(ToyStreamingClassifier):
    """Grows its class list when partial_fit meets a new label, then fails."""

    def partial_fit(self, X, y, classes=None):
        if hasattr(self, "classes_"):
            self.classes_ = np.union1d(self.classes_, y)
        return super().partial_fit(X, y, classes=classes)
