"""PooledGaussianNB against its closed form, sklearn's GaussianNB, and the paper."""

import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from skpapers.datasets import make_nb_lr_simulation
from skpapers.naive_bayes import PooledGaussianNB

FITTED = ("class_count_", "class_prior_", "theta_", "var_", "epsilon_", "coef_")


def _data(n_samples=120, n_features=5, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(n_classes, size=n_samples)
    # Offsets far larger than the spread, to catch one-pass variance formulas.
    X = (
        1e3
        + 3.0 * y[:, None]
        + rng.standard_normal((n_samples, n_features)) * (1.0 + np.arange(n_features))
    )
    return X, y


def _closed_form(X, y, classes, sample_weight=None, var_smoothing=1e-9):
    """The pooled estimate computed the slow, obvious way."""
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
    counts, means, class_vars = [], [], []
    for label in classes:
        Xk, wk = X[y == label], w[y == label]
        mean = wk @ Xk / wk.sum()
        counts.append(wk.sum())
        means.append(mean)
        class_vars.append(wk @ (Xk - mean) ** 2 / wk.sum())
    counts, means = np.array(counts), np.array(means)
    pooled = (counts / counts.sum()) @ np.array(class_vars)
    overall = w @ X / w.sum()
    epsilon = var_smoothing * np.max(w @ (X - overall) ** 2 / w.sum())
    return counts, means, pooled + epsilon, epsilon


def _assert_same_fit(actual, expected, rtol=1e-12):
    for name in FITTED + ("intercept_",):
        assert_allclose(
            getattr(actual, name), getattr(expected, name), rtol=rtol, err_msg=name
        )


def test_matches_closed_form_pooled_estimate():
    X, y = _data()
    weights = np.random.default_rng(1).uniform(0.1, 3.0, size=len(y))
    for sample_weight in (None, weights):
        clf = PooledGaussianNB().fit(X, y, sample_weight=sample_weight)
        counts, means, var, epsilon = _closed_form(X, y, clf.classes_, sample_weight)
        assert_allclose(clf.class_count_, counts, rtol=1e-12)
        assert_allclose(clf.class_prior_, counts / counts.sum(), rtol=1e-12)
        assert_allclose(clf.theta_, means, rtol=1e-12)
        assert_allclose(clf.var_, var, rtol=1e-11)
        assert_allclose(clf.epsilon_, epsilon, rtol=1e-11)


@pytest.mark.parametrize("seed", range(5))
def test_any_split_into_batches_equals_one_batch(seed):
    rng = np.random.default_rng(seed)
    X, y = _data(seed=seed)
    weights = rng.uniform(0.1, 3.0, size=len(y))
    cuts = np.sort(rng.choice(np.arange(1, len(y)), rng.integers(1, 8), replace=False))
    for sample_weight in (None, weights):
        batch = PooledGaussianNB().fit(X, y, sample_weight=sample_weight)
        stream = PooledGaussianNB()
        for part in np.split(np.arange(len(y)), cuts):
            stream.partial_fit(
                X[part],
                y[part],
                classes=[0, 1, 2],
                sample_weight=None if sample_weight is None else weights[part],
            )
        _assert_same_fit(stream, batch)
        assert_allclose(stream.predict_proba(X), batch.predict_proba(X), atol=1e-12)


def test_batches_missing_a_class_merge_exactly():
    X, y = _data()
    order = np.argsort(y, kind="stable")  # batches hold one or two classes only
    X, y = X[order], y[order]
    stream = PooledGaussianNB()
    for part in np.array_split(np.arange(len(y)), 7):
        stream.partial_fit(X[part], y[part], classes=[0, 1, 2])
    _assert_same_fit(stream, PooledGaussianNB().fit(X, y))


def test_one_class_equals_sklearn_gaussian_nb():
    X, _ = _data()
    y = np.full(len(X), 7)
    ours, theirs = PooledGaussianNB().fit(X, y), GaussianNB().fit(X, y)
    assert_allclose(ours.theta_, theirs.theta_, rtol=1e-12)
    assert_allclose(ours.var_, theirs.var_[0], rtol=1e-12)
    assert_allclose(ours.epsilon_, theirs.epsilon_, rtol=1e-12)
    assert_allclose(ours.class_count_, theirs.class_count_)
    assert_allclose(
        ours.predict_joint_log_proba(X), theirs.predict_joint_log_proba(X), rtol=1e-12
    )
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert_allclose(ours.predict_proba(X), 1.0)


def test_scores_are_the_papers_linear_classifier():
    X, y = _data()
    clf = PooledGaussianNB().fit(X, y)
    # score_k(x) = log pi_k - 1/2 sum_j (x_j - mu_kj)^2 / sigma_j^2, term by term.
    scores = np.array(
        [
            [
                np.log(clf.class_prior_[k])
                - 0.5 * np.sum((x - clf.theta_[k]) ** 2 / clf.var_)
                for k in range(3)
            ]
            for x in X[:20]
        ]
    )
    expected = np.exp(scores - scores.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert_allclose(clf.predict_proba(X[:20]), expected, atol=1e-10)
    assert_array_equal(clf.predict(X[:20]), clf.classes_[scores.argmax(axis=1)])
    assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)))
    # The joint log density is a Gaussian log density plus the log prior.
    k, x = 1, X[0]
    density = -0.5 * np.sum(
        np.log(2 * np.pi * clf.var_) + (x - clf.theta_[k]) ** 2 / clf.var_
    )
    assert_allclose(
        clf.predict_joint_log_proba(X[:1])[0, k],
        density + np.log(clf.class_prior_[k]),
        rtol=1e-10,
    )


def test_integer_weights_equal_repeated_samples():
    X, y = _data(60)
    counts = np.random.default_rng(3).integers(0, 4, size=len(y))
    weighted = PooledGaussianNB().fit(X, y, sample_weight=counts)
    repeated = PooledGaussianNB().fit(np.repeat(X, counts, 0), np.repeat(y, counts))
    _assert_same_fit(weighted, repeated, rtol=1e-11)


def test_float32_in_float32_out():
    X, y = _data()
    clf = PooledGaussianNB().fit(X.astype(np.float32) - 1e3, y)
    assert clf.theta_.dtype == clf.var_.dtype == np.float32
    X32 = X[:5].astype(np.float32) - 1e3
    for method in ("predict_proba", "predict_log_proba", "predict_joint_log_proba"):
        assert getattr(clf, method)(X32).dtype == np.float32, method
    reference = PooledGaussianNB().fit(X - 1e3, y)
    assert_allclose(clf.predict_proba(X32), reference.predict_proba(X32), atol=1e-4)


def test_priors_are_used_and_validated():
    X, y = _data()
    clf = PooledGaussianNB(priors=[0.7, 0.2, 0.1]).fit(X, y)
    assert_allclose(clf.class_prior_, [0.7, 0.2, 0.1])
    free = PooledGaussianNB().fit(X, y)
    assert_allclose(
        clf.intercept_ - free.intercept_,
        np.log([0.7, 0.2, 0.1]) - np.log(free.class_prior_),
        atol=1e-9,
    )
    for priors, message in [
        ([0.5, 0.5], "one prior per class"),
        ([0.5, 0.6, -0.1], "non-negative"),
        ([0.5, 0.4, 0.2], "sum to 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            PooledGaussianNB(priors=priors).fit(X, y)


def test_partial_fit_first_call_rule_and_failures_keep_state():
    X, y = _data()
    clf = PooledGaussianNB()
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    before = clf.theta_.copy(), clf.var_.copy()
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X[50:], np.where(y[50:] == 0, 5, y[50:]))
    with pytest.raises(ValueError, match="not the same"):
        clf.partial_fit(X[50:], y[50:], classes=[0, 1])
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[50:, :3], y[50:])
    assert_array_equal(clf.theta_, before[0])
    assert_array_equal(clf.var_, before[1])
    with pytest.raises(ValueError, match="(?i)negative"):
        PooledGaussianNB().fit(X, y, sample_weight=-np.ones(len(y)))


def test_a_class_absent_so_far_is_never_predicted():
    X, y = _data()
    clf = PooledGaussianNB().partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.class_count_[2] == 0
    assert np.all(np.isfinite(clf.predict_log_proba(X)[:, :2]))
    assert_allclose(clf.predict_proba(X)[:, 2], 0.0)
    assert set(clf.predict(X)) <= {0, 1}


def test_recovers_the_simulation_model():
    errors = []
    for m in (200, 3200):
        X, y, true = make_nb_lr_simulation(
            m, n_features=20, n_classes=3, random_state=0, return_params=True
        )
        clf = PooledGaussianNB().fit(X, y)
        errors.append(
            (
                np.max(np.abs(clf.theta_ - true.means) / np.sqrt(true.variances)),
                np.max(np.abs(clf.var_ / true.variances - 1)),
            )
        )
    (mean_small, var_small), (mean_large, var_large) = errors
    # Standard errors shrink like 1/sqrt(m): 16 times the data, a quarter the error.
    assert mean_large < 0.5 * mean_small and var_large < 0.5 * var_small
    assert mean_large < 0.15 and var_large < 0.15


def _errors(m, n_features, n_classes, seed, X_test, y_test):
    X, y = make_nb_lr_simulation(m, n_features, n_classes, random_state=seed)
    nb = PooledGaussianNB().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sklearn.exceptions.ConvergenceWarning)
        lr = LogisticRegression(max_iter=1000).fit(X, y)
    return np.mean(nb.predict(X_test) != y_test), np.mean(lr.predict(X_test) != y_test)


@pytest.mark.parametrize("n_classes, large_m", [(2, 2000), (3, 1000)])
def test_two_regimes_on_the_papers_simulation(n_classes, large_m):
    n = 200
    X_test, y_test = make_nb_lr_simulation(2000, n, n_classes, random_state=99)
    small = np.mean(
        [_errors(20 * n_classes, n, n_classes, s, X_test, y_test) for s in range(3)],
        axis=0,
    )
    # Few samples: naive Bayes is at most half as wrong as logistic regression.
    assert small[1] > 0.1, "logistic regression should still be far from converged"
    assert small[0] <= 0.5 * small[1]
    # Many samples (10 n for K = 2, 5 n for K = 3): logistic regression caught up.
    nb_error, lr_error = _errors(large_m, n, n_classes, 0, X_test, y_test)
    assert lr_error - nb_error <= 0.01


def test_array_api_strict_streaming_matches_numpy():
    array_api_strict = pytest.importorskip("array_api_strict")
    X, y = _data()
    numpy_fit = PooledGaussianNB()
    strict_fit = PooledGaussianNB()
    with sklearn.config_context(array_api_dispatch=True):
        for part in np.array_split(np.arange(len(y)), 3):
            numpy_fit.partial_fit(X[part], y[part], classes=[0, 1, 2])
            strict_fit.partial_fit(
                array_api_strict.asarray(X[part]),
                array_api_strict.asarray(y[part]),
                classes=[0, 1, 2],
            )
        proba = strict_fit.predict_proba(array_api_strict.asarray(X))
    assert_allclose(np.asarray(strict_fit.theta_), numpy_fit.theta_, rtol=1e-12)
    assert_allclose(np.asarray(strict_fit.var_), numpy_fit.var_, rtol=1e-12)
    assert_allclose(np.asarray(proba), numpy_fit.predict_proba(X), atol=1e-12)


@pytest.mark.parametrize("dtype, scale", [(np.float32, 1e20), (np.float64, 1e155)])
def test_values_that_overflow_the_dtype_are_rejected(dtype, scale):
    # Squared deviations of this size exceed the dtype's largest value: the
    # pooled variance would be inf and every prediction the majority class.
    X, y = make_nb_lr_simulation(400, n_features=10, random_state=0)
    with pytest.raises(ValueError, match="overflow"):
        PooledGaussianNB().fit((X * scale).astype(dtype), y)
    # The same data at a representable scale is fitted, and well.
    clf = PooledGaussianNB().fit((X * 1e-3).astype(dtype), y)
    assert clf.score((X * 1e-3).astype(dtype), y) > 0.95


def test_an_overflowing_batch_leaves_the_fitted_model_unchanged():
    X, y = _data()
    clf = PooledGaussianNB().partial_fit(X, y, classes=[0, 1, 2])
    before = {name: getattr(clf, name).copy() for name in FITTED}
    predictions = clf.predict(X)
    with pytest.raises(ValueError, match="overflow"):
        clf.partial_fit(X * 1e300, y)
    for name, value in before.items():
        assert_array_equal(getattr(clf, name), value, err_msg=name)
    assert_array_equal(clf.predict(X), predictions)


def test_nan_is_not_a_class():
    X, y = _data()
    with pytest.raises(ValueError, match="NaN"):
        PooledGaussianNB().partial_fit(X, y, classes=[0, 1, 2, np.nan])
    assert not hasattr(PooledGaussianNB(), "classes_")


def test_per_class_sums_match_a_dense_indicator_reference():
    # Many classes, some absent from the batch, with and without weights.
    rng = np.random.default_rng(0)
    n_classes = 40
    y = rng.integers(n_classes - 5, size=300)
    X = 50.0 + rng.standard_normal((300, 4))
    weights = rng.uniform(0.0, 2.0, size=300)
    for sample_weight in (None, weights):
        clf = PooledGaussianNB(var_smoothing=0.0).partial_fit(
            X, y, classes=np.arange(n_classes), sample_weight=sample_weight
        )
        w = np.ones(300) if sample_weight is None else sample_weight
        onehot = (y[:, None] == np.arange(n_classes)) * w[:, None]
        counts = onehot.sum(axis=0)
        means = (onehot.T @ X) / np.where(counts > 0, counts, 1)[:, None]
        ssd = w @ (X - means[y]) ** 2
        assert_allclose(clf.class_count_, counts, rtol=1e-12)
        assert_allclose(clf.theta_, means, rtol=1e-12)
        assert_allclose(clf.var_, ssd / counts.sum(), rtol=1e-10)


def test_fit_memory_grows_with_the_data_not_with_samples_times_classes():
    import tracemalloc

    rng = np.random.default_rng(0)
    n_samples, n_classes = 20_000, 200
    y = rng.integers(n_classes, size=n_samples)
    X = rng.standard_normal((n_samples, 5))
    tracemalloc.start()
    try:
        PooledGaussianNB().fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # A dense (n_samples, n_classes) indicator alone would be 32 MB, 40 X's.
    assert peak < 5 * X.nbytes, peak / X.nbytes


def test_hard_simulation_has_the_authors_covariance_made_definite():
    n = 30
    X, y, params = make_nb_lr_simulation(
        20_000, n, 2, setting="hard", random_state=0, return_params=True
    )
    # The authors' matrix, the slow obvious way: uniform [-1, 1] Gram matrix
    # (legacy generator, seed 0) with the easy variances on its diagonal.
    A = 2 * np.random.RandomState(0).rand(n, n) - 1
    C = A.T @ A
    C[np.diag_indices(n)] = np.where(np.arange(n) < n // 2, n, 1)
    assert np.linalg.eigvalsh(C).min() < 0  # indefinite, hence |C|
    covariance = params.covariance
    assert_allclose(covariance, covariance.T, atol=1e-10)
    assert np.linalg.eigvalsh(covariance).min() > 0
    assert_allclose(covariance @ covariance, C @ C, rtol=1e-9, atol=1e-8)
    # The draw has that covariance around the class means.
    centered = X - params.means[y]
    empirical = centered.T @ centered / len(y)
    scale = np.sqrt(np.outer(np.diag(covariance), np.diag(covariance)))
    assert np.max(np.abs(empirical - covariance) / scale) < 0.05
    assert_allclose(params.variances, np.diag(covariance))


def test_an_overflowing_intercept_is_refused_without_warnings():
    # one float32 sample at 3.5e19: mean and variance fit, mean^2 / var does not
    X = np.array([[3.46e19]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="overflow float32"):
            PooledGaussianNB().fit(X, [0])
