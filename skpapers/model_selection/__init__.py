"""Model selection: generative vs discriminative learning curves (Zheng et al.)."""

from ._generative_discriminative import (
    GenerativeDiscriminativeClassifier,
    GenerativeDiscriminativeComparison,
    compare_generative_discriminative,
)

__all__ = [
    "GenerativeDiscriminativeClassifier",
    "GenerativeDiscriminativeComparison",
    "compare_generative_discriminative",
]
