"""Numba kernels of the classic sparse-recovery iterations, batched over samples.

Each kernel runs one independent solver per row of ``B = Y A`` (``b = A^T y`` of
every sample) in a ``prange`` over samples, in the Gram form of the gradient step,
``z = x + gamma_k (b - G x)`` with ``G = A^T A``. The iterates are sparse, so
``G x`` is accumulated over the nonzero entries of ``x`` only, row by row of the
symmetric ``G``: ``O(n |supp x|)`` per sample and iteration instead of the
``O(n^2)`` of a dense product, with a contiguous, vectorised inner loop.

``checkpoints`` (sorted iteration counts) and ``path`` (``len(checkpoints)``
x n_samples x n) record the iterate after those iteration counts; pass empty arrays
to record nothing.
"""

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _gradient_step(x, b, G, gamma, z):
    """``z = x + gamma (b - G x)``, skipping the zero entries of ``x``."""
    n = x.shape[0]
    for i in range(n):
        z[i] = x[i] + gamma * b[i]
    for j in range(n):
        c = x[j]
        if c != 0.0:
            c *= gamma
            for i in range(n):
                z[i] -= c * G[j, i]


@njit(cache=True, inline="always")
def _shrink(z, threshold, hard, x):
    """Soft (``hard=False``) or hard thresholding of ``z`` into ``x``."""
    for i in range(z.shape[0]):
        v = z[i]
        if hard:
            x[i] = v if abs(v) > threshold else 0.0
        elif v > threshold:
            x[i] = v - threshold
        elif v < -threshold:
            x[i] = v + threshold
        else:
            x[i] = 0.0


@njit(cache=True, inline="always")
def _record(k, x, s, checkpoints, path, next_checkpoint):
    """Store ``x`` as the iterate after ``k`` iterations if that is a checkpoint."""
    while next_checkpoint < checkpoints.shape[0] and checkpoints[next_checkpoint] == k:
        path[next_checkpoint, s, :] = x
        next_checkpoint += 1
    return next_checkpoint


@njit(cache=True)
def proximal_gradient(B, G, step_sizes, thresholds, hard, checkpoints, path, out):
    """ISTA (``hard=False``) or IHT (``hard=True``) on every row of ``B``.

    Iteration ``k`` uses step ``step_sizes[k]`` and threshold ``thresholds[k]``;
    the iterates start at zero and the last one is written to ``out``.
    """
    n_samples, n = B.shape
    for s in range(n_samples):
        x = np.zeros(n, dtype=B.dtype)
        z = np.empty(n, dtype=B.dtype)
        nxt = _record(0, x, s, checkpoints, path, 0)
        for k in range(step_sizes.shape[0]):
            _gradient_step(x, B[s], G, step_sizes[k], z)
            _shrink(z, thresholds[k], hard, x)
            nxt = _record(k + 1, x, s, checkpoints, path, nxt)
        out[s, :] = x


@njit(cache=True)
def accelerated_proximal_gradient(B, G, step_sizes, thresholds, checkpoints, path, out):
    """FISTA on every row of ``B``: ISTA steps taken from the extrapolated point.

    ``v_k = x_k + (t_{k-1} - 1) / t_k (x_k - x_{k-1})``, ``t_k = (1 + sqrt(1 + 4
    t_{k-1}^2)) / 2``, ``t_0 = 1``, ``x_{k+1} = soft(v_k + gamma_k (b - G v_k))``.
    """
    n_samples, n = B.shape
    for s in range(n_samples):
        x = np.zeros(n, dtype=B.dtype)
        x_prev = np.zeros(n, dtype=B.dtype)
        v = np.empty(n, dtype=B.dtype)
        z = np.empty(n, dtype=B.dtype)
        t = 1.0
        nxt = _record(0, x, s, checkpoints, path, 0)
        for k in range(step_sizes.shape[0]):
            t_next = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
            beta = (t - 1.0) / t_next
            for i in range(n):
                v[i] = x[i] + beta * (x[i] - x_prev[i])
                x_prev[i] = x[i]
            _gradient_step(v, B[s], G, step_sizes[k], z)
            _shrink(z, thresholds[k], False, x)
            t = t_next
            nxt = _record(k + 1, x, s, checkpoints, path, nxt)
        out[s, :] = x
