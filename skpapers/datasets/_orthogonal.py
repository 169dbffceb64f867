"""Synthetic data of orthogonal dictionary learning: ``y = D0 x`` with sparse ``x``."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "nonzero_rate": [Interval(Real, 0, 1, closed="right")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "outlier_fraction": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_orthogonal_sparse(
    n_samples=1000,
    n_features=30,
    *,
    nonzero_rate=0.3,
    noise=0.0,
    outlier_fraction=0.0,
    random_state=None,
):
    r"""Signals sparse in a random orthogonal dictionary (Bernoulli-Gaussian codes).

    Each sample is :math:`y = D_0^\top x + \varepsilon`: a Haar-random orthogonal
    ``dictionary`` :math:`D_0^\top` (atoms in rows, the ``components_`` convention),
    a code :math:`x` whose entries are independently non-zero with probability
    :math:`\theta` = ``nonzero_rate`` and then standard normal, and Gaussian noise of
    standard deviation ``noise``. A fraction ``outlier_fraction`` of the samples is
    then replaced by dense Gaussian vectors of the same expected energy, which follow
    no sparse model.

    Parameters
    ----------
    n_samples : int, default=1000
    n_features : int, default=30
        Signal dimension ``n``; the dictionary is ``n x n``.
    nonzero_rate : float in (0, 1], default=0.3
        Probability :math:`\theta` that a code entry is non-zero.
    noise : float, default=0.0
        Standard deviation of the additive Gaussian noise.
    outlier_fraction : float in [0, 1], default=0.0
        Fraction of samples replaced by outliers.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The samples, ``code @ dictionary`` plus noise, outlier rows replaced.
    dictionary : ndarray of shape (n_features, n_features)
        The orthogonal dictionary, one atom per row.
    code : ndarray of shape (n_samples, n_features)
        The sparse codes of the clean samples (outlier rows of ``X`` do not follow
        them).

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.datasets import make_orthogonal_sparse
    >>> X, dictionary, code = make_orthogonal_sparse(5, 4, random_state=0)
    >>> X.shape, dictionary.shape, code.shape
    ((5, 4), (4, 4), (5, 4))
    >>> bool(np.allclose(dictionary @ dictionary.T, np.eye(4)))
    True
    >>> bool(np.allclose(X, code @ dictionary))
    True
    """
    rng = check_random_state(random_state)
    Q, R = np.linalg.qr(rng.standard_normal((n_features, n_features)))
    # the sign fix makes Q Haar-distributed
    dictionary = (Q * np.sign(np.diag(R))).T
    support = rng.uniform(size=(n_samples, n_features)) < nonzero_rate
    code = np.where(support, rng.standard_normal((n_samples, n_features)), 0.0)
    X = code @ dictionary
    if noise > 0:
        X += noise * rng.standard_normal(X.shape)
    n_outliers = int(round(outlier_fraction * n_samples))
    if n_outliers:
        rows = rng.choice(n_samples, size=n_outliers, replace=False)
        X[rows] = np.sqrt(nonzero_rate) * rng.standard_normal((n_outliers, n_features))
    return X, dictionary, code
