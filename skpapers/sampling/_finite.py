"""Projection DPP, volume-rescaled and optimal i.i.d. sampling on a finite pool.

Model (Nouy & Michel). A space V_m spanned by features phi_1..phi_m orthonormal in
L^2(mu); k_m(x) = ||phi(x)||^2; weighted least squares on points x_1..x_n,

    a_hat = argmin_a sum_i w(x_i) (y_i - phi(x_i)^T a)^2,   w = m / k_m.

On a pool of N candidates mu is the empirical measure (1/N) sum_a delta_{x_a}.
Given raw features F (N x p), an orthonormal basis Q (N x m, Q^T Q = I,
m = rank F) of their column span (Cholesky QR twice when F is well conditioned,
a rank-revealing pivoted QR otherwise: the kernel Q Q^T is the same);
phi(x_a) = sqrt(N) Q_a is orthonormal in L^2(mu), k_m(x_a) = N ||Q_a||^2 (N times
the leverage score) and the optimal density rho = (k_m / m) dmu puts mass
||Q_a||^2 / m on candidate a.

Projection DPP, chain rule. The kernel K(x, y) = phi(x)^T phi(y) (on the pool, the
matrix Q Q^T) gives m points whose ordered joint density w.r.t. mu^m is
det[K(x_i, x_j)] / m! = det(Phi^T Phi) / m!, Phi = [phi(x_1), ..., phi(x_m)].
Base times height, det(Phi^T Phi) = prod_i ||(I - P_{i-1}) phi(x_i)||^2 with P_{i-1}
the orthogonal projector onto span{phi(x_1), ..., phi(x_{i-1})}. Integrating out
the later points leaves the conditionals

    x_i | x_1..x_{i-1}  ~  ||(I - P_{i-1}) phi(x)||^2 / (m - i + 1) dmu,

normalised because int phi^T (I - P) phi dmu = tr(I - P) = m - i + 1; x_1 ~ k_m / m.
Two exact ways to draw each conditional:

* incremental Gram-Schmidt ("gram_schmidt"): keep the residual norms
  d_a = ||(I - P_{i-1}) Q_a||^2 of all N rows, draw a with probability d_a / sum d,
  orthonormalise Q_a against the chosen directions into e_i and downdate
  d_b -= (Q_b^T e_i)^2: O(N m) per point, O(N m^2) per sample;
* rejection ("rejection", the default): since ||(I - P) phi||^2 <= k_m, propose x
  from rho and accept with probability ||(I - P_{i-1}) phi(x)||^2 / k_m(x). Step i
  accepts (m - i + 1) / m of its proposals on average, so a sample costs
  m H_m ~ m log m proposals of O(m i) work each: O(m^3 log m), whatever N, once
  the leverage scores are tabulated. The same loop samples a continuous domain.

Volume-rescaled sampling of n >= m points has density proportional to
det(sum_i w(x_i) phi(x_i) phi(x_i)^T) prod_i rho(x_i). Cauchy-Binet expands the
determinant over the m-subsets S of positions, and w rho = 1 (w.r.t. mu), so the
density is the uniform mixture over S of a projection DPP on the positions S and
i.i.d. rho elsewhere: m DPP points and n - m optimal i.i.d. points in random order
(normalising constant (n - m)! / n!).

On a device (CuPy, torch, ... under ``array_api_dispatch=True``) the chain rule
runs by incremental Gram-Schmidt, each step a handful of O(N m) array operations
(one product Q e_i, one cumulative sum, one ``searchsorted``) with no transfer to
the host: the per-step uniforms are drawn on the host from the same generator as
on NumPy, so the device sample equals the NumPy ``"gram_schmidt"`` sample for
the same seed (to the rounding of the cumulative sums). The orthonormal basis is
``Q_F U_k`` from ``F = Q_F R`` and ``R = U S V^T`` truncated at the numerical
rank (the standard has no pivoted QR): another basis of the same span, hence the
same kernel Q Q^T and the same residual norms.

Repeated DPP: l independent DPP samples, n = l m. For one DPP,
E sum_i w(x_i) phi(x_i) phi(x_i)^T = int w phi phi^T k_m dmu = m I, so the Gram
matrix G = (1/n) sum_i w(x_i) phi(x_i) phi(x_i)^T has E G = I for every strategy;
repetitions stop once ||G - I||_2 <= delta.
"""

import math

import numpy as np
from scipy.linalg import cholesky, qr
from scipy.linalg.blas import dsyrk, dtrsm

from ..utils import device, is_numpy_namespace
from ..utils._array_api import dispatch_namespace, truncated_svd_of_r, widest_float
from ._base import _BaseSampler
from ._kernels import RESIDUAL_FLOOR, chain_rule_gram_schmidt, chain_rule_rejection

DPP_METHODS = ("rejection", "gram_schmidt")
# Q^T Q = I to this accuracy counts as orthonormal: leverage scores and the DPP
# kernel Q Q^T are then exact to about as much, far below any sampling effect.
ORTHONORMAL_TOL = 1e-13


def orthonormal_pool_basis(features, rtol=None):
    """Orthonormal basis Q of the column span of ``features``.

    Well-conditioned NumPy features are orthonormalised by Cholesky QR done
    twice (level-3 BLAS only); ill-conditioned or rank-deficient ones by a
    rank-revealing pivoted QR. Both give a basis of the same span, hence the
    same projection Q Q^T, leverage scores and DPP.

    Parameters
    ----------
    features : array-like of shape (N, p)
        Under ``array_api_dispatch=True``, a CuPy or torch array is
        orthonormalised on its device (QR, then an SVD of the p x p factor R
        for the numerical rank).
    rtol : float or None, default=None
        Columns whose pivot (singular value, on a device) is below ``rtol`` times
        the largest are dropped (numerical rank); None uses ``max(N, p) * eps``.

    Returns
    -------
    Q : ndarray of shape (N, m)
        Orthonormal columns, m the numerical rank of ``features``, in the
        namespace and on the device of ``features``.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.sampling import orthonormal_pool_basis
    >>> x = np.linspace(-1, 1, 50)
    >>> F = np.column_stack([np.ones(50), x, 3 * x - 1])  # rank 2
    >>> Q = orthonormal_pool_basis(F)
    >>> Q.shape
    (50, 2)
    >>> bool(np.allclose(Q.T @ Q, np.eye(2)))
    True
    >>> bool(np.allclose(Q @ (Q.T @ F), F))      # same column span as F
    True
    """
    xp = dispatch_namespace(features)
    if xp is None:
        xp, features = np, np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] == 0 or features.shape[1] == 0:
        raise ValueError(
            "features must be a non-empty 2-D array, got shape "
            f"{tuple(features.shape)}."
        )
    features = xp.astype(features, widest_float(xp, device(features)))
    if not bool(xp.all(xp.isfinite(features))):
        raise ValueError("features contain NaN or infinity.")
    if is_numpy_namespace(xp):
        if rtol is None:
            rtol = max(features.shape) * np.finfo(np.float64).eps
        Q = _cholesky_qr2(features, max_condition=min(1e5, 0.01 / rtol))
        if Q is not None:
            return Q
        # ill-conditioned or rank-deficient features: rank-revealing pivoted QR
        # (the standard has none: a device orthonormalises through the SVD of R
        # instead, another basis of the same span, the same kernel Q Q^T)
        Q, R, _ = qr(features, mode="economic", pivoting=True)
        pivots = np.abs(np.diag(R))
        rank = int(np.sum(pivots > rtol * pivots[0])) if pivots[0] > 0 else 0
        Q = Q[:, :rank]
    else:
        Q, U, _, _ = truncated_svd_of_r(features, xp, rtol)
        Q, rank = Q @ U, U.shape[1]
    if rank == 0:
        raise ValueError("features are all zero: the space V_m is empty.")
    return Q


def _cholesky_qr2(F, max_condition):
    """Q of ``F = Q R`` by Cholesky QR, twice, or None if F is ill-conditioned.

    One pass is ``R = chol(F^T F)``, ``Q = F R^{-1}``: a symmetric rank-k update
    and a triangular solve, both level-3 BLAS (GEMM speed; a Householder QR with
    pivoting runs largely at matrix-vector speed, 2-3x slower on a 20,000 x 100
    pool). Squaring the condition number costs one pass about
    eps cond(F)^2 of orthogonality; a second pass on Q (condition number close
    to 1) restores it to rounding (CholeskyQR2: Yamamoto et al., 2015). Only
    used when cond(F) <= ``max_condition``, where the pivoted QR would keep
    every column too (so m and the kernel Q Q^T are the same); otherwise the
    caller falls back to the rank-revealing pivoted QR. The second pass's
    triangular solve is skipped when its factor is the identity to
    ``ORTHONORMAL_TOL`` (a well-conditioned pool, cond(F)^2 eps below it).
    """
    Q = F
    for second in (False, True):
        gram = dsyrk(1.0, Q, trans=1)  # upper triangle of Q^T Q
        try:
            R = cholesky(gram, lower=False, check_finite=False)
        except np.linalg.LinAlgError:
            return None
        if second and np.max(np.abs(R - np.eye(R.shape[0]))) <= ORTHONORMAL_TOL:
            return Q  # the first pass was already orthonormal to rounding
        singular = np.linalg.svd(R, compute_uv=False)
        if not singular[-1] * max_condition > singular[0]:
            return None
        Q = dtrsm(1.0, R, Q, side=1, lower=0)  # Q R^{-1}
    return Q


def draw_from_cdf(cdf, uniforms, xp=np):
    """Indices a with probability (cdf[a] - cdf[a-1]) / cdf[-1], by inversion.

    ``cdf`` may live on a device, an array of namespace ``xp``; ``uniforms`` are
    host draws. A target that rounds up to ``cdf[-1]`` gets the last index of
    positive mass (the first with ``cdf[a] == cdf[-1]``), never a trailing
    zero-mass index, as the numba chain rule does.
    """
    if is_numpy_namespace(xp):
        last = np.searchsorted(cdf, cdf[-1], side="left")
        return np.minimum(np.searchsorted(cdf, uniforms * cdf[-1], side="right"), last)
    targets = xp.asarray(uniforms, dtype=cdf.dtype, device=device(cdf)) * cdf[-1]
    index = xp.searchsorted(cdf, targets, side="right")
    last = xp.searchsorted(cdf, cdf[-1:], side="left")
    return xp.where(index < last, index, last)


def _expected_proposals(m, n_chosen):
    """Expected remaining rejection proposals: sum_{i > n_chosen} m / (m - i + 1)."""
    return m * np.sum(1.0 / np.arange(1, m - n_chosen + 1))


def projection_dpp_gram_schmidt(Q, uniforms, xp):
    """Chain rule by incremental Gram-Schmidt over the pool, in any namespace.

    Every step stays on ``Q``'s device: the residual norms are downdated by the
    new direction (one product ``Q e_i``), and the next point is the first whose
    cumulative residual exceeds ``u_i`` times the total (``cumulative_sum`` and
    ``searchsorted``). NumPy arrays go to the numba kernel
    ``_kernels.chain_rule_gram_schmidt``, which walks the pool the same way
    (the same sample for the same uniforms) about 5x faster.

    Parameters
    ----------
    Q : array of shape (N, m)
        Orthonormal columns, of namespace ``xp``.
    uniforms : ndarray of shape (m,)
        One host uniform per step.
    xp : namespace

    Returns
    -------
    chosen : array of shape (m,) of int64, on ``Q``'s device
        The sample, in chain-rule order.
    """
    if is_numpy_namespace(xp):
        return chain_rule_gram_schmidt(Q, uniforms)
    N, m = Q.shape
    where = device(Q)
    norm2 = xp.sum(Q * Q, axis=1)
    floor = RESIDUAL_FLOOR * norm2
    rows = xp.arange(N, device=where)
    residual2 = norm2
    u = xp.asarray(uniforms, dtype=Q.dtype, device=where)  # one transfer, not m
    directions, chosen = [], []
    for i in range(m):
        pick = draw_from_cdf(xp.cumulative_sum(residual2), u[i : i + 1], xp)
        chosen.append(pick)
        if i == m - 1:
            break
        r = xp.take(Q, pick, axis=0)[0, :]
        if directions:
            E = xp.stack(directions)
            r = r - (E @ r) @ E
            r = r - (E @ r) @ E
        directions.append(r / xp.linalg.vector_norm(r))
        residual2 = residual2 - (Q @ directions[-1]) ** 2
        drop = (residual2 <= floor) | (rows == pick)
        residual2 = xp.where(drop, xp.zeros_like(residual2), residual2)
    return xp.astype(xp.concat(chosen), xp.int64)


def projection_dpp_rejection(proposal_features, m, rng):
    """Chain rule by rejection from the optimal density: drives the numba kernel.

    Parameters
    ----------
    proposal_features : callable
        ``proposal_features(n, rng) -> (proposals, features)``: ``n`` i.i.d.
        proposals from (k_m / m) dmu and their orthonormal features (n x m).
    m : int
    rng : RandomState

    Returns
    -------
    sample : ndarray
        The m accepted proposals, in chain-rule order.
    """
    directions = np.zeros((m, m))
    n_chosen, chosen = 0, []
    while n_chosen < m:
        batch = int(1.25 * _expected_proposals(m, n_chosen)) + 8
        proposals, features = proposal_features(batch, rng)
        uniforms = rng.random_sample(batch)
        accepted, n_chosen = chain_rule_rejection(
            np.ascontiguousarray(features), uniforms, directions, n_chosen
        )
        chosen.append(proposals[accepted])
    return np.concatenate(chosen)


class PoolSampler(_BaseSampler):
    """Samplers for least squares on a finite pool of N candidate points.

    The space V_m is the column span of ``features`` and mu the uniform measure on
    the pool; the features are orthonormalised once (O(N p^2): Cholesky QR at
    matrix-product speed, or a pivoted QR when ill-conditioned), after
    which a projection-DPP sample costs O(m^3 log m) by rejection, independently
    of N. Samples are row indices into the pool.

    Under ``sklearn.config_context(array_api_dispatch=True)``, CuPy or torch
    ``features`` keep everything on their device: the basis, the leverage scores
    and the samples (integer arrays of that namespace); the projection DPP then
    runs by incremental Gram-Schmidt, with host uniforms from the same
    ``random_state``, so it draws the sample that NumPy ``"gram_schmidt"`` draws.

    Parameters
    ----------
    features : array-like of shape (N, p)
        Feature map evaluated at the candidates (e.g. a polynomial basis, or the
        input columns with a constant).
    method : {"auto", "rejection", "gram_schmidt"}, default="auto"
        Chain-rule algorithm for the projection DPP (both exact): rejection from
        the leverage scores, O(m^3 log m) per sample, or incremental Gram-Schmidt
        over the pool, O(N m^2) per sample. ``"auto"``: rejection for NumPy
        features, Gram-Schmidt on a device (where rejection, a sequential loop
        of tiny steps, is not available).
    rtol : float or None, default=None
        Relative pivot threshold of the rank-revealing QR.

    Attributes
    ----------
    method : str
        The chain-rule algorithm used ("auto" resolved).
    n_basis : int
        Dimension m of V_m (the numerical rank of ``features``).
    n_candidates : int
        Pool size N.
    orthonormal_basis : ndarray of shape (N, m)
        Q, with Q^T Q = I; the DPP kernel is Q Q^T.
    leverage : ndarray of shape (N,)
        ||Q_a||^2 = K(x_a, x_a): the DPP inclusion probabilities, summing to m.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.sampling import PoolSampler
    >>> X = np.random.default_rng(0).uniform(-1, 1, size=(500, 1))
    >>> sampler = PoolSampler(np.hstack([X**0, X, X**2]))
    >>> idx = sampler.projection_dpp(random_state=0)
    >>> len(idx), len(set(idx.tolist()))
    (3, 3)
    >>> idx, w = sampler.sample("volume", n=10, random_state=0)
    >>> idx.shape, w.shape
    ((10,), (10,))
    """

    def __init__(self, features, *, method="auto", rtol=None):
        if method not in ("auto", *DPP_METHODS):
            raise ValueError(
                f"method must be one of {['auto', *DPP_METHODS]}, got {method!r}."
            )
        xp = dispatch_namespace(features)
        if xp is not None and method == "rejection":
            raise ValueError(
                "method='rejection' runs on NumPy features only; on a device "
                "(CuPy, torch) use method='gram_schmidt' or 'auto'."
            )
        if method == "auto":
            method = "rejection" if xp is None else "gram_schmidt"
        self.method = method
        Q = orthonormal_pool_basis(features, rtol)
        if xp is None:
            Q = np.ascontiguousarray(Q)  # the numba kernels read it row by row
        else:
            self._xp, self._device, self._float = xp, device(Q), Q.dtype
        self.leverage = self._xp.sum(Q * Q, axis=1)
        self._cdf = self._xp.cumulative_sum(self.leverage)
        self.orthonormal_basis = Q
        self.n_candidates, self.n_basis = Q.shape

    def _check_sample(self, sample):
        xp = self._xp
        on_host = is_numpy_namespace(xp)
        if on_host or isinstance(sample, np.ndarray | list | tuple):
            sample = np.asarray(sample)
            valid = sample.ndim == 1 and np.issubdtype(sample.dtype, np.integer)
            if valid and not on_host:
                sample = xp.asarray(sample, device=self._device)
        else:
            valid = sample.ndim == 1 and xp.isdtype(sample.dtype, "integral")
        if not valid:
            raise ValueError("a pool sample is a 1-D array of row indices.")
        return sample

    def features(self, sample):
        """Orthonormal features phi(x_a) = sqrt(N) Q_a of the sampled rows."""
        rows = self._check_sample(sample)
        Q = self._xp.take(self.orthonormal_basis, rows, axis=0)
        return math.sqrt(self.n_candidates) * Q

    def christoffel(self, sample):
        """k_m(x_a) = N ||Q_a||^2 at the sampled rows."""
        rows = self._check_sample(sample)
        return self.n_candidates * self._xp.take(self.leverage, rows, axis=0)

    def _optimal(self, n, rng):
        return draw_from_cdf(self._cdf, rng.random_sample(n), self._xp)

    def _uniform(self, n, rng):
        rows = rng.randint(self.n_candidates, size=n)
        return self._xp.asarray(rows, dtype=self._xp.int64, device=self._device)

    def _proposals(self, n, rng):
        rows = self._optimal(n, rng)
        return rows, self.orthonormal_basis[rows]

    def _projection_dpp(self, rng):
        if self.method == "gram_schmidt":
            uniforms = rng.random_sample(self.n_basis)
            return projection_dpp_gram_schmidt(
                self.orthonormal_basis, uniforms, self._xp
            )
        return projection_dpp_rejection(self._proposals, self.n_basis, rng)
