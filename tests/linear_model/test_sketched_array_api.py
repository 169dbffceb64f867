"""SketchedLinearRegression on array-API namespaces against the NumPy (numba) path.

The device path draws the same sketch as the numba path, so the two fits solve
the same sketched problem: the coefficients agree to rounding, not merely to the
statistical accuracy of sketching.
"""

import numpy as np
import pytest
import scipy.linalg as la
from numpy.testing import assert_allclose
from sklearn import config_context

from skpapers import SketchedLinearRegression
from skpapers.utils import device, to_numpy

from .._array_api import NAMESPACES, namespace


def _problem(n=3000, d=6, n_targets=1, seed=0):
    rng = np.random.default_rng(seed)
    # columns of very different scales: an ill-conditioned X for LSQR
    X = rng.standard_normal((n, d)) * np.logspace(0, 3, d)
    coef = rng.standard_normal((d, n_targets))
    Y = X @ coef + 1.5 + 0.1 * rng.standard_normal((n, n_targets))
    return X, (Y[:, 0] if n_targets == 1 else Y), rng.uniform(0.5, 2.0, n)


@pytest.mark.parametrize("name, where", NAMESPACES)
@pytest.mark.parametrize("sketch", ["srht", "gaussian"])
@pytest.mark.parametrize(
    "solver, n_targets",
    [("sketch_and_solve", 1), ("sketch_and_solve", 2), ("sketch_and_precondition", 2)],
)
def test_device_fit_equals_the_numpy_fit(name, where, sketch, solver, n_targets):
    xp, where = namespace(name, where)
    X, y, w = _problem(n_targets=n_targets)
    params = dict(sketch=sketch, solver=solver, sketch_size=120, random_state=0)
    expected = SketchedLinearRegression(**params).fit(X, y, sample_weight=w)
    with config_context(array_api_dispatch=True):
        X_xp = xp.asarray(X, device=where)
        est = SketchedLinearRegression(**params).fit(
            X_xp, xp.asarray(y, device=where), sample_weight=xp.asarray(w, device=where)
        )
        prediction = est.predict(X_xp)
    for value in (est.coef_, est.n_iter_, prediction):
        assert device(value) == where
    scale = np.abs(expected.coef_).max()
    assert_allclose(to_numpy(est.coef_), expected.coef_, rtol=0, atol=1e-10 * scale)
    assert_allclose(
        np.asarray(to_numpy(est.intercept_)), expected.intercept_, atol=1e-9
    )
    assert_allclose(to_numpy(prediction), expected.predict(X), atol=1e-8)
    # LSQR stops at a rounding-level test, so a step more or less is possible
    assert np.abs(to_numpy(est.n_iter_) - expected.n_iter_).max() <= 2
    assert est.sketch_size_ == expected.sketch_size_
    if solver == "sketch_and_precondition":
        # converged to the least-squares solution itself, as on NumPy
        root = np.sqrt(w)[:, None]
        A = np.hstack([X, np.ones((len(X), 1))])
        exact = la.lstsq(root * A, root * y)[0]
        assert_allclose(to_numpy(est.coef_).T, exact[:-1], rtol=1e-9, atol=0)
        assert device(est.relative_residual_) == where


@pytest.mark.parametrize("name, where", NAMESPACES)
def test_device_float32_stays_float32_and_rank_deficiency_gives_min_norm(name, where):
    xp, where = namespace(name, where)
    X, y, _ = _problem(d=4)
    X = np.hstack([X, X[:, :1]])  # a repeated column: the minimum-norm solution
    params = dict(sketch_size=100, fit_intercept=False, random_state=0)
    expected = SketchedLinearRegression(**params).fit(X, y)
    with config_context(array_api_dispatch=True):
        est = SketchedLinearRegression(**params).fit(
            xp.asarray(X, device=where), xp.asarray(y, device=where)
        )
        est32 = SketchedLinearRegression(**params).fit(
            xp.asarray(X.astype(np.float32), device=where),
            xp.asarray(y, device=where),
        )
        prediction32 = est32.predict(xp.asarray(X.astype(np.float32), device=where))
    coef = to_numpy(est.coef_)
    assert_allclose(coef, expected.coef_, rtol=1e-9, atol=1e-12)
    assert coef[0] == pytest.approx(coef[-1], rel=1e-9)  # split evenly: min-norm
    assert est32.coef_.dtype == xp.float32 and prediction32.dtype == xp.float32
    assert_allclose(to_numpy(est32.coef_), expected.coef_, rtol=1e-3, atol=1e-3)


def test_unsupported_combinations_raise_a_clear_error():
    xp, where = namespace(*NAMESPACES[0])
    X, y, _ = _problem(n=200, d=3)
    X_xp, y_xp = xp.asarray(X, device=where), xp.asarray(y, device=where)
    with config_context(array_api_dispatch=True):
        for sketch in ("countsketch", "sparse_sign"):
            with pytest.raises(ValueError, match="no array-API"):
                SketchedLinearRegression(sketch=sketch, sketch_size=50).fit(X_xp, y_xp)
        est = SketchedLinearRegression(sketch_size=50, random_state=0).fit(X_xp, y_xp)
        with pytest.raises(ValueError, match="same namespace"):
            est.predict(X)
    da = pytest.importorskip("dask.array")
    with config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="dask.array with array_api_dispatch"):
            SketchedLinearRegression().fit(da.from_array(X, chunks=(100, 3)), y)


@pytest.mark.parametrize("name, where", NAMESPACES)
def test_device_precondition_without_intercept_factorises_once(
    name, where, monkeypatch
):
    from skpapers.linear_model import _sketched_solvers
    from skpapers.utils import _array_api

    xp, where = namespace(name, where)
    X, y, w = _problem(d=5, n_targets=2)
    params = dict(
        solver="sketch_and_precondition",
        sketch_size=100,
        fit_intercept=False,
        random_state=0,
    )
    expected = SketchedLinearRegression(**params).fit(X, y, sample_weight=w)
    calls = []
    factorise = _sketched_solvers.truncated_svd_of_r

    def counting(*args, **kwargs):
        calls.append(args[0].shape)
        return factorise(*args, **kwargs)

    for module in (_sketched_solvers, _array_api):
        monkeypatch.setattr(module, "truncated_svd_of_r", counting)
    with config_context(array_api_dispatch=True):
        est = SketchedLinearRegression(**params).fit(
            xp.asarray(X, device=where),
            xp.asarray(y, device=where),
            sample_weight=xp.asarray(w, device=where),
        )
    assert calls == [(100, 5)]  # S X factorised once: preconditioner and start
    assert device(est.coef_) == where
    assert float(np.max(np.abs(to_numpy(est.intercept_)))) == 0.0
    root = np.sqrt(w)[:, None]
    exact = la.lstsq(root * X, root * y)[0]
    assert_allclose(to_numpy(est.coef_).T, exact, rtol=1e-9, atol=0)
    assert_allclose(to_numpy(est.coef_), expected.coef_, rtol=1e-9, atol=0)


@pytest.mark.parametrize("name, where", NAMESPACES)
def test_device_gram_precondition_equals_the_numpy_fit(name, where):
    xp, where = namespace(name, where)
    X, y, w = _problem(n_targets=2)
    params = dict(solver="gram_precondition", random_state=0)
    expected = SketchedLinearRegression(**params).fit(X, y, sample_weight=w)
    with config_context(array_api_dispatch=True):
        est = SketchedLinearRegression(**params).fit(
            xp.asarray(X, device=where),
            xp.asarray(y, device=where),
            sample_weight=xp.asarray(w, device=where),
        )
    assert device(est.coef_) == where
    assert_allclose(to_numpy(est.coef_), expected.coef_, rtol=1e-9, atol=0)
    assert np.abs(to_numpy(est.n_iter_) - expected.n_iter_).max() <= 2
    assert expected.n_iter_.max() <= 8  # the Gram factor, not the sketch
