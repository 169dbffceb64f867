"""The random calibrated derivatives of EnsLoss, and the fixed losses' derivatives."""

import numpy as np
import pytest
from scipy.special import inv_boxcox

from skpapers.ensemble._ensloss_derivatives import (
    DERIVATIVE_SHIFT,
    ensloss_derivatives,
    fixed_loss_derivatives,
    inverse_boxcox,
    loss_derivatives,
)
from skpapers.ensemble._kernels import LOSS_CODES, ensloss_batch_derivatives
from skpapers.ensemble._kernels import _fixed_derivative as kernel_fixed_derivative

LAMBDAS = [0.0, -1.0, -0.4, 0.3, 1.0]


def _margin_batches(rng, n_batches):
    """Margins as training produces them: spread, tied, all zero, beyond 1."""
    for index in range(n_batches):
        size = int(rng.integers(1, 200))
        kind = index % 4
        if kind == 0:
            margins = rng.normal(scale=3.0, size=size)
        elif kind == 1:  # heavy ties, as from a coarse model
            margins = rng.integers(-3, 4, size=size).astype(float) / 2
        elif kind == 2:  # the first batch of a zero-initialised model
            margins = np.zeros(size)
        else:  # a well-fitted model: most margins beyond 1
            margins = 1.0 + rng.exponential(2.0, size=size)
        yield margins, rng.standard_normal(size)


def _assert_calibrated_convex(margins, normals, g, boxcox_lambda):
    # calibration: negative everywhere, so at (and around) margin 0 too
    assert np.all(g <= -DERIVATIVE_SHIFT * (1 - 1e-9))
    order = np.argsort(margins, kind="stable")
    s, gs = margins[order], g[order]
    # convexity: non-decreasing in the margin, equal on tied margins
    assert np.all(np.diff(gs) >= 0)
    assert np.all(gs[1:][np.diff(s) == 0] == gs[:-1][np.diff(s) == 0])
    # the interpolated derivative at 0 is negative
    if s[0] <= 0 <= s[-1] and np.ptp(s) > 0:
        assert np.interp(0.0, s, gs) < 0
    # tail rule: undoing the shift and the 1/s factor gives the ranked values in
    # [-1, 0]; where no margins tie they are exactly the clipped -T(z), sorted.
    ranked = (gs + DERIVATIVE_SHIFT) * np.where(s > 1, s, 1.0)
    assert np.all(np.diff(ranked) >= -1e-12)
    assert np.all((ranked >= -1 - 1e-12) & (ranked <= 1e-12))
    if np.unique(s).size == s.size:
        expected = np.sort(np.maximum(-inverse_boxcox(normals, boxcox_lambda), -1.0))
        np.testing.assert_allclose(ranked, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("boxcox_lambda", LAMBDAS)
def test_random_derivatives_are_convex_and_calibrated_on_every_batch(boxcox_lambda):
    rng = np.random.default_rng(LAMBDAS.index(boxcox_lambda))
    for margins, normals in _margin_batches(rng, 400):
        g = ensloss_derivatives(margins, normals, boxcox_lambda)
        _assert_calibrated_convex(margins, normals, g, boxcox_lambda)
        # the compiled kernel follows the same rule
        g_kernel = np.empty_like(margins)
        ensloss_batch_derivatives(margins, normals, boxcox_lambda, g_kernel)
        np.testing.assert_allclose(g_kernel, g, rtol=1e-12, atol=1e-15)


def test_random_derivatives_depend_on_the_draws():
    rng = np.random.default_rng(0)
    margins = rng.normal(size=64)
    first = ensloss_derivatives(margins, rng.standard_normal(64))
    second = ensloss_derivatives(margins, rng.standard_normal(64))
    assert not np.allclose(first, second)


def test_columns_are_independent_binary_problems():
    rng = np.random.default_rng(1)
    margins, normals = rng.normal(size=(50, 3)), rng.standard_normal((50, 3))
    g = ensloss_derivatives(margins, normals, 0.5)
    for k in range(3):
        np.testing.assert_array_equal(
            g[:, k], ensloss_derivatives(margins[:, k], normals[:, k], 0.5)
        )
    with pytest.raises(ValueError, match="same shape"):
        ensloss_derivatives(margins, normals[:, :2])


@pytest.mark.parametrize("boxcox_lambda", [-1.0, -0.5, 0.5, 1.0, 2.0])
def test_inverse_boxcox_matches_scipy_where_defined(boxcox_lambda):
    z = np.linspace(-4, 4, 81)
    t = inverse_boxcox(z, boxcox_lambda)
    defined = 1 + boxcox_lambda * z > 0
    np.testing.assert_allclose(t[defined], inv_boxcox(z[defined], boxcox_lambda))
    # outside the domain: 0 for a positive lambda, infinity for a negative one
    assert np.all(t[~defined] == (np.inf if boxcox_lambda < 0 else 0.0))
    np.testing.assert_allclose(inverse_boxcox(z, 0.0), np.exp(z))


_LOSSES = {
    "bce": lambda s: np.logaddexp(0.0, -s),
    "hinge": lambda s: np.maximum(1.0 - s, 0.0),
    "exponential": lambda s: np.exp(-s),
}


@pytest.mark.parametrize("loss", sorted(_LOSSES))
def test_fixed_derivatives_are_the_losses_derivatives(loss):
    s = np.linspace(-6, 6, 241)
    s = s[np.abs(s - 1.0) > 1e-3]  # away from the hinge's kink
    h = 1e-6
    numeric = (_LOSSES[loss](s + h) - _LOSSES[loss](s - h)) / (2 * h)
    np.testing.assert_allclose(fixed_loss_derivatives(s, loss), numeric, atol=1e-6)
    kernel = [kernel_fixed_derivative(v, LOSS_CODES[loss]) for v in s]
    np.testing.assert_allclose(kernel, fixed_loss_derivatives(s, loss), rtol=1e-14)
    np.testing.assert_array_equal(
        loss_derivatives(s, loss), fixed_loss_derivatives(s, loss)
    )


def test_bce_derivative_does_not_overflow():
    g = fixed_loss_derivatives(np.array([-1000.0, 1000.0]), "bce")
    np.testing.assert_allclose(g, [-1.0, 0.0])
    with pytest.raises(ValueError, match="loss must be one of"):
        fixed_loss_derivatives(np.zeros(2), "squared")
