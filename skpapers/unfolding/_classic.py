r"""Classic sparse-recovery iterations: ISTA, FISTA and IHT, batched over samples.

Model and notation (the paper's): each sample is a measurement vector
:math:`y = A x + w \in \mathbb{R}^m` of a sparse signal :math:`x \in \mathbb{R}^n`
through a known measurement matrix :math:`A` (``m x n``, usually ``m < n``), with
noise :math:`w`. The signal is estimated by minimising

.. math::

    F(x) = \tfrac12 \|y - A x\|_2^2 + \lambda R(x), \qquad
    R(x) = \|x\|_1 \ \text{(convex)} \quad \text{or} \quad \|x\|_0
    \ \text{(nonconvex)}.

Derivation. The smooth part :math:`f(x) = \frac12\|y - Ax\|^2` has gradient
:math:`A^T (A x - y)`, Lipschitz with constant :math:`L = \|A\|_2^2`. A proximal
gradient step of size :math:`\gamma` linearises :math:`f` at :math:`x_k` and solves
:math:`\min_x \frac{1}{2\gamma}\|x - (x_k + \gamma A^T(y - A x_k))\|^2 + \lambda
R(x)`, which separates over coordinates:

- :math:`R = \|\cdot\|_1`: :math:`x_{k+1} = \operatorname{soft}(z_k, \lambda\gamma)`,
  :math:`\operatorname{soft}(z, \theta) = \operatorname{sign}(z)\max(|z| - \theta,
  0)` (ISTA);
- :math:`R = \|\cdot\|_0`: keep :math:`z_i` when :math:`z_i^2 / (2\gamma) > \lambda`,
  i.e. :math:`x_{k+1} = \operatorname{hard}(z_k, \sqrt{2\lambda\gamma})` (IHT);

with :math:`z_k = x_k + \gamma A^T (y - A x_k)`. :math:`\gamma = 1/L` makes each
step a majorise-minimise step, so :math:`F` never increases. FISTA takes the ISTA
step from the extrapolated point :math:`v_k = x_k + \frac{t_{k-1} - 1}{t_k}(x_k -
x_{k-1})`, :math:`t_k = \frac{1 + \sqrt{1 + 4 t_{k-1}^2}}{2}`, improving the rate
on :math:`F` from :math:`O(1/k)` to :math:`O(1/k^2)`. All start at :math:`x_0 = 0`.

The iterations run in the numba kernels of :mod:`skpapers.unfolding._kernels`,
which exploit the sparsity of the iterates (``benchmarks/bench_unfolded.py``).
"""

import numpy as np
from sklearn.utils.validation import check_array

from ..utils._docstrings import fill_doc
from ._kernels import accelerated_proximal_gradient, proximal_gradient

_PENALTIES = ("l1", "l0")


# Parameters and Returns of ista, fista and iht, written once.
_solver_doc = fill_doc(
    solver_parameters="""Parameters
    ----------
    measurements : array-like of shape (n_samples, m)
        One measurement vector ``y`` per row.
    measurement_matrix : array-like of shape (m, n)
        The measurement matrix ``A``.
    lam : float
        The regularisation weight ``lambda``.
    n_iter : int, default=100
        Number of iterations.
    step_size : float or array-like of shape (n_iter,), default=None
        Step size ``gamma`` (one per iteration if an array). None: ``1 / L`` with
        ``L = ||A||_2^2``.
    iterates_at : array-like of int, default=None
        Sorted iteration counts (0 is the starting point ``x_0 = 0``) at which to
        also return the iterate.

    Returns
    -------
    signals : ndarray of shape (n_samples, n)
        The last iterate of every sample, in the dtype of ``measurement_matrix``
        (float32 or float64).
    path : ndarray of shape (len(iterates_at), n_samples, n)
        The iterates after ``iterates_at`` iterations; only if ``iterates_at`` is
        given."""
)


def _check_problem(measurements, measurement_matrix):
    A = check_array(
        measurement_matrix,
        dtype=[np.float64, np.float32],
        input_name="measurement_matrix",
    )
    Y = check_array(measurements, dtype=A.dtype, input_name="measurements")
    if Y.shape[1] != A.shape[0]:
        raise ValueError(
            f"measurements have {Y.shape[1]} features but measurement_matrix has "
            f"{A.shape[0]} rows: each measurement vector y must have length m, "
            "the number of rows of A (m x n)."
        )
    return Y, A


def lipschitz_constant(measurement_matrix):
    """Lipschitz constant ``L = ||A||_2^2`` of the gradient of ``0.5 ||y - Ax||^2``.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.unfolding import lipschitz_constant
    >>> float(lipschitz_constant(np.diag([3.0, 1.0])))
    9.0
    """
    A = np.asarray(measurement_matrix, dtype=np.float64)
    return float(np.linalg.norm(A, 2) ** 2)


def _step_sizes(step_size, n_iter, A, dtype):
    if step_size is None:
        L = lipschitz_constant(A)
        if L == 0.0:
            raise ValueError(
                "measurement_matrix is zero: the measurements carry no information "
                "about the signal."
            )
        step_size = 1.0 / L
    if np.ndim(step_size) > 1 or (np.ndim(step_size) == 1 and len(step_size) != n_iter):
        raise ValueError(
            f"step_size must be a scalar or have one entry per iteration "
            f"(n_iter={n_iter}), got shape {np.shape(step_size)}."
        )
    steps = np.broadcast_to(np.asarray(step_size, dtype=dtype), (n_iter,))
    if not np.all(np.isfinite(steps)) or np.any(steps <= 0):
        raise ValueError("step_size must be positive and finite.")
    return np.ascontiguousarray(steps)


def _checkpoints(iterates_at, n_iter):
    if iterates_at is None:
        return np.zeros(0, dtype=np.int64)
    checkpoints = np.asarray(iterates_at, dtype=np.int64).ravel()
    if np.any(np.diff(checkpoints) < 0) or np.any(
        (checkpoints < 0) | (checkpoints > n_iter)
    ):
        raise ValueError(
            f"iterates_at must be sorted iteration counts in [0, n_iter={n_iter}], "
            f"got {checkpoints.tolist()}."
        )
    return checkpoints


def _run(measurements, measurement_matrix, lam, n_iter, step_size, iterates_at, kind):
    if not lam >= 0:
        raise ValueError(f"lam must be non-negative, got {lam}.")
    if n_iter < 0:
        raise ValueError(f"n_iter must be non-negative, got {n_iter}.")
    Y, A = _check_problem(measurements, measurement_matrix)
    dtype = A.dtype
    steps = _step_sizes(step_size, n_iter, A, dtype)
    if kind == "iht":
        thresholds = np.sqrt(2.0 * lam * steps).astype(dtype)
    else:
        thresholds = (lam * steps).astype(dtype)
    checkpoints = _checkpoints(iterates_at, n_iter)
    B = np.ascontiguousarray(Y @ A)
    G = np.ascontiguousarray(A.T @ A)
    path = np.zeros((len(checkpoints), *B.shape), dtype=dtype)
    out = np.empty_like(B)
    if kind == "fista":
        accelerated_proximal_gradient(B, G, steps, thresholds, checkpoints, path, out)
    else:
        proximal_gradient(
            B, G, steps, thresholds, kind == "iht", checkpoints, path, out
        )
    return out if iterates_at is None else (out, path)


@_solver_doc
def ista(
    measurements,
    measurement_matrix,
    lam,
    *,
    n_iter=100,
    step_size=None,
    iterates_at=None,
):
    """Iterative shrinkage-thresholding for the l1 problem, one solve per sample.

    ``x_{k+1} = soft(x_k + gamma_k A^T (y - A x_k), lam gamma_k)`` from ``x_0 = 0``;
    with ``gamma = 1/L`` the objective ``0.5 ||y - Ax||^2 + lam ||x||_1`` never
    increases.

    %(solver_parameters)s

    See Also
    --------
    fista, iht
    UnfoldedISTA, UnfoldedIHT : the same iterations with learned step sizes.

    Examples
    --------
    >>> from skpapers.datasets import make_sparse_recovery
    >>> from skpapers.unfolding import ista, nmse
    >>> Y, X, A = make_sparse_recovery(200, random_state=0)
    >>> X_hat = ista(Y, A, lam=0.1, n_iter=200)
    >>> bool(nmse(X, X_hat) < 0.3)
    True
    """
    return _run(
        measurements, measurement_matrix, lam, n_iter, step_size, iterates_at, "ista"
    )


@_solver_doc
def fista(
    measurements,
    measurement_matrix,
    lam,
    *,
    n_iter=100,
    step_size=None,
    iterates_at=None,
):
    """FISTA (accelerated ISTA) for the l1 problem, one solve per sample.

    ISTA steps taken from the extrapolated point ``x_k + (t_{k-1} - 1) / t_k
    (x_k - x_{k-1})``: the objective gap falls as ``O(1/k^2)`` instead of ``O(1/k)``.

    %(solver_parameters)s

    See Also
    --------
    ista, iht
    UnfoldedISTA, UnfoldedIHT : the same iterations with learned step sizes.

    Examples
    --------
    >>> from skpapers.datasets import make_sparse_recovery
    >>> from skpapers.unfolding import fista, nmse
    >>> Y, X, A = make_sparse_recovery(200, random_state=0)
    >>> X_hat = fista(Y, A, lam=0.1, n_iter=50)
    >>> bool(nmse(X, X_hat) < 0.3)
    True
    """
    return _run(
        measurements, measurement_matrix, lam, n_iter, step_size, iterates_at, "fista"
    )


@_solver_doc
def iht(
    measurements,
    measurement_matrix,
    lam,
    *,
    n_iter=100,
    step_size=None,
    iterates_at=None,
):
    """Iterative hard thresholding for the l0 problem, one solve per sample.

    ``x_{k+1} = hard(x_k + gamma_k A^T (y - A x_k), sqrt(2 lam gamma_k))`` from
    ``x_0 = 0``: entries whose magnitude does not exceed the threshold are zeroed.

    %(solver_parameters)s

    See Also
    --------
    ista, fista
    UnfoldedISTA, UnfoldedIHT : the same iterations with learned step sizes.

    Examples
    --------
    >>> from skpapers.datasets import make_sparse_recovery
    >>> from skpapers.unfolding import iht, nmse
    >>> Y, X, A = make_sparse_recovery(200, random_state=0)
    >>> X_hat = iht(Y, A, lam=0.1, n_iter=200)
    >>> bool(nmse(X, X_hat) < 0.5)
    True
    """
    return _run(
        measurements, measurement_matrix, lam, n_iter, step_size, iterates_at, "iht"
    )


def sparse_recovery_objective(measurements, measurement_matrix, signals, lam,
                              penalty="l1"):  # fmt: skip
    """Objective ``0.5 ||y - A x||^2 + lam R(x)`` of every sample.

    Parameters
    ----------
    measurements : array-like of shape (n_samples, m)
    measurement_matrix : array-like of shape (m, n)
    signals : array-like of shape (n_samples, n)
        The estimates ``x`` to evaluate.
    lam : float
    penalty : {"l1", "l0"}, default="l1"
        ``R(x) = ||x||_1`` (the ISTA/FISTA problem) or ``||x||_0`` (IHT).

    Returns
    -------
    objective : ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.unfolding import sparse_recovery_objective
    >>> A = np.eye(2)
    >>> sparse_recovery_objective([[1.0, 0.0]], A, [[0.5, 0.0]], lam=1.0)
    array([0.625])
    >>> sparse_recovery_objective([[1.0, 0.0]], A, [[0.5, 0.0]], lam=1.0, penalty="l0")
    array([1.125])
    """
    if penalty not in _PENALTIES:
        raise ValueError(f"penalty must be one of {_PENALTIES}, got {penalty!r}.")
    Y, A = _check_problem(measurements, measurement_matrix)
    X = check_array(signals, dtype=A.dtype, input_name="signals")
    if X.shape != (Y.shape[0], A.shape[1]):
        raise ValueError(
            f"signals must have shape (n_samples, n) = {(Y.shape[0], A.shape[1])}, "
            f"got {X.shape}."
        )
    data_fit = 0.5 * np.sum((Y - X @ A.T) ** 2, axis=1)
    if penalty == "l1":
        return data_fit + lam * np.sum(np.abs(X), axis=1)
    return data_fit + lam * np.count_nonzero(X, axis=1)


def nmse(signals_true, signals_pred):
    """Normalised mean squared error ``sum ||x_hat - x||^2 / sum ||x||^2``.

    The ratio of totals over all samples (the paper's NMSE; in dB,
    ``10 log10(nmse)``).

    Examples
    --------
    >>> from skpapers.unfolding import nmse
    >>> float(nmse([[1.0, 0.0], [0.0, 1.0]], [[0.5, 0.0], [0.0, 1.0]]))
    0.125
    """
    X = np.asarray(signals_true, dtype=np.float64)
    X_hat = np.asarray(signals_pred, dtype=np.float64)
    if X.shape != X_hat.shape:
        raise ValueError(
            f"signals_true and signals_pred have shapes {X.shape} and {X_hat.shape}."
        )
    return float(np.sum((X_hat - X) ** 2) / np.sum(X**2))
