"""Deep-unfolded sparse recovery: learned ISTA/IHT networks and the classic solvers.

``UnfoldedISTA`` and ``UnfoldedIHT`` train (with skorch, imported on first ``fit``)
the step sizes of ``T`` unfolded ISTA or IHT iterations, by the supervised MSE or by
the problem's own objective; ``ista``, ``fista`` and ``iht`` are the classic
iterations (numba, batched over samples) they are measured against.
"""

from ._classic import (
    fista,
    iht,
    ista,
    lipschitz_constant,
    nmse,
    sparse_recovery_objective,
)
from ._estimators import UnfoldedIHT, UnfoldedISTA

__all__ = [
    "UnfoldedIHT",
    "UnfoldedISTA",
    "fista",
    "iht",
    "ista",
    "lipschitz_constant",
    "nmse",
    "sparse_recovery_objective",
]
