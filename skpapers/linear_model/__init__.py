"""Linear models: Kronecker SBL, sketched regression, DPP weighted least squares."""

from ._dpp_wls import DPPWeightedLeastSquares
from ._kronecker_sbl import KroneckerSBL
from ._sbl_many import fit_many
from ._sketched import SketchedLinearRegression

__all__ = [
    "DPPWeightedLeastSquares",
    "KroneckerSBL",
    "SketchedLinearRegression",
    "fit_many",
]
