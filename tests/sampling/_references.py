"""Plain NumPy references of the numba kernels in ``skpapers.sampling._kernels``.

Slow, obvious versions of the same steps, kept with the tests: each must give
the kernel's sample on the same inputs. :func:`use_numpy_references` swaps them
in for the chain-rule kernels, so a whole sampler can be run both ways.
"""

import numpy as np

from skpapers.sampling import _finite
from skpapers.sampling._finite import draw_from_cdf
from skpapers.sampling._kernels import RESIDUAL_FLOOR

from ._laws import hermite_squared_cdf


def chain_rule_rejection_numpy(proposals, uniforms, directions, n_chosen):
    """NumPy reference of ``_kernels.chain_rule_rejection``."""
    m = proposals.shape[1]
    accepted = []
    for b, v in enumerate(proposals):
        if n_chosen == m:
            break
        E = directions[:n_chosen]
        norm2 = v @ v
        residual2 = norm2 - np.sum((E @ v) ** 2)
        if residual2 <= uniforms[b] * norm2 or residual2 <= RESIDUAL_FLOOR * norm2:
            continue
        r = v - E.T @ (E @ v)
        r = r - E.T @ (E @ r)
        directions[n_chosen] = r / np.linalg.norm(r)
        accepted.append(b)
        n_chosen += 1
    return np.array(accepted, dtype=np.int64), n_chosen


def chain_rule_gram_schmidt_numpy(Q, uniforms):
    """NumPy reference of ``_kernels.chain_rule_gram_schmidt``."""
    N, m = Q.shape
    norm2 = np.einsum("ij,ij->i", Q, Q)
    residual2 = norm2.copy()
    directions = np.zeros((m, m))
    chosen = np.empty(m, dtype=np.int64)
    for i in range(m):
        cdf = np.cumsum(residual2)
        pick = int(draw_from_cdf(cdf, uniforms[i]))
        chosen[i] = pick
        if i == m - 1:
            break
        E = directions[:i]
        r = Q[pick] - E.T @ (E @ Q[pick])
        r = r - E.T @ (E @ r)
        directions[i] = r / np.linalg.norm(r)
        residual2 = residual2 - (Q @ directions[i]) ** 2
        residual2[(residual2 <= RESIDUAL_FLOOR * norm2) | (residual2 <= 0)] = 0.0
        residual2[pick] = 0.0
    return chosen


def hermite_squared_quantile_numpy(u, k, half_width):
    """NumPy reference of ``_kernels.hermite_squared_quantile`` (64 bisections)."""
    lo, hi = np.full(u.shape, -half_width), np.full(u.shape, half_width)
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        below = hermite_squared_cdf(mid, k) < u
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def use_numpy_references(monkeypatch):
    """Make the samplers run the NumPy chain rules instead of the numba kernels.

    The Hermite quantiles stay numba's: the reference bisects on another
    evaluation of F_k, equal to rounding only, which would move the proposals
    by an ulp (they are compared with a tolerance instead).
    """
    monkeypatch.setattr(_finite, "chain_rule_rejection", chain_rule_rejection_numpy)
    monkeypatch.setattr(
        _finite, "chain_rule_gram_schmidt", chain_rule_gram_schmidt_numpy
    )
