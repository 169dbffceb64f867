"""Orthonormal polynomial bases, index sets, exact sampling of the optimal density."""

import itertools
from math import comb

import numpy as np
import pytest
from scipy.stats import kstest

from skpapers.sampling import (
    PolynomialBasis,
    hermite,
    hyperbolic_cross_indices,
    legendre,
    tensor_indices,
    total_degree_indices,
)
from skpapers.sampling._bases import (
    _sample_hermite_squared,
    _sample_legendre_squared,
)

from ._laws import hermite_squared_cdf, optimal_marginal_cdf, squared_cdf


def _quadrature(family, n_nodes):
    """Nodes and probability weights exact for polynomials of degree 2 n - 1."""
    if family == "legendre":
        nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
        return nodes, weights / 2
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)
    return nodes, weights / np.sqrt(2 * np.pi)


@pytest.mark.parametrize(
    "family, evaluate", [("legendre", legendre), ("hermite", hermite)]
)
def test_univariate_families_are_orthonormal(family, evaluate):
    nodes, weights = _quadrature(family, 25)
    V = evaluate(nodes, 20)
    np.testing.assert_allclose(V.T @ (V * weights[:, None]), np.eye(21), atol=1e-9)


@pytest.mark.parametrize("family", ["legendre", "hermite"])
@pytest.mark.parametrize("index_set", ["total_degree", "hyperbolic_cross", "tensor"])
def test_tensor_basis_is_orthonormal_and_christoffel_integrates_to_m(family, index_set):
    basis = PolynomialBasis(family, degree=4, n_dims=2, index_set=index_set)
    nodes, weights = _quadrature(family, 8)
    X = np.array(list(itertools.product(nodes, nodes)))
    w = np.prod(list(itertools.product(weights, weights)), axis=1)
    features = basis.evaluate(X)
    np.testing.assert_allclose(
        features.T @ (features * w[:, None]), np.eye(basis.n_basis), atol=1e-10
    )
    assert np.isclose(w @ basis.christoffel(X), basis.n_basis)


def _brute_force(n_dims, degree, keep):
    return {
        alpha
        for alpha in itertools.product(range(degree + 1), repeat=n_dims)
        if keep(np.array(alpha))
    }


@pytest.mark.parametrize("n_dims, degree", [(1, 4), (2, 5), (3, 4), (5, 2)])
def test_index_sets(n_dims, degree):
    cases = [
        (total_degree_indices, lambda a: a.sum() <= degree),
        (hyperbolic_cross_indices, lambda a: np.prod(a + 1) <= degree + 1),
        (tensor_indices, lambda a: True),
    ]
    for make, keep in cases:
        indices = make(n_dims, degree)
        assert {tuple(a) for a in indices.tolist()} == _brute_force(
            n_dims, degree, keep
        )
        assert len(indices) == len({tuple(a) for a in indices.tolist()})
        assert not indices[0].any()  # constant first
        assert np.all(np.diff(indices.sum(axis=1)) >= 0)  # graded order
    assert len(total_degree_indices(n_dims, degree)) == comb(n_dims + degree, degree)


def test_legendre_rejection_envelope():
    # The exactness of the Legendre sampler rests on p_k^2 <= 2 g (g the arcsine
    # density w.r.t. the uniform measure): check it on a fine grid.
    x = np.cos(np.linspace(1e-7, np.pi - 1e-7, 100_001))
    arcsine = 2 / (np.pi * np.sqrt(1 - x**2))
    assert np.max(legendre(x, 60) ** 2 / arcsine[:, None]) <= 2.0


def test_hermite_squared_cdf_is_the_distribution_function():
    x = np.linspace(-12, 12, 48_001)
    for k in (0, 1, 4, 11):
        F = hermite_squared_cdf(x, k)
        density = hermite(x, k)[:, k] ** 2 * np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi)
        np.testing.assert_allclose(np.gradient(F, x), density, atol=1e-6)
        assert F[0] < 1e-12 and abs(F[-1] - 1) < 1e-12


@pytest.mark.parametrize(
    "family, sample, k",
    [
        ("legendre", _sample_legendre_squared, 0),
        ("legendre", _sample_legendre_squared, 3),
        ("legendre", _sample_legendre_squared, 12),
        ("hermite", _sample_hermite_squared, 0),
        ("hermite", _sample_hermite_squared, 2),
        ("hermite", _sample_hermite_squared, 7),
    ],
)
def test_univariate_squared_samplers_follow_their_law(family, sample, k):
    x = sample(k, 3000, np.random.RandomState(k))
    assert kstest(x, lambda t: squared_cdf(family, t, k)).pvalue > 1e-3


@pytest.mark.parametrize("family", ["legendre", "hermite"])
def test_optimal_density_marginals(family):
    basis = PolynomialBasis(family, degree=3, n_dims=2, index_set="hyperbolic_cross")
    X = basis.sample_optimal(3000, random_state=1)
    for coordinate in range(2):
        cdf = optimal_marginal_cdf(basis, coordinate)
        assert kstest(X[:, coordinate], cdf).pvalue > 1e-3
    # and the measure itself
    Y = basis.sample_measure(3000, random_state=1)
    assert kstest(Y[:, 0], lambda t: squared_cdf(family, t, 0)).pvalue > 1e-3


def test_basis_equality_repr_and_bad_arguments():
    basis = PolynomialBasis("hermite", degree=2, n_dims=3)
    assert basis == PolynomialBasis("hermite", degree=2, n_dims=3)
    assert basis != PolynomialBasis("hermite", degree=3, n_dims=3)
    assert "hermite" in repr(basis) and "Gaussian" in basis.measure
    with pytest.raises(ValueError, match="family must be one of"):
        PolynomialBasis("chebyshev")
    with pytest.raises(ValueError, match="index_set must be one of"):
        PolynomialBasis(index_set="sparse")
    with pytest.raises(ValueError, match="degree must be"):
        PolynomialBasis(degree=-1)
    with pytest.raises(ValueError, match="n_dims must be"):
        PolynomialBasis(n_dims=0)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 3\)"):
        basis.evaluate(np.zeros((4, 2)))
