"""Numba kernel for the AM M-step of Kronecker SBL (NumPy path only).

The AM M-step cycles exact updates of each variance factor until they settle,
usually a handful of passes over three or so small vectors. In NumPy every update is
a dozen array calls on arrays of a few thousand entries, so the M-step is dominated
by call overhead; this kernel runs the whole cycle in one compiled call. At the
paper's default point (3 x 15 atoms) it made the AM fit about twice as fast (see
``benchmarks/bench_kronecker_sbl.py`` and the report of the method). It also runs
PC-KroSBL's coupled update, whose non-negative least squares (:func:`nnls`, the
Lawson-Hanson active-set method on an ``N_i x N_i`` system) would otherwise be
called from Python on every mode of every pass.

:func:`skpapers.linear_model._sbl_solvers.m_step_am` is the reference: the tests
compare both on the same input, and :func:`nnls` with
:func:`scipy.optimize.nnls`.
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
def _solve_on(gram, rhs, passive):
    """Solve ``gram[P, P] s_P = rhs[P]`` by Cholesky; zero off ``P``."""
    index = np.flatnonzero(passive)
    p = index.shape[0]
    low = np.zeros((p, p))
    for r in range(p):
        for q in range(r + 1):
            total = gram[index[r], index[q]]
            for k in range(q):
                total -= low[r, k] * low[q, k]
            low[r, q] = np.sqrt(total) if r == q else total / low[q, q]
    t = np.zeros(p)
    for r in range(p):
        total = rhs[index[r]]
        for k in range(r):
            total -= low[r, k] * t[k]
        t[r] = total / low[r, r]
    out = np.zeros(gram.shape[0])
    for r in range(p - 1, -1, -1):
        total = t[r]
        for k in range(r + 1, p):
            total -= low[k, r] * out[index[k]]
        out[index[r]] = total / low[r, r]
    return out


@njit(cache=True)
def nnls(a, b, max_iter):
    """``argmin_{x >= 0} ||a x - b||`` by Lawson and Hanson's active-set method.

    ``a`` has full column rank (here a principal block of ``C_beta``). The
    passive set ``P`` grows by the coordinate with the largest gradient
    ``a^T (b - a x)``; while the least-squares solution on ``P`` has a
    non-positive entry, ``x`` moves towards it until an entry hits zero and
    leaves ``P``. The least-squares problems on ``P`` are solved through the
    normal equations (a few dozen unknowns at most: LAPACK's call overhead
    would cost more than the arithmetic). At most ``max_iter`` inner steps.
    """
    n = a.shape[1]
    gram = a.T @ a
    atb = a.T @ b
    x = np.zeros(n)
    passive = np.zeros(n, dtype=np.bool_)
    tol = 10.0 * np.finfo(np.float64).eps * np.abs(a).sum() * max(a.shape[0], n)
    w = atb.copy()
    steps = 0
    while steps < max_iter:
        best, j = tol, -1
        for k in range(n):
            if not passive[k] and w[k] > best:
                best, j = w[k], k
        if j < 0:
            break
        passive[j] = True
        while steps < max_iter:
            steps += 1
            s = _solve_on(gram, atb, passive)
            alpha = np.inf
            for k in range(n):
                if passive[k] and s[k] <= 0:
                    alpha = min(alpha, x[k] / (x[k] - s[k]))
            if alpha == np.inf:
                x = s
                break
            # step from x towards s until the first passive entry reaches zero
            x = x + alpha * (s - x)
            for k in range(n):
                if passive[k] and x[k] <= tol:
                    x[k] = 0.0
                    passive[k] = False
        w = atb - gram @ x
    return x


@njit(cache=True)
def couple_variances(uncoupled, beta, floor):
    """PC-KroSBL's coupled update of one factor: ``C g + floor`` on the active entries.

    ``g = argmin_{g >= 0} ||C g - z||`` with ``C`` the coupling matrix
    ``I + beta (sub- and super-diagonal ones)`` restricted to the positive entries
    of ``z``; the others stay zero (the kernel twin of
    :func:`skpapers.linear_model._sbl_solvers.couple_variances`).
    """
    n = uncoupled.shape[0]
    out = np.zeros(n, dtype=uncoupled.dtype)
    active = np.flatnonzero(uncoupled > 0)
    n_a = active.shape[0]
    if n_a == 0:
        return out
    c = np.zeros((n_a, n_a))
    for r in range(n_a):
        for q in range(n_a):
            gap = abs(active[r] - active[q])
            c[r, q] = 1.0 if gap == 0 else (beta if gap == 1 else 0.0)
    z = uncoupled[active].astype(np.float64)
    coupled = c @ nnls(c, z, 3 * n_a)
    for r in range(n_a):
        out[active[r]] = coupled[r] + floor
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
def am_m_step(
    second_moment, offsets, factors, beta, coupled, coupling, floor, tol, max_passes
):
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
        Fang et al.'s pattern-coupling weight (every mode not in ``coupled``).
    coupled : bool ndarray of shape (I,)
        The modes updated by PC-KroSBL's :func:`couple_variances`.
    coupling : float
        PC-KroSBL's ``beta``.
    floor : float
        PC-KroSBL's floor on coupled variances.
    tol : float
        Stop when no factor moves by more than ``tol`` times its maximum.
    max_passes : int

    Returns
    -------
    factors : ndarray of shape (sum N_i,)
        Normalised so that ``max g_i = 1`` for every factor but the last; to unit
        norm instead when a mode is coupled (the authors' convention, see
        :func:`skpapers.linear_model._sbl_solvers.m_step_am`).
    """
    unit_norm = np.any(coupled)
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
            update /= count
            if coupled[i]:
                for k in range(n_i):
                    if not mask[offsets[i] + k]:
                        update[k] = 0.0
                new = couple_variances(update, coupling, floor)
            else:
                new = _couple(update, beta)
            for k in range(n_i):
                g[offsets[i] + k] = new[k] if mask[offsets[i] + k] else 0.0
        scale = 1.0
        for i in range(n_factors - 1):
            top = 0.0
            for k in range(offsets[i], offsets[i + 1]):
                top = top + g[k] * g[k] if unit_norm else max(top, g[k])
            if unit_norm:
                top = np.sqrt(top)
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
