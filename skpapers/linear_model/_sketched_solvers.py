r"""Sketched least squares: sketch-and-solve and sketch-and-precondition (LSQR).

Model and notation (Song, Ye, Yin, Zhang, ICML 2023)
----------------------------------------------------
For ``A`` of shape ``(n, d)`` and ``b`` of length ``n``,
``x* = argmin_x ||A x - b||_2``. A sketch ``S`` of shape ``(m, n)``, ``m << n``,
gives the sketch-and-solve estimate ``x' = argmin_x ||S A x - S b||_2``. The paper
proves that a *dense* sketch (SRHT-like, Gaussian) with

    m = eps^{-2} d log^3(n / delta)

rows gives, with probability ``1 - delta``, the entrywise guarantee

    ||x' - x*||_inf <= (eps / sqrt(d)) ||A x* - b||_2 ||A^+||_2,

and that sparse sketches (CountSketch) cannot. The reason, in one line: with
``r = b - A x*`` (orthogonal to the range of ``A``),
``x'_i - x*_i ~ <S a_i, S r>`` with ``a_i = (A^+)^T e_i``, ``||a_i|| <= ||A^+||``,
and a dense sketch preserves each such inner product of orthogonal vectors to
``beta / sqrt(m) ||a_i|| ||r||`` (its *oblivious coordinate-wise embedding*
constant ``beta``; ``beta^2 = log^3(n / delta)`` for the SRHT), which is the bound
when ``m = eps^{-2} d beta^2``. A sparse sketch puts a high-leverage row of ``A``
and a large residual entry in one bucket with non-negligible probability, and the
coordinate that row controls takes the whole of that residual entry.

The theorem's ``O(.)`` constant is not explicit; :func:`linf_sketch_size` uses
``m = C eps^{-2} d log^3(n / delta)`` with ``C = LINF_CONSTANT = 0.03``, checked by
the tests and the ``sketched_linf`` experiment to meet the bound in at least 95% of
trials on Gaussian and on coherent (high-leverage) matrices, with a floor of
``d ln(d / delta)`` rows that only binds for ``eps > 1`` (outside the theorem).
Measured: at ``C = 0.1`` the 95% quantile of the error was at most 0.30 of the
bound (``sketched_linf --quick``, n = 4096, d = 64, dense sketches, both
matrices), and at n = 2^18, d = 100 it was 2-6% of it; as the error goes as
``m^{-1/2}``, ``C = 0.03`` keeps that quantile near 0.55 of the bound and needs
3.3 times fewer rows.

Sketch-and-precondition
-----------------------
With the QR factorisation ``S A = Q R``, ``A R^{-1}`` has condition number
``(1 + sqrt(d/m)) / (1 - sqrt(d/m))``-ish for any ``A`` (a subspace embedding), so
LSQR on ``min_y ||A R^{-1} y - b||`` converges at rate about ``sqrt(d/m)`` per
iteration, whatever ``cond(A)``. We iterate on ``A R^{-1}`` (never forming it) from
the warm start ``y0 = R x' = Q^T S b`` and return ``x = R^{-1} y``. One LSQR
(Golub-Kahan) step is ``u <- A R^{-1} v - alpha u``, ``v <- R^{-T} A^T u - beta v``;
we compute ``A p`` and ``A^T u`` in a single read of ``A`` by applying ``A^T`` to
the unnormalised ``u`` and dividing by ``beta = ||u||`` afterwards (the same
arithmetic as textbook LSQR, one memory pass per iteration instead of two). The
QR is column-pivoted (``S A P = Q R``, ``N = P R^{-1}``). A single LSQR run stalls
at a forward error of some ``40 cond(A) eps_mach``, because every product
``A (N v)`` cancels a vector of size ``cond(A)``; one more run restarted from its
solution, with the residual recomputed, solves only for a small correction and
brings the error down to LAPACK's (sketch-and-precondition with iterative
refinement, Epperly, Meier & Nakatsukasa 2024); the correction is accumulated
apart and added once. When ``S A`` is numerically rank deficient, ``N`` is
``V_k Sigma_k^{-1}`` from the SVD of ``S A``, which gives the minimum-norm
solution.

Weights and intercept: with ``D = diag(sqrt(sample_weight))`` we solve
``min ||D ([X 1] [coef; intercept] - y)||``: the sketch is applied to ``D X``,
``D 1`` and ``D y`` without copying ``X`` (``D`` folds into the sketch's signs) and
without centring it.

One algorithm, any namespace
----------------------------
Every function here is written once against the namespace ``xp`` of ``X``, which
the estimator decides and passes down (NumPy for NumPy, SciPy sparse and Dask
input). With ``array_api_dispatch=True`` and a CuPy or torch ``X``, the sketch is
applied in ``X``'s namespace and on its device (the same ``S`` as on NumPy, see
:mod:`skpapers.sketching`) and the small problem is solved there too. Only three
leaves differ on NumPy, where LAPACK and numba measurably win: the small
least-squares solve of an ill-conditioned sketch (``gelsd``), the column-pivoted
QR of the preconditioner (the array API standard has none: elsewhere
``N = V_k Sigma_k^{-1}`` from ``S A = Q R``, ``R = U Sigma V^T``), and the fused
LSQR pass (a numba kernel on a row-major ``X``; elsewhere two matrix-vector
products). A well-conditioned small problem is solved by the corrected
semi-normal equations (:func:`_seminormal_lstsq`); any other for the minimum-norm
solution over the singular values above ``max(m, d) eps sigma_1``: a cut-off that
scales with the problem, so that a numerically rank-deficient sketch (a
duplicated column) gives the minimum-norm coefficients, not huge ones that
cancel.

Gram preconditioner
-------------------
When ``d eps cond(A)^2`` is small, the Cholesky factor ``R`` of the Gram matrix
``A^T A`` (one BLAS pass over ``X``, what the normal equations cost) is an even
better preconditioner than the sketch's: ``A R^{-1}`` is orthogonal up to the
rounding of ``A^T A``, so LSQR converges in two or three passes, and the
refinement run restores the accuracy the normal equations alone would lose
(``gram=True`` in :func:`sketch_and_precondition`; the estimator's
``solver="gram_precondition"``).
"""

import contextlib
import math

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from ..utils import (
    dask_rows,
    device,
    is_dask,
    is_numpy_namespace,
    single_blas_thread,
)
from ..utils._array_api import lstsq, truncated_svd_of_r, widest_float
from ._sketched_kernels import fused_normal_pass

LINF_CONSTANT = 0.03

# Dense X up to this many entries is sketched together with [1, y] in one call.
_STACK_SIZE = 1 << 22

# LSQR runs after the first one, each restarted from the previous solution.
_REFINEMENTS = 1

# The Gram matrix's rounding moves the preconditioned operator by about
# d eps cond^2: its Cholesky factor preconditions only while that stays below this,
# so that LSQR still gains a factor 1000 per iteration.
_GRAM_CONTRACTION = 1e-3
# Most refinement steps of the corrected semi-normal equations (each gains at
# least the factor _GRAM_CONTRACTION; one or two are the rule).
_SEMINORMAL_STEPS = 4


def linf_sketch_size(n_samples, n_features, eps, delta):
    """Rows of a dense sketch for the ``ell_inf`` guarantee with probability 1-delta.

    ``m = ceil(C eps^-2 d log^3(n / delta))`` with ``C = LINF_CONSTANT = 0.03`` (the
    paper's rate; its constant is not explicit, ``C`` is calibrated by measurement:
    see the module docstring),
    and at least ``d ln(d / delta)`` rows. The theorem is for ``eps <= 1``, where
    the first term is far larger; the floor matters only when ``eps > 1`` is asked
    for, and it is needed there: an SRHT samples rows of a Hadamard matrix whose
    first ``d`` columns take only ``d`` distinct row patterns (up to sign), so it
    must draw all of them (a coupon collector, ``d ln(d / delta)`` draws) to embed
    a matrix whose leverage sits on ``d`` rows.

    Parameters
    ----------
    n_samples, n_features : int
        ``n`` and ``d`` (count the intercept column in ``d``).
    eps : float
        Accuracy: the error target is ``(eps / sqrt(d)) ||A x* - b|| ||A^+||``.
    delta : float
        Failure probability, in (0, 1).

    Returns
    -------
    m : int

    Examples
    --------
    >>> from skpapers.linear_model._sketched_solvers import linf_sketch_size
    >>> linf_sketch_size(2**18, 100, eps=1.0, delta=0.01)
    14953
    """
    m = LINF_CONSTANT * n_features * math.log(n_samples / delta) ** 3 / eps**2
    floor = n_features * math.log(max(n_features / delta, 1.0))
    return max(int(math.ceil(m)), int(math.ceil(floor)), 1)


def _where(X, xp):
    """The device of ``X`` (the host for NumPy, SciPy sparse and Dask input)."""
    return "cpu" if is_numpy_namespace(xp) else device(X)


def _small_blas(xp):
    """One BLAS thread for the ``m x d`` factorisations on NumPy (see
    :func:`skpapers.utils.single_blas_thread`); other namespaces run as they are."""
    return single_blas_thread() if is_numpy_namespace(xp) else contextlib.nullcontext()


def _rank_cutoff(A):
    """Relative cut-off of the singular values of ``A``: ``max(m, d) eps``."""
    return max(A.shape) * float(np.finfo(np.float64).eps)


def _gram_factor(G, xp):
    """``(s, V)`` with ``G = V diag(s)^2 V^T``, from the SVD of its Cholesky factor.

    None when ``G`` is not positive definite or not finite, or when its rounding,
    about ``d eps cond^2`` relative to ``G``, could matter: above
    ``_GRAM_CONTRACTION``.
    """
    try:
        L = xp.linalg.cholesky(G)
    except (ValueError, RuntimeError):  # NumPy's LinAlgError, torch's
        return None
    _, s, Vt = xp.linalg.svd(L.T, full_matrices=False)
    if not bool(xp.all(xp.isfinite(s))) or not float(s[-1]) > 0.0:
        return None
    kappa = float(s[0]) / float(s[-1])
    # kappa * kappa, not kappa**2: a Python float power raises OverflowError
    if kappa * kappa * G.shape[0] * float(np.finfo(np.float64).eps) > _GRAM_CONTRACTION:
        return None
    return s, Vt.T


def _seminormal_lstsq(A, B, xp):
    """``argmin ||A X - B||`` by the corrected semi-normal equations, or None.

    ``X = G^{-1} A^T B`` with ``G = A^T A = V diag(s)^2 V^T``, then refined with
    the residual recomputed from ``A`` until the correction is at rounding level:
    each step gains the factor ``d eps cond^2 <= _GRAM_CONTRACTION`` (Bjorck's
    corrected semi-normal equations), and the result is as accurate as a QR
    solve. It costs a Gram matrix (``m d^2``), a tenth of ``gelsd`` at
    ``m = 9680, d = 401``. None when :func:`_gram_factor` refuses ``A^T A``.
    """
    factor = _gram_factor(A.T @ A, xp)
    if factor is None:
        return None
    s, V = factor

    def solve(rhs):
        return V @ ((V.T @ (A.T @ rhs)) / (s * s)[:, None])

    X = solve(B)
    for _ in range(_SEMINORMAL_STEPS):
        correction = solve(B - A @ X)
        X = X + correction
        if float(xp.max(xp.abs(correction))) <= _rank_cutoff(A) * float(
            xp.max(xp.abs(X))
        ):
            break
    return X


def _min_norm_lstsq(A, B, xp, factors=None):
    """Minimum-norm ``argmin ||A X - B||`` over the singular values above the cut-off.

    A well-conditioned ``A`` by the corrected semi-normal equations; otherwise on
    NumPy LAPACK's ``gelsd`` (faster than a QR and an SVD), elsewhere, or with
    the ``factors`` of :func:`truncated_svd_of_r` at hand, those factors.
    """
    if factors is None:
        X = _seminormal_lstsq(A, B, xp)
        if X is not None:
            return X
        if is_numpy_namespace(xp):
            return la.lstsq(A, B, cond=_rank_cutoff(A), lapack_driver="gelsd")[0]
        factors = truncated_svd_of_r(A, xp, _rank_cutoff(A))
    return lstsq(A, B, xp, factors=factors)


def _sketch_problem(X, Y, sqrt_weight, sketch, fit_intercept, xp):
    """``(S D [X 1], S D Y)`` with ``D = diag(sqrt_weight)``, in ``xp``'s widest float.

    Dask input is sketched block by block and only the sketch gathered.
    """
    n, d = X.shape
    where = _where(X, xp)
    wide = widest_float(xp, where)
    if is_dask(X):
        import dask.array as da

        columns = [dask_rows(Y, X.chunks[0])]
        if fit_intercept:
            columns.insert(0, da.ones((n, 1), chunks=(X.chunks[0], 1), dtype=wide))
        extra = da.concatenate(columns, axis=1)
    else:
        columns = [xp.astype(Y, wide)]
        if fit_intercept:
            columns.insert(0, xp.ones((n, 1), dtype=wide, device=where))
        extra = xp.concat(columns, axis=1)
    if is_dask(X) or sp.issparse(X) or math.prod(X.shape) > _STACK_SIZE:
        # Sketch X in place: no copy of a large X.
        SX = sketch.apply(X, sqrt_weight, xp=xp)
        SE = sketch.apply(extra, sqrt_weight, xp=xp)
    else:
        # One pass, one draw of the sketch's random numbers, for a small X.
        SXE = sketch.apply(xp.concat((X, extra), axis=1), sqrt_weight, xp=xp)
        SX, SE = SXE[:, :d], SXE[:, d:]
    SX, SE = xp.astype(SX, wide), xp.astype(SE, wide)
    if fit_intercept:
        SX = xp.concat((SX, SE[:, :1]), axis=1)
        SE = SE[:, 1:]
    if not (bool(xp.all(xp.isfinite(SX))) and bool(xp.all(xp.isfinite(SE)))):
        raise ValueError(
            "The sketched problem is not finite: X or y contains NaN or infinity "
            "(or values so large that their sketch overflows)."
        )
    return SX, SE


def _split(coef, fit_intercept, xp):
    """``(coef, intercept)`` from the solution of the (augmented) problem."""
    if fit_intercept:
        return coef[:-1, :], coef[-1, :]
    return coef, xp.zeros(coef.shape[1:], dtype=coef.dtype, device=_where(coef, xp))


def sketch_and_solve(X, Y, sketch, *, sqrt_weight=None, fit_intercept=True, xp=np):
    """Solve ``min ||S D ([X 1] w - Y)||`` (the sketched least-squares problem).

    Parameters
    ----------
    X : {ndarray, sparse matrix, dask.array, array-API array} of shape (n, d)
    Y : array of shape (n, k)
        Laid out like ``X`` (NumPy or Dask; the same namespace otherwise).
    sketch : sketch operator of :mod:`skpapers.sketching` with ``n_samples = n``
    sqrt_weight : array of shape (n,), default=None
        Square roots of the sample weights (``D``).
    fit_intercept : bool, default=True
        Append a column of ones to ``X``.
    xp : module, default=numpy
        The namespace of ``X``, as the caller decided it.

    Returns
    -------
    coef : array of shape (d, k)
        The minimum-norm solution of the sketched problem.
    intercept : array of shape (k,)

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.sketching import SRHT
    >>> from skpapers.linear_model._sketched_solvers import sketch_and_solve
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2000, 3))
    >>> Y = (X @ [1.0, 2.0, 3.0] + 0.5)[:, None]
    >>> coef, intercept = sketch_and_solve(X, Y, SRHT(50, 2000, random_state=0))
    >>> bool(np.allclose(coef[:, 0], [1, 2, 3])), bool(np.allclose(intercept, 0.5))
    (True, True)
    """
    SX, SY = _sketch_problem(X, Y, sqrt_weight, sketch, fit_intercept, xp)
    with _small_blas(xp):
        solution = _min_norm_lstsq(SX, SY, xp)
    return _split(solution, fit_intercept, xp)


class _Preconditioner:
    """Right preconditioner ``N`` from ``S A``: ``P R^{-1}`` or ``V_k Sigma_k^{-1}``.

    On NumPy, a full-rank tall ``S A`` gets the column-pivoted QR ``S A P = Q R``:
    pivoting grades ``R`` (decreasing diagonal), which makes the triangular
    solves, and so the map back to coefficients, accurate to about the same
    digits as LAPACK's own least-squares drivers even when ``cond(A)`` is large.
    Otherwise (a numerically rank-deficient or wide ``S A``, or a namespace without
    a pivoted QR) ``N = V_k Sigma_k^{-1}`` from :func:`truncated_svd_of_r`, which
    gives the minimum-norm solution; ``A N`` then has the conditioning of
    ``A R^{-1}``.
    """

    def __init__(self, SA, xp):
        self.xp = xp
        m, d = SA.shape
        self.triangular = False
        if is_numpy_namespace(xp) and m >= d:
            R, perm = la.qr(SA, mode="r", pivoting=True)
            R = R[:d]
            diag = np.abs(np.diag(R))
            tol = _rank_cutoff(SA) * (diag.max() if diag.size else 0)
            self.triangular = diag.size > 0 and diag.min() > tol
        if self.triangular:
            self.R, self.perm, self.factors = R, perm, None
            self.rank = d
        else:
            self.factors = truncated_svd_of_r(SA, xp, _rank_cutoff(SA))
            _, _, self.s, self.V = self.factors
            self.rank = self.s.shape[0]

    @classmethod
    def from_gram(cls, G, xp):
        """``N = V Sigma^{-1}`` from the Cholesky factor ``R = U Sigma V^T`` of ``G``.

        ``G = (D [X 1])^T (D [X 1])``; ``A N = A R^{-1} U`` is orthogonal up to the
        rounding of ``G``. None where :func:`_gram_factor` refuses ``G``.
        """
        factor = _gram_factor(G, xp)
        if factor is None:
            return None
        precond = cls.__new__(cls)
        precond.xp, precond.triangular, precond.factors = xp, False, None
        precond.s, precond.V = factor
        precond.rank = G.shape[0]
        return precond

    def solve(self, SA, SB):
        """The minimum-norm solution of ``min ||S A X - S B||`` (SVD reused)."""
        return _min_norm_lstsq(SA, SB, self.xp, self.factors)

    def apply(self, v):
        """``N v``: from the preconditioned variable back to coefficients."""
        if self.triangular:
            x = np.empty_like(v)
            x[self.perm] = la.solve_triangular(self.R, v)
            return x
        return self.V @ (v / self.s)

    def apply_t(self, z):
        """``N^T z``."""
        if self.triangular:
            return la.solve_triangular(self.R, z[self.perm], trans="T")
        return (self.V.T @ z) / self.s

    def inverse(self, x):
        """``N^+ x``: coefficients to the preconditioned variable."""
        if self.triangular:
            return self.R @ x[self.perm]
        return self.s * (self.V.T @ x)


class _AugmentedOperator:
    """``M = D [X 1]`` (or ``D X``) applied through fused passes over ``X``.

    ``step(p, alpha, u)`` returns ``(w, M^T w, ||w||^2)`` with ``w = M p - alpha u``:
    one read of a row-major NumPy ``X`` by the numba kernel, two matrix-vector
    products otherwise (Dask: one graph, ``w`` persisted).
    """

    def __init__(self, X, sqrt_weight, fit_intercept, xp=np):
        self.xp = xp
        where = _where(X, xp)
        self.dtype = widest_float(xp, where)
        self.dask = is_dask(X)
        if not (is_numpy_namespace(xp) or X.dtype == self.dtype):
            # torch's matmul does not promote float32 (NumPy's does, without a copy).
            X = xp.astype(X, self.dtype)
        self.X = X
        self.fit_intercept = fit_intercept
        self.n = X.shape[0]
        self.fused = (
            is_numpy_namespace(xp)
            and isinstance(X, np.ndarray)
            and X.flags.c_contiguous
        )
        self.unit_weight = sqrt_weight is None
        if sqrt_weight is None:
            sqrt_weight = xp.ones(self.n, dtype=self.dtype, device=where)
        if self.dask:
            sqrt_weight = dask_rows(sqrt_weight, X.chunks[0])
        self.sqrt_weight = sqrt_weight

    def gram(self):
        """``M^T M`` for an in-memory dense ``X`` (one BLAS pass), else None."""
        if self.dask or sp.issparse(self.X):
            return None
        xp = self.xp
        weight = self.sqrt_weight
        Xw = self.X if self.unit_weight else self.X * weight[:, None]
        G = xp.astype(Xw.T @ Xw, self.dtype)
        if not self.fit_intercept:
            return G
        column = xp.astype(Xw.T @ weight, self.dtype)[:, None]
        corner = xp.reshape(xp.vecdot(weight, weight), (1, 1))
        return xp.concat(
            (xp.concat((G, column), axis=1), xp.concat((column.T, corner), axis=1)),
            axis=0,
        )

    def weighted(self, y):
        """``D y``, kept in the layout of ``X`` (Dask for Dask input)."""
        if self.dask:
            y = dask_rows(y, self.X.chunks[0])
            return (self.sqrt_weight * y).persist()
        return self.sqrt_weight * self.xp.astype(y, self.dtype)

    def norm(self, b):
        """``||b||`` of a vector laid out like ``X``'s rows."""
        if self.dask:
            return math.sqrt(float((b * b).sum().compute()))
        return math.sqrt(float(self.xp.vecdot(b, b)))

    def step(self, p, alpha, u):
        xp = self.xp
        d = self.X.shape[1]
        coef = p[:d]
        shift = -p[d] if self.fit_intercept else 0.0
        if self.fused:
            w = np.empty(self.n)
            z = np.zeros(d)
            total, norm2 = fused_normal_pass(
                self.X, coef, float(shift), self.sqrt_weight, alpha, u, w, z
            )
        elif self.dask:
            import dask

            w = (self.sqrt_weight * (self.X @ coef - shift) - alpha * u).persist()
            g = self.sqrt_weight * w
            z, total, norm2 = dask.compute(self.X.T @ g, g.sum(), (w * w).sum())
        else:
            w = self.sqrt_weight * (self.X @ coef - shift) - alpha * u
            g = self.sqrt_weight * w
            z, total, norm2 = self.X.T @ g, xp.sum(g), xp.vecdot(w, w)
        z = xp.reshape(xp.asarray(z, dtype=self.dtype), (-1,))
        if self.fit_intercept:
            total = xp.asarray(total, dtype=self.dtype, device=_where(z, xp))
            z = xp.concat((z, xp.reshape(total, (1,))))
        return w, z, float(norm2)


def _lsqr(op, precond, b, x0, tol, max_iter):
    """LSQR for the correction ``min_y ||M N y - (b - M x0)||``; ``x = x0 + N y``.

    Paige & Saunders' LSQR without damping, each Golub-Kahan step one fused pass
    (see the module docstring). The correction ``y`` starts at zero and is added
    to ``x0`` once, at the end, so that neither ``x0`` nor the rounding of a large
    iterate goes through the ill-conditioned ``N``. It stops when the estimate of
    ``||(MN)^T r|| / (||MN||_F ||r||)`` drops below ``tol`` (least-squares
    optimality), when ``||r|| <= tol (||b|| + ||MN||_F ||y||)`` (a consistent
    system), or after ``max_iter`` steps. Returns ``(x, n_iter, test2)``.
    """
    xp = op.xp

    def vector_norm(v):
        return float(xp.linalg.vector_norm(v))

    # u_1 = b - M x0, stored with a sign flip: w = -beta_1 u_1.
    w, z, norm2 = op.step(x0, 1.0, b)
    beta = math.sqrt(norm2)
    bnorm = op.norm(b)
    if beta == 0.0:
        return x0, 0, 0.0
    sign = -1.0
    v = sign * precond.apply_t(z) / beta
    alpha = vector_norm(v)
    if alpha == 0.0:
        return x0, 0, 0.0
    v = v / alpha
    y = xp.zeros_like(v)
    direction = v
    phibar, rhobar = beta, alpha
    anorm = 0.0
    test2 = 1.0
    ynorm0 = vector_norm(precond.inverse(x0))
    n_iter = max_iter
    for it in range(1, max_iter + 1):
        # u_{k+1} = M N v - alpha u_k, with the stored w = sign * beta_k * u_k.
        w, z, norm2 = op.step(precond.apply(v), alpha / (sign * beta), w)
        sign = 1.0
        beta = math.sqrt(norm2)
        anorm = math.sqrt(anorm**2 + alpha**2 + beta**2)
        alpha_next = 0.0
        if beta > 0.0:
            v = precond.apply_t(z) / beta - beta * v
            alpha_next = vector_norm(v)
            if alpha_next > 0.0:
                v = v / alpha_next
        rho = math.hypot(rhobar, beta)
        c, s = rhobar / rho, beta / rho
        theta = s * alpha_next
        rhobar = -c * alpha_next
        phi = c * phibar
        phibar = s * phibar
        y = y + (phi / rho) * direction
        direction = v - (theta / rho) * direction
        alpha = alpha_next
        rnorm = phibar
        arnorm = phibar * alpha * abs(c)
        test2 = arnorm / (anorm * rnorm) if rnorm > 0 else 0.0
        ynorm = ynorm0 + vector_norm(y)
        if test2 <= tol or rnorm <= tol * (bnorm + anorm * ynorm) or alpha == 0.0:
            n_iter = it
            break
    return x0 + precond.apply(y), n_iter, test2


def sketch_and_precondition(
    X,
    Y,
    sketch,
    *,
    sqrt_weight=None,
    fit_intercept=True,
    tol=1e-14,
    max_iter=100,
    xp=np,
    gram=False,
):
    """Least squares to full accuracy: LSQR on ``A R^{-1}`` with ``S A = Q R``.

    Parameters
    ----------
    X : {ndarray, sparse matrix, dask.array, array-API array} of shape (n, d)
    Y : array of shape (n, k)
        Laid out like ``X`` (NumPy or Dask; the same namespace otherwise).
    sketch : sketch operator of :mod:`skpapers.sketching` with ``n_samples = n``
        A subspace embedding of the columns of ``[X 1]``: a few times ``d`` rows.
    sqrt_weight : ndarray of shape (n,), default=None
        Square roots of the sample weights.
    fit_intercept : bool, default=True
    tol : float, default=1e-14
        LSQR's ``atol = btol``.
    max_iter : int, default=100
        Most LSQR iterations per target.
    xp : module, default=numpy
        The namespace of ``X``, as the caller decided it.
    gram : bool, default=False
        Precondition by the Cholesky factor of the Gram matrix of ``D [X 1]``
        when it is well conditioned enough for its rounding to be harmless
        (one BLAS pass over ``X`` instead of the sketch and its QR; LSQR then
        converges in a few iterations), by the sketch otherwise. Dense in-memory
        ``X`` only; the sketch serves sparse and Dask input.

    Returns
    -------
    coef : ndarray of shape (d, k)
    intercept : ndarray of shape (k,)
    n_iter : ndarray of shape (k,)
        LSQR iterations per target (NumPy, on the host).
    relative_residual : ndarray of shape (k,)
        Final ``||(A N)^T r|| / (||A N||_F ||r||)`` per target (NumPy).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.linalg import lstsq
    >>> from skpapers.sketching import SRHT
    >>> from skpapers.linear_model._sketched_solvers import sketch_and_precondition
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((4000, 5)) * np.logspace(0, 6, 5)
    >>> Y = rng.standard_normal((4000, 1))
    >>> coef, _, n_iter, _ = sketch_and_precondition(
    ...     X, Y, SRHT(64, 4000, random_state=0), fit_intercept=False)
    >>> bool(np.allclose(coef[:, 0], lstsq(X, Y[:, 0])[0], rtol=1e-9, atol=0))
    True
    """
    op = _AugmentedOperator(X, sqrt_weight, fit_intercept, xp)
    G = op.gram() if gram else None
    precond = None if G is None else _Preconditioner.from_gram(G, xp)
    k = Y.shape[1]
    if precond is None:
        SX, SY = _sketch_problem(X, Y, sqrt_weight, sketch, fit_intercept, xp)
        with _small_blas(xp):
            precond = _Preconditioner(SX, xp)
            start = precond.solve(SX, SY)  # one factorisation of SX off NumPy
    else:
        shape = (precond.V.shape[0], k)
        start = xp.zeros(shape, dtype=op.dtype, device=_where(precond.V, xp))
    columns = []
    n_iter = np.zeros(k, dtype=np.int64)
    residual = np.zeros(k)
    for j in range(k):
        b = op.weighted(Y[:, j])
        x = start[:, j]
        # One refinement run (a restart from the converged x, with its residual
        # recomputed) takes the forward error from ~40 cond(A) eps down to
        # LAPACK's ~cond(A) eps (sketch-and-precondition with iterative
        # refinement, Epperly, Meier & Nakatsukasa 2024).
        for _ in range(1 + _REFINEMENTS):
            # The fused pass is numba; only d-sized products are left to BLAS.
            with _small_blas(xp) if op.fused else contextlib.nullcontext():
                x, iters, residual[j] = _lsqr(op, precond, b, x, tol, max_iter)
            n_iter[j] += iters
        columns.append(x)
    coef, intercept = _split(xp.stack(columns, axis=1), fit_intercept, xp)
    return coef, intercept, n_iter, residual
