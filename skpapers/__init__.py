"""skpapers: seven recent research methods as scikit-learn estimators.

Every public estimator is importable from here and from its scikit-learn-style
sub-package. Importing skpapers imports none of torch, skorch, cupy or dask.
"""

from .decomposition import OnlineOrthogonalDictionaryLearning
from .ensemble import EnsLossClassifier, EnsLossMLPClassifier, EnsLossNetClassifier
from .linear_model import (
    KroneckerSBL,
    SketchedLinearRegression,
    fit_many,
)
from .model_selection import (
    GenerativeDiscriminativeClassifier,
    compare_generative_discriminative,
)
from .naive_bayes import PooledGaussianNB
from .sampling import (
    ContinuousSampler,
    DPPWeightedLeastSquares,
    PolynomialBasis,
    PoolSampler,
)
from .sketching import SRHT, CountSketch, GaussianSketch, SparseSignSketch
from .unfolding import UnfoldedIHT, UnfoldedISTA
from .utils import all_estimators

__version__ = "0.1.0.dev0"

__all__ = [
    "all_estimators",
    "compare_generative_discriminative",
    "ContinuousSampler",
    "CountSketch",
    "DPPWeightedLeastSquares",
    "EnsLossClassifier",
    "EnsLossMLPClassifier",
    "EnsLossNetClassifier",
    "fit_many",
    "GaussianSketch",
    "GenerativeDiscriminativeClassifier",
    "KroneckerSBL",
    "OnlineOrthogonalDictionaryLearning",
    "PolynomialBasis",
    "PooledGaussianNB",
    "PoolSampler",
    "SketchedLinearRegression",
    "SparseSignSketch",
    "SRHT",
    "UnfoldedIHT",
    "UnfoldedISTA",
]
