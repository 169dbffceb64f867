"""Model selection: generative vs discriminative learning curves (Zheng et al.)."""

from ._classifier import GenerativeDiscriminativeClassifier
from ._comparison import (
    GenerativeDiscriminativeComparison,
    compare_generative_discriminative,
)
from ._display import GenerativeDiscriminativeDisplay

__all__ = [
    "GenerativeDiscriminativeClassifier",
    "GenerativeDiscriminativeComparison",
    "GenerativeDiscriminativeDisplay",
    "compare_generative_discriminative",
]
