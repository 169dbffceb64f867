"""SketchedLinearRegression: least squares through a random sketch of the rows."""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ..sketching import SKETCHES, make_sketch
from ..utils import (
    check_magnitude,
    check_same_namespace,
    dask_rows,
    device,
    is_dask,
    is_numpy_namespace,
    keep_state_on_error,
)
from ..utils._array_api import dispatch_namespace, move_to_namespace, widest_float
from ._sketched_solvers import (
    linf_sketch_size,
    sketch_and_precondition,
    sketch_and_solve,
)

# Rows of the sketch per column of [X 1] for sketch-and-precondition: LSQR then
# gains about a factor sqrt(1/20) ~ 0.22 per iteration.
_PRECONDITION_ROWS_PER_COLUMN = 20


class SketchedLinearRegression(RegressorMixin, BaseEstimator):
    """Ordinary least squares through a random sketch, with an ``ell_inf`` guarantee.

    Sketch-and-solve replaces ``min ||X w - y||`` by ``min ||S X w - S y||`` for a
    random ``S`` with ``m << n`` rows. With a dense sketch (``"srht"``,
    ``"gaussian"``) and ``m = C eps^-2 d log^3(n/delta)`` rows, the coefficients
    are within ``(eps / sqrt(d)) ||X w* - y|| ||X^+||`` of the exact ones in every
    coordinate with probability ``1 - delta`` (Song, Ye, Yin & Zhang, 2023); sparse
    sketches (``"countsketch"``, ``"sparse_sign"``) are there for comparison and
    do not carry that guarantee. Sketch-and-precondition uses the sketch only to
    precondition LSQR and returns the least-squares solution to the accuracy of
    ``scipy.linalg.lstsq``, in a few passes over the data.

    ``fit`` accepts NumPy arrays, SciPy sparse matrices and ``dask.array`` (row
    chunks): a Dask input is sketched block by block and only the small sketched
    problem is gathered. Under ``sklearn.config_context(array_api_dispatch=True)``
    it also accepts CuPy or torch arrays (``"srht"`` and ``"gaussian"`` sketches):
    the sketch (the same ``S`` as for NumPy input with the same ``random_state``)
    and the solve then run in that namespace, on that device, and the fitted
    arrays live there.

    Parameters
    ----------
    sketch : {"srht", "gaussian", "countsketch", "sparse_sign"}, default="srht"
        The sketching operator (see :mod:`skpapers.sketching`).
    sketch_size : int or "auto", default="auto"
        Rows ``m`` of the sketch. ``"auto"``: for sketch-and-solve,
        ``m = ceil(0.03 eps^-2 d log^3(n / delta))`` with ``d`` the number of
        features (plus one with an intercept), the paper's formula with a
        constant calibrated by our tests; for sketch-and-precondition ``20 d``.
        A sketch with at least ``n_samples`` rows brings nothing, so then the
        exact problem is solved (``sketch_size_ = n_samples``), by the
        ``"gram_precondition"`` solver; so it is too when the ``"auto"`` size for
        sketch-and-solve exceeds ``n_samples / 2`` (the sketched problem would
        cost more than the exact one).
    solver : {"sketch_and_solve", "sketch_and_precondition", \
            "gram_precondition"}, default="sketch_and_solve"
        ``"sketch_and_solve"``: the sketched problem's solution.
        ``"sketch_and_precondition"``: QR of the sketch as a right preconditioner,
        warm start from the sketch-and-solve solution, LSQR on ``X R^{-1}`` and one
        refinement run; it needs a sketch with at least as many rows as ``[X 1]``
        has columns (or ``X`` rows, if fewer). ``"gram_precondition"``: the same
        LSQR, preconditioned by the Cholesky factor of the Gram matrix of
        ``[X 1]`` (one BLAS pass) when ``d eps cond^2 <= 1e-3`` (the Gram matrix's
        rounding is then harmless, and LSQR converges in a few passes), by the
        sketch otherwise and for sparse or Dask ``X``: the fastest full-accuracy
        solver on well-conditioned dense data. On a rank-deficient ``X`` all
        return the minimum-norm solution (of the sketched problem for
        sketch-and-solve).
    eps : float, default=1.0
        Accuracy target of the ``ell_inf`` guarantee (``sketch_size="auto"``).
    delta : float, default=0.01
        Failure probability of the guarantee (``sketch_size="auto"``).
    fit_intercept : bool, default=True
        Fit an intercept (a column of ones in the least-squares problem; ``X`` is
        neither copied nor centred).
    tol : float, default=1e-14
        LSQR's tolerance on ``||(A N)^T r|| / (||A N||_F ||r||)``
        (sketch-and-precondition).
    max_iter : int, default=100
        Most LSQR iterations per run (sketch-and-precondition).
    random_state : int, RandomState instance or None, default=None
        Draws the sketch.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        The coefficients (in the namespace and on the device of ``X``).
    intercept_ : float or ndarray of shape (n_targets,)
        The intercept (0.0 when ``fit_intercept=False``).
    sketch_size_ : int
        Rows of the sketch used.
    n_iter_ : ndarray of shape (n_targets,)
        LSQR iterations per target, both runs together (sketch-and-precondition,
        and the exact problem); 1 for sketch-and-solve (one direct solve of the
        sketched problem).
    relative_residual_ : ndarray of shape (n_targets,) or None
        Final ``||(A N)^T r|| / (||A N||_F ||r||)`` of LSQR per target
        (sketch-and-precondition, and the exact problem), else None.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string feature
        names.

    See Also
    --------
    sklearn.linear_model.LinearRegression : The exact solver.
    skpapers.sketching.SRHT : The default sketch.

    References
    ----------
    Z. Song, M. Ye, J. Yin, L. Zhang, "A Nearly-Optimal Bound for Fast Regression
    with ell_infty Guarantee", ICML 2023.

    E. N. Epperly, M. Meier, Y. Nakatsukasa, "Fast randomized least-squares solvers
    can be just as accurate and stable as classical direct solvers", 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers import SketchedLinearRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((20000, 5))
    >>> y = X @ [1.0, -2.0, 0.5, 0.2, 3.0] + 1.0 + 0.1 * rng.standard_normal(20000)
    >>> reg = SketchedLinearRegression(eps=2.0, random_state=0).fit(X, y)
    >>> reg.sketch_size_ < 20000
    True
    >>> np.round(reg.coef_, 1).tolist(), round(float(reg.intercept_), 1)
    ([1.0, -2.0, 0.5, 0.2, 3.0], 1.0)
    """

    _parameter_constraints: dict = {
        "sketch": [StrOptions(set(SKETCHES))],
        "sketch_size": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "solver": [
            StrOptions(
                {"sketch_and_solve", "sketch_and_precondition", "gram_precondition"}
            )
        ],
        "eps": [Interval(numbers.Real, 0, None, closed="neither")],
        "delta": [Interval(numbers.Real, 0, 1, closed="neither")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        sketch="srht",
        sketch_size="auto",
        solver="sketch_and_solve",
        eps=1.0,
        delta=0.01,
        fit_intercept=True,
        tol=1e-14,
        max_iter=100,
        random_state=None,
    ):
        self.sketch = sketch
        self.sketch_size = sketch_size
        self.solver = solver
        self.eps = eps
        self.delta = delta
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.array_api_support = True
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags

    def _resolve_sketch_size(self, n_samples, n_columns):
        if self.sketch_size != "auto":
            m = self.sketch_size
        elif self.solver == "sketch_and_solve":
            m = linf_sketch_size(n_samples, n_columns, self.eps, self.delta)
            # A sketch of half the rows or more costs more than the exact problem
            # (the sketched problem alone is half its Gram matrix): solve that.
            if 2 * m > n_samples:
                m = n_samples
        else:
            m = _PRECONDITION_ROWS_PER_COLUMN * n_columns
        return min(int(m), n_samples)

    @_fit_context(prefer_skip_nested_validation=True)
    @keep_state_on_error
    def fit(self, X, y, sample_weight=None):
        """Fit the linear model through a sketch of the rows of ``[X 1]`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask.array} of shape (n_samples, n_features)
            Training data; a ``dask.array`` is sketched block by block.
        y : array-like or dask.array of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the squared residuals.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        # The one place the namespace is decided: NumPy for NumPy, SciPy sparse
        # and Dask input; the solver and the sketch are handed it.
        xp = dispatch_namespace(X) or np
        if is_dask(X):
            X, y, sample_weight = self._check_dask(X, y, sample_weight)
        else:
            X, y, sample_weight = self._check_in_memory(X, y, sample_weight, xp)
        where = "cpu" if is_numpy_namespace(xp) else device(X)
        n_samples, n_features = X.shape
        sqrt_weight = None if sample_weight is None else xp.sqrt(sample_weight)
        single_target = y.ndim == 1
        Y = xp.reshape(y, (-1, 1)) if single_target else y
        n_columns = n_features + self.fit_intercept
        m = self._resolve_sketch_size(n_samples, n_columns)
        if self.solver != "sketch_and_solve" and m < min(n_samples, n_columns):
            raise ValueError(
                f"solver={self.solver!r} needs sketch_size >= "
                f"{min(n_samples, n_columns)} (n_features"
                f"{' + 1 for the intercept' if self.fit_intercept else ''}, or "
                f"n_samples if smaller): the sketch must embed every column of X to "
                f"precondition it, got sketch_size={m}. Use a larger sketch_size "
                "(20 per column by default with 'auto')."
            )
        sketch = make_sketch(self.sketch, m, n_samples, self.random_state)
        coef, intercept, n_iter, relative_residual = self._solve(
            X, Y, sketch, sqrt_weight, xp
        )
        coef = xp.astype(coef.T, X.dtype)
        intercept = xp.astype(intercept, X.dtype)
        if not bool(xp.all(xp.isfinite(coef))):
            raise ValueError(
                f"The coefficients overflow X's dtype {X.dtype}: y is too large "
                "for it, or X too small. Pass X as float64 (or rescale y)."
            )
        self.coef_ = coef[0, :] if single_target else coef
        self.intercept_ = float(intercept[0]) if single_target else intercept
        self.sketch_size_ = m
        self.n_iter_ = xp.asarray(n_iter, device=where)
        if relative_residual is not None:
            wide = widest_float(xp, where)
            relative_residual = xp.asarray(relative_residual, dtype=wide, device=where)
        self.relative_residual_ = relative_residual
        return self

    def _solve(self, X, Y, sketch, sqrt_weight, xp):
        """``(coef, intercept, n_iter, relative_residual)`` by ``self.solver``.

        Sketch-and-solve with the identity for a sketch (the exact problem) is
        left to the full-accuracy solver, which solves it fastest.
        """
        if self.solver == "sketch_and_solve" and sketch.shape[0] < Y.shape[0]:
            coef, intercept = sketch_and_solve(
                X,
                Y,
                sketch,
                sqrt_weight=sqrt_weight,
                fit_intercept=self.fit_intercept,
                xp=xp,
            )
            # One direct solve of the sketched problem.
            return coef, intercept, np.ones(Y.shape[1], dtype=np.int64), None
        return sketch_and_precondition(
            X,
            Y,
            sketch,
            sqrt_weight=sqrt_weight,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            max_iter=self.max_iter,
            xp=xp,
            gram=self.solver != "sketch_and_precondition",
        )

    def _check_in_memory(self, X, y, sample_weight, xp):
        """Validated ``(X, y, sample_weight)``: ``y`` and the weights in the widest
        float of ``X``'s namespace and device."""
        numpy = is_numpy_namespace(xp)
        if not numpy and self.sketch not in ("srht", "gaussian"):
            raise ValueError(
                f"sketch={self.sketch!r} has no array-API (CuPy, torch) path: the "
                "sparse sketches build SciPy sparse matrices on the host. Use "
                "sketch='srht' or 'gaussian', or NumPy input."
            )
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"] if numpy else False,
            dtype=[xp.float64, xp.float32],
            multi_output=True,
            y_numeric=True,
        )
        where = "cpu" if numpy else device(X)
        wide = widest_float(xp, where)
        y = xp.astype(np.asarray(y) if numpy else move_to_namespace(y, xp, where), wide)
        # Finite values whose Gram matrix overflows would reach LAPACK as inf
        # (where an SVD can spin for ever): refused here, in X's dtype.
        check_magnitude(X.data if sp.issparse(X) else X, "X")
        check_magnitude(y, "y", dtype=X.dtype)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=wide, ensure_non_negative=True
            )
        return X, y, sample_weight

    def _check_dask(self, X, y, sample_weight):
        """Shape and dtype checks of Dask input, without reading it.

        NaN and infinity are caught after sketching (a sketch of them is not
        finite), so the data is read only once.
        """
        import dask.array as da

        if get_config()["array_api_dispatch"]:
            raise ValueError(
                "SketchedLinearRegression does not combine a dask.array with "
                "array_api_dispatch=True: fit Dask input with dispatch off "
                "(sklearn.config_context(array_api_dispatch=False)), or "
                "CuPy/torch arrays with it on."
            )
        if X.ndim != 2:
            raise ValueError(
                f"Expected a 2-D dask array for X, got {X.ndim} dimension(s)."
            )
        if not np.issubdtype(X.dtype, np.number):
            raise ValueError(f"X must be numeric, got dtype {X.dtype}.")
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(
                f"Found array with {X.shape[0]} sample(s) and {X.shape[1]} "
                "feature(s) while at least 1 is required."
            )
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if X.numblocks[1] > 1:
            X = X.rechunk({1: -1})
        y = da.asarray(y)
        if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"y has shape {y.shape}; expected {X.shape[0]} rows to match X."
            )
        y = dask_rows(y.astype(np.float64), X.chunks[0])
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                np.asarray(sample_weight),
                np.empty((X.shape[0], 0)),
                dtype=np.float64,
                ensure_non_negative=True,
            )
        self.n_features_in_ = X.shape[1]
        if hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return X, y, sample_weight

    def predict(self, X):
        """Predict with the linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix, dask.array} of shape (n_samples, n_features)
            Samples; a ``dask.array`` gives a lazy ``dask.array`` of predictions.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predicted values, in the namespace and on the device of ``X``.
        """
        check_is_fitted(self)
        check_same_namespace(X, self, attribute="coef_", method="predict")
        xp = dispatch_namespace(X)
        if xp is not None:
            X = validate_data(self, X, dtype=[xp.float64, xp.float32], reset=False)
            dtype = xp.result_type(X.dtype, self.coef_.dtype)
            coef = xp.astype(self.coef_, dtype)
            intercept = self.intercept_
            if coef.ndim == 2:
                coef, intercept = coef.T, xp.astype(intercept, dtype)
            return xp.astype(X, dtype) @ coef + intercept
        if is_dask(X):
            if X.ndim != 2 or X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[-1]} features, but SketchedLinearRegression is "
                    f"expecting {self.n_features_in_} features as input."
                )
            return X @ self.coef_.T + self.intercept_
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            reset=False,
        )
        y = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
        return np.asarray(y) if sp.issparse(y) else y
