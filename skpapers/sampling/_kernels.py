"""Numba kernels: the projection-DPP chain rule, and Hermite quantiles.

Derivations are in ``_finite.py`` and ``_bases.py``. The kernels keep no random
state: the caller draws the proposals and uniforms from its ``random_state`` and
passes them in, so the kernels and their plain NumPy references (kept with the
tests, ``tests/sampling/_references.py``) give the same sample on the same input.
Each kernel is the host leaf of one sampler, chosen in one place: the rejection
chain rule and the Hermite quantiles run only on the host (their proposals are
host draws); the Gram-Schmidt chain rule also exists in any array namespace
(``_finite.projection_dpp_gram_schmidt``), which calls this kernel for NumPy
arrays (a sequential walk of the pool that numba runs about 5x faster than
vectorised NumPy at N = 20,000, m = 100).
"""

import math

import numpy as np
from numba import njit

# A proposal whose residual is below this fraction of its norm lies (to rounding)
# in the span already chosen: its acceptance probability is zero in exact
# arithmetic, and accepting it would make the chosen features linearly dependent.
# Both kernels get squared residuals by difference (Pythagoras, or downdating),
# with an absolute error of a few eps ||v||^2; the floor keeps such rounding noise
# from being accepted (it would make the chosen features linearly dependent) and
# changes the law by less than its own size.
RESIDUAL_FLOOR = 1e-10


@njit(cache=True)
def _orthogonalise(r, directions, n_directions):
    """Modified Gram-Schmidt of ``r`` against the first rows of ``directions``."""
    for row in range(n_directions):
        c = 0.0
        for j in range(r.shape[0]):
            c += directions[row, j] * r[j]
        for j in range(r.shape[0]):
            r[j] -= c * directions[row, j]


@njit(cache=True, fastmath=True)
def _dot(a, b):
    total = 0.0
    for j in range(a.shape[0]):
        total += a[j] * b[j]
    return total


@njit(cache=True, fastmath=True)
def _squared_projection(v, directions, n_directions):
    """||E v||^2 for E the first rows of ``directions`` (orthonormal)."""
    total = 0.0
    for row in range(n_directions):
        c = _dot(directions[row], v)
        total += c * c
    return total


@njit(cache=True)
def chain_rule_rejection(proposals, uniforms, directions, n_chosen):
    """Consume proposals in order, accepting each with its chain-rule probability.

    With ``E`` the first ``n_chosen`` rows of ``directions`` (orthonormal, spanning
    the features already chosen), proposal ``v`` is accepted when
    ``u * ||v||^2 < ||v||^2 - ||E v||^2 = ||(I - E^T E) v||^2``. Only an accepted
    proposal is orthogonalised (modified Gram-Schmidt, twice) into the next row of
    ``directions``, so a rejected one costs one product ``E v``.

    Parameters
    ----------
    proposals : ndarray of shape (n_proposals, m)
        Features of i.i.d. proposals from the optimal density.
    uniforms : ndarray of shape (n_proposals,)
    directions : ndarray of shape (m, m)
        Modified in place.
    n_chosen : int

    Returns
    -------
    accepted : ndarray of int64
        Positions in ``proposals`` of the accepted points, in order.
    n_chosen : int
        The new number of chosen points.
    """
    n_proposals, m = proposals.shape
    accepted = np.empty(m - n_chosen, dtype=np.int64)
    n_accepted = 0
    r = np.empty(m)
    for b in range(n_proposals):
        if n_chosen == m:
            break
        v = proposals[b]
        norm2 = 0.0
        for j in range(m):
            norm2 += v[j] * v[j]
        residual2 = norm2 - _squared_projection(v, directions, n_chosen)
        if residual2 <= uniforms[b] * norm2 or residual2 <= RESIDUAL_FLOOR * norm2:
            continue
        for j in range(m):
            r[j] = v[j]
        _orthogonalise(r, directions, n_chosen)
        _orthogonalise(r, directions, n_chosen)
        scale = 1.0 / np.sqrt(np.sum(r * r))
        for j in range(m):
            directions[n_chosen, j] = r[j] * scale
        accepted[n_accepted] = b
        n_accepted += 1
        n_chosen += 1
    return accepted[:n_accepted], n_chosen


@njit(cache=True)
def chain_rule_gram_schmidt(Q, uniforms):
    """Projection DPP on a pool by the chain rule with incremental Gram-Schmidt.

    Parameters
    ----------
    Q : ndarray of shape (N, m)
        Orthonormal columns; the DPP kernel is ``Q Q^T``.
    uniforms : ndarray of shape (m,)
        One uniform per step, mapped through the inverse distribution function of
        the residual norms.

    Returns
    -------
    chosen : ndarray of shape (m,) of int64
        The sample, in chain-rule order.
    """
    N, m = Q.shape
    norm2 = np.empty(N)
    total = 0.0
    for a in range(N):
        s = 0.0
        for j in range(m):
            s += Q[a, j] * Q[a, j]
        norm2[a] = s
        total += s
    residual2 = norm2.copy()
    directions = np.zeros((m, m))
    chosen = np.empty(m, dtype=np.int64)
    r = np.empty(m)
    for i in range(m):
        target = uniforms[i] * total
        pick = -1
        cumulative = 0.0
        for a in range(N):
            if residual2[a] > 0.0:
                cumulative += residual2[a]
                pick = a
                if cumulative > target:
                    break
        chosen[i] = pick
        if i == m - 1:
            break
        for j in range(m):
            r[j] = Q[pick, j]
        _orthogonalise(r, directions, i)
        _orthogonalise(r, directions, i)
        scale = 1.0 / np.sqrt(np.sum(r * r))
        for j in range(m):
            directions[i, j] = r[j] * scale
        # residual norms after projecting out the new direction, and their total
        total = 0.0
        for a in range(N):
            if residual2[a] <= 0.0:
                continue
            c = _dot(Q[a], directions[i])
            value = residual2[a] - c * c
            if value <= RESIDUAL_FLOOR * norm2[a] or a == pick:
                value = 0.0
            residual2[a] = value
            total += value
    return chosen


@njit(cache=True)
def _hermite_squared_cdf(x, k):
    """F_k(x) = Phi(x) - phi(x) sum_{j=1}^k h_j(x) h_{j-1}(x) / sqrt(j)."""
    h_previous, h = 0.0, 1.0
    series = 0.0
    for j in range(1, k + 1):
        h_next = (x * h - np.sqrt(j - 1.0) * h_previous) / np.sqrt(float(j))
        series += h_next * h / np.sqrt(float(j))
        h_previous, h = h, h_next
    gauss = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    return 0.5 * math.erfc(-x / np.sqrt(2.0)) - gauss * series


@njit(cache=True)
def hermite_squared_quantile(uniforms, k, half_width):
    """Inverse of F_k at each uniform, by 64 bisection steps on [-w, w]."""
    out = np.empty(uniforms.shape[0])
    for i in range(uniforms.shape[0]):
        lo, hi = -half_width, half_width
        for _ in range(64):
            mid = 0.5 * (lo + hi)
            if _hermite_squared_cdf(mid, k) < uniforms[i]:
                lo = mid
            else:
                hi = mid
        out[i] = 0.5 * (lo + hi)
    return out
