"""Orthonormal polynomial bases of tensor-product form, and the optimal density.

Notation (Nouy & Michel, "Weighted least-squares approximation with determinantal
point processes and generalized volume sampling"): mu is a product probability
measure on a domain X in R^d, V_m the span of m functions phi_1, ..., phi_m that are
orthonormal in L^2(mu), and

    k_m(x) = sum_j phi_j(x)^2                      (inverse Christoffel function)

with int k_m dmu = m. Two families are provided, each orthonormal for its measure:

* Legendre, mu uniform on [-1, 1]: p_k = sqrt(2k + 1) P_k, from the three-term
  recurrence (k + 1) P_{k+1} = (2k + 1) x P_k - k P_{k-1};
* Hermite, mu standard Gaussian: h_k = He_k / sqrt(k!), from
  h_{k+1} = (x h_k - sqrt(k) h_{k-1}) / sqrt(k + 1).

A multivariate basis is phi_alpha(x) = prod_i p_{alpha_i}(x_i) for the multi-indices
alpha of an index set: total degree (``|alpha|_1 <= p``), hyperbolic cross
(prod_i (alpha_i + 1) <= p + 1) or tensor (max_i alpha_i <= p).

Sampling the optimal density rho = (k_m / m) dmu exactly. Since
k_m / m = (1/m) sum_alpha prod_i p_{alpha_i}(x_i)^2, rho is the equal-weight mixture
of the product measures prod_i p_{alpha_i}^2 dmu_i: draw alpha uniformly in the
index set, then each coordinate from the univariate density p_k^2 dmu_1.

* Legendre: by the refined Bernstein inequality
  sqrt(sin t) |P_k(cos t)| < sqrt(2 / pi) (k + 1/2)^(-1/2), p_k(x)^2 is below twice
  the arcsine density g(x) = 2 / (pi sqrt(1 - x^2)) (taken w.r.t. mu). Rejection
  from x = cos(pi U) accepting with probability p_k(x)^2 / (2 g(x)) is exact and
  accepts half of the proposals on average, whatever k.
* Hermite: integrating by parts with Rodrigues' formula He_k phi = -(He_{k-1} phi)'
  gives the closed-form distribution function
  F_k(x) = Phi(x) - phi(x) sum_{j=1}^k h_j(x) h_{j-1}(x) / sqrt(j),
  which is inverted by bisection.
"""

import math
from itertools import product
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from ..utils import device
from ..utils._array_api import dispatch_namespace, widest_float
from ._kernels import hermite_squared_quantile

_FAMILIES = {
    "legendre": "the uniform probability measure on [-1, 1]^d",
    "hermite": "the standard Gaussian measure on R^d",
}
_INDEX_SETS = ("total_degree", "hyperbolic_cross", "tensor")


def legendre(x, degree):
    """Legendre polynomials orthonormal for the uniform probability on [-1, 1].

    Parameters
    ----------
    x : ndarray of shape (n,)
        Points.
    degree : int
        Largest degree k.

    Returns
    -------
    values : ndarray of shape (n, degree + 1)
        ``values[:, k] = sqrt(2k + 1) P_k(x)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.sampling import legendre
    >>> nodes, weights = np.polynomial.legendre.leggauss(10)
    >>> V = legendre(nodes, 4)
    >>> np.allclose(V.T @ (V * weights[:, None] / 2), np.eye(5))
    True
    """
    return _legendre(np.asarray(x, dtype=np.float64), degree, np)


def hermite(x, degree):
    """Hermite polynomials orthonormal for the standard Gaussian measure.

    Parameters
    ----------
    x : ndarray of shape (n,)
        Points.
    degree : int
        Largest degree k.

    Returns
    -------
    values : ndarray of shape (n, degree + 1)
        ``values[:, k] = He_k(x) / sqrt(k!)`` (probabilists' Hermite polynomials).

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.sampling import hermite
    >>> nodes, weights = np.polynomial.hermite_e.hermegauss(10)
    >>> V = hermite(nodes, 4)
    >>> G = V.T @ (V * weights[:, None]) / np.sqrt(2 * np.pi)
    >>> np.allclose(G, np.eye(5))
    True
    """
    return _hermite(np.asarray(x, dtype=np.float64), degree, np)


def _three_term(x, degree, xp, step):
    """``[p_0(x), ..., p_degree(x)]`` stacked as columns, from ``p_0 = 1``,
    ``p_1 = x`` and ``p_{k+1} = step(x, p_k, p_{k-1}, k)``; any namespace ``xp``."""
    columns = [xp.ones_like(x), x][: degree + 1]
    for k in range(1, degree):
        columns.append(step(x, columns[k], columns[k - 1], k))
    return xp.stack(columns, axis=1)


def _legendre(x, degree, xp):
    """:func:`legendre` of a 1-D float array of namespace ``xp``."""
    values = _three_term(
        x, degree, xp, lambda x, p, q, k: ((2 * k + 1) * x * p - k * q) / (k + 1)
    )
    scale = [math.sqrt(2 * k + 1) for k in range(degree + 1)]
    return values * xp.asarray(scale, dtype=values.dtype, device=device(values))


def _hermite(x, degree, xp):
    """:func:`hermite` of a 1-D float array of namespace ``xp``."""
    return _three_term(
        x,
        degree,
        xp,
        lambda x, p, q, k: (x * p - math.sqrt(k) * q) / math.sqrt(k + 1),
    )


_UNIVARIATE = {"legendre": _legendre, "hermite": _hermite}


def _sample_legendre_squared(k, size, rng):
    """``size`` i.i.d. draws from p_k(x)^2 dmu, mu uniform on [-1, 1]."""
    out = np.empty(size)
    filled = 0
    while filled < size:
        batch = 2 * (size - filled) + 16
        x = np.cos(np.pi * rng.random_sample(batch))
        p_k = legendre(x, k)[:, k]
        # accept with probability p_k^2 / (2 g), g the arcsine density w.r.t. mu
        accept = 4.0 * rng.random_sample(batch) < p_k**2 * np.pi * np.sqrt(1.0 - x**2)
        taken = x[accept][: size - filled]
        out[filled : filled + taken.size] = taken
        filled += taken.size
    return out


def _hermite_half_width(k):
    # the mass of h_k^2 dgamma beyond the turning points +-2 sqrt(k + 1/2) decays
    # like a Gaussian tail: 10 more units leave less than 1e-20 outside
    return 2.0 * np.sqrt(k + 1.0) + 10.0


def _sample_hermite_squared(k, size, rng):
    """``size`` i.i.d. draws from h_k(x)^2 dgamma by inverting its distribution."""
    u = rng.random_sample(size)
    return hermite_squared_quantile(u, k, _hermite_half_width(k))


_SAMPLE_SQUARED = {
    "legendre": _sample_legendre_squared,
    "hermite": _sample_hermite_squared,
}


def _bounded_sum_indices(n_dims, degree, cost):
    """Multi-indices alpha in N^d with ``cost(alpha) <= degree`` (cost monotone)."""
    out = []

    def extend(prefix):
        if len(prefix) == n_dims:
            out.append(prefix)
            return
        k = 0
        while cost(prefix + [k] + [0] * (n_dims - len(prefix) - 1)) <= degree:
            extend(prefix + [k])
            k += 1

    extend([])
    indices = np.array(out, dtype=np.int64).reshape(-1, n_dims)
    order = np.lexsort((*indices.T[::-1], indices.sum(axis=1)))
    return indices[order]


def _check_index_set_args(n_dims, degree):
    if not isinstance(n_dims, Integral) or n_dims < 1:
        raise ValueError(f"n_dims must be a positive integer, got {n_dims!r}.")
    if not isinstance(degree, Integral) or degree < 0:
        raise ValueError(f"degree must be a non-negative integer, got {degree!r}.")


def total_degree_indices(n_dims, degree):
    """Multi-indices of total degree at most ``degree``: ``|alpha|_1 <= p``.

    Sorted by total degree, then lexicographically; the constant comes first.

    Examples
    --------
    >>> from skpapers.sampling import total_degree_indices
    >>> total_degree_indices(2, 1).tolist()
    [[0, 0], [0, 1], [1, 0]]
    """
    _check_index_set_args(n_dims, degree)
    return _bounded_sum_indices(n_dims, degree, sum)


def hyperbolic_cross_indices(n_dims, degree):
    """Hyperbolic-cross multi-indices: prod_i (alpha_i + 1) <= p + 1.

    Examples
    --------
    >>> from skpapers.sampling import hyperbolic_cross_indices
    >>> hyperbolic_cross_indices(2, 3).tolist()
    [[0, 0], [0, 1], [1, 0], [0, 2], [1, 1], [2, 0], [0, 3], [3, 0]]
    """
    _check_index_set_args(n_dims, degree)
    return _bounded_sum_indices(
        n_dims, degree, lambda alpha: int(np.prod(np.add(alpha, 1))) - 1
    )


def tensor_indices(n_dims, degree):
    """Multi-indices of the full tensor grid: max_i alpha_i <= p.

    Examples
    --------
    >>> from skpapers.sampling import tensor_indices
    >>> tensor_indices(2, 1).tolist()
    [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    _check_index_set_args(n_dims, degree)
    indices = np.array(list(product(range(degree + 1), repeat=n_dims)), np.int64)
    order = np.lexsort((*indices.T[::-1], indices.sum(axis=1)))
    return indices[order]


_INDEX_FUNCTIONS = {
    "total_degree": total_degree_indices,
    "hyperbolic_cross": hyperbolic_cross_indices,
    "tensor": tensor_indices,
}


class PolynomialBasis:
    """Tensor-product polynomial basis orthonormal in L^2(mu) for a product measure.

    ``"legendre"`` is orthonormal for the uniform probability measure on
    [-1, 1]^d, ``"hermite"`` for the standard Gaussian measure on R^d. The basis
    functions are phi_alpha(x) = prod_i p_{alpha_i}(x_i) for the multi-indices
    alpha of ``index_set``.

    Parameters
    ----------
    family : {"legendre", "hermite"}, default="legendre"
        Univariate family, which fixes the measure mu.
    degree : int, default=3
        Degree p of the index set.
    n_dims : int, default=1
        Dimension d of the domain.
    index_set : {"total_degree", "hyperbolic_cross", "tensor"}, \
            default="total_degree"
        Multi-indices alpha with ``|alpha|_1 <= p``, prod_i (alpha_i + 1) <= p + 1, or
        max_i alpha_i <= p.

    Attributes
    ----------
    multi_indices : ndarray of shape (m, d)
        The multi-indices alpha, constant first.
    n_basis : int
        The dimension m of the polynomial space.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.sampling import PolynomialBasis
    >>> basis = PolynomialBasis("legendre", degree=2, n_dims=2)
    >>> basis.n_basis
    6
    >>> X = basis.sample_measure(100_000, random_state=0)
    >>> G = basis.evaluate(X).T @ basis.evaluate(X) / len(X)
    >>> bool(np.abs(G - np.eye(6)).max() < 0.05)
    True
    """

    def __init__(self, family="legendre", degree=3, n_dims=1, index_set="total_degree"):
        if family not in _FAMILIES:
            raise ValueError(
                f"family must be one of {sorted(_FAMILIES)}, got {family!r}."
            )
        if index_set not in _INDEX_SETS:
            raise ValueError(
                f"index_set must be one of {list(_INDEX_SETS)}, got {index_set!r}."
            )
        self.family = family
        self.degree = degree
        self.n_dims = n_dims
        self.index_set = index_set
        self.multi_indices = _INDEX_FUNCTIONS[index_set](n_dims, degree)

    @property
    def n_basis(self):
        return self.multi_indices.shape[0]

    @property
    def measure(self):
        """The measure mu the basis is orthonormal for, in words."""
        return _FAMILIES[self.family]

    def __repr__(self):
        return (
            f"PolynomialBasis(family={self.family!r}, degree={self.degree}, "
            f"n_dims={self.n_dims}, index_set={self.index_set!r})"
        )

    def __eq__(self, other):
        return isinstance(other, PolynomialBasis) and repr(self) == repr(other)

    def __hash__(self):
        return hash(repr(self))

    def evaluate(self, X):
        """Values phi_alpha(x) of every basis function at every point.

        Parameters
        ----------
        X : array-like of shape (n, d)
            Under ``array_api_dispatch=True`` a CuPy or torch array is evaluated
            in its namespace, on its device (the same recurrences).

        Returns
        -------
        features : ndarray of shape (n, m)
        """
        xp = dispatch_namespace(X)
        if xp is None:
            xp, X = np, np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_dims:
            raise ValueError(
                f"X must have shape (n_samples, {self.n_dims}) for this basis of "
                f"n_dims={self.n_dims}, got shape {tuple(X.shape)}."
            )
        where = device(X)
        X = xp.astype(X, widest_float(xp, where))
        features = None
        for i in range(self.n_dims):
            degrees = self.multi_indices[:, i]
            univariate = _UNIVARIATE[self.family](X[:, i], int(degrees.max()), xp)
            factor = xp.take(univariate, xp.asarray(degrees, device=where), axis=1)
            features = factor if features is None else features * factor
        return features

    def christoffel(self, X):
        """The function k_m(x) = sum_alpha phi_alpha(x)^2 at each point."""
        return np.einsum("ij,ij->i", *(2 * [self.evaluate(X)]))

    def sample_measure(self, n, random_state=None):
        """``n`` i.i.d. points from the measure mu."""
        rng = check_random_state(random_state)
        if self.family == "legendre":
            return rng.uniform(-1.0, 1.0, size=(n, self.n_dims))
        return rng.standard_normal((n, self.n_dims))

    def sample_optimal(self, n, random_state=None):
        """``n`` i.i.d. points from the optimal density (k_m / m) dmu, exactly.

        The density is the equal mixture of prod_i p_{alpha_i}^2 dmu_i over the
        multi-indices: pick alpha uniformly, then each coordinate from its
        univariate density.

        Examples
        --------
        >>> from skpapers.sampling import PolynomialBasis
        >>> X = PolynomialBasis("hermite", degree=4, n_dims=2).sample_optimal(
        ...     3, random_state=0)
        >>> X.shape
        (3, 2)
        """
        rng = check_random_state(random_state)
        chosen = self.multi_indices[rng.randint(self.n_basis, size=n)]
        X = np.empty((n, self.n_dims))
        sample_squared = _SAMPLE_SQUARED[self.family]
        for i in range(self.n_dims):
            for k in np.unique(chosen[:, i]):
                rows = chosen[:, i] == k
                X[rows, i] = sample_squared(int(k), int(rows.sum()), rng)
        return X
