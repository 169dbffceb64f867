"""The Gaussian mixtures of the naive Bayes vs logistic regression simulation."""

from functools import lru_cache
from numbers import Integral

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params


def _easy_variances(n_features):
    variances = np.ones(n_features)
    variances[: n_features // 2] = n_features
    return variances


@lru_cache(maxsize=8)
def _hard_factor(n_features):
    """Eigenvectors and square-root eigenvalues of the "hard" covariance.

    The authors' matrix ``C``: the Gram matrix ``A^T A`` of an ``n x n`` matrix
    ``A`` uniform on ``[-1, 1]`` (NumPy's legacy generator seeded 0, as in their
    code), its diagonal replaced by the easy variances. ``C`` is indefinite (31
    of its 100 eigenvalues are negative at ``n = 100``); NumPy's SVD-based
    ``multivariate_normal``, which drew the authors' data, then samples from
    ``|C| = V |Lambda| V^T``, and so do we. Returns ``F`` with ``F F^T = |C|``,
    read-only (it is cached).
    """
    uniform = 2.0 * np.random.RandomState(0).rand(n_features, n_features) - 1.0
    gram = uniform.T @ uniform
    np.fill_diagonal(gram, _easy_variances(n_features))
    eigenvalues, eigenvectors = np.linalg.eigh(gram)
    factor = eigenvectors * np.sqrt(np.abs(eigenvalues))
    factor.setflags(write=False)
    return factor


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "setting": [StrOptions({"easy", "hard"})],
        "random_state": ["random_state"],
        "return_params": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_nb_lr_simulation(
    n_samples=1000,
    n_features=100,
    n_classes=2,
    *,
    setting="easy",
    random_state=None,
    return_params=False,
):
    """Draw the simulation of Zheng et al. (2023), naive Bayes vs logistic regression.

    ``K = n_classes`` balanced classes in ``n = n_features`` dimensions. Class 0 has
    mean -1 and class ``k >= 1`` mean ``2^(k-1)`` on every coordinate; all classes
    share one covariance, set by ``setting`` as in the authors' code:

    - ``"easy"``: diagonal, variance ``n`` on the first ``n // 2`` coordinates and
      1 on the others. Naive Bayes with a pooled variance is the right model, so
      its asymptotic error is the Bayes error (nearly 0 here), which logistic
      regression also reaches, only with many more samples.
    - ``"hard"``: the same diagonal with strong correlations added: the Gram
      matrix of a fixed ``n x n`` matrix uniform on ``[-1, 1]``, its diagonal
      replaced by the easy variances (made positive definite the way the
      authors' sampler did, see Notes). Naive Bayes, which ignores the
      correlations, still converges fast but to a higher error; logistic
      regression (a shared covariance makes the Bayes rule linear) reaches the
      Bayes error with more samples: the two regimes, with a crossover.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples, split as evenly as possible between the classes.
    n_features : int, default=100
        Dimension ``n``.
    n_classes : int, default=2
        Number of classes ``K`` (the paper uses 2, 3, 5 and 7).
    setting : {"easy", "hard"}, default="easy"
        The covariance (see above). The covariance is fixed by ``n_features``;
        ``random_state`` draws the samples.
    random_state : int, RandomState instance or None, default=None
        Seed of the draw.
    return_params : bool, default=False
        Also return the true model.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class labels ``0 .. K-1``, in random order.
    params : Bunch
        Only with ``return_params=True``: ``means`` (K, n), ``covariance``
        (n, n), its diagonal ``variances`` (n,) and ``priors`` (K,) of the
        mixture.

    Notes
    -----
    The authors' hard matrix ``C`` is indefinite (31 of 100 eigenvalues are
    negative at ``n = 100``). Their data were drawn with NumPy's SVD-based
    ``multivariate_normal``, which then samples from ``|C| = V |Lambda| V^T``
    (``C = V Lambda V^T``): the eigenvectors of ``C`` with the absolute values of
    its eigenvalues. That is the covariance used here, and returned.

    References
    ----------
    C. Zheng, G. Wu, F. Bao, Y. Cao, C. Li and J. Zhu, "Revisiting Discriminative
    vs. Generative Classifiers: Theory and Implications", ICML 2023.

    Examples
    --------
    >>> from skpapers.datasets import make_nb_lr_simulation
    >>> X, y, params = make_nb_lr_simulation(
    ...     6, n_features=4, n_classes=3, random_state=0, return_params=True
    ... )
    >>> X.shape, sorted(y.tolist())
    ((6, 4), [0, 0, 1, 1, 2, 2])
    >>> params.means[:, 0].tolist(), params.variances.tolist()
    ([-1.0, 1.0, 2.0], [4.0, 4.0, 1.0, 1.0])
    """
    rng = check_random_state(random_state)
    class_means = np.array([-1.0] + [2.0 ** (k - 1) for k in range(1, n_classes)])
    y = rng.permutation(np.arange(n_samples) % n_classes)
    noise = rng.standard_normal((n_samples, n_features))
    if setting == "easy":
        variances = _easy_variances(n_features)
        X = class_means[y][:, None] + noise * np.sqrt(variances)
        covariance = np.diag(variances)
    else:
        factor = _hard_factor(n_features)
        X = class_means[y][:, None] + noise @ factor.T
        covariance = factor @ factor.T
    if not return_params:
        return X, y
    params = Bunch(
        means=np.repeat(class_means[:, None], n_features, axis=1),
        covariance=covariance,
        variances=np.diag(covariance).copy(),
        priors=np.full(n_classes, 1.0 / n_classes),
    )
    return X, y, params
