"""DPPWeightedLeastSquares on array-API namespaces against the NumPy path.

On a device the projection DPP runs by incremental Gram-Schmidt; the reference is
the NumPy sampler with ``method="gram_schmidt"`` and the same seed, followed by
the NumPy weighted least squares on the points it picks.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.utils import check_random_state

from skpapers import DPPWeightedLeastSquares
from skpapers.sampling import PolynomialBasis, PoolSampler
from skpapers.sampling._wls_solvers import weighted_least_squares
from skpapers.utils import device, to_numpy

from .._array_api import NAMESPACES, namespace


@pytest.fixture(scope="module")
def pool():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 2))
    Y = np.column_stack([np.exp(X[:, 0]) * np.cos(X[:, 1]), X[:, 0] * X[:, 1]])
    return X, Y


@pytest.mark.parametrize("name, where", NAMESPACES)
@pytest.mark.parametrize(
    "params",
    [
        dict(basis="legendre", degree=4),
        dict(sampling="volume", n_samples=25, basis="hermite", degree=2),
        dict(sampling="repeated_dpp", n_samples=6),
    ],
    ids=["dpp-legendre", "volume-hermite", "repeated-columns"],
)
def test_device_fit_equals_the_numpy_reference(pool, name, where, params):
    xp, where = namespace(name, where)
    X, Y = pool
    y = Y[:, 0] if "basis" in params else Y
    basis = params.get("basis")
    if basis is None:
        features = np.hstack([np.ones((len(X), 1)), X])
    else:
        features = PolynomialBasis(basis, params["degree"], 2).evaluate(X)
    indices, weights = PoolSampler(features, method="gram_schmidt").sample(
        params.get("sampling", "dpp"),
        params.get("n_samples"),
        random_state=check_random_state(0),
    )
    coef = weighted_least_squares(features[indices], y[indices], weights)
    with config_context(array_api_dispatch=True):
        X_xp = xp.asarray(X, device=where)
        est = DPPWeightedLeastSquares(random_state=0, **params)
        est.fit(X_xp, xp.asarray(y, device=where))
        prediction = est.predict(X_xp)
    for value in (est.coef_, est.sample_indices_, est.sample_weight_, prediction):
        assert device(value) == where
    assert_array_equal(to_numpy(est.sample_indices_), indices)
    assert_allclose(to_numpy(est.sample_weight_), weights, rtol=1e-10)
    assert_allclose(to_numpy(prediction), features @ coef, atol=1e-9)
    assert est.n_basis_ == features.shape[1]


@pytest.mark.parametrize("name, where", NAMESPACES)
def test_device_select_and_fit_function_use_the_same_points(pool, name, where):
    xp, where = namespace(name, where)
    X, _ = pool
    model = DPPWeightedLeastSquares(basis="legendre", degree=3, random_state=1)
    with config_context(array_api_dispatch=True):
        X_xp = xp.asarray(X, device=where)
        rows = model.select(X_xp)
        model.fit_function(lambda P: P[:, 0] ** 3 - P[:, 1], X_xp)
        prediction = model.predict(X_xp)
        with pytest.raises(ValueError, match="same namespace"):
            model.predict(X)
        with pytest.raises(ValueError, match="shape"):
            model.fit_function(lambda P: P[:3, 0], X_xp)
    assert_array_equal(to_numpy(rows), to_numpy(model.sample_indices_))
    # a cubic is in V_m: recovered exactly from m labels, on the whole pool
    assert_allclose(to_numpy(prediction), X[:, 0] ** 3 - X[:, 1], atol=1e-10)


@pytest.mark.parametrize("name, where", NAMESPACES)
def test_device_multi_output_polynomial_fit(name, where):
    # a polynomial basis has a float intercept 0.0 beside 2-D coefficients
    xp, where = namespace(name, where)
    X = np.random.default_rng(3).uniform(-1, 1, size=(300, 2))
    Y = np.column_stack([X[:, 0] ** 2, X[:, 1]])
    model = DPPWeightedLeastSquares(basis="legendre", degree=2, random_state=0)
    with config_context(array_api_dispatch=True):
        X_xp = xp.asarray(X, device=where)
        prediction = model.fit(X_xp, xp.asarray(Y, device=where)).predict(X_xp)
    assert device(prediction) == where
    assert_allclose(to_numpy(prediction), Y, atol=1e-10)
