r"""Numba kernels of EnsLoss: one epoch of SGD with momentum for the linear model.

Model: one-vs-rest scores :math:`f_k(x) = w_k^\top x + b_k`, labels
:math:`y_{ik} \in \{-1, +1\}`, margins :math:`s_{ik} = y_{ik} f_k(x_i)`. With
the batch's derivatives :math:`g_{ik}` held fixed, the objective
:math:`\frac{1}{B}\sum_i g_{ik} s_{ik} + \frac{\mu}{2}\|w_k\|^2` has gradient
:math:`\frac{1}{B}\sum_i g_{ik} y_{ik} x_i + \mu w_k` in :math:`w_k` and
:math:`\frac{1}{B}\sum_i g_{ik} y_{ik}` in :math:`b_k`; the step is that of
``torch.optim.SGD`` with momentum :math:`m`: :math:`v \leftarrow m v +
\nabla`, :math:`w \leftarrow w - \eta v`.

The per-batch work (scores, a sort of the margins, rank assignment of the random
derivatives, the gradient) is a few hundred flops on arrays of ``batch_size``
entries; vectorised NumPy spends most of its time in call overhead there, so the
whole epoch is one compiled loop. The derivative rule is the one documented in
``_ensloss_derivatives.py`` (whose NumPy functions are the tests' reference).
"""

import numpy as np
from numba import njit

from ._ensloss_derivatives import DERIVATIVE_SHIFT

#: Integer codes of the losses inside the kernels.
LOSS_CODES = {"ensloss": 0, "bce": 1, "hinge": 2, "exponential": 3}


@njit(cache=True)
def _inverse_boxcox(z, boxcox_lambda):
    if boxcox_lambda == 0.0:
        return np.exp(z)
    base = 1.0 + boxcox_lambda * z
    if base <= 0.0:
        return np.inf if boxcox_lambda < 0.0 else 0.0
    return base ** (1.0 / boxcox_lambda)


@njit(cache=True)
def ensloss_batch_derivatives(margins, normals, boxcox_lambda, out):
    """Write the random calibrated derivatives at ``margins`` into ``out``.

    ``margins``, ``normals`` and ``out`` are 1-d arrays of one batch; same rule
    as :func:`~skpapers.ensemble._ensloss_derivatives.ensloss_derivatives`.
    """
    n = margins.shape[0]
    # |derivative| before ranking, clipped at 1; ascending, so the largest (the
    # most negative derivative) is last.
    magnitudes = np.empty(n)
    for i in range(n):
        magnitudes[i] = min(_inverse_boxcox(normals[i], boxcox_lambda), 1.0)
    magnitudes.sort()
    order = np.argsort(margins)
    rank = 0
    while rank < n:
        margin = margins[order[rank]]
        end = rank
        total = 0.0
        while end < n and margins[order[end]] == margin:
            total += magnitudes[n - 1 - end]
            end += 1
        value = -total / (end - rank)
        if margin > 1.0:
            value /= margin
        for position in range(rank, end):
            out[order[position]] = value - DERIVATIVE_SHIFT
        rank = end


@njit(cache=True)
def _fixed_derivative(margin, loss_code):
    if loss_code == 1:  # bce: -1 / (1 + e^s), without overflow
        if margin >= 0.0:
            e = np.exp(-margin)
            return -e / (1.0 + e)
        return -1.0 / (1.0 + np.exp(margin))
    if loss_code == 2:  # hinge
        return -1.0 if margin < 1.0 else 0.0
    return -np.exp(-margin)  # exponential


@njit(cache=True, fastmath={"reassoc"})
def _dot(a, b):
    # Reassociation lets LLVM vectorise the sum; the order is fixed at compile
    # time, so results stay reproducible.
    total = 0.0
    for j in range(a.shape[0]):
        total += a[j] * b[j]
    return total


@njit(cache=True)
def linear_sgd_epoch(
    X,
    Y,
    coef,
    intercept,
    velocity_coef,
    velocity_intercept,
    order,
    normals,
    boxcox_lambda,
    loss_code,
    lr,
    momentum,
    weight_decay,
    batch_size,
):
    """One epoch of mini-batch SGD with momentum on a linear one-vs-rest model.

    Updates ``coef``, ``intercept`` and the momentum buffers in place.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), C-contiguous
    Y : ndarray of shape (n_samples, n_outputs)
        +-1 labels, one column per binary (one-vs-rest) problem.
    coef : ndarray of shape (n_outputs, n_features), C-contiguous
    intercept : ndarray of shape (n_outputs,)
    velocity_coef, velocity_intercept : ndarrays shaped like coef, intercept
        Momentum buffers.
    order : ndarray of int of shape (n_samples,)
        The epoch's permutation of the samples; batches are its consecutive
        slices.
    normals : ndarray of shape (n_samples, n_outputs)
        Standard normal draws, row ``start + b`` for position ``b`` of the batch
        starting at ``start`` (unused, and may have 0 rows, for a fixed loss).
    boxcox_lambda : float
    loss_code : int
        See ``LOSS_CODES``.
    lr, momentum, weight_decay : float
        Update ``v = momentum * v + grad + weight_decay * coef``,
        ``coef -= lr * v`` (the intercept is not decayed).
    batch_size : int

    Returns
    -------
    n_updates : int
        Number of mini-batches, i.e. SGD steps taken.
    loss_sum : float
        Sum over the epoch's samples and outputs of the hinge loss
        ``max(0, 1 - s)`` of the margins (each taken before its batch's step):
        the monitored training loss, whatever loss drives the steps (the hinge
        costs no transcendental function, so watching is free).
    max_abs_score : float
        Largest absolute score seen; ``inf`` when a score was not finite, in
        which case the epoch stops there (before that batch's step).
    """
    n_samples, n_features = X.shape
    n_outputs = Y.shape[1]
    margins = np.empty((n_outputs, batch_size), dtype=X.dtype)
    draws = np.empty((n_outputs, batch_size))
    derivatives = np.empty((n_outputs, batch_size), dtype=X.dtype)
    grad_coef = np.empty((n_outputs, n_features), dtype=X.dtype)
    grad_intercept = np.empty(n_outputs, dtype=X.dtype)
    n_updates = 0
    loss_sum = 0.0
    max_abs_score = 0.0
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        size = stop - start
        for b in range(size):
            i = order[start + b]
            for k in range(n_outputs):
                margins[k, b] = Y[i, k] * (intercept[k] + _dot(X[i], coef[k]))
                margin = margins[k, b]
                # A NaN margin would break the rank assignment below (a tie
                # group of size 0): stop, and let the caller raise.
                if not np.isfinite(margin):
                    return n_updates, loss_sum, np.inf
                max_abs_score = max(max_abs_score, abs(margin))
                loss_sum += max(0.0, 1.0 - margin)
        for k in range(n_outputs):
            if loss_code == 0:
                for b in range(size):
                    draws[k, b] = normals[start + b, k]
                ensloss_batch_derivatives(
                    margins[k, :size], draws[k, :size], boxcox_lambda, derivatives[k]
                )
            else:
                for b in range(size):
                    derivatives[k, b] = _fixed_derivative(margins[k, b], loss_code)
        grad_coef[:] = 0.0
        grad_intercept[:] = 0.0
        for b in range(size):
            i = order[start + b]
            for k in range(n_outputs):
                # d(g * s)/d(score) = g * y, averaged over the batch.
                weight = derivatives[k, b] * Y[i, k] / size
                grad_intercept[k] += weight
                for j in range(n_features):
                    grad_coef[k, j] += weight * X[i, j]
        for k in range(n_outputs):
            for j in range(n_features):
                v = (
                    momentum * velocity_coef[k, j]
                    + grad_coef[k, j]
                    + weight_decay * coef[k, j]
                )
                velocity_coef[k, j] = v
                coef[k, j] -= lr * v
            v = momentum * velocity_intercept[k] + grad_intercept[k]
            velocity_intercept[k] = v
            intercept[k] -= lr * v
        n_updates += 1
    return n_updates, loss_sum, max_abs_score
