"""Exact distribution functions used by the sampling tests."""

import numpy as np
from scipy.special import ndtr

from skpapers.sampling import hermite, legendre


def hermite_squared_cdf(x, k):
    """Distribution function of h_k(x)^2 dgamma, gamma the standard Gaussian.

    ``F_k(x) = Phi(x) - phi(x) sum_{j=1}^k h_j(x) h_{j-1}(x) / sqrt(j)`` (the
    closed form derived in ``skpapers/sampling/_bases.py``).
    """
    x = np.asarray(x, dtype=np.float64)
    h = hermite(x, k)
    series = np.zeros_like(x)
    for j in range(1, k + 1):
        series += h[:, j] * h[:, j - 1] / np.sqrt(j)
    return ndtr(x) - np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi) * series


def legendre_squared_cdf(x, k):
    """int_{-1}^x p_k(t)^2 dt / 2, exact by Gauss-Legendre quadrature on [-1, x]."""
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    nodes, weights = np.polynomial.legendre.leggauss(k + 2)
    half = (x[:, None] + 1) / 2
    t = half * (nodes[None, :] + 1) - 1
    values = legendre(t.ravel(), k)[:, k].reshape(t.shape) ** 2
    return np.sum(values * weights * half, axis=1) / 2


def squared_cdf(family, x, k):
    if family == "legendre":
        return legendre_squared_cdf(x, k)
    return hermite_squared_cdf(np.atleast_1d(x), k)


def optimal_marginal_cdf(basis, coordinate):
    """Distribution function of one coordinate under (k_m / m) dmu."""
    degrees = basis.multi_indices[:, coordinate]

    def cdf(x):
        return np.mean([squared_cdf(basis.family, x, int(k)) for k in degrees], axis=0)

    return cdf
