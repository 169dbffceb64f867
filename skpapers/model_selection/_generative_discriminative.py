"""Generative vs discriminative learning curves, and a classifier that picks the regime.

Zheng et al. (2023) show that multiclass naive Bayes reaches its asymptotic error
with ``O(log n)`` samples in ``n`` features while logistic regression needs
``O(n)``: with few samples the generative model wins, with many the
discriminative one catches up, and overtakes when the generative model is wrong
(the "two regimes"). Which regime a data set is in is read off the two learning
curves: test error against training size ``m``, over repeated hold-out splits.

The crossover is where the discriminative curve passes below the generative one
for good; between the last size where it is not below and the first where it is,
it is located by linear interpolation of the error gap in ``log m``.
"""

import time
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from skpapers.naive_bayes import PooledGaussianNB

_DEFAULT_N_SIZES = 6


def _default_generative():
    return PooledGaussianNB()


def _default_discriminative():
    # Multinomial, L2, lbfgs as in the paper; more iterations than sklearn's
    # default because raw features of large variance converge slowly.
    return LogisticRegression(max_iter=1000)


def _name(estimator):
    return type(estimator).__name__


class GenerativeDiscriminativeComparison:
    """Learning curves of a generative and a discriminative classifier.

    Returned by :func:`compare_generative_discriminative`; test errors are stored
    per training size (rows) and repeat (columns).

    Attributes
    ----------
    train_sizes : ndarray of shape (n_sizes,)
        Training sizes ``m``.
    generative_errors, discriminative_errors : ndarray of shape \
            (n_sizes, n_repeats)
        Test error of each model at each size and repeat.
    generative_fit_times, discriminative_fit_times : ndarray of shape \
            (n_sizes, n_repeats)
        Fit times in seconds.
    generative_name, discriminative_name : str
        Names of the two estimators, for tables and legends.
    n_test : int
        Number of test samples each error is measured on.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.model_selection import GenerativeDiscriminativeComparison
    >>> result = GenerativeDiscriminativeComparison(
    ...     train_sizes=np.array([10, 100, 1000]),
    ...     generative_errors=np.array([[0.2], [0.15], [0.15]]),
    ...     discriminative_errors=np.array([[0.4], [0.1], [0.05]]),
    ... )
    >>> round(result.crossover_size, 1)
    63.1
    """

    def __init__(
        self,
        train_sizes,
        generative_errors,
        discriminative_errors,
        *,
        generative_fit_times=None,
        discriminative_fit_times=None,
        generative_name="generative",
        discriminative_name="discriminative",
        n_test=None,
    ):
        self.train_sizes = np.asarray(train_sizes)
        self.generative_errors = np.asarray(generative_errors, dtype=float)
        self.discriminative_errors = np.asarray(discriminative_errors, dtype=float)
        nan = np.full_like(self.generative_errors, np.nan)
        self.generative_fit_times = (
            nan if generative_fit_times is None else np.asarray(generative_fit_times)
        )
        self.discriminative_fit_times = (
            nan
            if discriminative_fit_times is None
            else np.asarray(discriminative_fit_times)
        )
        self.generative_name = generative_name
        self.discriminative_name = discriminative_name
        self.n_test = n_test

    @property
    def generative_mean(self):
        """Mean test error of the generative model at each size."""
        return self.generative_errors.mean(axis=1)

    @property
    def generative_std(self):
        """Standard deviation over repeats of the generative model's test error."""
        return self.generative_errors.std(axis=1)

    @property
    def discriminative_mean(self):
        """Mean test error of the discriminative model at each size."""
        return self.discriminative_errors.mean(axis=1)

    @property
    def discriminative_std(self):
        """Standard deviation over repeats of the discriminative model's error."""
        return self.discriminative_errors.std(axis=1)

    @property
    def crossover_size(self):
        """Training size from which the discriminative model is better, or None.

        None when it is not better at the largest size. The smallest size when it
        is better at every size.
        """
        return _crossover_size(
            self.train_sizes, self.generative_mean, self.discriminative_mean
        )

    def to_table(self):
        """One row (a dict) per training size: mean and spread of both errors."""
        return [
            {
                "train_size": int(size),
                "generative_error": float(gm),
                "generative_std": float(gs),
                "discriminative_error": float(dm),
                "discriminative_std": float(ds),
            }
            for size, gm, gs, dm, ds in zip(
                self.train_sizes,
                self.generative_mean,
                self.generative_std,
                self.discriminative_mean,
                self.discriminative_std,
            )
        ]

    def plot(self, ax=None, *, title=None):
        """Plot both learning curves (mean and a band of one standard deviation).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        title : str, default=None

        Returns
        -------
        ax : matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        curves = [
            (self.generative_name, self.generative_mean, self.generative_std, "C0"),
            (
                self.discriminative_name,
                self.discriminative_mean,
                self.discriminative_std,
                "C3",
            ),
        ]
        for label, mean, std, color in curves:
            ax.plot(self.train_sizes, mean, "o-", color=color, label=label)
            ax.fill_between(
                self.train_sizes, mean - std, mean + std, color=color, alpha=0.2
            )
        crossover = self.crossover_size
        if crossover is not None:
            ax.axvline(crossover, color="gray", ls="--", lw=1, label="crossover")
        ax.set_xscale("log")
        ax.set_xlabel("training size m")
        ax.set_ylabel("test error")
        if title is not None:
            ax.set_title(title)
        ax.legend(fontsize="small")
        return ax

    def __repr__(self):
        lines = [
            f"{type(self).__name__}({self.generative_name} vs "
            f"{self.discriminative_name}, {self.generative_errors.shape[1]} repeats)",
            f"{'m':>8} {'generative':>18} {'discriminative':>18}",
        ]
        for row in self.to_table():
            lines.append(
                f"{row['train_size']:>8} "
                f"{row['generative_error']:>10.4f} ± {row['generative_std']:.4f} "
                f"{row['discriminative_error']:>10.4f} ± "
                f"{row['discriminative_std']:.4f}"
            )
        crossover = self.crossover_size
        lines.append(
            "crossover: none in range"
            if crossover is None
            else f"crossover: m ≈ {crossover:.4g}"
        )
        return "\n".join(lines)


def _crossover_size(train_sizes, generative_mean, discriminative_mean):
    gap = np.asarray(discriminative_mean) - np.asarray(generative_mean)
    if gap[-1] >= 0:
        return None
    not_below = np.flatnonzero(gap >= 0)
    if not_below.size == 0:
        return float(train_sizes[0])
    before = not_below[-1]
    after = before + 1
    share = gap[before] / (gap[before] - gap[after])
    log_m = np.log(train_sizes[before]) + share * (
        np.log(train_sizes[after]) - np.log(train_sizes[before])
    )
    return float(np.exp(log_m))


def _resolve_train_sizes(train_sizes, n_pool, n_classes):
    if train_sizes is None:
        smallest = min(2 * n_classes, n_pool)
        sizes = np.geomspace(smallest, n_pool, _DEFAULT_N_SIZES)
        return np.unique(np.round(sizes).astype(int))
    sizes = np.asarray(train_sizes)
    if sizes.ndim != 1 or sizes.size == 0:
        raise ValueError(f"train_sizes must be a non-empty 1-d list, got {sizes!r}.")
    if np.issubdtype(sizes.dtype, np.floating):
        if np.any(sizes <= 0) or np.any(sizes > 1):
            raise ValueError(
                "train_sizes given as floats are fractions of the training pool and "
                f"must lie in (0, 1], got {sizes.tolist()}."
            )
        # A fraction too small to hold every class is raised to one per class.
        sizes = np.maximum(np.round(sizes * n_pool).astype(int), n_classes)
    elif np.issubdtype(sizes.dtype, np.integer):
        if np.any(sizes < n_classes) or np.any(sizes > n_pool):
            raise ValueError(
                f"train_sizes must lie between the number of classes ({n_classes}) "
                f"and the training pool ({n_pool} samples), got {sizes.tolist()}."
            )
    else:
        raise ValueError(
            f"train_sizes must be integers or fractions, got dtype {sizes.dtype}."
        )
    return np.unique(sizes)


def _class_covering_order(y_pool, rng):
    """A random order of the pool whose first ``K`` entries hold every class once.

    Prefixes of it are nested training sets that contain every class as soon as
    they have ``K`` samples.
    """
    order = rng.permutation(len(y_pool))
    _, first = np.unique(y_pool[order], return_index=True)
    head = np.zeros(len(order), dtype=bool)
    head[first] = True
    return np.concatenate([order[head], order[~head]])


def _one_repeat(
    X, y, generative, discriminative, train_sizes, test_size, X_test, y_test, seed
):
    rng = np.random.RandomState(seed)
    indices = np.arange(len(y))
    if X_test is None:
        pool, test = train_test_split(
            indices, test_size=test_size, stratify=y, random_state=rng
        )
        X_test, y_test = _safe_indexing(X, test), y[test]
    else:
        pool = indices
    order = pool[_class_covering_order(y[pool], rng)]

    shape = (2, len(train_sizes))
    errors, seconds = np.empty(shape), np.empty(shape)
    for j, size in enumerate(train_sizes):
        train = order[:size]
        X_train, y_train = _safe_indexing(X, train), y[train]
        for i, model in enumerate((generative, discriminative)):
            model = clone(model)
            start = time.perf_counter()
            model.fit(X_train, y_train)
            seconds[i, j] = time.perf_counter() - start
            errors[i, j] = np.mean(model.predict(X_test) != y_test)
    return errors, seconds


def compare_generative_discriminative(
    X,
    y,
    *,
    generative=None,
    discriminative=None,
    train_sizes=None,
    n_repeats=5,
    test_size=0.25,
    X_test=None,
    y_test=None,
    random_state=None,
    n_jobs=None,
):
    """Learning curves of a generative and a discriminative classifier.

    For each repeat, the data are split into a training pool and a stratified test
    set (or ``X_test`` is used); nested training sets of each size, every one
    holding all classes, are drawn from the pool; both models are fitted on each
    and their test errors recorded. The result tells which regime the data are in
    and estimates the crossover size, past which the discriminative model wins.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    generative : classifier, default=None
        Fitted on each training set (cloned). None: :class:`PooledGaussianNB`.
    discriminative : classifier, default=None
        None: multinomial L2 ``LogisticRegression(max_iter=1000)`` (lbfgs).
    train_sizes : array-like, default=None
        Training sizes: integers (numbers of samples) or floats in (0, 1]
        (fractions of the training pool). None: 6 sizes spaced geometrically from
        ``2 * n_classes`` to the whole pool.
    n_repeats : int, default=5
        Number of repeated splits and draws.
    test_size : float, default=0.25
        Fraction of the data held out for testing when ``X_test`` is None.
    X_test, y_test : array-like, default=None
        A fixed test set; then all of ``X`` is the training pool and each repeat
        draws new nested training sets from it.
    random_state : int, RandomState instance or None, default=None
        Seed of the splits and draws.
    n_jobs : int, default=None
        Repeats run in parallel with joblib.

    Returns
    -------
    result : GenerativeDiscriminativeComparison
        Test errors per size and repeat, their means and spreads,
        ``crossover_size``, ``to_table()`` and ``plot()``.

    See Also
    --------
    GenerativeDiscriminativeClassifier : Picks one of the two by these curves.

    References
    ----------
    C. Zheng, G. Wu, F. Bao, Y. Cao, C. Li and J. Zhu, "Revisiting Discriminative
    vs. Generative Classifiers: Theory and Implications", ICML 2023.

    Examples
    --------
    >>> from skpapers.datasets import make_nb_lr_simulation
    >>> from skpapers.model_selection import compare_generative_discriminative
    >>> X, y = make_nb_lr_simulation(400, n_features=20, random_state=0)
    >>> result = compare_generative_discriminative(
    ...     X, y, train_sizes=[4, 40], n_repeats=2, random_state=0
    ... )
    >>> result.train_sizes.tolist()
    [4, 40]
    >>> bool(result.generative_mean[0] < result.discriminative_mean[0])
    True
    """
    if n_repeats < 1:
        raise ValueError(f"n_repeats must be at least 1, got {n_repeats}.")
    generative = _default_generative() if generative is None else generative
    discriminative = (
        _default_discriminative() if discriminative is None else discriminative
    )
    y = column_or_1d(np.asarray(y), warn=True)
    check_consistent_length(X, y)
    check_classification_targets(y)
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise ValueError(
            f"Comparing classifiers needs at least 2 classes; y has {classes.size}."
        )
    if X_test is None:
        if not 0 < test_size < 1:
            raise ValueError(f"test_size must lie in (0, 1), got {test_size}.")
        n_test = int(np.ceil(test_size * len(y)))
        if counts.min() < 2 or n_test < classes.size or len(y) - n_test < classes.size:
            raise ValueError(
                f"Too few samples ({len(y)}, the rarest class has {counts.min()}) "
                f"to hold out a stratified test set of {test_size:.0%} with every "
                "class on both sides; pass more data or X_test, y_test."
            )
        n_pool = len(y) - n_test
    else:
        y_test = column_or_1d(np.asarray(y_test), warn=True)
        check_consistent_length(X_test, y_test)
        n_test, n_pool = len(y_test), len(y)
    sizes = _resolve_train_sizes(train_sizes, n_pool, classes.size)

    seeds = check_random_state(random_state).randint(
        np.iinfo(np.int32).max, size=n_repeats
    )
    runs = Parallel(n_jobs=n_jobs)(
        delayed(_one_repeat)(
            X, y, generative, discriminative, sizes, test_size, X_test, y_test, seed
        )
        for seed in seeds
    )
    errors = np.stack([e for e, _ in runs], axis=-1)
    seconds = np.stack([s for _, s in runs], axis=-1)
    return GenerativeDiscriminativeComparison(
        sizes,
        errors[0],
        errors[1],
        generative_fit_times=seconds[0],
        discriminative_fit_times=seconds[1],
        generative_name=_name(generative),
        discriminative_name=_name(discriminative),
        n_test=n_test,
    )


def _extrapolated_error(sizes, errors, n_samples):
    """Mean test error carried on from the learning curve to ``n_samples``.

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


def _extrapolated_gap(comparison, n_samples):
    """Discriminative minus generative error expected at ``n_samples``."""
    sizes = comparison.train_sizes
    return _extrapolated_error(
        sizes, comparison.discriminative_mean, n_samples
    ) - _extrapolated_error(sizes, comparison.generative_mean, n_samples)


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
    in ``log m`` through its larger half), and refits the model
    expected to be better at that size on all of it: the generative model (naive
    Bayes by default) in the few-sample regime, the discriminative one (logistic
    regression) past the crossover. On a tie, and when there are too few samples
    to hold out a stratified test set, it keeps the generative model, which the
    theory favours for small samples.

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
        Repeats in parallel.

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
        size (NaN without curves); negative means discriminative.
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Only when ``X`` has string column names.

    See Also
    --------
    compare_generative_discriminative : The learning curves alone.

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
    ):
        self.generative = generative
        self.discriminative = discriminative
        self.train_sizes = train_sizes
        self.n_repeats = n_repeats
        self.test_size = test_size
        self.random_state = random_state
        self.n_jobs = n_jobs

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
            gap = _extrapolated_gap(comparison, len(y))
        else:
            comparison, gap = None, float("nan")
        chosen = "discriminative" if gap < 0 else "generative"
        model = discriminative if chosen == "discriminative" else generative

        self.estimator_ = clone(model).fit(X, y)
        self.chosen_ = chosen
        self.comparison_ = comparison
        self.error_gap_ = gap
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
