"""Numba kernel for the AM M-step of Kronecker SBL (NumPy path only).

The AM M-step cycles exact updates of each variance factor until they settle,
usually a handful of passes over three or so small vectors. In NumPy every update is
a dozen array calls on arrays of a few thousand entries, so the M-step is dominated
by call overhead; this kernel runs the whole cycle in one compiled call. At the
paper's default point (3 x 15 atoms) it made the AM fit about twice as fast (see
``benchmarks/bench_kronecker_sbl.py`` and the report of the method).

:func:`skpapers.linear_model._sbl_solvers.m_step_am` is the reference: the tests
compare both on the same input.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def _couple(uncoupled, beta):
    n = uncoupled.shape[0]
    if beta == 0.0:
        return uncoupled.copy()
    omega = uncoupled.copy()
    for k in range(n):
        if k > 0:
            omega[k] += beta * uncoupled[k - 1]
        if k < n - 1:
            omega[k] += beta * uncoupled[k + 1]
    alpha = np.zeros(n, dtype=uncoupled.dtype)
    for k in range(n):
        if omega[k] > 0:
            alpha[k] = 1.0 / omega[k]
    out = np.zeros(n, dtype=uncoupled.dtype)
    for k in range(n):
        if omega[k] > 0:
            precision = alpha[k]
            if k > 0:
                precision += beta * alpha[k - 1]
            if k < n - 1:
                precision += beta * alpha[k + 1]
            out[k] = 1.0 / precision
    return out


@njit(cache=True)
def _kron_weights(weights, offsets, first, last):
    """``w_first ⊗ ... ⊗ w_{last-1}`` of the concatenated weight vectors."""
    size = 1
    for j in range(first, last):
        size *= offsets[j + 1] - offsets[j]
    out = np.ones(size, dtype=weights.dtype)
    block = size
    for j in range(first, last):
        n_j = offsets[j + 1] - offsets[j]
        block //= n_j
        for flat in range(size):
            out[flat] *= weights[offsets[j] + (flat // block) % n_j]
    return out


@njit(cache=True)
def am_m_step(second_moment, offsets, factors, beta, tol, max_passes):
    """Cycle the exact AM updates of the concatenated factors ``g_1 | ... | g_I``.

    Parameters
    ----------
    second_moment : ndarray of shape (N,)
        ``Lambda`` in C order over ``(N_1, ..., N_I)``.
    offsets : int64 ndarray of shape (I + 1,)
        ``g_i`` is ``factors[offsets[i]:offsets[i + 1]]``.
    factors : ndarray of shape (sum N_i,)
        Starting factors; zeros stay zero. Not modified.
    beta : float
        Pattern-coupling weight.
    tol : float
        Stop when no factor moves by more than ``tol`` times its maximum.
    max_passes : int

    Returns
    -------
    factors : ndarray of shape (sum N_i,)
        Normalised so that ``max g_i = 1`` for every factor but the last.
    """
    n_factors = offsets.shape[0] - 1
    g = factors.copy()
    mask = g > 0
    weights = np.zeros_like(g)
    for _ in range(max_passes):
        previous = g.copy()
        for i in range(n_factors):
            # the mean runs over the indices whose other factors are all positive
            count = 1.0
            for j in range(n_factors):
                if j != i:
                    n_positive = 0.0
                    for k in range(offsets[j], offsets[j + 1]):
                        if g[k] > 0:
                            n_positive += 1.0
                    count *= n_positive
            if count == 0.0:
                return np.zeros_like(g)
            for k in range(g.shape[0]):
                weights[k] = 1.0 / g[k] if g[k] > 0 else 0.0
            left = _kron_weights(weights, offsets, 0, i)
            right = _kron_weights(weights, offsets, i + 1, n_factors)
            n_i = offsets[i + 1] - offsets[i]
            update = np.zeros(n_i, dtype=g.dtype)
            n_right = right.shape[0]
            for a in range(left.shape[0]):
                w_a = left[a]
                if w_a == 0.0:
                    continue
                base = a * n_i * n_right
                for k in range(n_i):
                    total = 0.0
                    start = base + k * n_right
                    for b in range(n_right):
                        total += second_moment[start + b] * right[b]
                    update[k] += w_a * total
            coupled = _couple(update / count, beta)
            for k in range(n_i):
                g[offsets[i] + k] = coupled[k] if mask[offsets[i] + k] else 0.0
        scale = 1.0
        for i in range(n_factors - 1):
            top = 0.0
            for k in range(offsets[i], offsets[i + 1]):
                top = max(top, g[k])
            if top > 0:
                for k in range(offsets[i], offsets[i + 1]):
                    g[k] /= top
                scale *= top
        for k in range(offsets[n_factors - 1], offsets[n_factors]):
            g[k] *= scale
        change = 0.0
        for i in range(n_factors):
            top = 0.0
            moved = 0.0
            for k in range(offsets[i], offsets[i + 1]):
                top = max(top, abs(previous[k]))
                moved = max(moved, abs(g[k] - previous[k]))
            change = max(change, moved / max(top, 1e-300))
        if change <= tol:
            break
    return g
