"""A classifier that picks the generative or the discriminative model by their curves.

In the few-sample regime of Zheng et al. (2023) the generative model (naive
Bayes) is better, past the crossover the discriminative one (logistic
regression). :class:`GenerativeDiscriminativeClassifier` measures both learning
curves on its training data and refits the one expected to be better at the full
training size.
"""

from numbers import Integral, Real

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from skpapers.utils import keep_state_on_error

from ._comparison import (
    _default_discriminative,
    _default_generative,
    compare_generative_discriminative,
)


def _extrapolated_error(sizes, errors, n_samples):
    """Test error carried on from a learning curve (one repeat) to ``n_samples``.

    A least-squares line in ``log m`` through the larger half of the sizes (at
    least two), evaluated at ``n_samples``: local enough to follow the trend near
    the full size, steadier than the last two noisy points alone. Clipped to
    ``[0, error at the largest size]``, since more data does not raise the
    expected error and no error is negative.
    """
    if sizes.size < 2:
        return float(errors[-1])
    upper = max(2, -(-sizes.size // 2))
    slope, intercept = np.polyfit(np.log(sizes[-upper:]), errors[-upper:], 1)
    return float(np.clip(slope * np.log(n_samples) + intercept, 0.0, errors[-1]))


def _extrapolated_gaps(comparison, n_samples):
    """Discriminative minus generative error expected at ``n_samples``, per repeat."""
    sizes = comparison.train_sizes
    return np.array(
        [
            _extrapolated_error(sizes, discriminative, n_samples)
            - _extrapolated_error(sizes, generative, n_samples)
            for generative, discriminative in zip(
                comparison.generative_errors.T, comparison.discriminative_errors.T
            )
        ]
    )


def _upper_bound(gaps, confidence):
    """One-sided Student-t upper confidence bound of the mean of ``gaps``.

    The repeats' gaps are independent estimates of the same gap (each repeat a
    new split), so their mean has standard error ``std / sqrt(R)``; with one
    repeat there is no estimate of the noise and the bound is ``inf``.
    """
    if gaps.size < 2:
        return np.inf
    standard_error = gaps.std(ddof=1) / np.sqrt(gaps.size)
    return gaps.mean() + stats.t.ppf(confidence, gaps.size - 1) * standard_error


def _estimators_have(attr):
    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return all(hasattr(est, attr) for est in self._candidates())

    return check


class GenerativeDiscriminativeClassifier(ClassifierMixin, BaseEstimator):
    """Pick a generative or a discriminative classifier by their learning curves.

    ``fit`` measures both learning curves on repeated hold-out splits of the
    training data (:func:`compare_generative_discriminative`), carries the gap
    between them on to the size of the whole training set (each curve by a line
    in ``log m`` through its larger half, repeat by repeat), and refits the
    model expected to be better at that size on all of it: the generative model
    (naive Bayes by default) in the few-sample regime, the discriminative one
    (logistic regression) past the crossover.

    It switches to the discriminative model only when the gap is larger than its
    uncertainty: when the one-sided Student-t upper confidence bound (level
    ``confidence``) of the mean gap over the repeats is below zero. Otherwise,
    and when there are too few samples to hold out a stratified test set or
    only one repeat to measure the noise, it keeps the generative model: the
    simpler model (fewer effective parameters, ``O(log n)`` samples to its
    asymptotic error), which the theory favours whenever the data cannot show
    that the discriminative one is better. Choosing on the noisy mean alone would
    switch on noise about half the time when the two are equally good.

    Parameters
    ----------
    generative : classifier, default=None
        None: :class:`~skpapers.naive_bayes.PooledGaussianNB`.
    discriminative : classifier, default=None
        None: ``LogisticRegression(max_iter=1000)``.
    train_sizes : array-like, default=None
        Sizes of the learning curves (see
        :func:`compare_generative_discriminative`); None: 6 geometric sizes.
    n_repeats : int, default=3
        Number of hold-out splits.
    test_size : float, default=0.25
        Fraction held out in each split.
    random_state : int, RandomState instance or None, default=None
        Seed of the splits.
    n_jobs : int, default=None
        Fits of the learning curves in parallel.
    confidence : float, default=0.95
        Level of the one-sided bound that the gap must clear to switch to the
        discriminative model.

    Attributes
    ----------
    estimator_ : classifier
        The chosen model, refitted on all the training data.
    chosen_ : {"generative", "discriminative"}
        Which one was chosen.
    comparison_ : GenerativeDiscriminativeComparison or None
        The learning curves (None when there were too few samples).
    error_gap_ : float
        Discriminative minus generative test error expected at the full training
        size (NaN without curves), the mean over repeats; negative favours the
        discriminative model.
    error_gap_upper_ : float
        Its upper confidence bound (``inf`` with one repeat, NaN without
        curves); the discriminative model is chosen when it is negative.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Only when ``X`` has string column names.

    See Also
    --------
    compare_generative_discriminative : The learning curves alone.
    GenerativeDiscriminativeDisplay : Their plot.

    References
    ----------
    C. Zheng, G. Wu, F. Bao, Y. Cao, C. Li and J. Zhu, "Revisiting Discriminative
    vs. Generative Classifiers: Theory and Implications", ICML 2023.

    Examples
    --------
    >>> from skpapers.datasets import make_nb_lr_simulation
    >>> from skpapers.model_selection import GenerativeDiscriminativeClassifier
    >>> X, y = make_nb_lr_simulation(40, n_features=50, random_state=0)
    >>> clf = GenerativeDiscriminativeClassifier(n_repeats=2, random_state=0)
    >>> clf.fit(X, y).chosen_
    'generative'
    """

    _parameter_constraints: dict = {
        "generative": [HasMethods(["fit", "predict"]), None],
        "discriminative": [HasMethods(["fit", "predict"]), None],
        "train_sizes": ["array-like", None],
        "n_repeats": [Interval(Integral, 1, None, closed="left")],
        "test_size": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        generative=None,
        discriminative=None,
        *,
        train_sizes=None,
        n_repeats=3,
        test_size=0.25,
        random_state=None,
        n_jobs=None,
        confidence=0.95,
    ):
        self.generative = generative
        self.discriminative = discriminative
        self.train_sizes = train_sizes
        self.n_repeats = n_repeats
        self.test_size = test_size
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.confidence = confidence

    def _candidates(self):
        generative = (
            _default_generative() if self.generative is None else self.generative
        )
        discriminative = (
            _default_discriminative()
            if self.discriminative is None
            else self.discriminative
        )
        return generative, discriminative

    @keep_state_on_error
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Measure the learning curves, choose, and refit the chosen model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : GenerativeDiscriminativeClassifier
        """
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        classes, counts = np.unique(y, return_counts=True)
        if classes.size < 2:
            raise ValueError(
                "GenerativeDiscriminativeClassifier needs samples of at least 2 "
                f"classes; y has 1 class ({classes[0]!r})."
            )
        generative, discriminative = self._candidates()
        n_test = int(np.ceil(self.test_size * len(y)))
        if (
            counts.min() >= 2
            and n_test >= classes.size
            and len(y) - n_test >= classes.size
        ):
            comparison = compare_generative_discriminative(
                X,
                y,
                generative=generative,
                discriminative=discriminative,
                train_sizes=self.train_sizes,
                n_repeats=self.n_repeats,
                test_size=self.test_size,
                random_state=self.random_state,
                n_jobs=self.n_jobs,
            )
            gaps = _extrapolated_gaps(comparison, len(y))
            gap, upper = float(gaps.mean()), float(_upper_bound(gaps, self.confidence))
        else:
            comparison, gap, upper = None, float("nan"), float("nan")
        chosen = "discriminative" if upper < 0 else "generative"
        model = discriminative if chosen == "discriminative" else generative

        self.estimator_ = clone(model).fit(X, y)
        self.chosen_ = chosen
        self.comparison_ = comparison
        self.error_gap_ = gap
        self.error_gap_upper_ = upper
        self.classes_ = classes
        return self

    def predict(self, X):
        """Predict with the chosen model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.estimator_.predict(validate_data(self, X, reset=False))

    @available_if(_estimators_have("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the chosen model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(validate_data(self, X, reset=False))

    @available_if(_estimators_have("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the chosen model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(validate_data(self, X, reset=False))
