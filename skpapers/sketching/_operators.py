"""Sketching operators: random linear maps ``S`` of shape ``(m, n)`` with ``m << n``.

Every operator here is an oblivious subspace embedding, ``E[S^T S] = I_n``, drawn
once from its ``random_state`` and then reusable: ``S.apply(A)`` and
``S.apply(b)`` use the same ``S``, which is what sketch-and-solve needs, and
``S.apply(A, row_weight)`` sketches ``diag(row_weight) A`` without forming it.

They are plain operator classes (like ``scipy.sparse.linalg.LinearOperator``),
not scikit-learn transformers: a sketch maps ``n`` *rows* to ``m``, while a
transformer must return one output row per input sample (``Pipeline``,
cross-validation and the common checks all rely on it), and a sketch has nothing
to learn from data. The estimator that uses them is
:class:`~skpapers.linear_model.SketchedLinearRegression`.

Row randomness is attached to fixed *tiles* of rows (rows ``tB .. (t+1)B - 1`` take
their random numbers from a generator seeded by ``(seed, t)``), so ``S`` does not
depend on how the rows of ``A`` are split: ``S.apply(A)`` on a NumPy array and on a
``dask.array`` with any row chunks apply the very same matrix (up to the order of
floating-point sums). A sketch is linear, ``S A = sum_k S[:, rows_k] A[rows_k]``,
so a ``dask.array`` is sketched block by block and only the ``m x d`` partial
sketches are summed (:meth:`apply_block` is one term of that sum).

SRHT, tiled
-----------
``S = m^{-1/2} P H D`` with ``D`` random signs on the ``n`` rows (zero-padded to
``n' = 2^k``), ``H`` the ``n' x n'`` Sylvester Hadamard matrix (entries ``+-1``) and
``P`` the selection of ``m`` of its ``n'`` rows uniformly without replacement, so
``E[S^T S] = (1/m) D H^T E[P^T P] H D = I``. With tiles of ``B`` rows (a power of
two), ``H_{n'} = H_{n'/B} (x) H_B``, so a sampled row ``i = qB + p`` of ``H D A`` is

    (H D A)[i] = sum_t H_{n'/B}[q, t] (H_B D_t A_t)[p],
    H_{n'/B}[q, t] = (-1)^popcount(q & t):

one FWHT of each tile (``n d log B``) and a signed sum of the sampled rows over
tiles (``(n/B) m d``). ``B ~ m`` balances the two, ``O(n d log m)`` in all, and
neither ``H`` nor ``S`` is ever formed. The rows are taken a group of whole tiles
at a time (``_GROUP_ELEMENTS`` entries), so that besides ``A`` only one group and
the ``m x d`` sketch are in memory.

One algorithm, any namespace
----------------------------
Each sketch is written once, against the namespace ``xp`` of its input:
under ``sklearn.config_context(array_api_dispatch=True)``, :class:`SRHT` and
:class:`GaussianSketch` apply to CuPy or torch arrays and return the sketch there,
on the same device. The random numbers are always drawn on the host from the same
tile generators, so ``S`` is *the same matrix* whatever the namespace. Only the
innermost step of the SRHT (transform a group of tiles, gather the sampled rows,
sum them with their signs) and the FWHT have two forms, chosen in one place,
:func:`_leaf`: a numba kernel for NumPy (one pass over the rows, in cache) and
vectorised butterflies elsewhere (``log2 B`` steps, each a reshape to
``(tiles, B / 2h, 2, h, d)`` and one stack of half-sums and half-differences).
The Gaussian sketch moves each host tile of ``S`` to the device for one GEMM (the
draws cost ``O(m n)`` on the host, so it is there for agreement, not speed). The
sparse sketches build SciPy sparse matrices and have no array-API path.
"""

import math
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from ..utils import dask_rows, device, float_dtype, is_dask, is_numpy_namespace
from ..utils._array_api import dispatch_namespace, widest_float
from . import _kernels

# Entries of A transformed at a time by the SRHT (whole tiles): 32 MiB of float64,
# so that the array-API path's temporaries stay a small fraction of a large A.
_GROUP_ELEMENTS = 1 << 22


def _fwht_numba(A, xp):
    """``H A`` along axis 0 of a NumPy array by the in-place numba kernel."""
    X = np.array(A.reshape(A.shape[0], -1), order="C")
    _kernels.fwht_inplace(X)
    return X.reshape(A.shape)


def _fwht_vectorised(A, xp, axis=0):
    """``H_n A`` along ``axis`` by ``log2 n`` vectorised butterfly steps.

    Step ``h = 1, 2, 4, ...`` views that axis as ``(n / 2h, 2, h)`` blocks and
    replaces each pair of half-blocks ``(a, b)`` by ``(a + b, a - b)``: the
    butterflies of the numba kernel, one array operation per stride.
    """
    lead = tuple(A.shape[:axis])
    n = A.shape[axis]
    rest = tuple(A.shape[axis + 1 :])
    before = (slice(None),) * (len(lead) + 1)
    h = 1
    while h < n:
        blocks = xp.reshape(A, (*lead, n // (2 * h), 2, h, *rest))
        top, bottom = blocks[(*before, 0, ...)], blocks[(*before, 1, ...)]
        stacked = xp.stack((top + bottom, top - bottom), axis=len(lead) + 1)
        A = xp.reshape(stacked, (*lead, n, *rest))
        h *= 2
    return A


def _tile_span(first, last, offset, tile_size, n_rows):
    """``(lo, hi)``: the rows of a block inside its tiles ``first .. last - 1``.

    Tiles are counted from the block's first one, whose first ``offset`` rows
    come before the block.
    """
    lo = max(first * tile_size - offset, 0)
    return lo, min(last * tile_size - offset, n_rows)


def _srht_tiles_numba(A, scale, offset, tile_size, signs, p, out, xp):
    """Add the SRHT of the rows of ``A`` to ``out`` by the fused numba kernel.

    All tiles in one call (one pass over ``A``); a sparse ``A`` is densified one
    tile at a time (the transform of a tile is dense anyway).
    """
    if sp.issparse(A):
        for j in range(signs.shape[0]):
            lo, hi = _tile_span(j, j + 1, offset, tile_size, A.shape[0])
            rows = A[lo:hi].toarray()
            tile_offset = offset + lo - j * tile_size
            args = (scale[lo:hi], tile_offset, tile_size, signs[j : j + 1], p, out)
            _srht_tiles_numba(rows, *args, xp)
        return out
    dtype = out.dtype
    _kernels.srht_accumulate(
        np.ascontiguousarray(A, dtype=dtype),
        scale.astype(dtype, copy=False),
        offset,
        tile_size,
        0,
        signs.astype(dtype, copy=False),
        p,
        out,
    )
    return out


def _srht_tiles_vectorised(A, scale, offset, tile_size, signs, p, out, xp):
    """Add the SRHT of the rows of ``A`` to ``out``, vectorised over groups of tiles.

    Only one group (about ``_GROUP_ELEMENTS`` entries) is copied at a time, so the
    memory stays near that of ``A``.
    """
    n_rows, d = A.shape
    where = device(out)
    rows_picked = xp.asarray(p, device=where)
    per_group = max(1, _GROUP_ELEMENTS // (tile_size * max(d, 1)))
    for first in range(0, signs.shape[0], per_group):
        last = min(first + per_group, signs.shape[0])
        lo, hi = _tile_span(first, last, offset, tile_size, n_rows)
        block = A[lo:hi, :] * xp.astype(scale[lo:hi], out.dtype)[:, None]
        front = offset + lo - first * tile_size
        back = (last - first) * tile_size - front - (hi - lo)
        pieces = [block]
        if front:  # rows before the block's first one, in its first tile
            pieces.insert(0, xp.zeros((front, d), dtype=out.dtype, device=where))
        if back:  # rows after its last one, in its last tile
            pieces.append(xp.zeros((back, d), dtype=out.dtype, device=where))
        if len(pieces) > 1:
            block = xp.concat(pieces, axis=0)
        block = xp.reshape(block, (last - first, tile_size, d))
        block = _fwht_vectorised(block, xp, axis=1)
        picked = xp.take(block, rows_picked, axis=1)  # (tiles, m, d)
        group_signs = xp.asarray(signs[first:last], dtype=out.dtype, device=where)
        out = out + xp.sum(group_signs[:, :, None] * picked, axis=0)
    return out


_LEAVES = {
    True: {"fwht": _fwht_numba, "srht_tiles": _srht_tiles_numba},
    False: {"fwht": _fwht_vectorised, "srht_tiles": _srht_tiles_vectorised},
}


def _leaf(name, xp):
    """The innermost step ``name`` for namespace ``xp``: the one place it is chosen.

    NumPy gets the numba kernel (single pass, cache-blocked: several times the
    vectorised butterflies' speed on a CPU), any other namespace the vectorised
    code, which runs on its device.
    """
    return _LEAVES[is_numpy_namespace(xp)][name]


def _next_pow2(n):
    return 1 << max(int(n) - 1, 0).bit_length()


def _parity_signs(q, tiles):
    """``(-1)^popcount(q & t)`` as an array of shape ``(len(tiles), len(q))``."""
    bits = np.bitwise_and(tiles[:, None], q[None, :])
    parity = np.zeros(bits.shape, dtype=np.int64)
    while np.any(bits):
        parity ^= bits & 1
        bits >>= 1
    return 1.0 - 2.0 * parity


def _check_size(value, name, minimum=1):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")
    return int(value)


class _Sketch:
    """Shared machinery: shape, seeding, tiling of the rows, input of any kind.

    Subclasses define ``_tile_size`` (rows per random tile) and
    ``_sketch_block(A, first_row, row_weight, xp)`` for a dense (or, on NumPy,
    sparse) 2-D block of consecutive rows of namespace ``xp``, returning the
    ``(m, d)`` partial sketch in ``A``'s dtype.
    """

    _kind = 0
    # Whether the sketch runs in any array-API namespace, or on NumPy only.
    _array_api = True

    def __init__(self, sketch_size, n_samples, *, random_state=None):
        self.sketch_size = _check_size(sketch_size, "sketch_size")
        self.n_samples = _check_size(n_samples, "n_samples")
        self.random_state = random_state
        self._seed = int(check_random_state(random_state).randint(2**31 - 1))

    @property
    def shape(self):
        """``(sketch_size, n_samples)``: the shape of ``S``."""
        return (self.sketch_size, self.n_samples)

    def __repr__(self):
        return (
            f"{type(self).__name__}(sketch_size={self.sketch_size}, "
            f"n_samples={self.n_samples}, random_state={self.random_state!r})"
        )

    def _tile_rng(self, tile):
        return np.random.default_rng([self._seed, self._kind, int(tile)])

    def _tiles(self, first_row, n_rows):
        """Tiles that rows ``first_row .. first_row + n_rows - 1`` touch."""
        size = self._tile_size
        return range(first_row // size, (first_row + n_rows - 1) // size + 1)

    def _tile_rows(self, tile, first_row, n_rows):
        """``(lo, hi)``: the rows of a block (from ``first_row``) inside ``tile``."""
        size = self._tile_size
        lo = max(tile * size - first_row, 0)
        hi = min((tile + 1) * size - first_row, n_rows)
        return lo, hi

    def apply(self, A, row_weight=None, *, xp=None):
        """Return ``S @ diag(row_weight) @ A``.

        Parameters
        ----------
        A : {ndarray, sparse matrix, dask.array, array-API array} of shape \
                (n_samples,) or (n_samples, d)
            The data. A ``dask.array`` is sketched block by block over its row
            chunks, and only the small result is gathered. Under
            ``array_api_dispatch=True``, a CuPy or torch array (SRHT and
            Gaussian sketches) is sketched in its own namespace and device.
        row_weight : array of shape (n_samples,), default=None
            Weights of the rows of ``A`` (``None``: all ones), in the namespace of
            ``A``; a sketch of ``D A`` with ``D = diag(row_weight)``, ``D A``
            never formed.
        xp : module, default=None
            The namespace of ``A`` when the caller has decided it already; None
            decides it from ``A``.

        Returns
        -------
        SA : ndarray of shape (sketch_size,) or (sketch_size, d)
            In the namespace and on the device of ``A``; float32 stays float32,
            anything else is float64.

        Examples
        --------
        >>> import numpy as np
        >>> from skpapers.sketching import GaussianSketch
        >>> S = GaussianSketch(20, 100, random_state=0)
        >>> A, w = np.ones((100, 2)), np.full(100, 3.0)
        >>> bool(np.allclose(S.apply(A, w), 3 * S.apply(A)))
        True
        """
        if is_dask(A):
            return self._apply_dask(A, row_weight).compute()
        if xp is None:
            xp = dispatch_namespace(A) or np
        return self._apply_rows(A, row_weight, 0, xp, full=True)

    def __matmul__(self, A):
        return self.apply(A)

    def apply_block(self, A_block, first_row):
        """Return ``S[:, first_row:first_row + len(A_block)] @ A_block``.

        The sketch of a matrix is the sum of the ``apply_block`` of its row blocks,
        whatever the blocks.

        Parameters
        ----------
        A_block : {ndarray, sparse matrix} of shape (n_rows,) or (n_rows, d)
        first_row : int
            Index, in the full matrix, of the block's first row.

        Returns
        -------
        SA_block : ndarray of shape (sketch_size,) or (sketch_size, d)
        """
        first_row = _check_size(first_row, "first_row", minimum=0)
        return self._apply_rows(A_block, None, first_row, np, full=False)

    def toarray(self):
        """The dense ``(sketch_size, n_samples)`` matrix ``S`` (small sizes only).

        Examples
        --------
        >>> from skpapers.sketching import CountSketch
        >>> S = CountSketch(3, 5, random_state=0).toarray()
        >>> S.shape, (abs(S) > 0).sum(axis=0).tolist()
        ((3, 5), [1, 1, 1, 1, 1])
        """
        return self.apply(np.eye(self.n_samples))

    def _apply_rows(self, A, row_weight, first_row, xp, full):
        """``S[:, rows] D A`` for rows ``first_row ..`` of ``A`` in namespace ``xp``."""
        numpy = is_numpy_namespace(xp)
        if not (numpy or self._array_api):
            raise ValueError(
                f"{type(self).__name__} has no array-API (CuPy, torch) path: it "
                "builds a SciPy sparse matrix on the host. Use SRHT or "
                "GaussianSketch, or NumPy input."
            )
        if numpy and sp.issparse(A):
            A = sp.csr_matrix(A)
        elif numpy:
            A = np.asarray(A)
        if A.ndim not in (1, 2):
            raise ValueError(f"A must be 1-D or 2-D, got {A.ndim} dimensions.")
        vector = A.ndim == 1
        if vector:
            A = xp.reshape(A, (-1, 1))
        dtype = float_dtype(xp, A)
        A = A.astype(dtype) if sp.issparse(A) else xp.astype(A, dtype, copy=False)
        n_rows = A.shape[0]
        if full and n_rows != self.n_samples:
            raise ValueError(
                f"A has {n_rows} rows but this sketch was built for "
                f"n_samples={self.n_samples}."
            )
        if first_row < 0 or first_row + n_rows > self.n_samples:
            raise ValueError(
                f"Rows {first_row}..{first_row + n_rows - 1} are outside this "
                f"sketch's n_samples={self.n_samples}: build the sketch with "
                "n_samples equal to the number of rows of the data."
            )
        wide = widest_float(xp, device(A) if not numpy else "cpu")
        if row_weight is None:
            where = "cpu" if numpy else device(A)
            row_weight = xp.ones(n_rows, dtype=wide, device=where)
        row_weight = xp.astype(xp.asarray(row_weight), wide, copy=False)
        out = self._sketch_block(A, first_row, row_weight, xp)
        return out[:, 0] if vector else out

    def _apply_dask(self, A, row_weight):
        """The lazy ``(m, d)`` sketch of a ``dask.array``: a sum of block sketches."""
        import dask
        import dask.array as da

        vector = A.ndim == 1
        if vector:
            A = A[:, None]
        if A.numblocks[1] > 1:
            A = A.rechunk({1: -1})
        if A.shape[0] != self.n_samples:
            raise ValueError(
                f"A has {A.shape[0]} rows but this sketch was built for "
                f"n_samples={self.n_samples}."
            )
        row_chunks = A.chunks[0]
        starts = np.concatenate([[0], np.cumsum(row_chunks)[:-1]])
        if row_weight is None:
            weights = [None] * len(row_chunks)
        else:
            weights = dask_rows(row_weight, row_chunks).to_delayed()
        dtype = np.float32 if A.dtype == np.float32 else np.float64
        parts = [
            da.from_delayed(
                dask.delayed(self._apply_rows)(
                    block, weight, int(start), np, full=False
                ),
                shape=(self.sketch_size, A.shape[1]),
                dtype=dtype,
            )
            for block, weight, start in zip(
                A.to_delayed(optimize_graph=False).ravel(), weights, starts, strict=True
            )
        ]
        total = da.stack(parts).sum(axis=0)
        return total[:, 0] if vector else total


class SRHT(_Sketch):
    """Subsampled randomised Hadamard transform ``S = m^{-1/2} P H D``.

    Random signs ``D``, the fast Walsh-Hadamard transform ``H`` along the rows
    (zero-padded to a power of two ``n'``) and ``m`` of the ``n'`` rows sampled
    uniformly without replacement; ``E[S^T S] = I``. ``S @ A`` costs
    ``O(n d log m)`` through a numba FWHT, and neither an ``n x n`` nor an ``m x n``
    matrix is formed. This is a dense sketch: every entry of ``S`` is
    ``+-1/sqrt(m)``, which is what the ``ell_inf`` guarantee of
    :class:`~skpapers.linear_model.SketchedLinearRegression` needs.

    Parameters
    ----------
    sketch_size : int
        Number of rows ``m`` of ``S``, at most ``n'`` (``n_samples`` rounded up to
        a power of two).
    n_samples : int
        Number of rows ``n`` of the matrices it applies to.
    random_state : int, RandomState instance or None, default=None
        Draws the signs and the sampled rows.

    Attributes
    ----------
    padded_size_ : int
        ``n'``, the power of two the rows are padded to.
    tile_size_ : int
        Rows per FWHT tile (a power of two near ``sketch_size``).
    sampled_rows_ : ndarray of shape (sketch_size,)
        The sorted rows of ``H D A`` that ``P`` keeps.

    See Also
    --------
    GaussianSketch : The dense sketch with i.i.d. normal entries.
    fwht : The transform alone.

    References
    ----------
    Z. Song, M. Ye, J. Yin, L. Zhang, "A Nearly-Optimal Bound for Fast Regression
    with ell_infty Guarantee", ICML 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.sketching import SRHT
    >>> A = np.random.default_rng(0).standard_normal((1000, 5))
    >>> S = SRHT(200, 1000, random_state=0)
    >>> SA = S.apply(A)
    >>> SA.shape
    (200, 5)
    >>> bool(np.allclose(S.apply(A[:, 0]), SA[:, 0]))
    True
    """

    _kind = 1

    def __init__(self, sketch_size, n_samples, *, random_state=None):
        super().__init__(sketch_size, n_samples, random_state=random_state)
        self.padded_size_ = _next_pow2(self.n_samples)
        if self.sketch_size > self.padded_size_:
            raise ValueError(
                f"sketch_size={self.sketch_size} exceeds the {self.padded_size_} rows "
                "of the padded Hadamard transform that the SRHT samples from; use a "
                "smaller sketch_size (or a GaussianSketch)."
            )
        self.tile_size_ = min(max(_next_pow2(self.sketch_size), 64), self.padded_size_)
        rng = np.random.default_rng([self._seed, self._kind])
        self.sampled_rows_ = np.sort(
            rng.choice(self.padded_size_, self.sketch_size, replace=False)
        ).astype(np.int64)

    @property
    def _tile_size(self):
        return self.tile_size_

    def _signs(self, first_row, n_rows):
        """The diagonal of ``D`` for rows ``first_row .. first_row + n_rows - 1``."""
        size = self.tile_size_
        tiles = self._tiles(first_row, n_rows)
        signs = np.concatenate(
            [1.0 - 2.0 * self._tile_rng(t).integers(0, 2, size) for t in tiles]
        )
        offset = first_row - tiles[0] * size
        return signs[offset : offset + n_rows]

    def _sketch_block(self, A, first_row, row_weight, xp):
        # FWHT inside each B-row tile, the sampled rows p_r of each tile, then
        # their parity-signed sum over tiles.
        n_rows, d = A.shape
        size = self.tile_size_
        where = "cpu" if is_numpy_namespace(xp) else device(A)
        q, p = np.divmod(self.sampled_rows_, size)
        tiles = np.asarray(self._tiles(first_row, n_rows), dtype=np.int64)
        row_scale = row_weight * xp.asarray(
            self._signs(first_row, n_rows), dtype=row_weight.dtype, device=where
        )
        out = xp.zeros((self.sketch_size, d), dtype=A.dtype, device=where)
        out = _leaf("srht_tiles", xp)(
            A,
            row_scale,
            first_row - int(tiles[0]) * size,
            size,
            _parity_signs(q, tiles),
            p,
            out,
            xp,
        )
        return out / math.sqrt(self.sketch_size)


class GaussianSketch(_Sketch):
    """Dense Gaussian sketch: ``S`` with i.i.d. ``N(0, 1/m)`` entries.

    The reference dense sketch: rotation invariant, so its ``ell_inf`` error does
    not depend on the coherence of ``A``; ``S @ A`` costs ``O(m n d)`` (a GEMM),
    generated and applied in tiles of columns of ``S`` so that the ``m x n`` matrix
    is never held at once.

    Parameters
    ----------
    sketch_size : int
        Number of rows ``m`` of ``S``.
    n_samples : int
        Number of rows ``n`` of the matrices it applies to.
    random_state : int, RandomState instance or None, default=None
        Draws the entries.

    See Also
    --------
    SRHT : The fast dense sketch.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.sketching import GaussianSketch
    >>> S = GaussianSketch(50, 400, random_state=0)
    >>> x = np.ones(400)
    >>> bool(0.5 < np.sum(S.apply(x) ** 2) / 400 < 1.5)
    True
    """

    _kind = 2

    @property
    def _tile_size(self):
        # About 16 MiB of normal draws per tile, fixed by (m, n) only.
        return max(1, min(self.n_samples, (1 << 21) // self.sketch_size))

    def _sketch_block(self, A, first_row, row_weight, xp):
        n_rows, d = A.shape
        size = self._tile_size
        where = "cpu" if is_numpy_namespace(xp) else device(A)
        out = xp.zeros((self.sketch_size, d), dtype=row_weight.dtype, device=where)
        for t in self._tiles(first_row, n_rows):
            lo, hi = self._tile_rows(t, first_row, n_rows)
            tile = self._tile_rng(t).standard_normal((self.sketch_size, size))
            cols = slice(first_row + lo - t * size, first_row + hi - t * size)
            G = xp.asarray(tile[:, cols], dtype=row_weight.dtype, device=where)
            G = xp.astype(G * row_weight[lo:hi], A.dtype, copy=False)
            block = A[lo:hi, :]
            part = (block.T @ G.T).T if sp.issparse(block) else G @ block
            out = out + xp.astype(part, out.dtype, copy=False)
        return xp.astype(out / math.sqrt(self.sketch_size), A.dtype, copy=False)


class _HashedSketch(_Sketch):
    """Sparse sketches: each column of ``S`` has ``k`` nonzeros ``+-1/sqrt(k)``."""

    _array_api = False

    @property
    def _tile_size(self):
        return min(self.n_samples, 1 << 16)

    def _sketch_block(self, A, first_row, row_weight, xp):
        n_rows, d = A.shape
        k = self._nnz_per_column
        size = self._tile_size
        buckets, signs = [], []
        for t in self._tiles(first_row, n_rows):
            rng = self._tile_rng(t)
            tile_buckets = self._draw_buckets(rng, size)
            tile_signs = 1.0 - 2.0 * rng.integers(0, 2, (size, k))
            lo, hi = self._tile_rows(t, first_row, n_rows)
            rows = slice(first_row + lo - t * size, first_row + hi - t * size)
            buckets.append(tile_buckets[rows])
            signs.append(tile_signs[rows])
        buckets = np.concatenate(buckets)
        values = np.concatenate(signs) * (row_weight[:, None] / np.sqrt(k))
        S = sp.csr_matrix(
            (
                values.ravel().astype(A.dtype),
                (buckets.ravel(), np.repeat(np.arange(n_rows), k)),
            ),
            shape=(self.sketch_size, n_rows),
        )
        out = S @ A
        return np.asarray(out.toarray() if sp.issparse(out) else out, dtype=A.dtype)


class CountSketch(_HashedSketch):
    """CountSketch: each row of ``A`` is added, with a random sign, to one bucket.

    ``S`` has one nonzero ``+-1`` per column, so ``S @ A`` costs ``O(nnz(A))``; it
    is the sketch of ``scipy.linalg.clarkson_woodruff_transform``. It is a subspace
    embedding with ``m = O(d^2)`` rows, but it is sparse: it cannot give the
    ``ell_inf`` guarantee at the dense sketches' ``m`` (see the ``sketched_linf``
    experiment).

    Parameters
    ----------
    sketch_size : int
        Number of buckets ``m``.
    n_samples : int
        Number of rows ``n`` of the matrices it applies to.
    random_state : int, RandomState instance or None, default=None
        Draws the buckets and the signs.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.sketching import CountSketch
    >>> S = CountSketch(4, 6, random_state=0)
    >>> SA = S.apply(np.arange(6.0))
    >>> float(abs(SA).sum()) <= 15.0
    True
    """

    _kind = 3
    _nnz_per_column = 1

    def _draw_buckets(self, rng, size):
        return rng.integers(0, self.sketch_size, (size, 1))


class SparseSignSketch(_HashedSketch):
    """Sparse sign embedding: ``k`` distinct random rows of ``+-1/sqrt(k)`` per column.

    Between CountSketch (``k = 1``) and a dense sign matrix (``k = m``); with small
    ``k`` (8 by default) it is still a sparse sketch, ``S @ A`` in ``O(k nnz(A))``.

    Parameters
    ----------
    sketch_size : int
        Number of rows ``m``.
    n_samples : int
        Number of rows ``n`` of the matrices it applies to.
    nnz_per_column : int, default=8
        Nonzeros ``k`` per column, at most ``sketch_size``.
    random_state : int, RandomState instance or None, default=None
        Draws the rows and the signs.

    Examples
    --------
    >>> from skpapers.sketching import SparseSignSketch
    >>> S = SparseSignSketch(20, 50, nnz_per_column=4, random_state=0).toarray()
    >>> sorted(set((S != 0).sum(axis=0).tolist()))
    [4]
    """

    _kind = 4

    def __init__(self, sketch_size, n_samples, *, nnz_per_column=8, random_state=None):
        super().__init__(sketch_size, n_samples, random_state=random_state)
        self.nnz_per_column = _check_size(nnz_per_column, "nnz_per_column")
        if self.nnz_per_column > self.sketch_size:
            raise ValueError(
                f"nnz_per_column={self.nnz_per_column} exceeds "
                f"sketch_size={self.sketch_size}."
            )

    @property
    def _nnz_per_column(self):
        return self.nnz_per_column

    def _draw_buckets(self, rng, size):
        k = self.nnz_per_column
        if k == self.sketch_size:
            return np.tile(np.arange(k), (size, 1))
        buckets = rng.integers(0, self.sketch_size, (size, k))
        # Redraw every column that repeats a row until all k rows are distinct:
        # uniform over the k-subsets, as the embedding's analysis assumes.
        while True:
            ordered = np.sort(buckets, axis=1)
            bad = np.flatnonzero(np.any(ordered[:, 1:] == ordered[:, :-1], axis=1))
            if bad.size == 0:
                return buckets
            buckets[bad] = rng.integers(0, self.sketch_size, (bad.size, k))

    def __repr__(self):
        return super().__repr__()[:-1] + f", nnz_per_column={self.nnz_per_column})"


class _IdentitySketch(_Sketch):
    """``S = I_n``: what a sketch with as many rows as the data reduces to."""

    _tile_size = 1 << 16

    def __init__(self, n_samples):
        super().__init__(n_samples, n_samples, random_state=0)

    def _sketch_block(self, A, first_row, row_weight, xp):
        block = A.toarray() if sp.issparse(A) else A
        block = block * xp.astype(row_weight, A.dtype)[:, None]
        if first_row == 0 and A.shape[0] == self.n_samples:
            return block
        out = np.zeros((self.sketch_size, A.shape[1]), dtype=A.dtype)
        out[first_row : first_row + A.shape[0]] = block
        return out


#: The sketches by the names the estimators take.
SKETCHES = {
    "srht": SRHT,
    "gaussian": GaussianSketch,
    "countsketch": CountSketch,
    "sparse_sign": SparseSignSketch,
}


def make_sketch(name, sketch_size, n_samples, random_state=None):
    """The sketch called ``name``, or the identity when it would keep every row.

    Parameters
    ----------
    name : {"srht", "gaussian", "countsketch", "sparse_sign"}
        The sketch (a key of ``SKETCHES``); ``"sparse_sign"`` takes 8 nonzeros
        per column, or all the rows of a smaller sketch.
    sketch_size : int
        Rows ``m`` of the sketch. With ``m >= n_samples`` a sketch brings
        nothing, and the identity (the exact problem) is returned.
    n_samples : int
        Rows ``n`` of the data it applies to.
    random_state : int, RandomState instance or None, default=None
        Draws the sketch.

    Returns
    -------
    sketch : sketch operator
        With ``apply(A, row_weight=None)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.sketching import make_sketch
    >>> make_sketch("srht", 16, 100, random_state=0)
    SRHT(sketch_size=16, n_samples=100, random_state=0)
    >>> A = np.arange(6.0).reshape(3, 2)
    >>> make_sketch("gaussian", 5, 3).apply(A).tolist()
    [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    """
    if name not in SKETCHES:
        raise ValueError(f"Unknown sketch {name!r}; expected one of {list(SKETCHES)}.")
    if sketch_size >= n_samples:
        return _IdentitySketch(n_samples)
    if name == "sparse_sign":
        return SparseSignSketch(
            sketch_size,
            n_samples,
            nnz_per_column=min(8, sketch_size),
            random_state=random_state,
        )
    return SKETCHES[name](sketch_size, n_samples, random_state=random_state)


def fwht(A):
    """Unnormalised fast Walsh-Hadamard transform ``H_n A`` along axis 0.

    ``H_n`` is the Sylvester-ordered Hadamard matrix of ``scipy.linalg.hadamard``
    (entries ``+-1``); ``n = A.shape[0]`` must be a power of two. A numba kernel,
    ``O(n d log n)``, cache-blocked; under ``array_api_dispatch=True`` a CuPy or
    torch array is transformed in its own namespace, on its device, by ``log2 n``
    vectorised butterfly steps.

    Parameters
    ----------
    A : array-like of shape (n,) or (n, d)

    Returns
    -------
    HA : ndarray of the same shape, float64 (float32 stays float32)
        In the namespace and on the device of ``A``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import hadamard
    >>> from skpapers.sketching import fwht
    >>> x = np.arange(8.0)
    >>> bool(np.allclose(fwht(x), hadamard(8) @ x))
    True
    """
    xp = dispatch_namespace(A) or np
    if is_numpy_namespace(xp):
        A = np.asarray(A)
    n = A.shape[0] if A.ndim else 0
    if A.ndim not in (1, 2) or n == 0 or n & (n - 1):
        raise ValueError(
            f"fwht needs a 1-D or 2-D array whose length along axis 0 is a power "
            f"of two, got shape {tuple(A.shape)}; zero-pad the rows first."
        )
    return _leaf("fwht", xp)(xp.astype(A, float_dtype(xp, A), copy=False), xp)
