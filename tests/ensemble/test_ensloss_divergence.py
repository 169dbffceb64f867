"""Training that fails loudly: divergence is a ValueError, an unfinished run warns."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skpapers import EnsLossClassifier, EnsLossMLPClassifier
from skpapers.ensemble._ensloss_derivatives import LOSSES


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("loss", ["ensloss", "bce", "hinge"])
def test_runaway_linear_weights_are_an_error_that_names_lr(cancer, loss):
    # lr * weight_decay = 10 makes the decay step itself unstable: before this
    # check the fit ended silently with coefficients near 1e105.
    X, y = cancer
    clf = EnsLossClassifier(loss=loss, random_state=0).fit(X, y)
    coef = clf.coef_.copy()
    with pytest.raises(ValueError, match=r"diverged.*ran away.*lr=100000.*scaled"):
        clf.set_params(lr=1e5).fit(X, y)
    np.testing.assert_array_equal(clf.coef_, coef)


def test_a_large_step_that_training_recovers_from_is_not_an_error(cancer):
    # scores spike past the runaway bound in the first epochs, then the cosine
    # schedule brings them back: the fitted model is good, so no error
    X, y = cancer
    clf = EnsLossClassifier(lr=1e3, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.95


def test_mlp_on_unscaled_features_is_an_error_naming_the_scale():
    torch = pytest.importorskip("torch")  # noqa: F841
    X, y = make_classification(500, 20, random_state=0)
    with pytest.raises(ValueError, match=r"diverged.*lr=0\.01.*largest \|feature\|"):
        EnsLossMLPClassifier((16,), max_epochs=3, random_state=0).fit(1e6 * X, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", LOSSES)
def test_every_finite_input_gives_finite_scores_or_a_value_error(loss, dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = X[:, 0] > 0
    limit = np.finfo(dtype).max
    for scale in (1e-300, 1e-30, 1.0, 1e10, 1e30, 1e100, 1e200, 1e300):
        if np.abs(X * scale).max() > limit:  # not a finite input of this dtype
            continue
        X_scaled = (X * scale).astype(dtype)
        clf = EnsLossClassifier(loss=loss, max_epochs=3, random_state=0)
        try:
            clf.fit(X_scaled, y)
        except ValueError as exc:
            # refused up front (squares overflow) or caught while training
            assert "overflow" in str(exc) or "diverged" in str(exc)
            continue
        assert np.isfinite(clf.decision_function(X_scaled)).all(), scale


def test_a_run_cut_short_warns_and_a_finished_one_does_not(cancer):
    X, y = cancer
    with pytest.warns(ConvergenceWarning, match="still falling"):
        EnsLossClassifier(loss="bce", lr=1e-4, max_epochs=20, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        EnsLossClassifier(loss="bce", max_epochs=20, random_state=0).fit(X, y)
