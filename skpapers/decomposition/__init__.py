"""Matrix decompositions: online orthogonal dictionary learning."""

from ._odl_solvers import dictionary_recovery_error
from ._online_odl import OnlineOrthogonalDictionaryLearning

__all__ = ["OnlineOrthogonalDictionaryLearning", "dictionary_recovery_error"]
