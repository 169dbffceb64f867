"""Linear models: Kronecker SBL, sketched regression, DPP weighted least squares."""

from ._dpp_wls import DPPWeightedLeastSquares

__all__ = [
    "DPPWeightedLeastSquares",
]
