"""SketchedLinearRegression: the ell_inf guarantee at the formula's sketch size,
the CountSketch counterexample, sketch-and-precondition to LAPACK accuracy, agreement
with a dense reference, Dask on a LocalCluster, bad input.
"""

import numpy as np
import pytest
import scipy.linalg as la
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LinearRegression

from skpapers import SketchedLinearRegression
from skpapers.linear_model._sketched_solvers import (
    LINF_CONSTANT,
    _AugmentedOperator,
    linf_sketch_size,
    sketch_and_solve,
)
from skpapers.sketching import SRHT, CountSketch, make_sketch

# ----------------------------------------------------------------------------
# reference


def linf_bound(A, b, eps, x_star=None):
    """The guarantee ``(eps / sqrt(d)) ||A x* - b||_2 ||A^+||_2`` (dense, small A)."""
    A = np.asarray(A, dtype=np.float64)
    if x_star is None:
        x_star = la.lstsq(A, b)[0]
    sigma = la.svdvals(A)
    sigma_min = sigma[sigma > sigma[0] * max(A.shape) * np.finfo(float).eps][-1]
    residual = np.linalg.norm(A @ x_star - b)
    return eps / np.sqrt(A.shape[1]) * residual / sigma_min


def test_linf_bound_reference():
    A = np.vstack([np.eye(2), np.zeros((2, 2))])
    bound = linf_bound(A, np.array([1.0, 1.0, 3.0, 4.0]), eps=0.5)
    assert np.isclose(bound, 0.5 / 2**0.5 * 5)


# ----------------------------------------------------------------------------
# problems


def _incoherent(rng, n, d):
    A = rng.standard_normal((n, d))
    return A, A @ rng.standard_normal(d) + rng.standard_normal(n)


def _coherent(rng, n, d, n_spikes):
    """``d`` rows of leverage ~1 (an identity block) over near-zero rows, and a
    residual made of ``n_spikes`` unit spikes: the paper's bad case for sparse
    sketches, where a spike hashed onto a high-leverage row moves that coordinate
    by the whole spike."""
    A = np.zeros((n, d))
    A[:d] = np.eye(d)
    A[d:] = 1e-3 * rng.standard_normal((n - d, d))
    b = np.zeros(n)
    b[d + rng.choice(n - d, n_spikes, replace=False)] = rng.choice(
        [-1.0, 1.0], n_spikes
    )
    return A, b


def _linf_ratios(A, b, sketch, sketch_size, eps, trials, **params):
    """``||x' - x*||_inf / bound`` over ``trials`` seeds."""
    x_star = la.lstsq(A, b)[0]
    bound = linf_bound(A, b, eps, x_star)
    ratios = []
    for seed in range(trials):
        reg = SketchedLinearRegression(
            sketch=sketch,
            sketch_size=sketch_size,
            eps=eps,
            fit_intercept=False,
            random_state=seed,
            **params,
        ).fit(A, b)
        ratios.append(np.max(np.abs(reg.coef_ - x_star)) / bound)
    return np.array(ratios), reg


# ----------------------------------------------------------------------------
# the ell_inf guarantee


@pytest.mark.parametrize("sketch", ["srht", "gaussian"])
@pytest.mark.parametrize("kind", ["incoherent", "coherent"])
def test_dense_sketches_meet_the_linf_bound_at_the_formulas_size(sketch, kind):
    n, d, eps, delta = 1024, 4, 2.0, 0.05
    rng = np.random.default_rng(0)
    if kind == "incoherent":
        A, b = _incoherent(rng, n, d)
    else:
        A, b = _coherent(rng, n, d, n_spikes=4)
        b += 1e-3 * rng.standard_normal(n)
    ratios, reg = _linf_ratios(A, b, sketch, "auto", eps, trials=200, delta=delta)
    m = linf_sketch_size(n, d, eps, delta)
    assert reg.sketch_size_ == m < n
    assert np.mean(ratios <= 1.0) >= 0.95
    # Far below the formula's size the same check fails: it is not vacuous.
    small, _ = _linf_ratios(A, b, sketch, d + 2, eps, trials=50, delta=delta)
    assert np.mean(small <= 1.0) < 0.95


def test_linf_sketch_size_is_the_papers_formula():
    n, d, eps, delta = 10_000, 7, 0.5, 0.1
    expected = LINF_CONSTANT * d * np.log(n / delta) ** 3 / eps**2
    assert linf_sketch_size(n, d, eps, delta) == int(np.ceil(expected))
    # Halving eps quadruples m; a smaller delta asks for more rows.
    assert linf_sketch_size(n, d, eps / 2, delta) >= 4 * expected
    assert linf_sketch_size(n, d, eps, delta / 10) > expected
    # For eps > 1 (outside the theorem) the coupon-collector floor d ln(d/delta).
    assert linf_sketch_size(n, d, 100.0, delta) == int(np.ceil(d * np.log(d / delta)))


def test_countsketch_violates_the_bound_where_srht_meets_it():
    # Same sketch size for both: d high-leverage rows, 16 residual spikes, so
    # about 2 spikes land in a high-leverage row's bucket under CountSketch.
    rng = np.random.default_rng(0)
    A, b = _coherent(rng, n=2048, d=64, n_spikes=16)
    srht, _ = _linf_ratios(A, b, "srht", 512, eps=2.0, trials=40)
    count, _ = _linf_ratios(A, b, "countsketch", 512, eps=2.0, trials=40)
    assert np.mean(srht <= 1.0) >= 0.95
    assert np.mean(count > 1.0) >= 0.8
    assert np.median(count) > 2.0 * np.median(srht)


# ----------------------------------------------------------------------------
# sketch-and-solve against a dense reference


@pytest.mark.parametrize("sketch", ["srht", "gaussian", "countsketch", "sparse_sign"])
def test_sketch_and_solve_equals_lstsq_of_the_dense_sketch(sketch):
    rng = np.random.default_rng(1)
    n, d = 300, 4
    X, y = _incoherent(rng, n, d)
    w = rng.uniform(0.5, 2.0, n)
    S = make_sketch(sketch, 40, n, 7)
    D = np.sqrt(w)[:, None]
    SA = S.toarray() @ (D * np.hstack([X, np.ones((n, 1))]))
    expected = la.lstsq(SA, S.toarray() @ (D[:, 0] * y))[0]
    reg = SketchedLinearRegression(sketch=sketch, sketch_size=40, random_state=7)
    reg.fit(X, y, sample_weight=w)
    assert_allclose(reg.coef_, expected[:-1], rtol=1e-9, atol=1e-12)
    assert_allclose(reg.intercept_, expected[-1], rtol=1e-9, atol=1e-12)
    coef, intercept = sketch_and_solve(
        X, y[:, None], S, sqrt_weight=np.sqrt(w), fit_intercept=True
    )
    assert_allclose(coef[:, 0], expected[:-1], rtol=1e-9, atol=1e-12)


def test_sparse_dense_and_multioutput_agree():
    rng = np.random.default_rng(2)
    X, y = _incoherent(rng, 400, 5)
    X[X < 0.3] = 0.0
    Y = np.column_stack([y, -2 * y + 1])
    for solver in ["sketch_and_solve", "sketch_and_precondition"]:
        reg = SketchedLinearRegression(solver=solver, sketch_size=60, random_state=0)
        dense = reg.fit(X, Y).coef_.copy()
        assert dense.shape == (2, 5)
        assert_allclose(reg.fit(sp.csr_matrix(X), Y).coef_, dense, atol=1e-10)
        assert_allclose(reg.fit(X, Y[:, 1]).coef_, dense[1], atol=1e-10)


def test_a_sketch_as_large_as_the_data_solves_the_exact_problem():
    rng = np.random.default_rng(3)
    X, y = _incoherent(rng, 50, 3)
    reg = SketchedLinearRegression(sketch_size=500, random_state=0).fit(X, y)
    exact = LinearRegression().fit(X, y)
    assert reg.sketch_size_ == 50
    assert_allclose(reg.coef_, exact.coef_, rtol=1e-10)
    assert_allclose(reg.intercept_, exact.intercept_, rtol=1e-10)


def test_float32_stays_float32():
    rng = np.random.default_rng(4)
    X, y = _incoherent(rng, 500, 3)
    reg = SketchedLinearRegression(sketch_size=100, random_state=0)
    reg.fit(X.astype(np.float32), y)
    assert reg.coef_.dtype == np.float32
    assert reg.predict(X.astype(np.float32)).dtype == np.float32


# ----------------------------------------------------------------------------
# sketch-and-precondition


def _conditioned(rng, n, d, kappa, noise):
    U = la.qr(rng.standard_normal((n, d)), mode="economic")[0]
    V = la.qr(rng.standard_normal((d, d)))[0]
    A = np.ascontiguousarray((U * np.logspace(0, -np.log10(kappa), d)) @ V.T)
    return A, A @ rng.standard_normal(d) + noise * rng.standard_normal(n)


# ||gelsd - gelsy|| / ||gelsd|| at these condition numbers, as the issue measured it.
_LAPACK_SPREAD = {1.0: 1e-15, 1e4: 1e-13, 1e8: 1e-8}


@pytest.mark.parametrize("solver", ["sketch_and_precondition", "gram_precondition"])
@pytest.mark.parametrize("kappa", [1.0, 1e4, 1e8])
def test_sketch_and_precondition_reaches_lapack_accuracy(kappa, solver):
    rng = np.random.default_rng(0)
    A, b = _conditioned(rng, 4096, 20, kappa, noise=1e-2)
    gelsd = la.lstsq(A, b, lapack_driver="gelsd")[0]
    gelsy = la.lstsq(A, b, lapack_driver="gelsy")[0]
    spread = max(
        np.linalg.norm(gelsd - gelsy) / np.linalg.norm(gelsd), _LAPACK_SPREAD[kappa]
    )
    reg = SketchedLinearRegression(
        solver=solver, fit_intercept=False, random_state=0
    ).fit(A, b)
    error = np.linalg.norm(reg.coef_ - gelsd) / np.linalg.norm(gelsd)
    assert error <= 10 * spread
    residual = np.linalg.norm(A @ reg.coef_ - b)
    residual_lstsq = np.linalg.norm(A @ gelsd - b)
    assert abs(residual - residual_lstsq) <= 1e-10 * residual_lstsq
    # The preconditioned system is well conditioned whatever kappa: few iterations.
    assert reg.n_iter_[0] <= 40
    assert reg.relative_residual_[0] <= 1e-13


def _weighted_problem():
    """Uncentred columns of unequal scales, weights; the weighted lstsq solution."""
    rng = np.random.default_rng(5)
    X, y = _incoherent(rng, 3000, 6)
    X = X * np.logspace(0, 3, 6) + 50.0  # uncentred, unequal scales
    w = rng.uniform(0.0, 3.0, 3000)
    D = np.sqrt(w)[:, None]
    expected = la.lstsq(D * np.hstack([X, np.ones((3000, 1))]), D[:, 0] * y)[0]
    return X, y, w, expected


def test_sketch_and_precondition_with_intercept_and_weights_matches_lstsq():
    X, y, w, expected = _weighted_problem()
    reg = SketchedLinearRegression(solver="sketch_and_precondition", random_state=0)
    reg.fit(X, y, sample_weight=w)
    assert_allclose(reg.coef_, expected[:-1], rtol=1e-9)
    assert_allclose(reg.intercept_, expected[-1], rtol=1e-9)


def test_fused_pass_equals_two_blas_passes():
    # The numba kernel (C-ordered X) against NumPy's two products (F-ordered X).
    rng = np.random.default_rng(6)
    X = rng.standard_normal((1000, 7))
    weight = rng.uniform(0.5, 2.0, 1000)
    p, u = rng.standard_normal(8), rng.standard_normal(1000)
    fused = _AugmentedOperator(X, weight, fit_intercept=True)
    plain = _AugmentedOperator(np.asfortranarray(X), weight, fit_intercept=True)
    assert fused.fused and not plain.fused
    for got, want in zip(fused.step(p, 0.7, u), plain.step(p, 0.7, u)):
        assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------
# Dask


def test_dask_input_on_a_local_cluster_equals_in_memory_fit():
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(7)
    X, y = _incoherent(rng, 1200, 4)
    w = rng.uniform(0.5, 2.0, 1200)
    X_dask = da.from_array(X, chunks=(250, 4))
    y_dask = da.from_array(y, chunks=250)
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
    ):
        for params in [
            {"sketch": "srht"},
            {"sketch": "countsketch"},
            {"solver": "sketch_and_precondition"},
        ]:
            reg = SketchedLinearRegression(sketch_size=100, random_state=3, **params)
            in_memory = reg.fit(X, y, sample_weight=w)
            coef, intercept = in_memory.coef_.copy(), in_memory.intercept_
            on_dask = reg.fit(X_dask, y_dask, sample_weight=w)
            assert_allclose(on_dask.coef_, coef, rtol=1e-10, atol=1e-12)
            assert_allclose(on_dask.intercept_, intercept, rtol=1e-10, atol=1e-12)
        prediction = on_dask.predict(X_dask)
        assert isinstance(prediction, da.Array)
        assert_allclose(prediction.compute(), on_dask.predict(X), atol=1e-12)

        X_bad = X.copy()
        X_bad[3, 1] = np.nan
        with pytest.raises(ValueError, match="NaN or infinity"):
            reg.fit(da.from_array(X_bad, chunks=(250, 4)), y_dask)
        with pytest.raises(ValueError, match="expected 1200 rows"):
            reg.fit(X_dask, y_dask[:-1])


# ----------------------------------------------------------------------------
# bad input


def test_bad_parameters_and_input_raise_value_error():
    X, y = _incoherent(np.random.default_rng(8), 40, 3)
    with pytest.raises(ValueError, match="sketch"):
        SketchedLinearRegression(sketch="fourier").fit(X, y)
    with pytest.raises(ValueError, match="delta"):
        SketchedLinearRegression(delta=1.5).fit(X, y)
    with pytest.raises(ValueError, match="(?i)negative"):
        SketchedLinearRegression().fit(X, y, sample_weight=-np.ones(40))
    reg = SketchedLinearRegression(sketch_size=20, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        reg.predict(X[:, :2])


def test_failed_fit_leaves_the_fitted_model_alone():
    X, y = _incoherent(np.random.default_rng(9), 200, 3)
    reg = SketchedLinearRegression(sketch_size=50, random_state=0).fit(X, y)
    before = (reg.coef_.copy(), reg.intercept_, reg.n_features_in_)
    X_bad = np.hstack([X, X[:, :2]])
    X_bad[:, 0] = 1e308  # validates, but its sketch overflows
    with pytest.raises(ValueError, match="not finite"):
        reg.fit(X_bad, y)
    assert reg.n_features_in_ == before[2] == 3
    np.testing.assert_array_equal(reg.coef_, before[0])
    assert reg.intercept_ == before[1]
    np.testing.assert_allclose(reg.predict(X), X @ reg.coef_ + reg.intercept_)


def test_seed_reproduces_the_fit_and_changes_it():
    X, y = _incoherent(np.random.default_rng(9), 500, 3)
    first = SketchedLinearRegression(sketch_size=30, random_state=1).fit(X, y).coef_
    again = SketchedLinearRegression(sketch_size=30, random_state=1).fit(X, y).coef_
    other = SketchedLinearRegression(sketch_size=30, random_state=2).fit(X, y).coef_
    assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_countsketch_operator_is_what_the_estimator_uses():
    # The estimator's "countsketch" is the public operator with the same seed.
    X, y = _incoherent(np.random.default_rng(10), 200, 2)
    reg = SketchedLinearRegression(
        sketch="countsketch", sketch_size=30, fit_intercept=False, random_state=4
    ).fit(X, y)
    S = CountSketch(30, 200, random_state=4)
    assert_allclose(reg.coef_, la.lstsq(S @ X, S @ y)[0], atol=1e-12)
    S = SRHT(30, 200, random_state=4)
    reg.set_params(sketch="srht").fit(X, y)
    assert_allclose(reg.coef_, la.lstsq(S @ X, S @ y)[0], atol=1e-12)


# ----------------------------------------------------------------------------
# rank deficiency, overflow, shapes the preconditioner cannot take


def _duplicated_column(n=5000, d=20, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X = np.hstack([X, X[:, :1]])
    return X, X[:, :d] @ rng.standard_normal(d) + rng.standard_normal(n)


@pytest.mark.parametrize("solver", ["sketch_and_solve", "sketch_and_precondition"])
def test_rank_deficient_x_gives_the_minimum_norm_solution(solver):
    # A sketch of a duplicated column is rank deficient only to rounding (a
    # singular-value ratio near machine epsilon): a cut-off at eps itself keeps
    # it and returns huge coefficients that cancel.
    X, y = _duplicated_column()
    reg = SketchedLinearRegression(solver=solver, fit_intercept=False, random_state=0)
    reg.fit(X, y)
    assert reg.sketch_size_ < X.shape[0]
    min_norm = la.lstsq(X, y, lapack_driver="gelsd")[0]
    assert np.max(np.abs(reg.coef_)) < 10 * np.max(np.abs(min_norm))
    assert reg.coef_[0] == pytest.approx(reg.coef_[-1], rel=1e-8)  # split evenly
    if solver == "sketch_and_precondition":
        assert_allclose(reg.coef_, min_norm, rtol=1e-9, atol=1e-12)
    else:
        # the minimum-norm solution of the sketched problem itself
        S = make_sketch("srht", reg.sketch_size_, X.shape[0], 0)
        expected = np.linalg.pinv(S.apply(X)) @ S.apply(y)
        assert_allclose(reg.coef_, expected, rtol=1e-8, atol=1e-10)


def test_float32_x_with_y_beyond_float32_raises():
    X, y = _incoherent(np.random.default_rng(11), 300, 3)
    reg = SketchedLinearRegression(sketch_size=60, random_state=0)
    with pytest.raises(ValueError, match="float32"):
        reg.fit(X.astype(np.float32), y * 1e39)
    # float64 X takes the same y.
    assert np.all(np.isfinite(reg.fit(X, y * 1e39).coef_))


def test_precondition_refuses_a_sketch_smaller_than_the_columns():
    X, y = _incoherent(np.random.default_rng(12), 400, 10)
    reg = SketchedLinearRegression(solver="sketch_and_precondition", sketch_size=10)
    with pytest.raises(ValueError, match="sketch_size >= 11"):
        reg.fit(X, y)
    reg.set_params(fit_intercept=False).fit(X, y)  # 10 columns: enough
    assert_allclose(reg.coef_, la.lstsq(X, y)[0], rtol=1e-9)


@pytest.mark.parametrize("solver", ["sketch_and_solve", "sketch_and_precondition"])
def test_more_features_than_samples_gives_the_minimum_norm_solution(solver):
    rng = np.random.default_rng(13)
    X, y = rng.standard_normal((30, 50)), rng.standard_normal(30)
    reg = SketchedLinearRegression(solver=solver, random_state=0).fit(X, y)
    A = np.hstack([X, np.ones((30, 1))])
    expected = la.lstsq(A, y)[0]
    assert_allclose(reg.coef_, expected[:-1], rtol=1e-8, atol=1e-10)
    assert_allclose(reg.intercept_, expected[-1], rtol=1e-8, atol=1e-10)


def test_one_hot_design_with_intercept_gives_the_minimum_norm_solution():
    # One-hot columns sum to the intercept's column of ones: [X 1] is rank
    # deficient, and the coefficients are those of the pseudo-inverse.
    rng = np.random.default_rng(14)
    X = np.hstack([np.eye(5)[rng.integers(0, 5, 3000)], rng.standard_normal((3000, 3))])
    y = X @ rng.standard_normal(8) + 2.0 + rng.standard_normal(3000)
    expected = np.linalg.pinv(np.hstack([X, np.ones((3000, 1))])) @ y
    reg = SketchedLinearRegression(solver="sketch_and_precondition", random_state=0)
    reg.fit(X, y)
    assert_allclose(reg.coef_, expected[:-1], rtol=1e-9, atol=1e-12)
    assert_allclose(reg.intercept_, expected[-1], rtol=1e-9)


# ----------------------------------------------------------------------------
# gram_precondition: the Gram matrix's Cholesky factor, or the sketch's


@pytest.mark.parametrize("kappa", [1.0, 1e4, 1e8])
def test_gram_precondition_takes_the_gram_factor_only_when_harmless(kappa):
    # Accuracy: test_sketch_and_precondition_reaches_lapack_accuracy.
    A, b = _conditioned(np.random.default_rng(0), 4096, 20, kappa, noise=1e-2)
    reg = SketchedLinearRegression(
        solver="gram_precondition", fit_intercept=False, random_state=0
    ).fit(A, b)
    if kappa <= 1e4:
        # d eps kappa^2 is tiny: the Gram factor leaves LSQR a few iterations.
        assert reg.n_iter_[0] <= 6
    else:
        # Its rounding would not be: the sketch preconditions, as for
        # sketch_and_precondition, with the same iterations.
        same = SketchedLinearRegression(
            solver="sketch_and_precondition", fit_intercept=False, random_state=0
        ).fit(A, b)
        assert reg.n_iter_[0] == same.n_iter_[0] > 6
        assert_array_equal(reg.coef_, same.coef_)


def test_gram_precondition_with_weights_intercept_and_sparse_matches_lstsq():
    X, y, w, expected = _weighted_problem()
    reg = SketchedLinearRegression(solver="gram_precondition", random_state=0)
    for data in (X, np.asfortranarray(X), sp.csr_matrix(X)):
        reg.fit(data, y, sample_weight=w)
        assert_allclose(reg.coef_, expected[:-1], rtol=1e-9)
        assert_allclose(reg.intercept_, expected[-1], rtol=1e-9)
    # a duplicated column: the Gram matrix is singular, the sketch's SVD gives
    # the minimum-norm solution
    X2, y2 = _duplicated_column(n=2000, d=5)
    reg.set_params(fit_intercept=False).fit(X2, y2)
    assert_allclose(reg.coef_, la.lstsq(X2, y2)[0], rtol=1e-9, atol=1e-12)


def test_auto_sketch_of_half_the_rows_or_more_solves_the_exact_problem():
    # At n = 2000, d = 20 + 1 the formula asks for 1144 rows: sketching would
    # cost more than the exact problem, which is solved instead.
    X, y = _incoherent(np.random.default_rng(15), 2000, 20)
    reg = SketchedLinearRegression(random_state=0).fit(X, y)
    assert linf_sketch_size(2000, 21, 1.0, 0.01) > 1000
    assert reg.sketch_size_ == 2000
    expected = la.lstsq(np.hstack([X, np.ones((2000, 1))]), y)[0]
    assert_allclose(reg.coef_, expected[:-1], rtol=1e-9)
    assert_allclose(reg.intercept_, expected[-1], rtol=1e-9)
    # An explicit size is the user's: it is sketched.
    assert SketchedLinearRegression(sketch_size=1144).fit(X, y).sketch_size_ == 1144


def test_values_whose_gram_matrix_overflows_are_refused_not_hung():
    # float32 X near 7e37: X^T X overflowed to inf, and the SVD of the Gram
    # factorisation spun in LAPACK without returning
    X = np.random.default_rng(0).standard_normal((7, 4)).astype(np.float32) * 7e37
    y = np.zeros(7, dtype=np.float32)
    with pytest.raises(ValueError, match="X has values of magnitude .* float32"):
        SketchedLinearRegression(sketch_size=50).fit(X, y)


def test_a_gram_matrix_of_huge_condition_number_is_no_overflow_error():
    # [X 1] with X = 3.5e149: cond(G) ~ 1e300, and kappa**2 of a Python float
    # raised OverflowError instead of falling back to the SVD path
    X = np.full((2, 1), 3.45584192e149)
    y = np.array([-1.3e-30, 9.1e-31])
    reg = SketchedLinearRegression(sketch_size=50).fit(X, y)
    assert np.isfinite(reg.coef_).all() and np.isfinite(reg.intercept_)
