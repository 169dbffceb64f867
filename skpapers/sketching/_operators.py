"""Sketching operators: random linear maps ``S`` of shape ``(m, n)`` with ``m << n``.

Every operator here is an oblivious subspace embedding, ``E[S^T S] = I_n``, drawn
once from its ``random_state`` and then reusable: ``S.apply(A)`` and
``S.apply(b)`` use the same ``S``, which is what sketch-and-solve needs.

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
neither ``H`` nor ``S`` is ever formed.

Array-API path (CuPy, torch, ...)
---------------------------------
Under ``sklearn.config_context(array_api_dispatch=True)``, :class:`SRHT` and
:class:`GaussianSketch` apply to arrays of any array-API namespace and return the
sketch in that namespace, on that device. The random numbers are drawn on the
host from the same tile generators, so ``S`` is *the same matrix* as on NumPy.
The SRHT runs the tiled formula above, vectorised over groups of whole tiles: a
group of ``D A`` rows (only the last tile zero-padded) is viewed as
``(tiles, B, d)``, transformed by ``log2 B`` butterfly steps along its middle
axis (each one reshape to ``(tiles, B / 2h, 2, h, d)`` and one stack of the
half-sums and half-differences; :func:`fwht` does the same along the rows of a
non-NumPy array), the sampled rows ``p_r`` of every tile are gathered and summed
over tiles with the signs ``H_{n'/B}[q_r, t]``: ``O(n d log B + (n / B) m d)`` work, and
besides ``A`` only one group of tiles (``_XP_GROUP_ELEMENTS`` entries) and the
``m x d`` sketch in memory. The Gaussian sketch moves each host tile of ``S``
to the device for one GEMM (the draws cost ``O(m n)`` on the host, so it is
there for agreement, not speed).
The sparse sketches build SciPy sparse matrices and have no such path.
"""

import math
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state

from ..utils import device
from ..utils._array_api import dispatch_namespace, widest_float
from . import _kernels

_MAX_SEED = 2**63 - 1
# Entries of A copied at a time by the array-API SRHT (whole tiles): 32 MiB of
# float64, so the transform's temporaries stay a small fraction of a large A.
_XP_GROUP_ELEMENTS = 1 << 22


def _is_dask(A):
    return type(A).__module__.split(".")[0] == "dask"


def _dask_rows(a, row_chunks):
    """``a`` (NumPy or Dask) as a ``dask.array`` with the row chunks ``row_chunks``."""
    import dask.array as da

    chunks = (tuple(row_chunks),) + tuple((size,) for size in a.shape[1:])
    if _is_dask(a):
        return a if a.chunks == chunks else a.rechunk(chunks)
    return da.from_array(np.asarray(a), chunks=chunks)


def _xp_float(A, xp):
    """float32 stays float32, anything else the widest float of ``A``'s device.

    The NumPy path's rule (float16 and integers go to float64 there too).
    """
    if A.dtype == xp.float32:
        return xp.float32
    return widest_float(xp, device(A))


def _xp_fwht(A, xp, axis=0):
    """``H_n A`` along ``axis`` for an array of namespace ``xp`` (n a power of two).

    Step ``h = 1, 2, 4, ...`` views that axis as ``(n / 2h, 2, h)`` blocks and
    replaces each pair of half-blocks ``(a, b)`` by ``(a + b, a - b)``: the
    butterflies of the numba kernel, one vectorised operation per stride.
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
    """Shared machinery: shape, seeding, tiling of the rows, dense/sparse/Dask input.

    Subclasses define ``_tile_size`` (rows per random tile) and
    ``_sketch_block(A, first_row, row_weight)`` for a dense or sparse
    2-D block of consecutive rows, returning the ``(m, d)`` partial sketch.
    """

    _kind = 0

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

    def _check_rows(self, n_rows, first_row=0):
        if first_row < 0 or first_row + n_rows > self.n_samples:
            raise ValueError(
                f"Rows {first_row}..{first_row + n_rows - 1} are outside this "
                f"sketch's n_samples={self.n_samples}: build the sketch with "
                "n_samples equal to the number of rows of the data."
            )

    def apply(self, A):
        """Return ``S @ A``.

        Parameters
        ----------
        A : {ndarray, sparse matrix, dask.array, array-API array} of shape \
                (n_samples,) or (n_samples, d)
            The data. A ``dask.array`` is sketched block by block over its row
            chunks, and only the small result is gathered. Under
            ``array_api_dispatch=True``, a CuPy or torch array (SRHT and
            Gaussian sketches) is sketched in its own namespace and device.

        Returns
        -------
        SA : ndarray of shape (sketch_size,) or (sketch_size, d)
            In the namespace and on the device of ``A``.
        """
        return self._apply(A, None)

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
        return self._apply_in_memory(A_block, None, first_row, full=False)

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

    def _apply(self, A, row_weight):
        if _is_dask(A):
            return self._apply_dask(A, row_weight).compute()
        xp = dispatch_namespace(A)
        if xp is not None:
            return self._apply_xp(A, row_weight, xp)
        return self._apply_in_memory(A, row_weight, 0)

    def _apply_xp(self, A, row_weight, xp):
        """``S @ A`` for an array of a non-NumPy namespace (SRHT, Gaussian)."""
        raise ValueError(
            f"{type(self).__name__} has no array-API (CuPy, torch) path: it builds "
            "a SciPy sparse matrix on the host. Use SRHT or GaussianSketch, or "
            "NumPy input."
        )

    def _xp_input(self, A, row_weight, xp):
        """``(A as 2-D, was it 1-D, row weights on A's device, dtype)``, checked."""
        if A.ndim not in (1, 2):
            raise ValueError(f"A must be 1-D or 2-D, got {A.ndim} dimensions.")
        vector = A.ndim == 1
        if vector:
            A = xp.reshape(A, (-1, 1))
        if A.shape[0] != self.n_samples:
            raise ValueError(
                f"A has {A.shape[0]} rows but this sketch was built for "
                f"n_samples={self.n_samples}."
            )
        dtype = _xp_float(A, xp)
        A = xp.astype(A, dtype, copy=False)
        if row_weight is not None:
            row_weight = xp.astype(row_weight, dtype, copy=False)
        return A, vector, row_weight, dtype

    def _apply_in_memory(self, A, row_weight, first_row, full=True):
        if sp.issparse(A):
            A = sp.csr_matrix(A)
            if not np.issubdtype(A.dtype, np.floating):
                A = A.astype(np.float64)
        else:
            A = np.asarray(A)
            if not np.issubdtype(A.dtype, np.floating):
                A = A.astype(np.float64)
        vector = A.ndim == 1
        if vector:
            A = A.reshape(-1, 1)
        if A.ndim != 2:
            raise ValueError(f"A must be 1-D or 2-D, got {A.ndim} dimensions.")
        n_rows = A.shape[0]
        if full and n_rows != self.n_samples:
            raise ValueError(
                f"A has {n_rows} rows but this sketch was built for "
                f"n_samples={self.n_samples}."
            )
        self._check_rows(n_rows, first_row)
        if row_weight is None:
            row_weight = np.ones(n_rows)
        out = self._sketch_block(A, first_row, row_weight)
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
            weights = _dask_rows(row_weight, row_chunks).to_delayed()
        dtype = np.result_type(A.dtype, np.float32)
        parts = [
            da.from_delayed(
                dask.delayed(self._apply_in_memory)(
                    block, weight, int(start), full=False
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


def _float_dtype(A):
    return A.dtype if A.dtype in (np.float32, np.float64) else np.float64


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

    def _sketch_block(self, A, first_row, row_weight):
        n_rows, d = A.shape
        tiles = np.asarray(self._tiles(first_row, n_rows), dtype=np.int64)
        size = self.tile_size_
        q, p = np.divmod(self.sampled_rows_, size)
        row_scale = self._signs(first_row, n_rows) * row_weight
        dtype = _float_dtype(A)
        if sp.issparse(A):
            # Densify one tile at a time: the FWHT output is dense anyway.
            out = np.zeros((self.sketch_size, d), dtype=np.float64)
            for t in tiles:
                lo = max(t * size - first_row, 0)
                hi = min((t + 1) * size - first_row, n_rows)
                out += self._sketch_dense(
                    A[lo:hi].toarray().astype(dtype, copy=False),
                    row_scale[lo:hi],
                    first_row + lo,
                    q,
                    p,
                )
        else:
            out = self._sketch_dense(
                np.ascontiguousarray(A, dtype=dtype),
                row_scale,
                first_row,
                q,
                p,
            )
        return (out / np.sqrt(self.sketch_size)).astype(dtype, copy=False)

    def _sketch_dense(self, A, row_scale, first_row, q, p):
        tiles = np.asarray(self._tiles(first_row, A.shape[0]), dtype=np.int64)
        signs = _parity_signs(q, tiles).astype(A.dtype)
        out = np.zeros((self.sketch_size, A.shape[1]), dtype=A.dtype)
        _kernels.srht_accumulate(
            A,
            row_scale.astype(A.dtype),
            first_row,
            self.tile_size_,
            int(tiles[0]),
            signs,
            p,
            out,
        )
        return out.astype(np.float64, copy=False)

    def _apply_xp(self, A, row_weight, xp):
        # The numba kernel's formula, vectorised over groups of whole tiles: FWHT
        # inside each B-row tile, the sampled rows p_r of each tile, then their
        # parity-signed sum over tiles. Only one group (about _XP_GROUP_ELEMENTS
        # entries) is copied at a time, so the memory stays near that of A.
        A, vector, row_weight, dtype = self._xp_input(A, row_weight, xp)
        where = device(A)
        n, d = A.shape
        size = self.tile_size_
        q, p = np.divmod(self.sampled_rows_, size)
        rows = xp.asarray(p, device=where)
        n_tiles = -(-n // size)
        per_group = max(1, _XP_GROUP_ELEMENTS // (size * max(d, 1)))
        out = xp.zeros((self.sketch_size, d), dtype=dtype, device=where)
        for first in range(0, n_tiles, per_group):
            tiles = np.arange(first, min(first + per_group, n_tiles), dtype=np.int64)
            lo, hi = first * size, min((first + tiles.shape[0]) * size, n)
            scale = xp.asarray(self._signs(lo, hi - lo), dtype=dtype, device=where)
            if row_weight is not None:
                scale = scale * row_weight[lo:hi]
            block = A[lo:hi, :] * scale[:, None]
            padding = tiles.shape[0] * size - (hi - lo)
            if padding:  # only in the last tile
                zeros = xp.zeros((padding, d), dtype=dtype, device=where)
                block = xp.concat((block, zeros), axis=0)
            block = _xp_fwht(xp.reshape(block, (tiles.shape[0], size, d)), xp, axis=1)
            picked = xp.take(block, rows, axis=1)  # (tiles, m, d)
            signs = xp.asarray(_parity_signs(q, tiles), dtype=dtype, device=where)
            out = out + xp.sum(signs[:, :, None] * picked, axis=0)
        out = out / math.sqrt(self.sketch_size)
        return out[:, 0] if vector else out


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

    def _sketch_block(self, A, first_row, row_weight):
        n_rows, d = A.shape
        dtype = _float_dtype(A)
        size = self._tile_size
        out = np.zeros((self.sketch_size, d), dtype=np.float64)
        for t in self._tiles(first_row, n_rows):
            lo = max(t * size - first_row, 0)
            hi = min((t + 1) * size - first_row, n_rows)
            tile = self._tile_rng(t).standard_normal((self.sketch_size, size))
            cols = slice(first_row + lo - t * size, first_row + hi - t * size)
            G = (tile[:, cols] * row_weight[lo:hi]).astype(dtype, copy=False)
            block = A[lo:hi]
            out += (block.T @ G.T).T if sp.issparse(block) else G @ block
        return (out / np.sqrt(self.sketch_size)).astype(dtype, copy=False)

    def _apply_xp(self, A, row_weight, xp):
        A, vector, row_weight, dtype = self._xp_input(A, row_weight, xp)
        where = device(A)
        n, d = A.shape
        size = self._tile_size
        out = xp.zeros(
            (self.sketch_size, d), dtype=widest_float(xp, where), device=where
        )
        for t in self._tiles(0, n):
            lo, hi = t * size, min((t + 1) * size, n)
            tile = self._tile_rng(t).standard_normal((self.sketch_size, size))
            G = xp.asarray(tile[:, : hi - lo], dtype=dtype, device=where)
            if row_weight is not None:
                G = G * row_weight[lo:hi]
            out = out + xp.astype(G @ A[lo:hi, :], out.dtype)
        out = xp.astype(out / math.sqrt(self.sketch_size), dtype)
        return out[:, 0] if vector else out


class _HashedSketch(_Sketch):
    """Sparse sketches: each column of ``S`` has ``k`` nonzeros ``+-1/sqrt(k)``."""

    @property
    def _tile_size(self):
        return min(self.n_samples, 1 << 16)

    def _sketch_block(self, A, first_row, row_weight):
        n_rows, d = A.shape
        dtype = _float_dtype(A)
        k = self._nnz_per_column
        size = self._tile_size
        buckets, signs = [], []
        for t in self._tiles(first_row, n_rows):
            rng = self._tile_rng(t)
            tile_buckets = self._draw_buckets(rng, size)
            tile_signs = 1.0 - 2.0 * rng.integers(0, 2, (size, k))
            lo = max(t * size - first_row, 0)
            hi = min((t + 1) * size - first_row, n_rows)
            rows = slice(first_row + lo - t * size, first_row + hi - t * size)
            buckets.append(tile_buckets[rows])
            signs.append(tile_signs[rows])
        buckets = np.concatenate(buckets)
        values = np.concatenate(signs) * (row_weight[:, None] / np.sqrt(k))
        S = sp.csr_matrix(
            (
                values.ravel().astype(dtype),
                (buckets.ravel(), np.repeat(np.arange(n_rows), k)),
            ),
            shape=(self.sketch_size, n_rows),
        )
        out = S @ A
        return np.asarray(out.toarray() if sp.issparse(out) else out, dtype=dtype)


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

    _kind = 0
    _tile_size = 1 << 16

    def __init__(self, n_samples):
        super().__init__(n_samples, n_samples, random_state=0)

    def _sketch_block(self, A, first_row, row_weight):
        dtype = _float_dtype(A)
        out = np.zeros((self.sketch_size, A.shape[1]), dtype=dtype)
        block = A.toarray() if sp.issparse(A) else A
        out[first_row : first_row + A.shape[0]] = block * row_weight[:, None]
        return out

    def _apply_xp(self, A, row_weight, xp):
        A, vector, row_weight, _ = self._xp_input(A, row_weight, xp)
        out = A if row_weight is None else A * row_weight[:, None]
        return out[:, 0] if vector else out


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
    xp = dispatch_namespace(A)
    if xp is None:
        A = np.asarray(A)
    n = A.shape[0] if A.ndim else 0
    if A.ndim not in (1, 2) or n == 0 or n & (n - 1):
        raise ValueError(
            f"fwht needs a 1-D or 2-D array whose length along axis 0 is a power "
            f"of two, got shape {tuple(A.shape)}; zero-pad the rows first."
        )
    if xp is not None:
        return _xp_fwht(xp.astype(A, _xp_float(A, xp), copy=False), xp)
    dtype = A.dtype if A.dtype in (np.float32, np.float64) else np.float64
    X = np.array(A.reshape(n, -1), dtype=dtype, order="C")
    _kernels.fwht_inplace(X)
    return X.reshape(A.shape)
