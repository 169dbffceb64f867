"""Numba kernels of the sketches (the NumPy leaves of :mod:`._operators`).

Every array here is row-major (C-contiguous) with the *rows* as the long axis: a
butterfly of the Walsh-Hadamard transform combines two whole rows, so the inner
loop runs over a row's ``d`` contiguous entries and vectorises.

- :func:`fwht_inplace`: unnormalised fast Walsh-Hadamard transform along axis 0,
  cache-blocked (all the short strides of one block of rows while it sits in
  cache, then the long strides).
- :func:`srht_accumulate`: the subsampled randomised Hadamard transform of a block
  of rows, tile by tile (see :mod:`skpapers.sketching._operators` for the algebra).

The kernels are single-threaded on purpose. On the two-core machines this project
targets, threaded variants (``prange`` over column blocks for the FWHT, over tiles
for the SRHT) measured 1.2x to 3.5x *slower*
at ``n = 2^18, d = 100``: the passes are memory-bound, and the second core is
busy with BLAS, the other test worker or Dask's other thread.
"""

import numpy as np
from numba import njit

# Rows kept in cache for the short strides of the FWHT: 64 KiB of doubles per
# row-block is in L1/L2 on every current x86 core.
_CACHE_BYTES = 1 << 16


@njit(cache=True, inline="always")
def _butterflies(X, lo, hi, h):
    """All butterflies of stride ``h`` inside rows ``lo:hi``."""
    d = X.shape[1]
    for i in range(lo, hi, 2 * h):
        for j in range(i, i + h):
            for k in range(d):
                x = X[j, k]
                y = X[j + h, k]
                X[j, k] = x + y
                X[j + h, k] = x - y


@njit(cache=True)
def fwht_inplace(X):
    """Unnormalised fast Walsh-Hadamard transform of ``X`` along axis 0, in place.

    ``X`` is a C-contiguous ``(n, d)`` float array with ``n`` a power of two; on
    return ``X`` holds ``H_n X`` with ``H_n`` the Sylvester-ordered Hadamard matrix
    of ``+-1`` entries.
    """
    n, d = X.shape
    block = 1
    while block * 2 <= n and block * 2 * max(d, 1) * 8 <= _CACHE_BYTES:
        block *= 2
    # Short strides: finish every stride below ``block`` on one block of rows.
    for lo in range(0, n, block):
        h = 1
        while h < block:
            _butterflies(X, lo, lo + block, h)
            h *= 2
    # Long strides: one sweep of the whole array each.
    h = block
    while h < n:
        _butterflies(X, 0, n, h)
        h *= 2


@njit(cache=True)
def srht_accumulate(A, row_scale, first_row, tile_size, tile_first, signs, rows, out):
    """Sketch rows of ``A`` with the tiled SRHT, accumulating into ``out``.

    Parameters
    ----------
    A : ndarray of shape (n_rows, d)
        Consecutive rows of the data, the first being global row ``first_row``.
    row_scale : ndarray of shape (n_rows,)
        Random sign (times any row weight) of each row: the diagonal ``D``.
    first_row, tile_size : int
        Global index of ``A[0]``; size ``B`` (a power of two) of the tiles.
    tile_first : int
        Global index of the first tile that ``A`` touches.
    signs : ndarray of shape (n_tiles, m)
        ``H_T[q_r, t]`` for each touched tile ``t`` and sampled row ``r``.
    rows : ndarray of shape (m,)
        Position ``p_r`` of each sampled row inside its tile.
    out : ndarray of shape (m, d)
        ``sum_t signs[t, r] (H_B D_t A_t)[rows[r]]`` is added to it.
    """
    n_rows, d = A.shape
    buf = np.empty((tile_size, d), dtype=out.dtype)
    for j in range(signs.shape[0]):
        tile = tile_first + j
        lo = max(tile * tile_size - first_row, 0)
        hi = min((tile + 1) * tile_size - first_row, n_rows)
        offset = first_row + lo - tile * tile_size
        buf[:] = 0.0
        for i in range(lo, hi):
            s = row_scale[i]
            for k in range(d):
                buf[offset + i - lo, k] = s * A[i, k]
        fwht_inplace(buf)
        for r in range(rows.shape[0]):
            s = signs[j, r]
            src = rows[r]
            for k in range(d):
                out[r, k] += s * buf[src, k]
