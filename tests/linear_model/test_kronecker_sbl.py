"""KroneckerSBL: structured E-step against the dense formulas, M-steps, EM against
a slow reference, recovery on the paper's synthetic problems, array API, bad input.
"""

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning

from skpapers import KroneckerSBL
from skpapers.datasets import make_kronecker_sparse
from skpapers.linear_model import _kronecker_sbl
from skpapers.linear_model._sbl_solvers import (
    _DenseEStep,
    couple_precisions,
    couple_variances,
    coupling_matrix,
    find_kronecker_factors,
    gram_e_step,
    kron_matvec,
    m_step_am,
    m_step_svd,
    structured_e_step,
)

# ----------------------------------------------------------------------------
# slow, obvious references


def _kron(mats):
    out = mats[0]
    for m in mats[1:]:
        out = np.kron(out, m)
    return out


def _random(rng, shape, is_complex):
    if is_complex:
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return rng.standard_normal(shape)


def dense_e_step(A, gamma, y, s2):
    """Posterior moments and statistics from the textbook dense formulas."""
    M = A.shape[0]
    C = s2 * np.eye(M) + (A * gamma) @ A.conj().T
    C_inv = np.linalg.inv(C)
    mu = gamma * (A.conj().T @ C_inv @ y)
    Sigma = np.diag(gamma) - (gamma[:, None] * (A.conj().T @ C_inv @ A)) * gamma
    _, log_det = np.linalg.slogdet(C)
    quad = np.real(y.conj() @ C_inv @ y)
    if np.iscomplexobj(A) or np.iscomplexobj(y):
        log_ev = -(M * np.log(np.pi) + log_det + quad)
    else:
        log_ev = -0.5 * (M * np.log(2 * np.pi) + log_det + quad)
    return {
        "coef": mu,
        "posterior_variance": np.real(np.diag(Sigma)),
        "residual_sq": np.sum(np.abs(y - A @ mu) ** 2),
        "trace": np.real(np.trace(A @ Sigma @ A.conj().T)),
        "log_evidence": log_ev,
    }


def assert_step_matches(step, reference, atol=1e-10):
    for key, expected in reference.items():
        actual = getattr(step, key)
        scale = max(np.max(np.abs(expected)), 1.0)
        assert_allclose(actual, expected, rtol=0, atol=atol * scale, err_msg=key)


def reference_m_step_am(Lam, factors, tol):
    """Coordinate updates written with explicit index sets."""
    shape = tuple(len(g) for g in factors)
    T = Lam.reshape(shape)
    factors = [g.copy() for g in factors]
    for _ in range(100):
        before = [g.copy() for g in factors]
        for i in range(len(shape)):
            others = [factors[j] for j in range(len(shape)) if j != i]
            h = _kron(others) if others else np.ones(1)
            keep = h > 0
            Ti = np.moveaxis(T, i, 0).reshape(shape[i], -1)
            new = (Ti[:, keep] / h[keep]).mean(axis=1)
            factors[i] = np.where(factors[i] > 0, new, 0.0)
        scale = 1.0
        for i in range(len(shape) - 1):
            top = factors[i].max()
            factors[i] = factors[i] / top
            scale *= top
        factors[-1] = factors[-1] * scale
        change = max(
            np.max(np.abs(a - b)) / np.max(np.abs(b)) for a, b in zip(factors, before)
        )
        if change <= tol:
            break
    return factors


def reference_em(A, y, shape, solver, n_iter, prune):
    """EM with the dense E-step from gamma = 1, a fixed number of iterations."""
    M = len(y)
    power = np.sum(np.abs(y) ** 2) / M
    s2 = 0.1 * power
    factors = [np.ones(n) for n in shape]
    for _ in range(n_iter):
        step = dense_e_step(A, _kron(factors), y, s2)
        Lam = step["posterior_variance"] + np.abs(step["coef"]) ** 2
        if solver == "am":
            factors = reference_m_step_am(Lam, factors, 1e-6)  # inner tol for tol=0
        else:
            masks = [g > 0 for g in factors]
            rest, new = Lam, []
            for n in shape[:-1]:
                u, s, vh = np.linalg.svd(rest.reshape(n, -1), full_matrices=False)
                new.append(np.abs(u[:, 0]))
                rest = s[0] * np.abs(vh[0])
            new.append(rest)
            scale = np.prod([g.max() for g in new[:-1]])
            new = [g / g.max() for g in new[:-1]] + [new[-1] * scale]
            factors = [np.where(m, g, 0.0) for m, g in zip(masks, new)]
        factors = [np.where(g >= prune * g.max(), g, 0.0) for g in factors]
        s2 = (step["residual_sq"] + step["trace"]) / M
    return dense_e_step(A, _kron(factors), y, s2)["coef"]


def nmse_db(estimate, truth):
    return 10 * np.log10(
        np.sum(np.abs(estimate - truth) ** 2) / np.sum(np.abs(truth) ** 2)
    )


# ----------------------------------------------------------------------------
# solver functions


@pytest.mark.parametrize("is_complex", [False, True])
def test_kron_matvec_matches_np_kron(is_complex):
    rng = np.random.default_rng(0)
    mats = [_random(rng, s, is_complex) for s in [(2, 3), (4, 1), (3, 5)]]
    v = _random(rng, 15, is_complex)
    assert_allclose(kron_matvec(mats, v), _kron(mats) @ v, atol=1e-12)


@pytest.mark.parametrize("is_complex", [False, True])
@pytest.mark.parametrize(
    "m_shape, n_shape", [((3, 4), (5, 6)), ((2, 3, 4), (3, 4, 2)), ((6,), (9,))]
)
def test_structured_e_step_equals_dense_formula(is_complex, m_shape, n_shape):
    # includes a factor with more rows than columns and pruned (zero) entries
    rng = np.random.default_rng(1)
    factors = [_random(rng, (m, n), is_complex) for m, n in zip(m_shape, n_shape)]
    gammas = [rng.random(n) + 0.1 for n in n_shape]
    gammas[0][0] = 0.0
    y = _random(rng, math.prod(m_shape), is_complex)
    step = structured_e_step(factors, gammas, y, 0.3)
    reference = dense_e_step(_kron(factors), _kron(gammas), y, 0.3)
    assert_step_matches(step, reference)
    assert np.all(step.posterior_variance[_kron(gammas) == 0] == 0)


@pytest.mark.parametrize("is_complex", [False, True])
def test_gram_e_step_equals_dense_formula(is_complex):
    rng = np.random.default_rng(2)
    A = _random(rng, (30, 7), is_complex)
    y = _random(rng, 30, is_complex)
    gamma = rng.random(7) + 0.05
    step = gram_e_step(
        A.conj().T @ A, A.conj().T @ y, np.sum(np.abs(y) ** 2), 30, gamma, 0.2
    )
    assert_step_matches(step, dense_e_step(A, gamma, y, 0.2))


@pytest.mark.parametrize("is_complex", [False, True])
@pytest.mark.parametrize("n_rows", [5, 40])
def test_dense_e_step_prunes_atoms_in_both_forms(is_complex, n_rows):
    # 5 rows: measurement-space form; 40 rows: Gram form on the active atoms
    rng = np.random.default_rng(3)
    A = _random(rng, (n_rows, 12), is_complex)
    y = _random(rng, n_rows, is_complex)
    gamma = rng.random(12) + 0.1
    gamma[[1, 4, 5]] = 0.0
    step = _DenseEStep(A, y, np)(gamma, 0.5)
    assert_step_matches(step, dense_e_step(A, gamma, y, 0.5))


def test_m_steps_recover_a_kronecker_second_moment():
    rng = np.random.default_rng(4)
    gs = [rng.random(n) + 0.1 for n in (3, 4, 5)]
    Lam = _kron(gs)
    for new in (
        m_step_svd(Lam, (3, 4, 5)),
        m_step_am(Lam, [np.ones(n) for n in (3, 4, 5)]),
    ):
        assert_allclose(_kron(new), Lam, rtol=1e-6)
        assert all(np.isclose(g.max(), 1.0) for g in new[:-1])


def test_m_step_am_equals_coordinatewise_reference():
    rng = np.random.default_rng(5)
    Lam = rng.random(3 * 4 * 5) ** 3  # not a Kronecker product
    start = [rng.random(n) + 0.5 for n in (3, 4, 5)]
    start[1][2] = 0.0  # a pruned slice stays pruned and drops out of the means
    new = m_step_am(Lam, start, tol=1e-10)
    expected = reference_m_step_am(Lam, start, 1e-10)
    for a, b in zip(new, expected):
        assert_allclose(a, b, rtol=1e-7)
    assert new[1][2] == 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("beta, coupling", [(0.0, 0.0), (0.4, 0.0), (0.0, 0.8)])
def test_numba_am_kernel_equals_the_array_api_m_step(dtype, beta, coupling):
    from skpapers.linear_model._sbl_kernels import am_m_step

    rng = np.random.default_rng(11)
    shape = (4, 3, 5)
    Lam = (rng.random(60) ** 2).astype(dtype)
    start = [(rng.random(n) + 0.2).astype(dtype) for n in shape]
    start[2][1] = 0.0
    modes = (0, 2)  # with coupling: PC-KroSBL's NNLS on modes 0 and 2
    expected = m_step_am(Lam, start, coupling, modes, 1e-6, beta)
    offsets = np.cumsum([0, *shape]).astype(np.int64)
    coupled = np.array([coupling > 0, False, coupling > 0])
    passes = 9 if coupling else 100
    packed = am_m_step(
        Lam, offsets, np.concatenate(start), beta, coupled, coupling, 1e-5, 1e-6, passes
    )
    assert packed.dtype == dtype
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    assert_allclose(packed, np.concatenate(expected), rtol=rtol)


def test_m_step_am_increases_the_expected_log_likelihood():
    rng = np.random.default_rng(6)
    Lam = rng.random(4 * 6) ** 2

    def q(factors):
        gamma = _kron(factors)
        return -np.sum(np.log(gamma) + Lam / gamma)

    start = [np.ones(4), np.ones(6)]
    am = m_step_am(Lam, start, tol=1e-12)
    assert q(am) >= q(m_step_svd(Lam, (4, 6))) - 1e-9
    assert q(am) > q(start)
    # a stationary point: any small multiplicative change of one entry is worse
    for i, k in [(0, 1), (1, 3)]:
        for eps in (1e-3, -1e-3):
            moved = [g.copy() for g in am]
            moved[i][k] *= 1 + eps
            assert q(moved) <= q(am) + 1e-12


def test_couple_precisions():
    rng = np.random.default_rng(7)
    stat = rng.random(9)
    assert_allclose(couple_precisions(stat, 0.0), stat)
    # scale-equivariant, so it commutes with the factors' normalisation
    assert_allclose(couple_precisions(3 * stat, 0.7), 3 * couple_precisions(stat, 0.7))
    spike = np.zeros(9)
    spike[4] = 1.0
    coupled = couple_precisions(spike, 0.5)
    # variance spreads to the two neighbours only, and an isolated entry shrinks
    assert np.flatnonzero(coupled).tolist() == [3, 4, 5]
    assert coupled[4] < 1.0


def test_couple_variances_is_nnls_through_the_coupling_matrix():
    from scipy.optimize import nnls

    from skpapers.linear_model import _sbl_kernels

    rng = np.random.default_rng(7)
    z = rng.random(9)
    z[[2, 6]] = 0.0  # pruned entries stay out, and out of the neighbourhoods
    coupled = couple_variances(z, 0.8)
    active = np.flatnonzero(z)
    c = coupling_matrix(9, 0.8)[np.ix_(active, active)]
    g, _ = nnls(c, z[active])
    expected = c @ g
    # the authors' absolute floor
    assert_allclose(coupled[active], expected + 1e-5)
    assert np.all(coupled[[2, 6]] == 0)
    assert_allclose(_sbl_kernels.couple_variances(z, 0.8, 1e-5), coupled, rtol=1e-12)
    # beta = 0 is the plain update (plus the floor)
    assert_allclose(couple_variances(z, 0.0), z + 1e-5 * (z > 0))
    # an isolated spike is spread onto its neighbours and damped
    spike = np.full(9, 1e-3)
    spike[4] = 1.0
    out = couple_variances(spike, 0.5)
    assert out[4] < 1.0 and out[3] > 0.1 and out[5] > 0.1


@pytest.mark.parametrize("beta", [0.5, 0.8])
def test_numba_nnls_equals_scipy(beta):
    from scipy.optimize import nnls

    from skpapers.linear_model._sbl_kernels import nnls as numba_nnls

    rng = np.random.default_rng(13)
    for trial in range(30):
        n = int(rng.integers(1, 19))
        keep = np.sort(rng.choice(18, n, replace=False))
        # a principal block of C_beta, as PC-KroSBL's, and a general full-rank a
        c = coupling_matrix(18, beta)[np.ix_(keep, keep)]
        a = c if trial % 2 else rng.standard_normal((n + 3, n))
        b = rng.standard_normal(a.shape[0]) * rng.random(a.shape[0]) ** 3
        expected = nnls(a, b)[0]
        assert_allclose(numba_nnls(a, b, 3 * n), expected, atol=1e-12, rtol=1e-9)


def test_find_kronecker_factors():
    rng = np.random.default_rng(8)
    mats = [rng.standard_normal(s) for s in [(2, 3), (3, 4), (4, 2)]]
    X = _kron(mats)
    found = find_kronecker_factors(X, (3, 4, 2))
    assert [f.shape for f in found] == [(2, 3), (3, 4), (4, 2)]
    assert_allclose(_kron(found), X, atol=1e-12)
    X_float32 = X.astype(np.float32)
    assert find_kronecker_factors(X_float32, (3, 4, 2)) is not None
    assert (
        find_kronecker_factors(X + 1e-6 * rng.standard_normal(X.shape), (3, 4, 2))
        is None
    )


# ----------------------------------------------------------------------------
# the estimator against the reference EM, and its paths


@pytest.mark.parametrize("solver", ["svd", "am"])
@pytest.mark.parametrize("is_complex", [False, True])
def test_fit_equals_reference_em(solver, is_complex):
    rng = np.random.default_rng(9)
    factors = [_random(rng, s, is_complex) for s in [(3, 5), (4, 6)]]
    y = _random(rng, 12, is_complex)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = KroneckerSBL(solver=solver, max_iter=6, tol=0).fit(
            None, y, factors=factors
        )
    # the defaults are the authors': gamma = 1, pruning 1e-3 (SVD) or 1e-2 (AM)
    prune = {"svd": 1e-3, "am": 1e-2}[solver]
    expected = reference_em(_kron(factors), y, (5, 6), solver, 6, prune)
    assert est.n_iter_ == 6
    assert_allclose(est.coef_, expected, atol=1e-8 * np.max(np.abs(expected)))


def test_dense_kronecker_dictionary_takes_the_fast_path(monkeypatch):
    factors, y, _ = make_kronecker_sparse(
        (3, 4, 5), (5, 6, 7), 2, as_factors=True, random_state=0
    )
    seen = []
    original = _kronecker_sbl.fit_kronecker_sbl

    def spy(*args, **kwargs):
        seen.append(kwargs["factors"] is not None)
        return original(*args, **kwargs)

    monkeypatch.setattr(_kronecker_sbl, "fit_kronecker_sbl", spy)
    dense = KroneckerSBL(feature_shape=(5, 6, 7)).fit(_kron(factors), y)
    structured = KroneckerSBL().fit(None, y, factors=factors)
    assert seen == [True, True]
    assert_allclose(dense.coef_, structured.coef_, atol=1e-10)
    assert_allclose(dense.predict(_kron(factors)), structured.predict(factors=factors))

    # a dictionary that is not a Kronecker product: same prior, dense E-step
    rng = np.random.default_rng(0)
    X = _kron(factors) + 0.01 * rng.standard_normal((60, 210))
    KroneckerSBL(feature_shape=(5, 6, 7)).fit(X, y)
    assert seen[-1] is False


def test_prior_structure_finer_than_the_factors():
    # factors [A1, A2 ⊗ A3] with a three-factor prior: the finer split is found
    factors, y, _ = make_kronecker_sparse(
        (3, 4, 5), (5, 6, 7), 2, as_factors=True, random_state=1
    )
    coarse = [factors[0], np.kron(factors[1], factors[2])]
    fine = KroneckerSBL().fit(None, y, factors=factors)
    refined = KroneckerSBL(feature_shape=(5, 6, 7)).fit(None, y, factors=coarse)
    assert refined.feature_shape_ == (5, 6, 7)
    assert_allclose(refined.coef_, fine.coef_, atol=1e-9)


# ----------------------------------------------------------------------------
# recovery on the paper's synthetic problems


@pytest.mark.parametrize("solver", ["svd", "am"])
def test_noiseless_support_is_recovered_exactly(solver):
    factors, y, coef = make_kronecker_sparse(
        (5, 6, 6), (8, 9, 10), 2, snr_db=np.inf, as_factors=True, random_state=2
    )
    est = KroneckerSBL(solver=solver, max_iter=1000).fit(None, y, factors=factors)
    assert np.array_equal(est.gamma_ > 0, coef != 0)
    assert np.array_equal(est.coef_ != 0, coef != 0)
    assert nmse_db(est.coef_, coef) < -40


@pytest.mark.parametrize("solver", ["svd", "am"])
def test_nmse_decreases_with_snr(solver):
    # the paper's default problem: 3 factors of 15 atoms, 3 non-zeros per factor
    medians = []
    for snr in (10, 20, 30):
        errors = []
        for seed in range(3):
            factors, y, coef = make_kronecker_sparse(
                snr_db=snr, as_factors=True, random_state=seed
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                est = KroneckerSBL(solver=solver).fit(None, y, factors=factors)
            errors.append(nmse_db(est.coef_, coef))
        medians.append(np.median(errors))
    assert medians[0] > medians[1] + 5 > medians[2] + 10, medians


@pytest.mark.parametrize("solver", ["svd", "am"])
def test_noise_variance_estimate_within_a_factor_two(solver):
    for seed in range(3):
        factors, y, coef = make_kronecker_sparse(
            snr_db=20, as_factors=True, random_state=seed
        )
        signal = kron_matvec(factors, coef)
        truth = np.mean(signal**2) / 10**2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = KroneckerSBL(solver=solver).fit(None, y, factors=factors)
        assert 0.5 < est.noise_variance_ / truth < 2, (
            seed,
            est.noise_variance_ / truth,
        )


def test_known_noise_variance_is_kept():
    factors, y, coef = make_kronecker_sparse(
        (6, 7), (10, 10), 3, as_factors=True, random_state=0
    )
    est = KroneckerSBL(noise_variance=0.01).fit(None, y, factors=factors)
    assert est.noise_variance_ == 0.01
    assert nmse_db(est.coef_, coef) < -15


@pytest.mark.parametrize("solver", ["svd", "am"])
def test_complex_measurements_are_recovered(solver):
    factors, y, coef = make_kronecker_sparse(
        (6, 7, 8),
        (10, 10, 10),
        3,
        snr_db=25,
        complex_valued=True,
        as_factors=True,
        random_state=3,
    )
    est = KroneckerSBL(solver=solver).fit(None, y, factors=factors)
    assert np.iscomplexobj(est.coef_)
    assert np.isrealobj(est.gamma_) and np.isrealobj(est.posterior_variance_)
    assert nmse_db(est.coef_, coef) < -25
    assert_allclose(
        est.predict(factors=factors), _kron(factors) @ est.coef_, atol=1e-10
    )


def test_precision_coupling_beats_plain_sbl_on_block_sparse_data():
    plain, coupled = [], []
    for seed in range(6):
        X, y, coef = make_kronecker_sparse(
            40, 100, 20, block_size=5, snr_db=20, random_state=seed
        )
        plain.append(nmse_db(KroneckerSBL().fit(X, y).coef_, coef))
        fang = KroneckerSBL(precision_coupling=0.5).fit(X, y)
        coupled.append(nmse_db(fang.coef_, coef))
    assert np.median(coupled) < np.median(plain) - 2, (plain, coupled)


def test_pc_krosbl_equals_a_dense_reference():
    # the paper's PC-KroSBL on a tiny complex problem: E-step from the dense
    # formulas, M-step as the authors write it (explicit Kronecker products,
    # NNLS through C_beta on the coupled modes), known noise, no pruning
    from scipy.optimize import nnls

    rng = np.random.default_rng(12)
    shape = (5, 3, 6)
    factors = [_random(rng, (m, n), True) for m, n in zip((3, 2, 4), shape)]
    x = np.zeros(shape, dtype=complex)
    x[1:3, 1, 2:5] = _random(rng, (2, 3), True)
    A = _kron(factors)
    y = A @ x.ravel() + 0.05 * _random(rng, A.shape[0], True)
    s2, beta, modes, n_iter = 0.005, 0.8, (0, 2), 4
    est = KroneckerSBL(
        coupling=beta,
        block_modes=modes,
        noise_variance=s2,
        prune_threshold=0,
        max_iter=n_iter,
        tol=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(None, y, factors=factors)

    # the authors' start: g = 1, so g~ = C_beta 1 on the coupled modes
    g = [
        coupling_matrix(n, beta).sum(axis=1) if i in modes else np.ones(n)
        for i, n in enumerate(shape)
    ]
    for _ in range(n_iter):
        step = dense_e_step(A, _kron(g), y, s2)
        Lam = step["posterior_variance"] + np.abs(step["coef"]) ** 2
        for _ in range(9):
            for i, n in enumerate(shape):
                # the authors' kron(I, 1/g_2, 1/g_3)^T Lambda / (N_2 N_3), mode i
                cols = [np.eye(n) if j == i else 1 / g[j][:, None] for j in range(3)]
                z = _kron(cols).T @ Lam / (np.prod(shape) // n)
                if i in modes:
                    c = coupling_matrix(n, beta)
                    z = 1e-5 + c @ nnls(c, z)[0]
                g[i] = z
            # the authors' normalisation, on which their absolute floor depends
            norms = [np.linalg.norm(g[0]), np.linalg.norm(g[1])]
            g = [g[0] / norms[0], g[1] / norms[1], g[2] * norms[0] * norms[1]]
    expected = dense_e_step(A, _kron(g), y, s2)
    assert_allclose(est.gamma_, _kron(g), rtol=1e-6)
    assert_allclose(est.coef_, expected["coef"], rtol=1e-6, atol=1e-9)


def test_all_zero_measurements_give_zero_at_once():
    factors, _, _ = make_kronecker_sparse(
        (3, 4), (5, 6), 2, as_factors=True, complex_valued=True, random_state=0
    )
    y = np.zeros(12, dtype=complex)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = KroneckerSBL(solver="am").fit(None, y, factors=factors)
        dense = KroneckerSBL().fit(np.zeros((12, 30)), np.zeros(12))
    for fitted in (est, dense):
        assert fitted.n_iter_ == 0
        assert not np.any(fitted.coef_) and not np.any(fitted.gamma_)
    assert np.iscomplexobj(est.coef_) and est.coef_.shape == (30,)


def test_am_never_decreases_the_marginal_likelihood():
    factors, y, _ = make_kronecker_sparse(
        (5, 6, 7), (8, 8, 8), 2, snr_db=15, as_factors=True, random_state=4
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = KroneckerSBL(solver="am", prune_threshold=0, max_iter=60).fit(
            None, y, factors=factors
        )
    scores = np.asarray(est.scores_)
    assert len(scores) == est.n_iter_
    assert np.all(np.diff(scores) >= -1e-8 * np.abs(scores[1:])), np.diff(scores).min()


def test_classic_sbl_recovers_a_sparse_regression():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((80, 30))
    coef = np.zeros(30)
    coef[[2, 11, 25]] = [1.5, -2.0, 1.0]
    y = X @ coef + 0.05 * rng.standard_normal(80)
    est = KroneckerSBL().fit(X, y)
    assert est.feature_shape_ == (30,)
    assert np.flatnonzero(np.abs(est.coef_) > 0.1).tolist() == [2, 11, 25]
    assert est.score(X, y) > 0.99


def test_float32_in_float32_out():
    factors, y, _ = make_kronecker_sparse(
        (4, 5), (6, 7), 2, as_factors=True, random_state=0
    )
    est = KroneckerSBL().fit(
        None, y.astype(np.float32), factors=[f.astype(np.float32) for f in factors]
    )
    assert est.coef_.dtype == np.float32 and est.gamma_.dtype == np.float32
    X = _kron(factors).astype(np.float32)
    est = KroneckerSBL((6, 7)).fit(X, y.astype(np.float32))
    assert est.coef_.dtype == np.float32 and est.predict(X).dtype == np.float32


def test_not_converging_warns():
    factors, y, _ = make_kronecker_sparse(
        (4, 5), (6, 7), 2, as_factors=True, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        KroneckerSBL(max_iter=2, tol=0).fit(None, y, factors=factors)


# ----------------------------------------------------------------------------
# array API


@pytest.mark.parametrize("namespace", ["array_api_strict", "torch"])
@pytest.mark.parametrize("is_complex, solver", [(False, "am"), (True, "svd")])
def test_array_api_factor_path_matches_numpy(namespace, is_complex, solver):
    xp = pytest.importorskip(namespace)
    factors, y, _ = make_kronecker_sparse(
        (4, 5, 3),
        (6, 7, 5),
        2,
        complex_valued=is_complex,
        as_factors=True,
        random_state=0,
    )
    params = dict(solver=solver, max_iter=15, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        expected = KroneckerSBL(**params).fit(None, y, factors=factors)
    with config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = KroneckerSBL(**params).fit(
            None, xp.asarray(y), factors=[xp.asarray(f) for f in factors]
        )
        prediction = est.predict(factors=[xp.asarray(f) for f in factors])
    assert type(est.coef_) is type(xp.asarray(y))
    assert_allclose(np.asarray(est.coef_), expected.coef_, atol=1e-9)
    assert_allclose(
        np.asarray(prediction), expected.predict(factors=factors), atol=1e-9
    )
    assert est.n_iter_ == expected.n_iter_


def test_array_api_dense_kronecker_detection_matches_numpy():
    xp = pytest.importorskip("array_api_strict")
    X, y, _ = make_kronecker_sparse((3, 4), (5, 6), 2, random_state=0)
    expected = KroneckerSBL((5, 6)).fit(X, y)
    with config_context(array_api_dispatch=True):
        est = KroneckerSBL((5, 6)).fit(xp.asarray(X), xp.asarray(y))
    assert_allclose(np.asarray(est.coef_), expected.coef_, atol=1e-10)


# ----------------------------------------------------------------------------
# bad input


def _problem():
    return make_kronecker_sparse((3, 4), (5, 6), 2, as_factors=True, random_state=0)


@pytest.mark.parametrize(
    "make_call, message",
    [
        (lambda f, y: KroneckerSBL((5, 5)).fit(_kron(f), y), "product must equal"),
        (lambda f, y: KroneckerSBL((5, -6)).fit(_kron(f), y), "positive integers"),
        (lambda f, y: KroneckerSBL((5, 3)).fit(None, y, factors=f), "30 atoms"),
        (lambda f, y: KroneckerSBL().fit(_kron(f), y, factors=f), "not both"),
        (lambda f, y: KroneckerSBL().fit(None, y, factors=_kron(f)), "list of 2-D"),
        (lambda f, y: KroneckerSBL().fit(None, y, factors=[]), "at least one"),
        (lambda f, y: KroneckerSBL().fit(None, y, factors=[f[0][0], f[1]]), "2-D"),
        (lambda f, y: KroneckerSBL().fit(None, y[:-1], factors=f), "prod\\(M_i\\)"),
        (
            lambda f, y: KroneckerSBL().fit(None, y, factors=[f[0] * np.nan, f[1]]),
            "NaN or infinity",
        ),
        (lambda f, y: KroneckerSBL().fit(None, y * np.inf, factors=f), "NaN or inf"),
        (
            lambda f, y: KroneckerSBL().fit(None, y, factors=[f[0].astype(str), f[1]]),
            "numeric",
        ),
        (
            lambda f, y: KroneckerSBL().fit(_kron(f) + 0j, y),
            "Complex data not supported",
        ),
    ],
)
def test_bad_input_raises_a_clear_value_error(make_call, message):
    factors, y, _ = _problem()
    with pytest.raises(ValueError, match=message):
        make_call(factors, y)


def test_bad_predict_input():
    factors, y, _ = _problem()
    est = KroneckerSBL().fit(None, y, factors=factors)
    with pytest.raises(ValueError, match="needs X"):
        est.predict()
    with pytest.raises(ValueError, match="fitted with 30 features"):
        est.predict(factors=[factors[0][:, :4], factors[1]])
    with pytest.raises(ValueError, match="not both"):
        est.predict(_kron(factors), factors=factors)


def test_failed_fit_keeps_the_fitted_state():
    factors, y, _ = _problem()
    est = KroneckerSBL().fit(None, y, factors=factors)
    before = est.coef_.copy()
    with pytest.raises(ValueError):
        est.fit(None, y[:-1], factors=factors)
    assert_allclose(est.coef_, before)
    assert est.n_features_in_ == 30


@pytest.mark.parametrize("use_factors", [False, True])
def test_measurements_whose_squares_overflow_are_refused(use_factors):
    # float32 measurements near 4.5e36: ||y||^2 overflows, and the noise variance
    # used to come back as inf without an error
    rng = np.random.default_rng(0)
    A1, A2 = rng.standard_normal((3, 4)), rng.standard_normal((2, 3))
    y = np.full(6, -4.5e36, dtype=np.float32)
    if use_factors:
        fit = lambda: KroneckerSBL().fit(None, y, factors=[A1, A2])  # noqa: E731
    else:
        X = np.kron(A1, A2).astype(np.float32)
        fit = lambda: KroneckerSBL(feature_shape=(4, 3)).fit(X, y)  # noqa: E731
    with pytest.raises(ValueError, match="y has values of magnitude .* float32"):
        fit()


def test_measurements_whose_fourth_powers_overflow_are_refused():
    # y near 1e150 (squares fine): the posterior covariance multiplies two prior
    # variances of order |y|^2, and the noise variance came back as inf
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 4))
    y = np.array([-1.2e150, 8.8e149, 2.0e148])
    with pytest.raises(ValueError, match="y has values of magnitude .*4-th powers"):
        KroneckerSBL().fit(X, y)


def test_factors_whose_product_overflows_are_refused():
    # each factor is fine on its own; their Kronecker product is not
    rng = np.random.default_rng(0)
    factors = [rng.standard_normal((3, 3)) * 1e60 for _ in range(3)]
    y = rng.standard_normal(27)
    with pytest.raises(ValueError, match="Kronecker product of the factors"):
        KroneckerSBL().fit(None, y, factors=factors)
