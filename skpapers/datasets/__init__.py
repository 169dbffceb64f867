"""Data: the synthetic generators of the papers, and real data shipped by packages."""

from ._irs import make_irs_channel
from ._keel import list_keel, load_keel
from ._kronecker import make_kronecker_sparse
from ._nb_lr import make_nb_lr_simulation
from ._orthogonal import make_orthogonal_sparse
from ._sparse_recovery import make_sparse_recovery

__all__ = [
    "list_keel",
    "load_keel",
    "make_irs_channel",
    "make_kronecker_sparse",
    "make_nb_lr_simulation",
    "make_orthogonal_sparse",
    "make_sparse_recovery",
]
