"""Projection DPP, volume-rescaled and optimal i.i.d. sampling on a continuous domain.

mu is a product measure (uniform on [-1, 1]^d or standard Gaussian) and V_m the span
of a tensor-product polynomial basis orthonormal in L^2(mu) (``_bases.py``). The
optimal density (k_m / m) dmu is sampled exactly as a mixture (``_bases.py``), and
each chain-rule conditional ||(I - P_{i-1}) phi(x)||^2 / (m - i + 1) dmu of the
projection DPP by rejection from it, with the same kernel as on a finite pool
(derivation in ``_finite.py``).
"""

from ._base import _BaseSampler
from ._bases import PolynomialBasis
from ._finite import projection_dpp_rejection


class ContinuousSampler(_BaseSampler):
    """Samplers for least squares on a continuous domain with a polynomial basis.

    Parameters
    ----------
    basis : PolynomialBasis
        Orthonormal basis of V_m for its measure mu.

    Attributes
    ----------
    n_basis : int
        Dimension m of V_m.

    Examples
    --------
    >>> from skpapers.sampling import ContinuousSampler, PolynomialBasis
    >>> sampler = ContinuousSampler(PolynomialBasis("legendre", degree=3, n_dims=2))
    >>> X = sampler.projection_dpp(random_state=0)
    >>> X.shape
    (10, 2)
    >>> X, w = sampler.sample("repeated_dpp", random_state=0)
    >>> bool(sampler.gram(X).shape == (10, 10))
    True
    """

    def __init__(self, basis):
        if not isinstance(basis, PolynomialBasis):
            raise ValueError(
                f"basis must be a PolynomialBasis, got {type(basis).__name__}."
            )
        self.basis = basis
        self.n_basis = basis.n_basis

    def features(self, sample):
        """Orthonormal features phi(x) at the points of ``sample`` (n x m)."""
        return self.basis.evaluate(sample)

    def christoffel(self, sample):
        """k_m(x) = ||phi(x)||^2 at the points of ``sample``."""
        return self.basis.christoffel(sample)

    def _optimal(self, n, rng):
        return self.basis.sample_optimal(n, rng)

    def _uniform(self, n, rng):
        return self.basis.sample_measure(n, rng)

    def _proposals(self, n, rng):
        points = self.basis.sample_optimal(n, rng)
        return points, self.basis.evaluate(points)

    def _projection_dpp(self, rng):
        return projection_dpp_rejection(self._proposals, self.n_basis, rng)
