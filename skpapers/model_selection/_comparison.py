"""Generative vs discriminative learning curves, measured with scikit-learn's own.

Zheng et al. (2023) show that multiclass naive Bayes reaches its asymptotic error
with ``O(log n)`` samples in ``n`` features while logistic regression needs
``O(n)``: with few samples the generative model wins, with many the
discriminative one catches up, and overtakes when the generative model is wrong
(the "two regimes"). Which regime a data set is in is read off the two learning
curves: test error against training size ``m``, over repeated hold-out splits.

The curves are :func:`sklearn.model_selection.learning_curve` run on both models
with one splitter, :class:`_ClassCoveringSplit`, whose training sets are ordered
so that every prefix ``learning_curve`` takes (the nested training sets) holds
every class as soon as it has ``K`` samples.

The crossover is where the discriminative curve passes below the generative one
for good; between the last size where it is not below and the first where it is,
it is located by linear interpolation of the error gap in ``log m``.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer
from sklearn.model_selection import learning_curve, train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, column_or_1d

from skpapers.naive_bayes import PooledGaussianNB

_DEFAULT_N_SIZES = 6


def _error_rate(y_true, y_pred):
    return np.mean(np.asarray(y_pred) != np.asarray(y_true))


# ``learning_curve`` maximises a score: the negated test error.
_NEGATED_ERROR = make_scorer(_error_rate, greater_is_better=False)


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

    def bootstrap_interval(
        self, statistic, *, confidence=0.95, n_bootstraps=1000, random_state=None
    ):
        """Percentile bootstrap interval of a statistic of the curves, over repeats.

        Each bootstrap replicate resamples the repeats (columns) with
        replacement, the same ones for both models, so that their pairing is
        kept; ``statistic`` is evaluated on the resampled comparison.

        Parameters
        ----------
        statistic : callable
            ``statistic(comparison) -> float`` (``inf`` allowed).
        confidence : float, default=0.95
        n_bootstraps : int, default=1000
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        low, high : float
            The ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles.
        """
        rng = check_random_state(random_state)
        n_repeats = self.generative_errors.shape[1]
        values = np.empty(n_bootstraps)
        for b in range(n_bootstraps):
            columns = rng.randint(n_repeats, size=n_repeats)
            values[b] = statistic(
                GenerativeDiscriminativeComparison(
                    self.train_sizes,
                    self.generative_errors[:, columns],
                    self.discriminative_errors[:, columns],
                )
            )
        tail = (1 - confidence) / 2
        low, high = np.quantile(values, [tail, 1 - tail], method="inverted_cdf")
        return float(low), float(high)

    def crossover_interval(self, *, confidence=0.95, n_bootstraps=1000, random_state=0):
        """Bootstrap confidence interval of :attr:`crossover_size`.

        "No crossover" counts as an infinite crossover size: ``high = inf``
        means the interval does not exclude "no crossover", ``low = inf`` that
        it says there is none (in the range of sizes measured).

        Parameters
        ----------
        confidence : float, default=0.95
        n_bootstraps : int, default=1000
        random_state : int, RandomState instance or None, default=0

        Returns
        -------
        low, high : float

        Examples
        --------
        >>> import numpy as np
        >>> from skpapers.model_selection import GenerativeDiscriminativeComparison
        >>> result = GenerativeDiscriminativeComparison(
        ...     [10, 100, 1000],
        ...     [[0.20, 0.22], [0.15, 0.16], [0.15, 0.15]],
        ...     [[0.40, 0.42], [0.10, 0.11], [0.05, 0.06]],
        ... )
        >>> low, high = result.crossover_interval()
        >>> bool(10 < low <= high < 100)
        True
        """
        return self.bootstrap_interval(
            _crossover_or_inf,
            confidence=confidence,
            n_bootstraps=n_bootstraps,
            random_state=random_state,
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

        Shorthand for ``GenerativeDiscriminativeDisplay(self).plot(...).ax_``.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        title : str, default=None

        Returns
        -------
        ax : matplotlib Axes
        """
        from ._display import GenerativeDiscriminativeDisplay

        return GenerativeDiscriminativeDisplay(self).plot(ax, title=title).ax_

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


def _crossover_or_inf(comparison):
    size = comparison.crossover_size
    return np.inf if size is None else size


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


class _ClassCoveringSplit:
    """Repeated hold-out splits whose training indices cover every class first.

    A cross-validation splitter for ``learning_curve``, which fits on prefixes of
    each training set: each split's training indices are a random order of the
    pool (:func:`_class_covering_order`), so every prefix of at least ``K``
    samples holds every class. One seed per split.

    Parameters
    ----------
    seeds : sequence of int
        One per split; the same seeds give the same splits on every call.
    test_size : float
        Stratified fraction held out, when ``n_pool`` is None.
    n_pool : int, default=None
        A fixed test set: the first ``n_pool`` samples are the training pool, the
        rest the test set of every split.
    """

    def __init__(self, seeds, test_size, n_pool=None):
        self.seeds = seeds
        self.test_size = test_size
        self.n_pool = n_pool

    def get_n_splits(self, X=None, y=None, groups=None):
        return len(self.seeds)

    def split(self, X, y, groups=None):
        y = np.asarray(y)
        indices = np.arange(len(y))
        for seed in self.seeds:
            rng = np.random.RandomState(seed)
            if self.n_pool is None:
                pool, test = train_test_split(
                    indices, test_size=self.test_size, stratify=y, random_state=rng
                )
            else:
                pool, test = indices[: self.n_pool], indices[self.n_pool :]
            yield pool[_class_covering_order(y[pool], rng)], test


def _stack_rows(X, X_test):
    """``X`` above ``X_test``, kept in their container (array, sparse, DataFrame)."""
    if sp.issparse(X):
        return sp.vstack([X, X_test], format="csr")
    if hasattr(X, "iloc"):
        import pandas as pd

        return pd.concat([X, X_test], ignore_index=True)
    return np.concatenate([np.asarray(X), np.asarray(X_test)])


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

    Each model's curve is :func:`sklearn.model_selection.learning_curve` with the
    same class-covering splits, so the two models see the same training sets.

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
        Fits run in parallel with joblib (through ``learning_curve``).

    Returns
    -------
    result : GenerativeDiscriminativeComparison
        Test errors per size and repeat, their means and spreads,
        ``crossover_size``, ``to_table()`` and ``plot()``.

    See Also
    --------
    GenerativeDiscriminativeClassifier : Picks one of the two by these curves.
    GenerativeDiscriminativeDisplay : The plot of the two curves.
    sklearn.model_selection.learning_curve : One model's curve.

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
        n_pool, n_pool_given = len(y) - n_test, None
    else:
        y_test = column_or_1d(np.asarray(y_test), warn=True)
        check_consistent_length(X_test, y_test)
        n_test, n_pool = len(y_test), len(y)
        n_pool_given = n_pool
        X, y = _stack_rows(X, X_test), np.concatenate([y, y_test])
    sizes = _resolve_train_sizes(train_sizes, n_pool, classes.size)

    seeds = check_random_state(random_state).randint(
        np.iinfo(np.int32).max, size=n_repeats
    )
    splitter = _ClassCoveringSplit(seeds, test_size, n_pool=n_pool_given)
    errors, seconds = [], []
    for model in (generative, discriminative):
        _, _, negated_errors, fit_times, _ = learning_curve(
            model,
            X,
            y,
            train_sizes=sizes,
            cv=splitter,
            scoring=_NEGATED_ERROR,
            n_jobs=n_jobs,
            error_score="raise",
            return_times=True,
        )
        errors.append(-negated_errors)
        seconds.append(fit_times)
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
