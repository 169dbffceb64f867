"""Pool samplers on array-API namespaces: the device chain rule against the numba one.

The device path draws its per-step uniforms from the same generator as the NumPy
"gram_schmidt" path and orthonormalises another basis of the same span, so it
must draw the same sample for every seed: over many seeds on a tiny pool that
covers every m-subset, whose law ``test_finite.py`` checks by enumeration.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context

from skpapers.sampling import PoolSampler, orthonormal_pool_basis
from skpapers.utils import device, to_numpy

from .._array_api import NAMESPACES, namespace


def _features(n_candidates, n_features, seed):
    rng = np.random.default_rng(seed)
    scales = np.linspace(0.3, 2.0, n_candidates)[:, None]  # uneven leverage
    return scales * rng.standard_normal((n_candidates, n_features))


@pytest.mark.parametrize("name, where", NAMESPACES)
def test_device_dpp_draws_the_numpy_gram_schmidt_sample(name, where):
    xp, where = namespace(name, where)
    tiny = _features(6, 3, seed=0)  # 20 subsets, all reached by 200 seeds
    large = _features(400, 12, seed=1)
    for features, seeds in ((tiny, range(200)), (large, range(5))):
        reference = PoolSampler(features, method="gram_schmidt")
        with config_context(array_api_dispatch=True):
            sampler = PoolSampler(xp.asarray(features, device=where))
            draws = [sampler.projection_dpp(seed) for seed in seeds]
        assert sampler.method == "gram_schmidt"
        assert device(sampler.orthonormal_basis) == where
        assert all(device(d) == where and d.dtype == xp.int64 for d in draws)
        expected = [reference.projection_dpp(seed) for seed in seeds]
        assert_array_equal(np.stack([to_numpy(d) for d in draws]), np.stack(expected))
        if features is tiny:
            reference_tiny, expected_tiny = reference, expected
    # the 200 tiny-pool draws reach subsets carrying 95% of the law
    K = reference_tiny.orthonormal_basis @ reference_tiny.orthonormal_basis.T
    reached = {tuple(sorted(e.tolist())) for e in expected_tiny}
    mass = sum(np.linalg.det(K[np.ix_(s, s)]) for s in reached)
    assert len(reached) > 5 and mass > 0.95


@pytest.mark.parametrize("name, where", NAMESPACES)
def test_every_strategy_on_the_device_matches_numpy(name, where):
    xp, where = namespace(name, where)
    features = _features(300, 8, seed=2)
    reference = PoolSampler(features, method="gram_schmidt")
    with config_context(array_api_dispatch=True):
        sampler = PoolSampler(xp.asarray(features, device=where))
        for strategy, n in [
            ("dpp", None),
            ("repeated_dpp", None),
            ("volume", 20),
            ("iid_optimal", 20),
            ("uniform", 20),
        ]:
            sample, weights = sampler.sample(strategy, n, random_state=3)
            expected, expected_weights = reference.sample(strategy, n, random_state=3)
            assert device(sample) == device(weights) == where
            assert_array_equal(to_numpy(sample), expected, err_msg=strategy)
            assert_allclose(to_numpy(weights), expected_weights, rtol=1e-10)
            # another orthonormal basis of V_m: the Gram matrix up to a rotation
            gram = to_numpy(sampler.gram(sample, weights))
            assert_allclose(
                np.linalg.eigvalsh(gram),
                np.linalg.eigvalsh(reference.gram(expected, expected_weights)),
                atol=1e-10,
            )
    assert_allclose(to_numpy(sampler.leverage), reference.leverage, atol=1e-12)
    # a sampler built under dispatch keeps working on its device after it
    sample, _ = sampler.sample("volume", 20, random_state=4)
    assert device(sample) == where
    assert_array_equal(
        to_numpy(sample), reference.sample("volume", 20, random_state=4)[0]
    )


@pytest.mark.parametrize("name, where", NAMESPACES)
def test_device_orthonormal_basis_spans_the_features(name, where):
    xp, where = namespace(name, where)
    features = _features(50, 4, seed=3)
    features = np.hstack([features, features[:, :1] - 2 * features[:, 1:2]])  # rank 4
    expected = orthonormal_pool_basis(features)
    with config_context(array_api_dispatch=True):
        Q = orthonormal_pool_basis(xp.asarray(features, device=where))
        for bad, message in [
            (np.zeros((5, 2)), "all zero"),
            (np.full((5, 2), np.nan), "NaN"),
            (np.ones(5), "2-D"),
        ]:
            with pytest.raises(ValueError, match=message):
                orthonormal_pool_basis(xp.asarray(bad, device=where))
        with pytest.raises(ValueError, match="rejection"):
            PoolSampler(xp.asarray(features, device=where), method="rejection")
    assert device(Q) == where
    Q = to_numpy(Q)
    assert Q.shape == expected.shape == (50, 4)
    assert_allclose(Q.T @ Q, np.eye(4), atol=1e-12)
    assert_allclose(Q @ Q.T, expected @ expected.T, atol=1e-12)  # same kernel


@pytest.mark.parametrize("name, where", NAMESPACES)
def test_inversion_never_draws_a_trailing_zero_mass_row(name, where):
    xp, where = namespace(name, where)
    from skpapers.sampling._finite import draw_from_cdf

    cdf = np.cumsum([0.2, 0.0, 0.5, 0.3, 0.0, 0.0])  # rows 4 and 5: no mass
    # u = 1 (a target equal to the total), and the largest float64 below 1,
    # which rounds to 1 in float32 on a device
    uniforms = np.array([0.0, 0.1, 0.5, 1.0, np.nextafter(1.0, 0.0)])
    expected = [0, 0, 2, 3, 3]
    assert_array_equal(draw_from_cdf(cdf, uniforms), expected)
    with config_context(array_api_dispatch=True):
        for dtype in (xp.float64, xp.float32):
            picks = draw_from_cdf(
                xp.asarray(cdf, dtype=dtype, device=where), uniforms, xp
            )
            assert device(picks) == where
            assert_array_equal(to_numpy(picks), expected)
