"""Naive Bayes: the pooled-variance Gaussian naive Bayes of Zheng et al. (2023)."""

from ._pooled import PooledGaussianNB

__all__ = ["PooledGaussianNB"]
