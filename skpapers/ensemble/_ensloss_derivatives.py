"""Loss derivatives for EnsLoss: random calibrated ones, and those of fixed losses.

Notation (Dai et al., EnsLoss). Labels :math:`y \\in \\{-1, +1\\}`, score
:math:`f(x)`, margin :math:`s = y f(x)`. A margin loss :math:`\\phi(s)` is
minimised by empirical risk minimisation (ERM). Bartlett, Jordan & McAuliffe
(2006) show that a *convex* :math:`\\phi` is classification-calibrated (its ERM
is consistent for accuracy) if and only if it is differentiable at 0 with
:math:`\\phi'(0) < 0`. In terms of the derivative :math:`g = \\phi'` the two
conditions read

- convexity: :math:`g` is non-decreasing;
- calibration: :math:`g` is continuous at 0 and :math:`g(0) < 0`.

A gradient step only needs :math:`g` at the batch's margins, so EnsLoss skips
the loss and draws these values directly, a fresh random legitimate loss per
mini-batch (doubly stochastic gradient descent). For a batch of margins
:math:`s_1, \\dots, s_B`:

1. draw :math:`z_1, \\dots, z_B \\sim N(0, 1)` i.i.d.;
2. map them through the inverse Box-Cox transform with parameter
   :math:`\\lambda`: :math:`t = e^{z}` when :math:`\\lambda = 0`, else
   :math:`t = ((1 + \\lambda z)_+)^{1/\\lambda}`, so :math:`t \\ge 0`;
3. negate, sort ascending and clip below at -1:
   :math:`d_{(1)} \\le \\dots \\le d_{(B)}` in :math:`[-1, 0]`;
4. assign by rank: the sample with the k-th smallest margin gets
   :math:`d_{(k)}`; samples with tied margins share the mean of their ranks'
   values (so the derivative is a function of the margin);
5. raise the tail: :math:`g_i = d_i / s_i` where :math:`s_i > 1`;
6. subtract :math:`10^{-6}`, so every :math:`g_i < 0`.

Why the result is the derivative of a convex calibrated loss. After step 4,
:math:`s_i < s_j` implies :math:`g_i \\le g_j` (sorted values on sorted
margins; a tie group's mean lies between its smallest and largest value, so it
keeps the order). Step 5 keeps that order: for negative :math:`d` and
:math:`s > 1`, :math:`d / s \\ge d`, so values beyond 1 stay above those at or
below 1; and for :math:`1 < s_i < s_j`, :math:`|g_j| \\le |g_i|` gives
:math:`|g_j| / s_j \\le |g_i| / s_i`. Step 6 shifts all values down, so all are
negative. Interpolating linearly between consecutive margins and holding the
end values constant outside gives a continuous, non-decreasing, negative
:math:`g` on the whole line; :math:`\\phi(s) = \\int_0^s g(u)\\,du` is then
convex, differentiable everywhere and has :math:`\\phi'(0) = g(0) < 0`: a
classification-calibrated convex loss whose derivatives at the batch's margins
are exactly the :math:`g_i`. (The clipping bounds :math:`|g| \\le 1`, so the
loss is 1-Lipschitz like the logistic and hinge losses.)

The update is the gradient of :math:`\\frac{1}{B}\\sum_i g_i s_i` with the
:math:`g_i` held constant, which equals the gradient of
:math:`\\frac{1}{B}\\sum_i \\phi(s_i)`: plain SGD with random derivatives. The
fixed losses of the paper's comparison go through the same loop with their own
derivatives: binary cross-entropy (logistic) :math:`\\phi(s) = \\log(1 +
e^{-s})`, hinge :math:`\\phi(s) = (1 - s)_+`, exponential :math:`\\phi(s) =
e^{-s}`.

These are the NumPy reference implementations; ``_kernels.py`` holds the same
rule compiled by numba for the linear model's training loop.
"""

import numpy as np

#: Subtracted from every random derivative, so that all are strictly negative.
DERIVATIVE_SHIFT = 1e-6

LOSSES = ("ensloss", "bce", "hinge", "exponential")


def inverse_boxcox(z, boxcox_lambda):
    """Inverse Box-Cox transform, a non-negative value for every real ``z``.

    Parameters
    ----------
    z : ndarray
        Real values (standard normal draws in EnsLoss).
    boxcox_lambda : float
        The transform's parameter :math:`\\lambda`.

    Returns
    -------
    t : ndarray
        ``exp(z)`` when ``boxcox_lambda == 0``, else
        ``max(1 + boxcox_lambda * z, 0) ** (1 / boxcox_lambda)`` (``inf`` where
        the base is 0 and ``boxcox_lambda < 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.ensemble._ensloss_derivatives import inverse_boxcox
    >>> inverse_boxcox(np.array([0.0, 1.0]), 1.0)
    array([1., 2.])
    """
    z = np.asarray(z)
    if boxcox_lambda == 0:
        return np.exp(z)
    base = np.maximum(1.0 + boxcox_lambda * z, 0.0)
    with np.errstate(divide="ignore"):
        return base ** (1.0 / boxcox_lambda)


def ensloss_derivatives(margins, normals, boxcox_lambda=0.0):
    """Random calibrated loss derivatives at a batch of margins.

    Parameters
    ----------
    margins : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Margins :math:`s_i = y_i f(x_i)` of one mini-batch; with two dimensions
        each column is a separate binary problem (one-vs-rest) with its own
        random loss.
    normals : ndarray of the same shape
        Standard normal draws :math:`z`, one per margin.
    boxcox_lambda : float, default=0.0
        Parameter :math:`\\lambda` of the inverse Box-Cox transform.

    Returns
    -------
    derivatives : ndarray of the same shape
        :math:`g_i = \\phi'(s_i)` for a random convex calibrated loss
        :math:`\\phi`: negative, non-decreasing in the margin (equal on tied
        margins), in :math:`[-1 - 10^{-6}, -10^{-6}]`, and divided by the margin
        where it exceeds 1.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.ensemble._ensloss_derivatives import ensloss_derivatives
    >>> margins = np.array([2.0, -1.0, 0.5, 3.0])
    >>> g = ensloss_derivatives(margins, np.random.default_rng(0).normal(size=4))
    >>> bool(np.all(g < 0)), bool(np.all(np.diff(g[np.argsort(margins)]) >= 0))
    (True, True)
    """
    margins = np.asarray(margins)
    normals = np.asarray(normals)
    if margins.shape != normals.shape:
        raise ValueError(
            f"margins {margins.shape} and normals {normals.shape} must have the "
            "same shape: one normal draw per margin."
        )
    if margins.ndim == 2:
        return np.column_stack(
            [
                ensloss_derivatives(margins[:, k], normals[:, k], boxcox_lambda)
                for k in range(margins.shape[1])
            ]
        ).reshape(margins.shape)
    n = margins.shape[0]
    derivatives = np.empty(n, dtype=margins.dtype)
    if n == 0:
        return derivatives
    # Most negative value first; clipping at -1 keeps every |g| <= 1.
    values = np.maximum(-np.sort(inverse_boxcox(normals, boxcox_lambda))[::-1], -1.0)
    order = np.argsort(margins)
    sorted_margins = margins[order]
    starts = np.concatenate(([0], np.flatnonzero(np.diff(sorted_margins)) + 1))
    counts = np.diff(np.append(starts, n))
    values = np.repeat(np.add.reduceat(values, starts) / counts, counts)
    derivatives[order] = values
    tail = margins > 1.0
    derivatives[tail] /= margins[tail]
    return derivatives - DERIVATIVE_SHIFT


def fixed_loss_derivatives(margins, loss):
    """Derivative :math:`\\phi'(s)` of a fixed margin loss.

    Parameters
    ----------
    margins : ndarray
        Margins :math:`s = y f(x)`.
    loss : {"bce", "hinge", "exponential"}
        ``"bce"``: :math:`\\log(1 + e^{-s})`, derivative :math:`-1 / (1 + e^s)`;
        ``"hinge"``: :math:`(1 - s)_+`, derivative -1 below 1 and 0 from 1 on;
        ``"exponential"``: :math:`e^{-s}`, derivative :math:`-e^{-s}`.

    Returns
    -------
    derivatives : ndarray of the same shape

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.ensemble._ensloss_derivatives import fixed_loss_derivatives
    >>> fixed_loss_derivatives(np.array([0.0, 2.0]), "hinge")
    array([-1.,  0.])
    """
    margins = np.asarray(margins)
    if loss == "bce":
        # -1 / (1 + e^s) written to avoid overflow for large |s|.
        e = np.exp(-np.abs(margins))
        return -np.where(margins >= 0, e / (1.0 + e), 1.0 / (1.0 + e))
    if loss == "hinge":
        return np.where(margins < 1.0, -1.0, 0.0).astype(margins.dtype, copy=False)
    if loss == "exponential":
        # Overflow gives -inf, which the training loop reports as divergence.
        with np.errstate(over="ignore"):
            return -np.exp(-margins)
    raise ValueError(f"loss must be one of {LOSSES[1:]}, got {loss!r}.")


def loss_derivatives(margins, loss, normals=None, boxcox_lambda=0.0):
    """Loss derivatives at a batch of margins, random (EnsLoss) or fixed.

    Parameters
    ----------
    margins : ndarray of shape (n_samples,) or (n_samples, n_outputs)
    loss : {"ensloss", "bce", "hinge", "exponential"}
    normals : ndarray of the same shape as ``margins``, or None
        Standard normal draws; required for ``"ensloss"``.
    boxcox_lambda : float, default=0.0

    Returns
    -------
    derivatives : ndarray of the same shape
    """
    if loss == "ensloss":
        return ensloss_derivatives(margins, normals, boxcox_lambda)
    return fixed_loss_derivatives(margins, loss)
