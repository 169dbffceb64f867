"""Sketching operators: SRHT, Gaussian, CountSketch and sparse sign embeddings.

A sketch ``S`` of shape ``(m, n)`` compresses the ``n`` rows of a tall matrix to
``m``: ``S.apply(A)`` for NumPy, SciPy sparse and ``dask.array`` input.
"""

from ._operators import SRHT, CountSketch, GaussianSketch, SparseSignSketch, fwht

__all__ = ["SRHT", "CountSketch", "GaussianSketch", "SparseSignSketch", "fwht"]
