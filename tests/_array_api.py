"""Namespaces that stand in for a GPU in the device-path tests."""

import pytest

from skpapers.utils import device

#: ``array_api_strict``'s simulated second device, and torch on the CPU.
NAMESPACES = [("array_api_strict", "device1"), ("torch", "cpu")]


def namespace(name, where):
    """The namespace and its device object (what ``device(array)`` returns)."""
    xp = pytest.importorskip(name)
    if name == "array_api_strict":
        where = xp.Device(where)
    return xp, device(xp.asarray([0.0], device=where))
