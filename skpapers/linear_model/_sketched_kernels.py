"""Numba kernel of the sketched solver: the fused Golub-Kahan step of LSQR.

:func:`fused_normal_pass` computes ``w = D (A p - c) - a u`` and ``A^T D w`` in one
read of a row-major ``A``, where ``A @ p`` then ``A.T @ w`` read it twice. It is
single-threaded on purpose: on the two-core machines this project targets, a
``prange`` over row blocks measured 1.2x to 3.5x *slower* at ``n = 2^18, d = 100``
(the pass is memory-bound, and the second core is busy with BLAS, another test
worker or Dask's other thread).
"""

import numpy as np
from numba import njit

# Rows whose contributions to A^T w are summed apart before joining the total.
_ROW_BLOCK = 64


@njit(cache=True, fastmath={"contract", "reassoc"})
def fused_normal_pass(A, p, c, row_weight, alpha, u, w, z):
    """One read of ``A``: ``w = D (A p - c) - alpha u`` and ``z = A^T (D w)``.

    ``D = diag(row_weight)``. Returns ``(sum(D w), ||w||^2)`` so that the caller
    can add the intercept column and normalise. The dot products and row sums go
    through SIMD partial sums and fused multiply-adds (``reassoc``, ``contract``),
    and ``z`` is accumulated per block of rows: together they keep the rounding
    error of the pass at BLAS's level, which LSQR's final accuracy depends on
    (plain sequential sums cost a factor 2 to 5 in the coefficients' error).
    """
    n, d = A.shape
    total = 0.0
    norm = 0.0
    block = np.zeros(d)
    for start in range(0, n, _ROW_BLOCK):
        block[:] = 0.0
        for i in range(start, min(start + _ROW_BLOCK, n)):
            t = 0.0
            for k in range(d):
                t += A[i, k] * p[k]
            wi = row_weight[i] * (t - c) - alpha * u[i]
            w[i] = wi
            norm += wi * wi
            g = row_weight[i] * wi
            total += g
            for k in range(d):
                block[k] += g * A[i, k]
        for k in range(d):
            z[k] += block[k]
    return total, norm
