"""Sketching operators: SRHT, Gaussian, CountSketch and sparse sign embeddings.

A sketch ``S`` of shape ``(m, n)`` compresses the ``n`` rows of a tall matrix to
``m``: ``S.apply(A, row_weight)`` for NumPy, SciPy sparse, ``dask.array`` and (SRHT,
Gaussian) array-API input; :func:`make_sketch` builds one by name.
"""

from ._operators import (
    SKETCHES,
    SRHT,
    CountSketch,
    GaussianSketch,
    SparseSignSketch,
    fwht,
    make_sketch,
)

__all__ = [
    "SKETCHES",
    "SRHT",
    "CountSketch",
    "GaussianSketch",
    "SparseSignSketch",
    "fwht",
    "make_sketch",
]
