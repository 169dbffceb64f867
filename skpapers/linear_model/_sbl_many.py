"""One sparse recovery per measurement vector, for many vectors, in parallel.

A common use of :class:`~skpapers.linear_model.KroneckerSBL` recovers one sparse
channel per user, subcarrier or time slot: ``y_j = A x_j + n_j`` for ``j = 1..J``
with one dictionary ``A`` (often given by its Kronecker factors) and independent
``x_j``. The recoveries share nothing but ``A``, so they are embarrassingly parallel:
:func:`fit_many` fits one clone of the estimator per column of ``Y`` through
``joblib.Parallel``, which runs them on local processes, or on a Dask cluster under
``joblib.parallel_backend("dask")``; a ``dask.array`` of measurement vectors is
recovered block by block of columns, lazily, where the blocks live.
"""

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone

from ..utils import get_namespace, import_optional, is_dask


def fit_many(estimator, X, Y, *, factors=None, n_jobs=None, return_estimators=False):
    """Fit one clone of ``estimator`` to each measurement vector (column of ``Y``).

    The fits are independent and run through ``joblib.Parallel``: on ``n_jobs``
    local workers, or on a Dask cluster inside
    ``with joblib.parallel_backend("dask"):``, where the shared dictionary is
    scattered to the workers once. A ``dask.array`` ``Y`` gives a lazy
    ``dask.array`` of coefficients, computed block by block of columns wherever
    Dask runs (the optional extra ``pip install "skpapers[dask]"``).

    Parameters
    ----------
    estimator : estimator instance
        A single-output regressor with a ``coef_`` attribute after ``fit(X, y)``,
        typically :class:`~skpapers.linear_model.KroneckerSBL`. It is cloned, not
        modified.
    X : array-like of shape (n_samples, n_features) or None
        The dictionary shared by every measurement vector (None when ``factors``
        is given).
    Y : array-like or dask.array of shape (n_samples, n_vectors)
        The measurement vectors, one per column (real or, with ``factors``,
        complex). A ``dask.array`` may be chunked along the columns.
    factors : sequence of array-like, default=None
        The dictionary as Kronecker factors, passed to each ``fit`` as
        ``factors=`` (:class:`~skpapers.linear_model.KroneckerSBL`).
    n_jobs : int, default=None
        Number of joblib workers for an in-memory ``Y`` (None means 1 unless in a
        ``joblib.parallel_backend`` context, -1 all). Ignored for a ``dask.array``.
    return_estimators : bool, default=False
        Also return the fitted clones (for their other attributes, e.g.
        ``noise_variance_``). Not available for a ``dask.array`` ``Y``.

    Returns
    -------
    coef : ndarray or dask.array of shape (n_vectors, n_features)
        Row ``j`` is the ``coef_`` fitted to ``Y[:, j]``.
    estimators : list of estimator
        The fitted clones, in the order of the columns; only with
        ``return_estimators=True``.

    See Also
    --------
    KroneckerSBL : The estimator this is designed for.
    sklearn.multioutput.MultiOutputRegressor : The same for a real ``X`` given in
        full, as an estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.linear_model import KroneckerSBL, fit_many
    >>> rng = np.random.default_rng(0)
    >>> factors = [rng.standard_normal((6, 10)), rng.standard_normal((8, 12))]
    >>> coef = np.zeros((3, 10, 12))  # x_j = u_j (x) v_j: a Kronecker support
    >>> coef[[0, 1, 2], [1, 4, 8], 3:5] = 1.0 + rng.random((3, 2))
    >>> coef = coef.reshape(3, 120)
    >>> Y = np.kron(*factors) @ coef.T + 0.01 * rng.standard_normal((48, 3))
    >>> est = KroneckerSBL()
    >>> recovered = fit_many(est, None, Y, factors=factors)
    >>> recovered.shape
    (3, 120)
    >>> one = est.fit(None, Y[:, 1], factors=factors).coef_
    >>> bool(np.array_equal(recovered[1], one))
    True
    >>> bool(np.linalg.norm(recovered - coef) < 0.1 * np.linalg.norm(coef))
    True
    """
    if not hasattr(estimator, "fit"):
        raise ValueError(
            f"estimator must be an estimator with a fit method, got "
            f"{type(estimator).__name__}."
        )
    if X is None and factors is None:
        raise ValueError(
            "Pass the dictionary shared by the measurement vectors, as X or as factors."
        )
    factors = [] if factors is None else list(factors)
    if is_dask(Y):
        if return_estimators:
            raise ValueError(
                "return_estimators=True needs an in-memory Y; a dask.array Y gives "
                "only the coefficients (compute Y first to keep the estimators)."
            )
        return _fit_many_dask(estimator, X, Y, factors)

    Y = _check_measurements(Y)
    fitted = Parallel(n_jobs=n_jobs)(
        delayed(_fit_one)(estimator, Y[:, j], X, *factors) for j in range(Y.shape[1])
    )
    coefs = [est.coef_ for est in fitted]
    xp, _ = get_namespace(coefs[0])
    coef = xp.stack(coefs)
    return (coef, fitted) if return_estimators else coef


def _fit_one(estimator, y, X, *factors):
    # The factors travel as separate arguments: joblib's Dask backend scatters
    # large arrays once, but not a list of them.
    estimator = clone(estimator)
    if factors:
        return estimator.fit(X, y, factors=list(factors))
    return estimator.fit(X, y)


def _fit_block(Y_block, estimator, X, factors, out_dtype):
    """``coef`` of shape (n_features, k) for the ``k`` columns of a block."""
    coefs = [
        _fit_one(estimator, Y_block[:, j], X, *factors).coef_
        for j in range(Y_block.shape[1])
    ]
    return np.stack(coefs, axis=1).astype(out_dtype, copy=False)


def _fit_many_dask(estimator, X, Y, factors):
    da = import_optional("dask.array", purpose="fit_many with a dask.array Y")
    if Y.ndim != 2:
        raise ValueError(
            f"Y must be 2-D, one measurement vector per column; got a "
            f"{Y.ndim}-D dask array of shape {Y.shape}."
        )
    if X is not None:
        n_features = np.shape(X)[1]
        dictionary = [np.asarray(X)]
    else:
        n_features = int(np.prod([np.shape(a)[1] for a in factors]))
        dictionary = [np.asarray(a) for a in factors]
    dtype = np.result_type(Y.dtype, *(a.dtype for a in dictionary), np.float64)
    # Every fit needs a whole measurement vector: one chunk along the rows.
    Y = Y.rechunk({0: -1})
    coef = da.map_blocks(
        _fit_block,
        Y,
        chunks=((n_features,), Y.chunks[1]),
        dtype=dtype,
        meta=np.empty((0, 0), dtype=dtype),
        estimator=clone(estimator),
        X=X,
        factors=factors,
        out_dtype=dtype,
    )
    return coef.T


def _check_measurements(Y):
    # Array-API arrays (CuPy, torch) stay as they are; lists, DataFrames, ... do not.
    if not hasattr(Y, "__array_namespace__"):
        Y = np.asarray(Y)
    if len(Y.shape) != 2:
        raise ValueError(
            f"Y must be 2-D, one measurement vector per column; got shape "
            f"{tuple(Y.shape)}. For one vector use estimator.fit, or pass "
            "Y[:, None]."
        )
    if Y.shape[1] == 0:
        raise ValueError("Y has no columns: there is no measurement vector to fit.")
    return Y
