"""The Gaussian mixture of the naive Bayes vs logistic regression simulation."""

from numbers import Integral

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_classes": [Interval(Integral, 2, None, closed="left")],
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
    random_state=None,
    return_params=False,
):
    """Draw the simulation of Zheng et al. (2023), naive Bayes vs logistic regression.

    ``K = n_classes`` balanced classes in ``n = n_features`` dimensions. Class 0 has
    mean -1 and class ``k >= 1`` mean ``2^(k-1)`` on every coordinate; all classes
    share the diagonal covariance with variance ``n`` on the first ``n // 2``
    coordinates and 1 on the others. Naive Bayes with a pooled variance is the
    right model, so its asymptotic error is the Bayes error (nearly 0 here), which
    logistic regression also reaches, only with many more samples.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples, split as evenly as possible between the classes.
    n_features : int, default=100
        Dimension ``n``.
    n_classes : int, default=2
        Number of classes ``K`` (the paper uses 2, 3 and 5).
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
        Only with ``return_params=True``: ``means`` (K, n), ``variances`` (n,)
        and ``priors`` (K,) of the mixture.

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
    variances = np.ones(n_features)
    variances[: n_features // 2] = n_features
    y = rng.permutation(np.arange(n_samples) % n_classes)
    X = class_means[y][:, None] + rng.standard_normal((n_samples, n_features)) * (
        np.sqrt(variances)
    )
    if not return_params:
        return X, y
    params = Bunch(
        means=np.repeat(class_means[:, None], n_features, axis=1),
        variances=variances,
        priors=np.full(n_classes, 1.0 / n_classes),
    )
    return X, y, params
