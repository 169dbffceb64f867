"""Ensemble methods: EnsLoss, stochastic ensembles of calibrated losses."""

from ._ensloss import EnsLossClassifier

__all__ = ["EnsLossClassifier"]
