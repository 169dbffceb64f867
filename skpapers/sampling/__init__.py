"""Weighted least squares on points from projection DPPs or volume sampling.

Orthonormal polynomial bases (Legendre, Hermite; total-degree, hyperbolic-cross and
tensor index sets) and the samplers of Nouy & Michel, "Weighted least-squares
approximation with determinantal point processes and generalized volume sampling":
projection DPP, volume-rescaled, optimal i.i.d. and repeated-DPP sampling, on a
finite pool of candidates (:class:`PoolSampler`) and on a continuous domain
(:class:`ContinuousSampler`); and the estimator that fits on the points they
choose (:class:`DPPWeightedLeastSquares`).
"""

from ._base import STRATEGIES, gram_deviation
from ._bases import (
    PolynomialBasis,
    hermite,
    hyperbolic_cross_indices,
    legendre,
    tensor_indices,
    total_degree_indices,
)
from ._continuous import ContinuousSampler
from ._dpp_wls import DPPWeightedLeastSquares
from ._finite import PoolSampler, orthonormal_pool_basis

__all__ = [
    "STRATEGIES",
    "ContinuousSampler",
    "DPPWeightedLeastSquares",
    "PolynomialBasis",
    "PoolSampler",
    "gram_deviation",
    "hermite",
    "hyperbolic_cross_indices",
    "legendre",
    "orthonormal_pool_basis",
    "tensor_indices",
    "total_degree_indices",
]
