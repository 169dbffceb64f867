"""Continuous-domain samplers: marginal and pair laws of the projection DPP."""

import numpy as np
import pytest
from scipy.stats import kstest

from skpapers.sampling import ContinuousSampler, PolynomialBasis
from skpapers.sampling._bases import _hermite_half_width
from skpapers.sampling._kernels import hermite_squared_quantile
from skpapers.sampling._wls_solvers import weighted_least_squares

from ._laws import optimal_marginal_cdf
from ._references import hermite_squared_quantile_numpy, use_numpy_references

N_SAMPLES = 1500


def _dpp_draws(basis, n_samples=N_SAMPLES, seed=0):
    sampler = ContinuousSampler(basis)
    rng = np.random.RandomState(seed)
    return np.array([sampler.projection_dpp(rng) for _ in range(n_samples)])


@pytest.mark.parametrize(
    "basis",
    [
        PolynomialBasis("legendre", degree=5, n_dims=1),
        PolynomialBasis("hermite", degree=2, n_dims=2),
    ],
    ids=["legendre-1d", "hermite-2d"],
)
def test_dpp_points_have_the_optimal_marginal(basis):
    # The ordered joint density det[K(x_i, x_j)] / m! is symmetric, so every
    # chain-rule position, the last (most conditioned) included, has the one-point
    # marginal K(x, x) / m dmu = (k_m / m) dmu.
    draws = _dpp_draws(basis)
    assert draws.shape == (N_SAMPLES, basis.n_basis, basis.n_dims)
    cdf = optimal_marginal_cdf(basis, 0)
    for position in (0, basis.n_basis - 1):
        assert kstest(draws[:, position, 0], cdf).pvalue > 1e-3


def test_dpp_pair_law_is_repulsive_as_the_determinant_says():
    # Pair marginal of any two positions: [K(x,x) K(y,y) - K(x,y)^2] / (m (m - 1)).
    basis = PolynomialBasis("legendre", degree=5, n_dims=1)
    m = basis.n_basis
    nodes, weights = np.polynomial.legendre.leggauss(30)
    weights = weights / 2
    Phi = basis.evaluate(nodes[:, None])
    K = Phi @ Phi.T
    pair = (np.outer(np.diag(K), np.diag(K)) - K**2) / (m * (m - 1))
    gap = (nodes[:, None] - nodes[None, :]) ** 2
    W = np.outer(weights, weights)
    exact_dpp = np.sum(W * pair * gap)
    rho = np.diag(K) / m
    exact_iid = np.sum(W * np.outer(rho, rho) * gap)
    assert np.isclose(np.sum(W * pair), 1.0)

    draws = _dpp_draws(basis, seed=1)[:, :, 0]
    # mean of (x_i - x_j)^2 over the pairs of each sample: i.i.d. over samples
    values = np.mean((draws[:, :, None] - draws[:, None, :]) ** 2, axis=(1, 2))
    values *= m / (m - 1)  # the diagonal i = j contributes zeros
    se = values.std() / np.sqrt(len(values))
    assert abs(values.mean() - exact_dpp) < 4 * se
    assert abs(exact_dpp - exact_iid) > 8 * se  # the test tells DPP from i.i.d.


def test_numba_and_numpy_paths_draw_the_same_points(monkeypatch):
    sampler = ContinuousSampler(PolynomialBasis("hermite", degree=3, n_dims=2))
    fast = sampler._projection_dpp(np.random.RandomState(4))
    with monkeypatch.context() as patch:
        use_numpy_references(patch)
        slow = sampler._projection_dpp(np.random.RandomState(4))
    np.testing.assert_array_equal(fast, slow)
    u = np.random.RandomState(5).random_sample(500)
    for k in (0, 3, 9):
        np.testing.assert_allclose(
            hermite_squared_quantile(u, k, _hermite_half_width(k)),
            hermite_squared_quantile_numpy(u, k, _hermite_half_width(k)),
            atol=1e-12,
        )


def test_dpp_interpolates_and_volume_sampling_is_quasi_optimal():
    basis = PolynomialBasis("legendre", degree=7, n_dims=1)
    m = basis.n_basis
    sampler = ContinuousSampler(basis)

    def runge(X):
        return 1 / (1 + 25 * X[:, 0] ** 2)

    nodes, weights = np.polynomial.legendre.leggauss(300)
    weights = weights / 2
    Fq, yq = basis.evaluate(nodes[:, None]), runge(nodes[:, None])
    best = np.sum(weights * (yq - Fq @ (Fq.T @ (weights * yq))) ** 2)

    def mean_error(strategy, n, seeds=range(60)):
        errors = []
        for seed in seeds:
            X, w = sampler.sample(strategy, n, random_state=seed)
            coef = weighted_least_squares(basis.evaluate(X), runge(X), w)
            if strategy == "dpp":
                np.testing.assert_allclose(basis.evaluate(X) @ coef, runge(X))
            errors.append(np.sum(weights * (yq - Fq @ coef) ** 2))
        return np.mean(errors) / best

    assert mean_error("dpp", None) > 1  # interpolation is not the best fit
    assert mean_error("volume", 2 * m) < 3
    assert mean_error("repeated_dpp", None) < 2
    # the bound is not met by unweighted uniform sampling of as many points
    assert mean_error("uniform", 2 * m) > 10


def test_sampler_returns_points_in_the_domain_with_optimal_weights():
    basis = PolynomialBasis(
        "legendre", degree=3, n_dims=3, index_set="hyperbolic_cross"
    )
    sampler = ContinuousSampler(basis)
    for strategy in ("dpp", "volume", "iid_optimal", "uniform", "repeated_dpp"):
        X, w = sampler.sample(strategy, None, random_state=0)
        assert X.shape[1] == 3 and np.all(np.abs(X) <= 1)
        if strategy != "uniform":
            np.testing.assert_allclose(w, basis.n_basis / basis.christoffel(X))
    with pytest.raises(ValueError, match="PolynomialBasis"):
        ContinuousSampler(np.eye(3))
