r"""Solvers for online orthogonal dictionary learning by the Frank-Wolfe method.

Model and notation
------------------
Samples :math:`y \in \mathbb{R}^n` follow :math:`y = D_0 x` with an orthogonal
dictionary :math:`D_0 \in O(n)` (atoms in columns) and Bernoulli-Gaussian codes
:math:`x` (each entry non-zero with probability :math:`\theta`). For an orthogonal
:math:`D` the code of :math:`y` is simply :math:`z = D^\top y`. In scikit-learn's
row convention a batch :math:`Y \in \mathbb{R}^{m \times n}` holds samples in rows,
its codes are :math:`Z = Y D` and ``components_`` is :math:`D^\top`.

Sparse codes have a large :math:`\ell_p` norm for :math:`p > 2` at fixed
:math:`\ell_2` norm, so the dictionary is learned by maximising

.. math:: f(D) = \tfrac{1}{p}\, \mathbb{E}\, \|D^\top y\|_p^p ,

(``p = 4`` is the objective of MSP, Zhai et al. 2020; ``p = 3`` is the other choice
of the same line of work) over the orthogonal group. The online algorithm relaxes
:math:`O(n)` to its convex hull, the spectral-norm unit ball
:math:`\mathcal{B} = \{D : \|D\|_2 \le 1\}`. Because :math:`f` is convex its maximum
over :math:`\mathcal{B}` is attained at an extreme point of :math:`\mathcal{B}`, i.e.
at an orthogonal matrix, so the relaxation keeps the optimal value.

Derivation of the updates
-------------------------
* Gradient. With :math:`\varphi(z) = \operatorname{sign}(z)\,|z|^{p-1}` (entrywise),
  :math:`\nabla f(D) = \mathbb{E}[\, y\, \varphi(D^\top y)^\top ]`; on a mini-batch
  :math:`G_t = \tfrac{1}{m} Y_t^\top \varphi(Y_t D_t)` (:func:`stochastic_gradient`).
* Gradient averaging. A single batch gives a noisy :math:`G_t`; the running estimate
  :math:`\hat G_t = (1 - \rho_t)\hat G_{t-1} + \rho_t G_t` with
  :math:`\rho_t = \min(1, c_\rho t^{-b})` (:func:`average_gradient`) has a
  variance of order :math:`\rho_t \to 0`.
* Linear maximisation oracle. :math:`\max_{S \in \mathcal{B}} \langle \hat G_t, S
  \rangle = \|\hat G_t\|_*` by von Neumann's trace inequality, attained at the polar
  factor :math:`S_t = U V^\top` of :math:`\hat G_t = U \Sigma V^\top`
  (:func:`linear_maximization_oracle`).
* Frank-Wolfe step. :math:`D_{t+1} = (1 - \eta_t) D_t + \eta_t S_t` with
  :math:`\eta_t = \min(1, c_\eta (t + 1)^{-a})` (:func:`frank_wolfe_step`); a
  convex combination, so :math:`D_{t+1}` stays in :math:`\mathcal{B}`. With
  :math:`b < a` the iterate moves more slowly (:math:`\eta_t / \rho_t \to 0`)
  than the average forgets, so :math:`\hat G_t` tracks the gradient at the
  current iterate while averaging out the batch noise. The schedule
  :math:`a = 3/4`, :math:`b = 1/2` is the one that analyses of stochastic
  Frank-Wolfe with gradient averaging use for a gap rate of order
  :math:`t^{-1/4}` (the paper states :math:`O(\ln t / t^{1/4})`), with
  :math:`c_\eta = 2, c_\rho = 4` in the authors' code; the estimator's defaults
  :math:`a = 1, c_\eta = 8` (with :math:`p = 4`) are chosen by the measurements
  in its docstring.
* Frank-Wolfe gap. :math:`g_t = \max_{S \in \mathcal{B}} \langle \hat G_t, S - D_t
  \rangle = \|\hat G_t\|_* - \langle \hat G_t, D_t\rangle \ge 0`, zero exactly at
  stationary points of the relaxed problem (:func:`frank_wolfe_gap`).
* Reported dictionary. :math:`D_t` is a convex combination of orthogonal matrices;
  the dictionary reported is its polar factor, the orthogonal matrix nearest to
  :math:`D_t` in Frobenius norm (:func:`polar_factor`).

With :math:`c_\eta \ge 2^a` and :math:`c_\rho \ge 1`, :math:`\rho_1 = \eta_1 = 1`,
so the first step is one MSP step from a random orthogonal start. Nothing but
:math:`D_t` and :math:`\hat G_t` (:math:`2 n^2` numbers) is kept between batches.

MSP (:func:`msp`), the batch baseline, is the fixed-point iteration
:math:`D \leftarrow \operatorname{polar}(\nabla f(D))` on all the data: Frank-Wolfe
with :math:`\eta_t = \rho_t = 1` and full gradients.

The authors' code (GitHub yokoxue/Online-ODL, ``NoncvxSFW``) runs this step with
:math:`p = 3`, :math:`c_\eta = 2, a = 3/4, c_\rho = 4, b = 1/2` (uncapped) and
projects the iterate onto the orthogonal group after each step (``project=True``).

Every function is written against the array namespace of its inputs (NumPy, CuPy,
torch, ``array_api_strict``). There is no numba kernel: a step is two BLAS
products and two ``n x n`` SVDs, and a fused numba gradient was 3 to 30 times
slower than the BLAS one for every batch of more than one sample (at one sample
it saves 5 microseconds of a step that costs about a millisecond).
"""

from ..utils import device, get_namespace


def code_gradient(Z, p):
    r"""Entrywise :math:`\varphi(z) = \operatorname{sign}(z) |z|^{p-1}`.

    The derivative of :math:`\tfrac{1}{p} |z|^p`.

    Parameters
    ----------
    Z : array of shape (n_samples, n_components)
        Codes.
    p : float
        Exponent of the objective, ``p > 2``.

    Returns
    -------
    phi : array of the shape of ``Z``
    """
    xp, _ = get_namespace(Z)
    if p == 4:
        return Z * Z * Z
    if p == 3:
        return Z * xp.abs(Z)
    return xp.sign(Z) * xp.abs(Z) ** (p - 1)


def stochastic_gradient(Y, D, p):
    r"""Mini-batch gradient :math:`G = \tfrac{1}{m} Y^\top \varphi(Y D)` of ``f``.

    Parameters
    ----------
    Y : array of shape (m, n)
        The mini-batch, samples in rows.
    D : array of shape (n, n)
        Current dictionary, atoms in columns.
    p : float
        Exponent of the objective.

    Returns
    -------
    G : array of shape (n, n)

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.decomposition._odl_solvers import stochastic_gradient
    >>> Y = np.array([[1.0, 0.0], [0.0, 2.0]])
    >>> stochastic_gradient(Y, np.eye(2), p=4)
    array([[0.5, 0. ],
           [0. , 8. ]])
    """
    return Y.T @ code_gradient(Y @ D, p) / Y.shape[0]


def average_gradient(G_hat, G, rho):
    r"""Running gradient estimate :math:`(1 - \rho) \hat G + \rho G`."""
    return (1.0 - rho) * G_hat + rho * G


def polar_factor(A):
    r"""Orthogonal polar factor :math:`U V^\top` of ``A = U \Sigma V^\top``.

    It is the orthogonal matrix nearest to ``A`` in Frobenius norm, and the
    maximiser of :math:`\langle A, S\rangle` over the spectral-norm unit ball.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.decomposition._odl_solvers import polar_factor
    >>> polar_factor(np.diag([2.0, -0.5]))
    array([[ 1.,  0.],
           [ 0., -1.]])
    """
    xp, _ = get_namespace(A)
    Q = _polar_newton_schulz(A, xp)
    if Q is None:
        Q, _ = _polar_and_nuclear_norm(A)
    return Q


def _polar_newton_schulz(A, xp, max_iter=8):
    r"""Polar factor of a nearly orthogonal ``A`` by Newton-Schulz, or None.

    :math:`X \leftarrow X (3 I - X^	op X) / 2` converges quadratically to the
    polar factor when :math:`\|I - A^	op A\|_2 < 1` (its Frobenius norm below 1
    is checked, a sufficient condition): two matrix products a step instead of an
    SVD. The Frank-Wolfe iterate :math:`D_t` moves by :math:`\eta_t 	o 0` a
    step, so it is nearly orthogonal after the first steps. None (the caller
    falls back to the SVD) when the condition fails or the iteration has not
    converged to rounding within ``max_iter`` steps.
    """
    n = A.shape[1]
    eye = xp.eye(n, dtype=A.dtype, device=device(A))
    tol = 10 * n * xp.finfo(A.dtype).eps
    X = A
    for _ in range(max_iter):
        XtX = X.T @ X
        error = float(xp.linalg.vector_norm(XtX - eye))
        if error >= 0.9:
            return None
        X = 1.5 * X - 0.5 * (X @ XtX)
        if error < tol:
            return X
    return None


def _polar_and_nuclear_norm(A):
    xp, _ = get_namespace(A)
    U, s, Vt = xp.linalg.svd(A, full_matrices=False)
    return U @ Vt, xp.sum(s)


def linear_maximization_oracle(G):
    r"""Solve :math:`\max_{\|S\|_2 \le 1} \langle G, S \rangle`.

    Parameters
    ----------
    G : array of shape (n, n)

    Returns
    -------
    S : array of shape (n, n)
        The polar factor of ``G``, an orthogonal matrix.
    value : float
        The maximum, the nuclear norm :math:`\|G\|_*`.
    """
    S, value = _polar_and_nuclear_norm(G)
    return S, float(value)


def frank_wolfe_gap(G_hat, D, S=None):
    r"""Frank-Wolfe gap :math:`\max_{\|S\|_2 \le 1} \langle \hat G, S - D\rangle`.

    Parameters
    ----------
    G_hat : array of shape (n, n)
        Gradient (estimate) at ``D``.
    D : array of shape (n, n)
        Point of the spectral-norm unit ball.
    S : array of shape (n, n), default=None
        The oracle's answer for ``G_hat`` if already known.

    Returns
    -------
    gap : float
        Non-negative for ``D`` in the ball; zero at stationary points.
    """
    xp, _ = get_namespace(G_hat, D)
    if S is None:
        S, _ = linear_maximization_oracle(G_hat)
    return float(xp.sum(G_hat * (S - D)))


def frank_wolfe_step(D, S, eta):
    r"""Move from ``D`` towards the oracle's vertex: :math:`(1 - \eta) D + \eta S`."""
    return (1.0 - eta) * D + eta * S


def step_sizes(t, step_decay, averaging_decay, step_scale=1.0, averaging_scale=1.0):
    r"""Schedules :math:`\eta_t` and :math:`\rho_t` at step ``t`` (from 1).

    :math:`\eta_t = \min(1, c_\eta (t + 1)^{-a})` and :math:`\rho_t = \min(1,
    c_\rho t^{-b})` with ``a = step_decay``, ``b = averaging_decay``, :math:`c_\eta`
    = ``step_scale`` and :math:`c_\rho` = ``averaging_scale``. The authors' code
    (``NoncvxSFW``) uses :math:`c_\eta = 2, a = 3/4, c_\rho = 4, b = 1/2` (its
    step counter starts at 0: ``2/(it+2)^(3/4)`` and ``4/(it+1)^(1/2)``) without
    the cap at 1; the cap keeps the gradient average a convex combination (with
    :math:`\rho_t > 1` it extrapolates, for the first 15 steps of that rule).

    Examples
    --------
    >>> from skpapers.decomposition._odl_solvers import step_sizes
    >>> step_sizes(15, 0.75, 0.5)
    (0.125, 0.25819888974716115)
    >>> step_sizes(1, 0.75, 0.5, step_scale=2, averaging_scale=4)
    (1.0, 1.0)
    """
    eta = step_scale * float(t + 1) ** -step_decay
    rho = averaging_scale * float(t) ** -averaging_decay
    return min(1.0, eta), min(1.0, rho)


def online_frank_wolfe_step(
    Y,
    D,
    G_hat,
    t,
    *,
    p,
    step_decay,
    averaging_decay,
    step_scale=1.0,
    averaging_scale=1.0,
    project=False,
):
    r"""One step of online Frank-Wolfe on the mini-batch ``Y``.

    Parameters
    ----------
    Y : array of shape (m, n)
        Mini-batch, samples in rows.
    D : array of shape (n, n)
        Current iterate :math:`D_t` in the spectral-norm unit ball.
    G_hat : array of shape (n, n)
        Gradient estimate :math:`\hat G_{t-1}` (ignored when ``t == 1``, where
        :math:`\rho_1 = 1`).
    t : int
        Step number, starting at 1.
    p : float
        Exponent of the objective.
    step_decay, averaging_decay, step_scale, averaging_scale : float
        The schedules of :func:`step_sizes`.
    project : bool, default=False
        Replace the new iterate by its polar factor (the authors' ``NoncvxSFW``
        projects back onto the orthogonal group after every step).

    Returns
    -------
    D_next : array of shape (n, n)
        :math:`D_{t+1}`.
    G_hat : array of shape (n, n)
        :math:`\hat G_t`.
    gap : float
        Frank-Wolfe gap of :math:`\hat G_t` at :math:`D_t`.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.decomposition._odl_solvers import online_frank_wolfe_step
    >>> rng = np.random.default_rng(0)
    >>> Y = rng.standard_normal((50, 3))
    >>> D, G_hat, gap = online_frank_wolfe_step(
    ...     Y, np.eye(3), np.zeros((3, 3)), 1, p=4, step_decay=0.75,
    ...     averaging_decay=0.5, project=True)
    >>> bool(np.allclose(D.T @ D, np.eye(3))), gap >= 0
    (True, True)
    """
    eta, rho = step_sizes(t, step_decay, averaging_decay, step_scale, averaging_scale)
    G_hat = average_gradient(G_hat, stochastic_gradient(Y, D, p), rho)
    S, _ = linear_maximization_oracle(G_hat)
    gap = frank_wolfe_gap(G_hat, D, S)
    D_next = frank_wolfe_step(D, S, eta)
    if project:
        D_next = polar_factor(D_next)
    return D_next, G_hat, gap


def lp_objective(Y, D, p):
    r"""Sample mean of :math:`\tfrac{1}{p} \|D^\top y\|_p^p` over the rows of ``Y``."""
    xp, _ = get_namespace(Y, D)
    return float(xp.sum(xp.abs(Y @ D) ** p) / (p * Y.shape[0]))


def threshold_codes(Z, threshold, mode="hard"):
    """Hard or soft thresholding of the codes ``Z``.

    Hard keeps entries with ``|z| > threshold`` unchanged and zeroes the rest; soft
    also shrinks the survivors by ``threshold`` towards zero.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.decomposition._odl_solvers import threshold_codes
    >>> threshold_codes(np.array([[-2.0, 0.5, 1.5]]), 1.0, "hard")
    array([[-2. ,  0. ,  1.5]])
    >>> threshold_codes(np.array([[-2.0, 0.5, 1.5]]), 1.0, "soft")
    array([[-1. ,  0. ,  0.5]])
    """
    xp, _ = get_namespace(Z)
    magnitude = xp.abs(Z)
    if mode == "hard":
        return Z * xp.astype(magnitude > threshold, Z.dtype)
    if mode == "soft":
        shrunk = magnitude - threshold
        return xp.sign(Z) * xp.where(shrunk > 0, shrunk, xp.zeros_like(shrunk))
    raise ValueError(f"mode must be 'hard' or 'soft', got {mode!r}.")


def msp(Y, p=4, *, max_iter=100, tol=1e-10, D_init=None, random_state=None):
    r"""Batch :math:`\ell_p` maximisation by matching, stretching and projection.

    The fixed-point iteration :math:`D \leftarrow \operatorname{polar}(Y^\top
    \varphi(Y D))` of Zhai et al. (2020) over the orthogonal group, on all the data
    at once (``p = 4`` is their method).

    Parameters
    ----------
    Y : ndarray of shape (n_samples, n)
        All samples, in rows.
    p : float, default=4
    max_iter : int, default=100
    tol : float, default=1e-10
        Stop when :math:`\|D_{k+1} - D_k\|_F^2 / n` falls below ``tol``.
    D_init : ndarray of shape (n, n), default=None
        Orthogonal start; random (from ``random_state``) when None.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    D : ndarray of shape (n, n)
        Orthogonal dictionary, atoms in columns.
    n_iter : int

    Examples
    --------
    >>> from skpapers.datasets import make_orthogonal_sparse
    >>> from skpapers.decomposition import dictionary_recovery_error
    >>> from skpapers.decomposition._odl_solvers import msp
    >>> X, dictionary, _ = make_orthogonal_sparse(4000, 8, random_state=0)
    >>> D, _ = msp(X, random_state=0)
    >>> bool(dictionary_recovery_error(D.T, dictionary) < 1e-2)
    True
    """
    import numpy as np
    from sklearn.utils import check_random_state

    n = Y.shape[1]
    if D_init is None:
        D_init = random_orthogonal(n, check_random_state(random_state))
    D, n_iter = D_init, 0
    while n_iter < max_iter:
        n_iter += 1
        D_next = polar_factor(stochastic_gradient(Y, D, p))
        change = np.sum((D_next - D) ** 2) / n
        D = D_next
        if change < tol:
            break
    return D, n_iter


def random_orthogonal(n, rng):
    """Haar-distributed ``n x n`` orthogonal matrix drawn from ``rng``."""
    import numpy as np

    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.sign(np.diag(R))


def dictionary_recovery_error(components, true_components):
    r"""Dictionary recovery error :math:`|\|C C_0^\top\|_4^4 / n - 1|`.

    The error the authors of online orthogonal DL report (their code's
    ``abs(sum((A @ D_true) ** 4) / n - 1)``), the complete-dictionary error of
    Zhai et al. (2020). It is 0 exactly when every learned atom is, up to sign, a
    true atom (for an orthogonal ``components``: a signed permutation of
    ``true_components``), the symmetries no method can resolve. For atoms of norm at
    most 1 (orthogonal dictionaries, scikit-learn's dictionary learners) the sum is
    at most ``n``, so the error is :math:`1 - \|C C_0^\top\|_4^4 / n \in [0, 1]`.

    Parameters
    ----------
    components : array of shape (n_components, n_features)
        Learned atoms in rows (``components_`` of
        :class:`~skpapers.OnlineOrthogonalDictionaryLearning` or of scikit-learn's
        dictionary learners).
    true_components : array of shape (n_features, n_features)
        The orthogonal ground truth, atoms in rows.

    Returns
    -------
    error : float

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.decomposition import dictionary_recovery_error
    >>> C0 = np.eye(3)
    >>> dictionary_recovery_error(-C0[[2, 0, 1]], C0)
    0.0
    >>> dictionary_recovery_error(2 * C0, C0)  # atoms too long: 16 - 1
    15.0
    """
    xp, _ = get_namespace(components, true_components)
    n = true_components.shape[0]
    return abs(float(xp.sum((components @ true_components.T) ** 4)) / n - 1.0)
