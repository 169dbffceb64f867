import tracemalloc

import array_api_strict
import numpy as np
import pytest
import sklearn
from scipy.linalg import polar

from skpapers import OnlineOrthogonalDictionaryLearning
from skpapers.datasets import make_orthogonal_sparse
from skpapers.decomposition._odl_solvers import (
    dictionary_recovery_error,
    frank_wolfe_gap,
    linear_maximization_oracle,
    lp_objective,
    msp,
    online_frank_wolfe_step,
    polar_factor,
    random_orthogonal,
    step_sizes,
    stochastic_gradient,
    threshold_codes,
)

# Data and estimator seeds differ on purpose: the generator and the estimator draw
# their orthogonal matrices the same way, so equal seeds would start at the answer.
DATA_SEED, EST_SEED = 0, 100


def _stream(n_batches, batch_size=100, n_features=30, seed=DATA_SEED, **kwargs):
    X, dictionary, code = make_orthogonal_sparse(
        n_batches * batch_size, n_features, random_state=seed, **kwargs
    )
    return np.split(X, n_batches), dictionary, code


# --- solver functions against slow references -------------------------------


@pytest.mark.parametrize("p", [3, 4, 2.5])
def test_gradient_matches_per_sample_sum_and_finite_differences(p):
    rng = np.random.default_rng(0)
    Y = rng.standard_normal((7, 5))
    D = 0.8 * random_orthogonal(5, np.random.RandomState(1))
    G = stochastic_gradient(Y, D, p)

    reference = np.zeros((5, 5))
    for y in Y:
        z = D.T @ y
        reference += np.outer(y, np.sign(z) * np.abs(z) ** (p - 1))
    np.testing.assert_allclose(G, reference / len(Y), rtol=1e-12)

    # it is the gradient of the objective that lp_objective evaluates
    E = rng.standard_normal((5, 5))
    h = 1e-6
    derivative = (lp_objective(Y, D + h * E, p) - lp_objective(Y, D - h * E, p)) / (
        2 * h
    )
    np.testing.assert_allclose(np.sum(G * E), derivative, rtol=1e-6)


def test_oracle_is_polar_factor_and_beats_every_point_of_the_ball():
    rng = np.random.default_rng(1)
    G = rng.standard_normal((6, 6))
    S, value = linear_maximization_oracle(G)
    np.testing.assert_allclose(S, polar(G)[0], atol=1e-12)
    np.testing.assert_allclose(S.T @ S, np.eye(6), atol=1e-12)
    np.testing.assert_allclose(value, np.linalg.norm(G, "nuc"))
    np.testing.assert_allclose(np.sum(G * S), value)
    for seed in range(20):
        Q = random_orthogonal(6, np.random.RandomState(seed))
        assert np.sum(G * (rng.uniform() * Q)) <= value + 1e-12
        # a random point of the ball: a contraction of a random matrix
        A = rng.standard_normal((6, 6))
        A /= np.linalg.norm(A, 2)
        assert np.sum(G * A) <= value + 1e-12


@pytest.mark.parametrize("distance", [1e-3, 0.05, 0.3, 3.0])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_polar_factor_equals_scipy_near_and_far_from_orthogonal(distance, dtype):
    # Near an orthogonal matrix Newton-Schulz is used, far from one the SVD.
    rng = np.random.default_rng(7)
    Q = random_orthogonal(20, np.random.RandomState(7))
    A = (Q + distance * rng.standard_normal((20, 20)) / np.sqrt(20)).astype(dtype)
    P = polar_factor(A)
    assert P.dtype == dtype
    atol = 1e-13 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(P, polar(A.astype(np.float64))[0], atol=atol)
    np.testing.assert_allclose(P.T @ P, np.eye(20), atol=atol)


def test_frank_wolfe_gap_nonnegative_and_zero_at_the_vertex():
    rng = np.random.default_rng(2)
    G = rng.standard_normal((5, 5))
    for _ in range(10):
        A = rng.standard_normal((5, 5))
        assert frank_wolfe_gap(G, A / np.linalg.norm(A, 2)) >= 0
    assert frank_wolfe_gap(G, polar_factor(G)) == pytest.approx(0, abs=1e-12)


def test_full_batch_frank_wolfe_step_with_unit_steps_is_an_msp_step():
    X, _, _ = make_orthogonal_sparse(500, 8, random_state=3)
    D = random_orthogonal(8, np.random.RandomState(4))
    # the authors' constants make the first step a full one (eta_1 = rho_1 = 1)
    D_fw, _, _ = online_frank_wolfe_step(
        X,
        D,
        np.zeros((8, 8)),
        1,
        p=4,
        step_decay=0.75,
        averaging_decay=0.5,
        step_scale=2,
        averaging_scale=4,
    )
    D_msp, n_iter = msp(X, 4, max_iter=1, D_init=D)
    assert n_iter == 1
    np.testing.assert_allclose(D_fw, D_msp, atol=1e-12)


def test_msp_recovers_the_dictionary_from_batch_data():
    X, dictionary, _ = make_orthogonal_sparse(20000, 16, random_state=5)
    D, _ = msp(X, random_state=EST_SEED)
    assert dictionary_recovery_error(D.T, dictionary) < 0.01


def test_recovery_error_is_invariant_to_signed_permutations():
    rng = np.random.default_rng(6)
    C0 = random_orthogonal(7, np.random.RandomState(7)).T
    C = polar_factor(C0 + 0.3 * rng.standard_normal((7, 7)))
    P = np.eye(7)[rng.permutation(7)] * rng.choice([-1.0, 1.0], size=7)
    assert dictionary_recovery_error(P @ C0, C0) == pytest.approx(0, abs=1e-12)
    assert dictionary_recovery_error(C, P @ C0) == pytest.approx(
        dictionary_recovery_error(C, C0)
    )
    assert 0.05 < dictionary_recovery_error(C, C0) < 1


def test_threshold_codes_hard_and_soft_match_dense_formulas():
    Z = np.random.default_rng(8).standard_normal((20, 6))
    hard = threshold_codes(Z, 0.5, "hard")
    soft = threshold_codes(Z, 0.5, "soft")
    np.testing.assert_array_equal(hard, np.where(np.abs(Z) > 0.5, Z, 0.0))
    np.testing.assert_allclose(soft, np.sign(Z) * np.maximum(np.abs(Z) - 0.5, 0))


# --- the estimator -----------------------------------------------------------


def test_recovers_orthogonal_dictionary_from_a_noiseless_stream():
    batches, dictionary, _ = _stream(400)
    odl = OnlineOrthogonalDictionaryLearning(random_state=EST_SEED)
    for batch in batches:
        odl.partial_fit(batch)
    C = odl.components_
    np.testing.assert_allclose(C @ C.T, np.eye(30), atol=1e-10)
    error = dictionary_recovery_error(C, dictionary)
    assert error < 0.05
    # the same stream expressed in a signed permutation of the dictionary
    rng = np.random.default_rng(9)
    P = np.eye(30)[rng.permutation(30)] * rng.choice([-1.0, 1.0], size=30)
    assert dictionary_recovery_error(C, P @ dictionary) == pytest.approx(error)
    assert dictionary_recovery_error(odl.dictionary_iterate_.T, dictionary) < 0.1
    assert odl.n_steps_ == 400 and odl.n_samples_seen_ == 40000


def test_p3_objective_recovers_too():
    batches, dictionary, _ = _stream(300, n_features=12)
    odl = OnlineOrthogonalDictionaryLearning(p=3, random_state=EST_SEED)
    for batch in batches:
        odl.partial_fit(batch)
    assert dictionary_recovery_error(odl.components_, dictionary) < 0.05


def test_partial_fit_over_batches_equals_fit_over_the_same_batches():
    batches, _, _ = _stream(6, batch_size=40, n_features=5)
    streamed = OnlineOrthogonalDictionaryLearning(random_state=EST_SEED)
    for batch in batches:
        streamed.partial_fit(batch)
    fitted = OnlineOrthogonalDictionaryLearning(
        batch_size=40, max_iter=1, shuffle=False, random_state=EST_SEED
    ).fit(np.vstack(batches))
    for attr in ("components_", "dictionary_iterate_", "gradient_estimate_"):
        np.testing.assert_allclose(
            getattr(streamed, attr), getattr(fitted, attr), rtol=1e-12, atol=1e-14
        )
    assert streamed.fw_gap_ == pytest.approx(fitted.fw_gap_, rel=1e-10)
    assert streamed.n_steps_ == fitted.n_steps_ == 6


def test_fit_resets_the_stream():
    batches, _, _ = _stream(4, batch_size=50, n_features=5)
    X = np.vstack(batches)
    odl = OnlineOrthogonalDictionaryLearning(random_state=EST_SEED)
    for batch in batches:
        odl.partial_fit(batch)
    odl.fit(X)
    fresh = OnlineOrthogonalDictionaryLearning(random_state=EST_SEED).fit(X)
    np.testing.assert_array_equal(odl.components_, fresh.components_)
    assert odl.n_steps_ == fresh.n_steps_ == 20 and odl.n_iter_ == 20


def test_frank_wolfe_gap_decreases_along_the_stream():
    batches, _, _ = _stream(300)
    odl = OnlineOrthogonalDictionaryLearning(random_state=EST_SEED)
    gaps = []
    for batch in batches:
        gaps.append(odl.partial_fit(batch).fw_gap_)
    gaps = np.array(gaps)
    assert np.all(gaps >= 0)
    assert gaps[-30:].mean() < 0.5 * gaps[:30].mean()


def test_hard_thresholded_codes_are_exactly_sparse_and_reconstruct():
    batches, _, code = _stream(300, n_features=12)
    X = np.vstack(batches)
    odl = OnlineOrthogonalDictionaryLearning(threshold=0.05, random_state=EST_SEED)
    for batch in batches:
        odl.partial_fit(batch)
    Z = odl.transform(X[:2000])
    kept = Z != 0
    assert np.all(np.abs(Z[kept]) > 0.05)
    # as many exact zeros as the model has (codes are recovered up to sign/order)
    np.testing.assert_allclose(kept.mean(), (code[:2000] != 0).mean(), atol=0.01)
    soft = odl.set_params(threshold_mode="soft").transform(X[:2000])
    np.testing.assert_array_equal(soft != 0, kept)
    np.testing.assert_allclose(np.abs(Z[kept]) - np.abs(soft[kept]), 0.05)
    exact = odl.set_params(threshold=0.0).transform(X[:50])
    np.testing.assert_allclose(odl.inverse_transform(exact), X[:50], atol=1e-10)
    assert odl.score(X[:50]) == pytest.approx(0, abs=1e-20)


def test_memory_does_not_grow_with_the_stream():
    rng = np.random.default_rng(10)
    odl = OnlineOrthogonalDictionaryLearning(random_state=EST_SEED)

    def stream(n_batches):
        for _ in range(n_batches):
            odl.partial_fit(rng.standard_normal((16, 16)))

    # untraced warm-up: one-time caches of numpy and scikit-learn
    stream(200)
    tracemalloc.start()
    try:
        stream(25)
        held_short, peak_short = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        stream(250)
        held_long, peak_long = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # keeping anything per batch (even one float in a list: 250 x 32 bytes) or
    # any sample (2 KiB a batch) would exceed this
    assert held_long - held_short < 2048
    one_matrix = 16 * 16 * 8
    assert peak_long < peak_short + one_matrix
    assert odl.n_samples_seen_ == 16 * 475


def test_float32_stays_float32():
    X, _, _ = make_orthogonal_sparse(300, 6, random_state=11)
    odl = OnlineOrthogonalDictionaryLearning(random_state=EST_SEED).fit(
        X.astype(np.float32)
    )
    assert odl.components_.dtype == np.float32
    assert odl.transform(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(
        odl.components_ @ odl.components_.T, np.eye(6), atol=1e-5
    )


def test_array_api_strict_path_matches_numpy():
    X, _, _ = make_orthogonal_sparse(300, 6, random_state=12)
    params = dict(batch_size=50, max_iter=3, random_state=EST_SEED)
    reference = OnlineOrthogonalDictionaryLearning(**params).fit(X)
    X_xp = array_api_strict.asarray(X)
    with sklearn.config_context(array_api_dispatch=True):
        odl = OnlineOrthogonalDictionaryLearning(**params).fit(X_xp)
        odl.partial_fit(X_xp[:50, ...])
        codes = odl.transform(X_xp)
    reference.partial_fit(X[:50])
    assert type(codes) is type(X_xp)
    np.testing.assert_allclose(np.asarray(odl.components_), reference.components_)
    np.testing.assert_allclose(np.asarray(codes), reference.transform(X), atol=1e-12)
    assert odl.fw_gap_ == pytest.approx(reference.fw_gap_)


def test_bad_input_raises_clear_errors():
    X, _, _ = make_orthogonal_sparse(100, 5, random_state=13)
    with pytest.raises(ValueError, match="p"):
        OnlineOrthogonalDictionaryLearning(p=2).fit(X)
    with pytest.raises(ValueError, match="threshold_mode"):
        OnlineOrthogonalDictionaryLearning(threshold_mode="median").fit(X)
    odl = OnlineOrthogonalDictionaryLearning(random_state=EST_SEED).partial_fit(X)
    with pytest.raises(ValueError, match="4 features"):
        odl.partial_fit(X[:, :4])
    with pytest.raises(ValueError, match="components"):
        odl.inverse_transform(X[:, :4])
    with pytest.raises(ValueError, match="mode"):
        threshold_codes(X, 0.1, "median")


# --- the authors' rule (GitHub yokoxue/Online-ODL, NoncvxSFW) and their error -------


def test_authors_schedule_matches_their_formulas_capped_at_one():
    # their counter it = t - 1 starts at 0: gamma = 2/(it+2)^(3/4), rho = 4/(it+1)^(1/2)
    for t in [1, 2, 15, 16, 17, 1000, 100_000]:
        it = t - 1
        eta, rho = step_sizes(t, 0.75, 0.5, step_scale=2, averaging_scale=4)
        assert eta == pytest.approx(min(1.0, 2 / (it + 2) ** 0.75), rel=1e-12)
        assert rho == pytest.approx(min(1.0, 4 / (it + 1) ** 0.5), rel=1e-12)
    assert step_sizes(16, 0.75, 0.5, averaging_scale=4)[1] == 1.0
    assert step_sizes(17, 0.75, 0.5, averaging_scale=4)[1] < 1.0


def test_projected_steps_stay_on_the_orthogonal_group():
    batches, dictionary, _ = _stream(60, batch_size=1, n_features=6, nonzero_rate=0.5)
    odl = OnlineOrthogonalDictionaryLearning(
        p=3, step_scale=2, averaging_scale=4, project=True, random_state=EST_SEED
    )
    for batch in batches:
        odl.partial_fit(batch)
        D = odl.dictionary_iterate_
        np.testing.assert_allclose(D.T @ D, np.eye(6), atol=1e-10)
        np.testing.assert_allclose(odl.components_, D.T, atol=1e-10)


def test_authors_rule_recovers_with_batch_size_one():
    X, dictionary, _ = make_orthogonal_sparse(
        6000, 8, nonzero_rate=0.3, random_state=DATA_SEED
    )
    odl = OnlineOrthogonalDictionaryLearning(
        p=3,
        step_decay=0.75,
        averaging_decay=0.5,
        step_scale=2,
        averaging_scale=4,
        project=True,
        batch_size=1,
        max_iter=1,
        shuffle=False,
        random_state=EST_SEED,
    ).fit(X)
    assert dictionary_recovery_error(odl.components_, dictionary) < 0.02


def test_recovery_error_is_the_authors_formula():
    rng = np.random.default_rng(5)
    truth = random_orthogonal(5, np.random.RandomState(6))
    for scale in [0.5, 1.0, 1.7]:
        A = scale * rng.standard_normal((5, 5))
        # their code: abs(sum((A @ Tr_Dic) ** 4) / n - 1), Tr_Dic atoms in columns
        reference = abs(np.sum((A @ truth.T) ** 4) / 5 - 1)
        assert dictionary_recovery_error(A, truth) == pytest.approx(reference)
    assert dictionary_recovery_error(1.5 * truth, truth) == pytest.approx(1.5**4 - 1)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_failed_partial_fit_leaves_the_estimator_as_it_was():
    # huge samples pass validation, then the SVD fails on the overflowed gradient:
    # n_features_in_ had been set, so transform raised AttributeError
    from sklearn.exceptions import NotFittedError

    rng = np.random.default_rng(0)
    batches, _, _ = _stream(3, n_features=5)
    odl = OnlineOrthogonalDictionaryLearning(random_state=EST_SEED)
    with pytest.raises(ValueError):
        odl.partial_fit(1e200 * rng.standard_normal((20, 5)))
    with pytest.raises(NotFittedError):
        odl.transform(batches[0])
    odl.partial_fit(batches[0])
    before = odl.transform(batches[1])
    with pytest.raises(ValueError):
        odl.fit(1e200 * rng.standard_normal((20, 7)))
    assert odl.n_features_in_ == 5
    np.testing.assert_array_equal(odl.transform(batches[1]), before)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize(("dtype", "scale"), [(np.float64, 1e200), (np.float32, 1e20)])
def test_data_whose_powers_overflow_is_refused_with_its_scale(method, dtype, scale):
    # used to end in LinAlgError("SVD did not converge") on the overflowed gradient
    X = (np.random.default_rng(0).standard_normal((50, 8)) * scale).astype(dtype)
    odl = OnlineOrthogonalDictionaryLearning(random_state=0)
    with pytest.raises(ValueError, match=r"X has values of magnitude .*4-th powers"):
        getattr(odl, method)(X)
