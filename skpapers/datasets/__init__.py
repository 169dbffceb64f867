"""Data: the synthetic generators of the papers, and real data shipped by packages."""

from ._keel import list_keel, load_keel

__all__ = ["list_keel", "load_keel"]
