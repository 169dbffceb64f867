"""Linear models: Kronecker SBL, sketched regression.

``DPPWeightedLeastSquares`` lives in :mod:`skpapers.sampling`, beside the samplers
it drives; it stays importable from here.
"""

from ..sampling import DPPWeightedLeastSquares as DPPWeightedLeastSquares
from ._kronecker_sbl import KroneckerSBL
from ._sbl_many import fit_many
from ._sketched import SketchedLinearRegression

__all__ = [
    "KroneckerSBL",
    "SketchedLinearRegression",
    "fit_many",
]
