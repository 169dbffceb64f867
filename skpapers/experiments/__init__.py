"""The papers' headline experiments, one module per paper (``python -m skpapers``).

Each public module here registers its experiment with :func:`register_experiment`.
"""

from ._registry import (
    Experiment,
    ExperimentResult,
    get_experiments,
    register_experiment,
)
from ._report import run_experiments

__all__ = [
    "Experiment",
    "ExperimentResult",
    "get_experiments",
    "register_experiment",
    "run_experiments",
]
