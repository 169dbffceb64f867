"""Array-namespace helpers following scikit-learn's ``array_api_dispatch`` convention.

With ``sklearn.set_config(array_api_dispatch=True)`` an estimator computes in the
namespace of its input (CuPy, torch, ``array_api_strict`` ...) and keeps its fitted
arrays there. With dispatch off (the default) everything is NumPy, and the numba
kernels may be used. ``array_api_compat`` is only imported when dispatch is on.
"""

import numpy as np
from sklearn import get_config


def get_namespace(*arrays):
    """Return the array namespace of ``arrays`` and whether dispatch is on.

    Parameters
    ----------
    *arrays : array-like
        Arrays (``None`` entries are ignored).

    Returns
    -------
    xp : module
        The array-API compatible namespace: the inputs' own when
        ``array_api_dispatch`` is enabled, NumPy otherwise.
    is_array_api : bool
        True when dispatch is enabled and ``xp`` may be something other than NumPy.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.utils import get_namespace
    >>> xp, is_array_api = get_namespace(np.ones(3))
    >>> xp.__name__, is_array_api
    ('numpy', False)
    """
    if not get_config()["array_api_dispatch"]:
        return np, False
    from array_api_compat import array_namespace

    arrays = [a for a in arrays if a is not None]
    if not arrays:
        return np, True
    return array_namespace(*arrays), True


def is_numpy_namespace(xp):
    """Whether ``xp`` is NumPy (plain or wrapped), so the numba kernels apply.

    Parameters
    ----------
    xp : module
        An array namespace, as returned by :func:`get_namespace`.

    Returns
    -------
    is_numpy : bool
        True for ``numpy`` and ``array_api_compat.numpy``.

    Examples
    --------
    >>> import numpy as np
    >>> import array_api_strict
    >>> from skpapers.utils import is_numpy_namespace
    >>> is_numpy_namespace(np), is_numpy_namespace(array_api_strict)
    (True, False)
    """
    return xp.__name__ in {"numpy", "array_api_compat.numpy"}


def device(x):
    """Device of array ``x`` (``"cpu"`` for NumPy arrays).

    Parameters
    ----------
    x : array
        An array of any array-API namespace (NumPy, CuPy, torch ...).

    Returns
    -------
    device : str or device object
        ``"cpu"`` for a NumPy array, else the array's own device.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.utils import device
    >>> device(np.zeros(3))
    'cpu'
    """
    if isinstance(x, np.ndarray):
        return "cpu"
    from array_api_compat import device as _device

    return _device(x)


def to_numpy(x):
    """Copy an array of any namespace (CuPy, torch, ...) into a NumPy array.

    Examples
    --------
    >>> from skpapers.utils import to_numpy
    >>> to_numpy([1.0, 2.0])
    array([1., 2.])
    """
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "get"):  # CuPy
        return x.get()
    if hasattr(x, "detach"):  # torch
        return x.detach().cpu().numpy()
    if type(x).__module__.startswith("array_api_strict"):
        # array_api_strict refuses the conversion on its simulated non-CPU devices.
        import array_api_strict

        x = array_api_strict.asarray(x, device=array_api_strict.Device("CPU_DEVICE"))
    return np.asarray(x)


def float_dtype(xp, x):
    """Floating dtype to compute in for ``x``: float32 stays float32, else float64.

    Parameters
    ----------
    xp : module
        The array namespace of ``x``.
    x : array
        The input array.

    Returns
    -------
    dtype : dtype
        ``xp.float32`` when ``x`` is float32, ``xp.float64`` otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.utils import float_dtype
    >>> float_dtype(np, np.ones(2, dtype=np.float32)), float_dtype(np, np.arange(2))
    (<class 'numpy.float32'>, <class 'numpy.float64'>)
    """
    if x.dtype == xp.float32:
        return xp.float32
    return xp.float64


def check_same_namespace(X, estimator, *, attribute, method):
    """Raise if ``X`` is not in the namespace and on the device of the fit.

    With ``array_api_dispatch`` on, an estimator fitted on (say) CuPy arrays must be
    given CuPy arrays on the same device; NumPy arrays and array-likes are
    interchangeable with a NumPy fit. With dispatch off this does nothing.

    Parameters
    ----------
    X : array-like
        Input of ``method``.
    estimator : estimator
        The fitted estimator.
    attribute : str
        A fitted array attribute whose namespace and device are the fit's.
    method : str
        Name of the calling method, for the message.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.naive_bayes import PooledGaussianNB
    >>> from skpapers.utils import check_same_namespace
    >>> clf = PooledGaussianNB().fit(np.array([[0.0], [1.0]]), [0, 1])
    >>> check_same_namespace([[0.5]], clf, attribute="theta_", method="predict")
    """
    if not get_config()["array_api_dispatch"]:
        return
    fitted = getattr(estimator, attribute)
    xp_fit, _ = get_namespace(fitted)
    try:
        xp_X, _ = get_namespace(X)
    except TypeError:  # a list or other array-like: only NumPy fits accept it
        xp_X = np
    if is_numpy_namespace(xp_fit) and is_numpy_namespace(xp_X):
        return
    if xp_X.__name__ == xp_fit.__name__ and device(X) == device(fitted):
        return
    where_fit = f"{xp_fit.__name__} on {device(fitted)}"
    where_X = "NumPy" if is_numpy_namespace(xp_X) else f"{xp_X.__name__} on {device(X)}"
    raise ValueError(
        f"Inputs passed to {type(estimator).__name__}.{method}() must use the "
        f"same namespace and the same device as those passed to fit(): fitted "
        f"with {where_fit}, got {where_X}. Move X there first (or refit)."
    )


def dispatch_namespace(A):
    """Namespace of ``A`` if it is a non-NumPy array under ``array_api_dispatch``.

    None for NumPy arrays, SciPy sparse matrices, Dask arrays and array-likes
    (lists, DataFrames), and whenever dispatch is off: the NumPy (numba) path of
    the caller then runs.
    """
    if not get_config()["array_api_dispatch"]:
        return None
    if isinstance(A, np.ndarray) or type(A).__module__.split(".")[0] in (
        "scipy",
        "dask",
    ):
        return None
    try:
        xp, _ = get_namespace(A)
    except TypeError:
        return None
    return None if is_numpy_namespace(xp) else xp


def widest_float(xp, where):
    """The widest real floating dtype that ``xp`` offers on device ``where``."""
    info = xp.__array_namespace_info__()
    if "float64" in info.dtypes(kind="real floating", device=where):
        return xp.float64
    return xp.float32


def move_to_namespace(a, xp, where):
    """``a`` (an array of any namespace, or an array-like) in ``xp`` on ``where``."""
    if not hasattr(a, "shape"):
        return xp.asarray(np.asarray(a), device=where)
    a_xp, is_array_api = get_namespace(a)
    if not is_array_api:
        return np.asarray(a)
    if a_xp.__name__ == xp.__name__ and device(a) == where:
        return a
    try:
        from sklearn.utils._array_api import move_to
    except ImportError:  # older scikit-learn: go through the host
        return xp.asarray(to_numpy(a), device=where)
    return move_to(a, xp=xp, device=where)


def truncated_svd_of_r(A, xp, rtol=None):
    """SVD of a tall ``A`` through its QR factors, cut at the numerical rank.

    ``A = Q R`` and ``R = U S V^T``, so ``A = (Q U) S V^T``; the array API
    standard has no pivoted QR, and this is the rank-revealing form it allows.

    Parameters
    ----------
    A : array of shape (n, p)
        Any array-API namespace, ``n >= p``.
    xp : module
        The namespace of ``A``.
    rtol : float, default=None
        Singular values ``s <= rtol * s_1`` are cut; ``None`` means
        ``max(n, p) * eps``, LAPACK's ``gelsd`` default.

    Returns
    -------
    Q : array of shape (n, p)
        Orthonormal columns, ``A = Q R``.
    U : array of shape (p, k)
        The ``k`` kept left singular vectors of ``R`` (``Q U`` are those of ``A``).
    s : array of shape (k,)
        The kept singular values, decreasing; ``k = 0`` when ``A`` is zero.
    V : array of shape (p, k)
        The kept right singular vectors.
    """
    Q, R = xp.linalg.qr(A)
    U, s, Vt = xp.linalg.svd(R, full_matrices=False)
    if rtol is None:
        rtol = max(A.shape) * xp.finfo(A.dtype).eps
    cutoff = rtol * float(s[0]) if s.shape[0] else 0.0
    rank = int(xp.sum(xp.astype(s > cutoff, xp.int64)))
    return Q, U[:, :rank], s[:rank], Vt[:rank, :].T


def lstsq(A, B, xp, factors=None):
    """Minimum-norm least-squares solution of ``A X = B`` in any namespace.

    Parameters
    ----------
    A : array of shape (n, p)
    B : array of shape (n, k)
    xp : module
        The namespace of ``A`` and ``B``.
    factors : tuple, default=None
        ``truncated_svd_of_r(A, xp)`` if already computed (it is reused).

    Returns
    -------
    X : array of shape (p, k)
        ``V S^+ U^T Q^T B`` from :func:`truncated_svd_of_r`.
    """
    Q, U, s, V = truncated_svd_of_r(A, xp) if factors is None else factors
    return V @ ((U.T @ (Q.T @ B)) / s[:, None])
