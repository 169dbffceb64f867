"""Ensemble methods: EnsLoss, stochastic ensembles of calibrated losses.

:class:`EnsLossClassifier` is the linear model (numba, no torch);
:class:`EnsLossMLPClassifier` a ReLU MLP and :class:`EnsLossNetClassifier` any
torch module, both trained with torch.
"""

from ._linear import EnsLossClassifier
from ._networks import EnsLossMLPClassifier, EnsLossNetClassifier

__all__ = ["EnsLossClassifier", "EnsLossMLPClassifier", "EnsLossNetClassifier"]
