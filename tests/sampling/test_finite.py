"""Finite-pool samplers: exact laws by enumeration on tiny pools."""

import itertools
import math

import numpy as np
import pytest
from scipy.stats import chisquare

from skpapers.sampling import PoolSampler, gram_deviation, orthonormal_pool_basis
from skpapers.sampling._kernels import chain_rule_gram_schmidt, chain_rule_rejection
from skpapers.sampling._wls_solvers import weighted_least_squares

from ._references import (
    chain_rule_gram_schmidt_numpy,
    chain_rule_rejection_numpy,
    use_numpy_references,
)

N_DRAWS = 12_000


def _tiny_pool(n_candidates=6, n_features=3, seed=0):
    rng = np.random.default_rng(seed)
    # uneven row scales give uneven leverage scores, so the law is not uniform
    scales = np.linspace(0.3, 2.0, n_candidates)[:, None]
    return PoolSampler(scales * rng.standard_normal((n_candidates, n_features)))


def _subset_law(sampler):
    """det(K_S) for every m-subset S: the law of a projection DPP."""
    Q = sampler.orthonormal_basis
    K = Q @ Q.T
    subsets = list(itertools.combinations(range(sampler.n_candidates), sampler.n_basis))
    return subsets, np.array([np.linalg.det(K[np.ix_(s, s)]) for s in subsets]), K


def _assert_fits(counts, probabilities, what, alpha=1e-3):
    keep = probabilities > 0
    assert counts[~keep].sum() == 0, f"{what}: drew an outcome of probability zero"
    expected = probabilities[keep] / probabilities[keep].sum() * counts.sum()
    p_value = chisquare(counts[keep], expected).pvalue
    assert p_value > alpha, f"{what}: chi-square p-value {p_value:.2e}"


@pytest.mark.parametrize("method", ["rejection", "gram_schmidt"])
def test_projection_dpp_law_by_enumeration(method):
    sampler = _tiny_pool()
    sampler.method = method
    subsets, law, K = _subset_law(sampler)
    assert np.isclose(law.sum(), 1.0)  # the det(K_S) are a distribution
    rng = np.random.RandomState(0)
    draws = np.array([np.sort(sampler.projection_dpp(rng)) for _ in range(N_DRAWS)])
    position = {s: i for i, s in enumerate(subsets)}
    counts = np.bincount(
        [position[tuple(d)] for d in draws.tolist()], minlength=len(subsets)
    )
    _assert_fits(counts, law, f"DPP subsets ({method})")

    # inclusion probabilities = diag(K), pair probabilities = 2 x 2 minors
    included = np.zeros((N_DRAWS, sampler.n_candidates), dtype=bool)
    np.put_along_axis(included, draws, True, axis=1)
    one = included.mean(axis=0)
    two = (included[:, :, None] & included[:, None, :]).mean(axis=0)
    exact_two = np.outer(np.diag(K), np.diag(K)) - K**2
    np.fill_diagonal(exact_two, np.diag(K))
    for observed, exact in ((one, np.diag(K)), (two, exact_two)):
        se = np.sqrt(exact * (1 - exact) / N_DRAWS) + 1e-12
        assert np.all(np.abs(observed - exact) < 5 * se)


def test_optimal_and_uniform_iid_laws():
    sampler = _tiny_pool()
    rng = np.random.RandomState(1)
    draws = sampler.optimal_iid(N_DRAWS, rng)
    counts = np.bincount(draws, minlength=sampler.n_candidates)
    _assert_fits(counts, sampler.leverage / sampler.n_basis, "optimal i.i.d.")
    counts = np.bincount(sampler.uniform(N_DRAWS, rng), minlength=6)
    _assert_fits(counts, np.full(6, 1 / 6), "uniform i.i.d.")


def _volume_law(sampler, n):
    """Exact law of ordered n-tuples: (n - m)!/n! det(sum w phi phi^T) prod rho."""
    m, N = sampler.n_basis, sampler.n_candidates
    tuples = list(itertools.product(range(N), repeat=n))
    rho = sampler.leverage / m
    law = np.array(
        [
            math.factorial(n - m)
            / math.factorial(n)
            * np.linalg.det(sampler.gram(np.array(t)) * n)
            * np.prod(rho[list(t)])
            for t in tuples
        ]
    )
    return tuples, law


def test_volume_rescaled_law_by_enumeration():
    sampler = _tiny_pool(n_candidates=4, n_features=2, seed=3)
    n = 3
    tuples, law = _volume_law(sampler, n)
    # Cauchy-Binet normalisation: the density integrates to one exactly
    assert np.isclose(law.sum(), 1.0)
    rng = np.random.RandomState(2)
    position = {t: i for i, t in enumerate(tuples)}
    counts = np.bincount(
        [
            position[tuple(sampler.volume_rescaled(n, rng).tolist())]
            for _ in range(N_DRAWS)
        ],
        minlength=len(tuples),
    )
    _assert_fits(counts, law, "volume-rescaled ordered tuples")


def test_conditioned_iid_law_by_enumeration():
    # the law of i.i.d. optimal n-tuples restricted to ||G - I||_2 <= delta
    sampler = _tiny_pool(n_candidates=4, n_features=2, seed=3)
    m, n, delta = sampler.n_basis, 3, 0.5
    tuples = list(itertools.product(range(4), repeat=n))
    rho = sampler.leverage / m
    deviation = np.array([gram_deviation(sampler.gram(np.array(t))) for t in tuples])
    law = np.array([np.prod(rho[list(t)]) for t in tuples]) * (deviation <= delta)
    assert 0.3 < law.sum() < 0.95  # the condition rejects a fair share
    rng = np.random.RandomState(5)
    draws = [
        sampler.conditioned_iid(n, gram_tol=delta, random_state=rng)
        for _ in range(6000)
    ]
    # the Gram condition holds for every accepted draw
    assert all(gram_deviation(sampler.gram(d)) <= delta for d in draws)
    position = {t: i for i, t in enumerate(tuples)}
    counts = np.bincount(
        [position[tuple(d)] for d in np.array(draws).tolist()], minlength=len(tuples)
    )
    _assert_fits(counts, law, "conditioned i.i.d. tuples")
    rows, weights = sampler.sample("iid_conditioned", n, gram_tol=delta, random_state=0)
    np.testing.assert_allclose(weights, sampler.weights(rows))
    assert gram_deviation(sampler.gram(rows, weights)) <= delta


def test_conditioned_iid_gives_up_after_max_draws():
    sampler = _tiny_pool(n_candidates=50, n_features=4, seed=12)
    with pytest.raises(ValueError, match=r"none of 3 draws of n=4 .*closest"):
        sampler.conditioned_iid(4, gram_tol=1e-3, max_draws=3, random_state=0)
    with pytest.raises(ValueError, match="max_repetitions|none of 2 draws"):
        sampler.sample("iid_conditioned", 4, gram_tol=1e-3, max_repetitions=2)


def test_dpp_gram_is_unbiased_and_interpolation_error_is_m_plus_one_by_enumeration():
    # E[sum_{x in S} w phi phi^T] = m I (weights m / k_m are right), and with n = m
    # the weighted least-squares fit interpolates: E ||f - f_S||^2 = (m + 1) e*^2.
    sampler = _tiny_pool(n_candidates=7, n_features=3, seed=5)
    subsets, law, _ = _subset_law(sampler)
    m, N = sampler.n_basis, sampler.n_candidates
    y = np.random.default_rng(5).standard_normal(N)
    F = np.sqrt(N) * sampler.orthonormal_basis
    best = np.mean((y - F @ (F.T @ y / N)) ** 2)
    mean_gram, mean_error = np.zeros((m, m)), 0.0
    for subset, probability in zip(subsets, law):
        sample = np.array(subset)
        mean_gram += probability * sampler.gram(sample)
        coef = weighted_least_squares(F[sample], y[sample], sampler.weights(sample))
        np.testing.assert_allclose(F[sample] @ coef, y[sample], atol=1e-8)
        mean_error += probability * np.mean((y - F @ coef) ** 2)
    np.testing.assert_allclose(mean_gram, np.eye(m), atol=1e-12)
    assert np.isclose(mean_error, (m + 1) * best)


def test_kernels_match_numpy_references():
    rng = np.random.default_rng(7)
    Q = orthonormal_pool_basis(rng.standard_normal((300, 12)))
    uniforms = rng.random(12)
    np.testing.assert_array_equal(
        chain_rule_gram_schmidt(Q, uniforms), chain_rule_gram_schmidt_numpy(Q, uniforms)
    )
    proposals = Q[rng.integers(300, size=200)] * 3.0
    u = rng.random(200)
    results = []
    for kernel in (chain_rule_rejection, chain_rule_rejection_numpy):
        directions = np.zeros((12, 12))
        accepted, n_chosen = kernel(proposals, u, directions, 0)
        results.append((accepted, n_chosen, directions))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1] == results[1][1] == 12
    np.testing.assert_allclose(results[0][2], results[1][2], atol=1e-10)
    # the accepted directions are orthonormal and span the accepted proposals
    E = results[0][2]
    np.testing.assert_allclose(E @ E.T, np.eye(12), atol=1e-10)
    chosen = proposals[results[0][0]]
    np.testing.assert_allclose(chosen - chosen @ E.T @ E, 0, atol=1e-10)


def test_numba_and_numpy_paths_draw_the_same_sample(monkeypatch):
    rng = np.random.default_rng(8)
    features = rng.standard_normal((500, 15))
    for method in ("rejection", "gram_schmidt"):
        sampler = PoolSampler(features, method=method)
        fast = sampler._projection_dpp(np.random.RandomState(3))
        with monkeypatch.context() as patch:
            use_numpy_references(patch)
            slow = sampler._projection_dpp(np.random.RandomState(3))
        np.testing.assert_array_equal(fast, slow)
        assert len(set(fast.tolist())) == 15


def test_rank_deficient_features_and_duplicate_rows():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((40, 3))
    X = np.vstack([X, X[:5]])  # duplicated candidates
    features = np.hstack([X, X[:, :1] + X[:, 1:2]])  # a dependent column
    sampler = PoolSampler(features)
    assert sampler.n_basis == 3
    np.testing.assert_allclose(sampler.leverage.sum(), 3)
    for seed in range(200):
        rows = sampler.projection_dpp(seed)
        # a DPP never holds two copies of one point: their features coincide
        assert np.linalg.matrix_rank(features[rows]) == 3


def test_repeated_dpp_stops_at_the_first_stable_gram():
    sampler = _tiny_pool(n_candidates=30, n_features=4, seed=11)
    m = sampler.n_basis
    fixed = sampler.repeated_dpp(3, random_state=0)
    assert fixed.shape == (3 * m,)
    for block in fixed.reshape(3, m):
        assert len(set(block.tolist())) == m
    for seed in range(20):
        sample = sampler.repeated_dpp(gram_tol=0.3, random_state=seed)
        assert gram_deviation(sampler.gram(sample)) <= 0.3
        if len(sample) > m:
            assert gram_deviation(sampler.gram(sample[:-m])) > 0.3
    with pytest.warns(UserWarning, match="max_repetitions"):
        sample = sampler.repeated_dpp(gram_tol=1e-6, max_repetitions=2, random_state=0)
    assert sample.shape == (2 * m,)


def test_sample_strategies_and_weights():
    sampler = _tiny_pool(n_candidates=50, n_features=4, seed=12)
    m = sampler.n_basis
    for strategy, n, size in [
        ("dpp", None, m),
        ("volume", 9, 9),
        ("iid_optimal", None, m),
        ("uniform", 7, 7),
        ("repeated_dpp", 9, 3 * m),
    ]:
        rows, weights = sampler.sample(strategy, n, random_state=0)
        assert rows.shape == weights.shape == (size,)
        expected = np.ones(size) if strategy == "uniform" else sampler.weights(rows)
        np.testing.assert_allclose(weights, expected)
    np.testing.assert_allclose(
        sampler.weights(np.arange(50)), m / (50 * sampler.leverage)
    )
    a = sampler.sample("volume", 9, random_state=3)[0]
    np.testing.assert_array_equal(a, sampler.sample("volume", 9, random_state=3)[0])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda s: s.sample("sobol"), "strategy must be one of"),
        (lambda s: s.sample("dpp", n=5), "exactly m = 4"),
        (lambda s: s.volume_rescaled(3), "n >= m = 4"),
        (lambda s: s.optimal_iid(0), "positive integer"),
        (lambda s: s.repeated_dpp(0), "n_repetitions must be"),
        (lambda s: s.conditioned_iid(3), "n >= m = 4"),
        (lambda s: s.conditioned_iid(9, gram_tol=1.0), r"in \(0, 1\)"),
        (lambda s: s.sample("iid_conditioned"), "needs the number of points"),
        (lambda s: s.features(np.array([0.5])), "row indices"),
    ],
)
def test_bad_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call(_tiny_pool(n_candidates=10, n_features=4))


@pytest.mark.parametrize(
    "features, message",
    [
        (np.zeros((5, 2)), "all zero"),
        (np.ones(5), "2-D"),
        (np.full((5, 2), np.nan), "NaN"),
    ],
)
def test_bad_features_raise(features, message):
    with pytest.raises(ValueError, match=message):
        PoolSampler(features)
    with pytest.raises(ValueError, match="method must be"):
        PoolSampler(np.eye(3), method="schur")


def test_cholesky_qr_fast_path_and_pivoted_qr_give_the_same_kernel():
    from scipy.linalg import qr

    from skpapers.sampling._finite import _cholesky_qr2

    rng = np.random.default_rng(21)
    F = rng.standard_normal((500, 12)) @ np.triu(rng.standard_normal((12, 12)) + 4)
    Q = orthonormal_pool_basis(F)
    assert _cholesky_qr2(F, max_condition=1e5) is not None  # the fast path ran
    Q_pivoted = qr(F, mode="economic", pivoting=True)[0]
    np.testing.assert_allclose(Q.T @ Q, np.eye(12), atol=1e-13)
    np.testing.assert_allclose(Q @ Q.T, Q_pivoted @ Q_pivoted.T, atol=1e-13)
    # ill-conditioned features go to the pivoted QR, which still spans them
    F[:, 3] *= 1e-7
    assert _cholesky_qr2(F, max_condition=1e5) is None
    Q = orthonormal_pool_basis(F)
    assert Q.shape == (500, 12)
    np.testing.assert_allclose(Q.T @ Q, np.eye(12), atol=1e-12)
    np.testing.assert_allclose(Q @ (Q.T @ F), F, atol=1e-9)
