"""Sketches on array-API namespaces: the same S as the numba path, on the device.

array_api_strict's "device1" stands in for a GPU (arrays there cannot silently
become NumPy arrays), torch CPU for a second real namespace.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.linalg import hadamard
from sklearn import config_context

from skpapers.sketching import SRHT, CountSketch, GaussianSketch, SparseSignSketch, fwht
from skpapers.utils import device, to_numpy

from .._array_api import NAMESPACES, namespace


@pytest.mark.parametrize("name, where", NAMESPACES)
@pytest.mark.parametrize("Sketch", [SRHT, GaussianSketch])
def test_device_sketch_is_the_numpy_sketch(name, where, Sketch):
    xp, where = namespace(name, where)
    # 300 rows: padded to 512 and, for the SRHT, tiled (64-row tiles) on NumPy,
    # while the array-API path runs the full transform: the two must still be
    # the very same matrix, drawn from the same seed.
    n, m = 300, 40
    S = Sketch(m, n, random_state=0)
    dense = S.toarray()
    A = np.random.default_rng(1).standard_normal((n, 3))
    weight = np.random.default_rng(2).uniform(0.5, 2.0, n)
    with config_context(array_api_dispatch=True):
        S_xp = S.apply(xp.asarray(np.eye(n), device=where))
        SA = S.apply(xp.asarray(A, device=where))
        Sa = S.apply(xp.asarray(A[:, 0], device=where))
        SWA = S._apply(xp.asarray(A, device=where), xp.asarray(weight, device=where))
        SA32 = S.apply(xp.asarray(A.astype(np.float32), device=where))
    if Sketch is SRHT:
        assert_array_equal(to_numpy(S_xp), dense)  # entries +-1/sqrt(m) exactly
    else:
        assert_allclose(to_numpy(S_xp), dense, rtol=1e-14, atol=0)
    for out in (S_xp, SA, Sa, SWA, SA32):
        assert device(out) == where
    assert_allclose(to_numpy(SA), dense @ A, rtol=1e-12, atol=1e-12)
    assert_allclose(to_numpy(Sa), dense @ A[:, 0], rtol=1e-12, atol=1e-12)
    assert_allclose(to_numpy(SWA), dense @ (weight[:, None] * A), atol=1e-12)
    assert SA32.dtype == xp.float32
    assert_allclose(to_numpy(SA32), dense @ A, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name, where", NAMESPACES)
def test_fwht_in_any_namespace_is_the_hadamard_transform(name, where):
    xp, where = namespace(name, where)
    A = np.random.default_rng(0).standard_normal((64, 3))
    with config_context(array_api_dispatch=True):
        HA = fwht(xp.asarray(A, device=where))
        Hx = fwht(xp.asarray(A[:, 0], device=where))
        with pytest.raises(ValueError, match="power of two"):
            fwht(xp.asarray(A[:48], device=where))
    assert device(HA) == where
    assert_allclose(to_numpy(HA), hadamard(64) @ A, rtol=1e-12, atol=1e-12)
    assert_allclose(to_numpy(Hx), hadamard(64) @ A[:, 0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("Sketch", [CountSketch, SparseSignSketch])
def test_sparse_sketches_refuse_device_arrays(Sketch):
    xp, where = namespace(*NAMESPACES[0])
    S = Sketch(8, 10, random_state=0)
    with config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="no array-API"):
            S.apply(xp.asarray(np.ones((10, 2)), device=where))
