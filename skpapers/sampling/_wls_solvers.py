"""Weighted least squares on selected points (Nouy & Michel's estimator).

a_hat = argmin_a sum_i w_i (y_i - f(x_i)^T a)^2 for raw features f spanning V_m:
the fitted function does not depend on the basis of V_m chosen, so the solve uses
the raw features (coefficients a user can read) while the sampling and the weights
w = m / k_m use an orthonormal basis (``skpapers.sampling``). It is the ordinary
least-squares problem for sqrt(w) f(x_i) and sqrt(w) y_i, solved by an SVD-based
``lstsq`` (minimum-norm solution when the selected features are rank deficient).
Arrays of another namespace (CuPy, torch under ``array_api_dispatch=True``) are
solved on their device by QR and an SVD of R, with the same minimum-norm cut-off.
"""

import numpy as np
from scipy.linalg import lstsq

from ..utils._array_api import dispatch_namespace
from ..utils._array_api import lstsq as lstsq_xp


def weighted_least_squares(features, y, weights):
    """Minimiser of sum_i w_i (y_i - features_i^T a)^2.

    Parameters
    ----------
    features : ndarray of shape (n, p)
        NumPy, or (under ``array_api_dispatch=True``) any array namespace, in
        which case ``y`` and ``weights`` are arrays of that namespace too.
    y : ndarray of shape (n,) or (n, n_targets)
    weights : ndarray of shape (n,)
        Positive weights.

    Returns
    -------
    coef : ndarray of shape (p,) or (p, n_targets)

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.sampling._wls_solvers import weighted_least_squares
    >>> F = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> weighted_least_squares(F, np.array([1.0, 3.0, 5.0]), np.ones(3)).round(6)
    array([1., 2.])
    """
    xp = dispatch_namespace(features)
    if xp is not None:
        root = xp.sqrt(xp.astype(weights, features.dtype))
        rhs = xp.astype(y, features.dtype)
        rhs = root * rhs if rhs.ndim == 1 else root[:, None] * rhs
        column = rhs.ndim == 1
        coef = lstsq_xp(
            root[:, None] * features,
            xp.reshape(rhs, (-1, 1)) if column else rhs,
            xp,
        )
        return coef[:, 0] if column else coef
    root = np.sqrt(np.asarray(weights, dtype=np.float64))
    y = np.asarray(y, dtype=np.float64)
    rhs = root * y if y.ndim == 1 else root[:, None] * y
    coef, *_ = lstsq(root[:, None] * features, rhs, lapack_driver="gelsd")
    return coef
