"""Sufficient statistics of the pooled-variance Gaussian naive Bayes, and its merge.

Model (Zheng et al., "Revisiting Discriminative vs. Generative Classifiers: Theory
and Implications", ICML 2023). A sample ``x`` in ``R^n`` of class ``k`` (one of
``K``, prior ``pi_k``) has independent coordinates ``x_j ~ N(mu_kj, sigma_j^2)``:
a mean per class, one diagonal variance shared by every class. The log posterior is
then linear in ``x`` up to a term common to all classes,

    score_k(x) = log pi_k - 1/2 sum_j (x_j - mu_kj)^2 / sigma_j^2
               = x . (mu_k / sigma^2) - 1/2 sum_j mu_kj^2 / sigma_j^2 + log pi_k
                 - 1/2 sum_j x_j^2 / sigma_j^2,

so naive Bayes here is a linear classifier with ``coef_k = mu_k / sigma^2`` and
``intercept_k = log pi_k - 1/2 mu_k . coef_k`` (the last, common term cancels in
the posterior).

Estimates. With (sample-)weights ``w_i`` and ``N_k = sum_{y_i = k} w_i``, the
maximum-likelihood estimates are the class means
``mu_k = sum_{y_i = k} w_i x_i / N_k`` and the pooled variance
``sigma^2 = S / N`` with the within-class sum of squares
``S = sum_i w_i (x_i - mu_{y_i})^2`` (coordinate-wise) and ``N = sum_k N_k``,
which equals ``sum_k (N_k / N) var_k``. A small ``epsilon = var_smoothing *
max_j Var(x_j)`` is added, ``Var`` the total variance of the data, itself known
from the statistics by the law of total variance:
``N Var = S + sum_k N_k (mu_k - mu)^2`` with ``mu = sum_k N_k mu_k / N``.

Streaming. The statistics ``(N_k, mu_k, S)`` of two disjoint sets ``a`` and ``b``
merge exactly (Chan, Golub and LeVeque, 1979), class by class:
``N_k = N_ak + N_bk``, ``mu_k = mu_ak + (N_bk / N_k) (mu_bk - mu_ak)`` and
``S = S_a + S_b + sum_k (N_ak N_bk / N_k) (mu_bk - mu_ak)^2``, the last term being
the between-set scatter of each class around its merged mean. Hence any split of
the data into batches gives the one-batch estimate, up to rounding.

Every function is written against an array namespace ``xp`` (NumPy, CuPy, torch,
``array_api_strict``) and works on arrays of one dtype.
"""

from math import pi

import numpy as np

from skpapers.utils import device


def batch_statistics(X, class_index, n_classes, sample_weight, xp):
    """Per-class weight, mean and pooled within-class sum of squares of a batch.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    class_index : integer ndarray of shape (n_samples,)
        Index of each sample's class in ``range(n_classes)``, a NumPy array (the
        labels live on the host).
    n_classes : int
    sample_weight : array of shape (n_samples,) or None
    xp : namespace

    Returns
    -------
    counts : array of shape (n_classes,)
        Total weight ``N_k`` of each class (0 for a class absent from the batch).
    means : array of shape (n_classes, n_features)
        Class means ``mu_k`` (0 for an absent class).
    ssd : array of shape (n_features,)
        Within-class sum of squared deviations ``S``, summed over the classes.
    """
    # Rows sorted by class, so that each class is one slice: per-class sums in
    # O(n_samples * n_features) memory, not an (n_samples, n_classes) indicator.
    order = np.argsort(class_index, kind="stable")
    bounds = np.searchsorted(class_index[order], np.arange(n_classes + 1)).tolist()
    rows = xp.asarray(order, device=device(X))
    X_sorted = xp.take(X, rows, axis=0)
    w_sorted = None if sample_weight is None else xp.take(sample_weight, rows)
    zero = xp.zeros(X.shape[1], dtype=X.dtype, device=device(X))
    counts, means, ssd = [], [], zero
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        block = X_sorted[lo:hi, ...]
        weights = None if w_sorted is None else w_sorted[lo:hi]
        count = zero[0] + (hi - lo) if weights is None else xp.sum(weights)
        if hi == lo or not count > 0:
            counts.append(count)
            means.append(zero)
            continue
        total = xp.sum(block, axis=0) if weights is None else weights @ block
        mean = total / count
        # Two passes (the mean, then deviations from it) rather than sum of
        # squares minus squared sum, which cancels catastrophically when
        # |mean| >> spread.
        squared = (block - mean) ** 2
        ssd = ssd + (xp.sum(squared, axis=0) if weights is None else weights @ squared)
        counts.append(count)
        means.append(mean)
    return xp.stack(counts), xp.stack(means), ssd


def merge_statistics(counts_a, means_a, ssd_a, counts_b, means_b, ssd_b, xp):
    """Statistics of the union of two disjoint sets, from those of each set.

    Returns
    -------
    counts, means, ssd : arrays
        As :func:`batch_statistics` would give on the union.
    """
    counts = counts_a + counts_b
    safe = xp.where(counts > 0, counts, xp.ones_like(counts))
    share_b = counts_b / safe
    delta = means_b - means_a
    means = means_a + share_b[:, None] * delta
    ssd = ssd_a + ssd_b + (counts_a * share_b) @ (delta**2)
    return counts, means, ssd


def pooled_variance(counts, means, ssd, var_smoothing, xp):
    """Shared diagonal variance ``sigma^2 + epsilon``, and ``epsilon``.

    A feature whose variance is still zero (constant data with
    ``var_smoothing=0``) gets unit variance so that the scores stay finite; its
    coefficients are then equal across the classes that were seen.
    """
    total = xp.sum(counts)
    within = ssd / total
    grand_mean = (counts @ means) / total
    between = counts @ ((means - grand_mean) ** 2) / total
    epsilon = var_smoothing * xp.max(within + between)
    var = within + epsilon
    return xp.where(var > 0, var, xp.ones_like(var)), epsilon


def log_prior(prior, xp):
    """``log(prior)`` with ``-inf`` where the prior is zero, without a warning."""
    positive = prior > 0
    return xp.where(
        positive,
        xp.log(xp.where(positive, prior, xp.ones_like(prior))),
        xp.full_like(prior, -float("inf")),
    )


def linear_form(means, var, log_prior_, xp):
    """``coef`` and ``intercept`` of the linear scores ``x @ coef.T + intercept``."""
    coef = means / var
    intercept = log_prior_ - 0.5 * xp.sum(means * coef, axis=1)
    return coef, intercept


def class_scores(X, counts, means, var, log_prior_, xp):
    """``score_k(x)`` of every sample and class, up to a term common to classes.

    Computed on data centred on the grand mean ``c`` of the fit,
    ``(x - c) . coef_c + intercept_c`` with the ``linear_form`` of the centred
    means: mathematically ``x . coef + intercept`` plus a common term, but
    without cancelling large products when the data sit far from the origin.
    """
    centered, centered_means = _centered(X, counts, means, xp)
    coef, intercept = linear_form(centered_means, var, log_prior_, xp)
    return centered @ coef.T + intercept


def joint_log_likelihood(X, counts, means, var, log_prior_, xp):
    """``log pi_k + log N(x; mu_k, diag(sigma^2))`` of every sample and class."""
    centered, _ = _centered(X, counts, means, xp)
    common = xp.sum(centered**2 / var, axis=1) + xp.sum(xp.log(2.0 * pi * var))
    return class_scores(X, counts, means, var, log_prior_, xp) - 0.5 * common[:, None]


def _centered(X, counts, means, xp):
    center = (counts @ means) / xp.sum(counts)
    return X - center, means - center


def log_softmax(scores, xp):
    """Row-wise ``scores - logsumexp(scores)``, stable for large or ``-inf`` scores."""
    top = xp.max(scores, axis=1, keepdims=True)
    shifted = scores - top
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
