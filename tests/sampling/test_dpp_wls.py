"""DPPWeightedLeastSquares: interpolation, recovery, selection before labels, errors."""

import numpy as np
import pytest

from skpapers import DPPWeightedLeastSquares
from skpapers.sampling import PolynomialBasis, PoolSampler
from skpapers.sampling._wls_solvers import weighted_least_squares


@pytest.fixture
def pool():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 2))
    return X


def _runge(X):
    return 1 / (1 + 25 * np.sum(X**2, axis=1))


def test_weighted_least_squares_against_normal_equations():
    rng = np.random.default_rng(1)
    F, y, w = rng.standard_normal((30, 4)), rng.standard_normal(30), rng.random(30)
    expected = np.linalg.solve(F.T @ (w[:, None] * F), F.T @ (w * y))
    np.testing.assert_allclose(weighted_least_squares(F, y, w), expected)
    Y = np.column_stack([y, 2 * y])
    np.testing.assert_allclose(
        weighted_least_squares(F, Y, w), np.column_stack([expected, 2 * expected])
    )


def test_dpp_fit_interpolates_its_points(pool):
    y = np.random.default_rng(2).standard_normal(len(pool))
    model = DPPWeightedLeastSquares(basis="legendre", degree=3, random_state=0)
    model.fit(pool, y)
    m = PolynomialBasis("legendre", 3, 2).n_basis
    assert model.n_basis_ == m and model.sample_indices_.shape == (m,)
    rows = model.sample_indices_
    np.testing.assert_allclose(model.predict(pool[rows]), y[rows], atol=1e-8)
    np.testing.assert_array_equal(model.sample_points_, pool[rows])


@pytest.mark.parametrize(
    "sampling, n_samples",
    [
        ("dpp", None),
        ("volume", 25),
        ("repeated_dpp", None),
        ("iid_optimal", 40),
        ("uniform", 40),
    ],
)
def test_recovers_a_function_of_the_space_exactly(pool, sampling, n_samples):
    basis = PolynomialBasis("hermite", degree=3, n_dims=2, index_set="hyperbolic_cross")
    coef = np.random.default_rng(3).standard_normal(basis.n_basis)
    y = basis.evaluate(pool) @ coef
    model = DPPWeightedLeastSquares(
        basis=basis, sampling=sampling, n_samples=n_samples, random_state=0
    ).fit(pool, y)
    np.testing.assert_allclose(model.coef_, coef, atol=1e-8)
    assert model.intercept_ == 0.0
    weights = model.sample_weight_
    if sampling == "uniform":
        np.testing.assert_array_equal(weights, 1.0)
    else:
        sampler = PoolSampler(basis.evaluate(pool))
        np.testing.assert_allclose(weights, sampler.weights(model.sample_indices_))
    if sampling == "repeated_dpp":
        assert model.gram_deviation_ <= 0.5


def test_linear_model_on_input_columns():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 5))
    beta = rng.standard_normal(5)
    model = DPPWeightedLeastSquares(random_state=0).fit(X, X @ beta + 3.0)
    assert model.n_basis_ == 6 and model.sample_indices_.shape == (6,)
    np.testing.assert_allclose(model.coef_, beta, atol=1e-10)
    assert np.isclose(model.intercept_, 3.0)
    no_intercept = DPPWeightedLeastSquares(fit_intercept=False, random_state=0)
    assert no_intercept.fit(X, X @ beta).n_basis_ == 5
    np.testing.assert_allclose(no_intercept.coef_, beta, atol=1e-10)


def test_multi_output_is_per_target_fits(pool):
    rng = np.random.default_rng(5)
    Y = np.column_stack([_runge(pool), np.cos(pool[:, 0]), rng.random(len(pool))])
    params = dict(basis="legendre", degree=2, sampling="volume", n_samples=12)
    joint = DPPWeightedLeastSquares(**params, random_state=1).fit(pool, Y)
    assert joint.coef_.shape == (3, 6) and joint.predict(pool).shape == Y.shape
    for j in range(3):
        alone = DPPWeightedLeastSquares(**params, random_state=1).fit(pool, Y[:, j])
        np.testing.assert_allclose(joint.coef_[j], alone.coef_)


def test_select_before_labels_then_fit_function(pool):
    model = DPPWeightedLeastSquares(
        basis="legendre", degree=4, sampling="volume", n_samples=30, random_state=7
    )
    rows = model.select(pool)
    assert not hasattr(model, "coef_") and not hasattr(model, "n_features_in_")
    calls = []

    def expensive(points):
        calls.append(points.copy())
        return _runge(points)

    model.fit_function(expensive, pool)
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], pool[rows])
    np.testing.assert_array_equal(model.sample_indices_, rows)
    labelled = DPPWeightedLeastSquares(**model.get_params()).fit(pool, _runge(pool))
    np.testing.assert_allclose(model.coef_, labelled.coef_)


def test_fit_function_on_the_continuous_domain():
    def f(X):
        return np.exp(X[:, 0]) * np.sin(X[:, 1])

    model = DPPWeightedLeastSquares(
        basis="legendre", degree=6, sampling="repeated_dpp", random_state=0
    ).fit_function(f, n_features=2)
    assert model.n_features_in_ == 2 and model.sample_indices_ is None
    assert np.all(np.abs(model.sample_points_) <= 1)
    assert model.gram_deviation_ <= 0.5
    X_test = np.random.default_rng(6).uniform(-1, 1, size=(2000, 2))
    error = np.sqrt(np.mean((model.predict(X_test) - f(X_test)) ** 2))
    assert error < 1e-3
    basis = model.basis_
    np.testing.assert_allclose(
        model.sample_weight_, basis.n_basis / basis.christoffel(model.sample_points_)
    )
    # a PolynomialBasis gives its own dimension
    hermite = PolynomialBasis("hermite", degree=2, n_dims=3)
    fitted = DPPWeightedLeastSquares(basis=hermite, random_state=0).fit_function(
        lambda X: X[:, 0] * X[:, 1] + X[:, 2] ** 2
    )
    assert fitted.n_features_in_ == 3
    coef = np.zeros(hermite.n_basis)
    coef[0] = 1.0  # x3^2 = 1 + sqrt(2) h_2(x3), x1 x2 = h_1(x1) h_1(x2)
    coef[[a.tolist() for a in hermite.multi_indices].index([0, 0, 2])] = np.sqrt(2)
    coef[[a.tolist() for a in hermite.multi_indices].index([1, 1, 0])] = 1.0
    np.testing.assert_allclose(fitted.coef_, coef, atol=1e-8)


def test_same_seed_same_selection_and_float32(pool):
    y = _runge(pool)
    params = dict(basis="legendre", degree=3, sampling="iid_optimal", n_samples=20)
    a = DPPWeightedLeastSquares(**params, random_state=3).fit(pool, y)
    b = DPPWeightedLeastSquares(**params, random_state=3).fit(pool, y)
    c = DPPWeightedLeastSquares(**params, random_state=4).fit(pool, y)
    np.testing.assert_array_equal(a.sample_indices_, b.sample_indices_)
    assert not np.array_equal(a.sample_indices_, c.sample_indices_)
    low = DPPWeightedLeastSquares(**params, random_state=3).fit(
        pool.astype(np.float32), y
    )
    assert low.coef_.dtype == np.float32
    assert low.predict(pool.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(low.predict(pool), a.predict(pool), atol=1e-4)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(n_samples=5), r"exactly m = 7"),
        (dict(sampling="volume", n_samples=4), r"n_samples=4 is smaller than"),
        (dict(basis=PolynomialBasis("legendre", 2, n_dims=3)), "n_dims=3"),
    ],
)
def test_bad_parameters_raise_clear_errors(params, message):
    X = np.random.default_rng(8).standard_normal((30, 6))
    model = DPPWeightedLeastSquares(**params)
    with pytest.raises(ValueError, match=message):
        model.fit(X, X[:, 0])
    assert not hasattr(model, "coef_")


def test_failed_fit_function_keeps_the_fitted_state(pool):
    model = DPPWeightedLeastSquares(basis="legendre", degree=2, random_state=0)
    model.fit(pool, _runge(pool))
    coef = model.coef_.copy()
    with pytest.raises(ValueError, match="n_features"):
        model.fit_function(_runge)
    with pytest.raises(ValueError, match="shape"):
        model.fit_function(lambda X: np.zeros((len(X), 2, 2)), pool)
    with pytest.raises(ValueError, match="NaN"):
        model.fit_function(lambda X: np.full(len(X), np.nan), n_features=2)
    with pytest.raises(ValueError, match="callable"):
        model.fit_function("runge", pool)
    with pytest.raises(ValueError, match="polynomial basis"):
        DPPWeightedLeastSquares().fit_function(_runge, n_features=2)
    np.testing.assert_array_equal(model.coef_, coef)
    assert model.n_features_in_ == 2 and model.sample_indices_ is not None


def test_conditioned_iid_fit_has_a_stable_gram_and_fails_cleanly(pool):
    y = _runge(pool)
    params = dict(basis="legendre", degree=2, sampling="iid_conditioned")
    deviations = []
    for seed in range(10):
        model = DPPWeightedLeastSquares(**params, n_samples=120, random_state=seed)
        deviations.append(model.fit(pool, y).gram_deviation_)
    # every accepted draw meets the acceptance rule ||G - I||_2 <= gram_tol
    assert max(deviations) <= 0.5
    coef = model.coef_.copy()
    too_few = dict(params, n_samples=6, max_repetitions=3, random_state=0)
    with pytest.raises(ValueError, match="none of 3 draws of n=6"):
        model.set_params(**too_few).fit(pool, y)
    with pytest.raises(ValueError, match="needs the number of points"):
        model.set_params(n_samples=None).fit(pool, y)
    np.testing.assert_array_equal(model.coef_, coef)  # the failed fits left it


def test_public_import_paths_name_one_class():
    import skpapers
    from skpapers import linear_model, sampling

    assert skpapers.DPPWeightedLeastSquares is sampling.DPPWeightedLeastSquares
    assert linear_model.DPPWeightedLeastSquares is sampling.DPPWeightedLeastSquares


def test_labels_whose_squares_overflow_the_dtype_are_refused():
    # float32 labels near 3e37: the weighted solve came back with inf coefficients
    X = np.random.default_rng(0).uniform(-1, 1, (7, 4)).astype(np.float32)
    y = np.full(7, 3.2e37, dtype=np.float32)
    with pytest.raises(ValueError, match="y has values of magnitude .* float32"):
        DPPWeightedLeastSquares(random_state=0).fit(X, y)
