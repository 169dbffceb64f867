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
    # 300 rows: for the SRHT, 5 tiles of 64 rows (the last one 44) and samples
    # from the 512 rows of the padded transform; numba and the vectorised
    # array-API path must give the very same matrix, drawn from the same seed.
    n, m = 300, 40
    S = Sketch(m, n, random_state=0)
    dense = S.toarray()
    A = np.random.default_rng(1).standard_normal((n, 3))
    weight = np.random.default_rng(2).uniform(0.5, 2.0, n)
    with config_context(array_api_dispatch=True):
        S_xp = S.apply(xp.asarray(np.eye(n), device=where))
        SA = S.apply(xp.asarray(A, device=where))
        Sa = S.apply(xp.asarray(A[:, 0], device=where))
        SWA = S.apply(xp.asarray(A, device=where), xp.asarray(weight, device=where))
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


@pytest.mark.parametrize("name, where", NAMESPACES)
@pytest.mark.parametrize(
    "Sketch, m, group",
    [
        # 79 tiles of 64 rows, the last one 8 rows; one group of all the tiles,
        # then groups of 3 tiles (the default group size holds them all)
        (SRHT, 40, None),
        (SRHT, 40, 3 * 64 * 3),
        (GaussianSketch, 500, None),  # two Gaussian tiles of 4194 rows
    ],
)
def test_device_sketch_over_many_tiles_is_the_numpy_sketch(
    name, where, Sketch, m, group, monkeypatch
):
    from skpapers.sketching import _operators

    if group is not None:
        monkeypatch.setattr(_operators, "_GROUP_ELEMENTS", group)
    xp, where = namespace(name, where)
    n = 5000
    S = Sketch(m, n, random_state=0)
    assert -(-n // S._tile_size) > 1
    rng = np.random.default_rng(1)
    A = rng.standard_normal((n, 3))
    weight = rng.uniform(0.5, 2.0, n)
    with config_context(array_api_dispatch=True):
        SA = S.apply(xp.asarray(A, device=where), xp.asarray(weight, device=where))
        # columns of the identity spread over every tile: entries of S exactly
        cols = np.array([0, 63, 64, 2047, 4991, 4999])
        E = np.zeros((n, cols.size))
        E[cols, np.arange(cols.size)] = 1.0
        S_cols = S.apply(xp.asarray(E, device=where))
    assert device(SA) == device(S_cols) == where
    assert_allclose(to_numpy(SA), S.apply(A, weight), rtol=1e-12, atol=1e-12)
    if Sketch is SRHT:
        assert_array_equal(to_numpy(S_cols), S.apply(E))
    else:
        assert_allclose(to_numpy(S_cols), S.apply(E), rtol=1e-14, atol=0)


def test_device_float16_computes_in_float64_as_numpy_does():
    xp, where = namespace("torch", "cpu")
    A = np.random.default_rng(0).standard_normal((300, 2)).astype(np.float16)
    S = SRHT(40, 300, random_state=0)
    expected = S.apply(A)
    assert expected.dtype == np.float64
    with config_context(array_api_dispatch=True):
        for Sketch in (SRHT, GaussianSketch):
            S = Sketch(40, 300, random_state=0)
            out = S.apply(xp.asarray(A, device=where))
            assert out.dtype == xp.float64
            assert_allclose(to_numpy(out), S.apply(A), rtol=1e-12, atol=1e-12)
        HA = fwht(xp.asarray(A[:256], device=where))
    assert HA.dtype == xp.float64
    assert_allclose(to_numpy(HA), hadamard(256) @ A[:256].astype(np.float64))
