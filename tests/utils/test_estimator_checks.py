"""The common battery catches non-compliant estimators and passes a compliant one."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_estimator

from skpapers.utils.estimator_checks import (
    check_bad_input_raises,
    check_different_seeds_differ,
    check_in_grid_search,
    check_in_pipeline,
    check_partial_fit_atomic,
    check_pickle_roundtrip,
    check_same_seed_same_result,
)

from .toy_estimators import (
    BrokenClassCheck,
    BrokenHalfUpdate,
    BrokenIgnoresSeed,
    BrokenIgnoresSeedInList,
    BrokenMutatesInput,
    BrokenNaNScore,
    BrokenNoValidation,
    BrokenOverwritesParams,
    BrokenPickle,
    BrokenSeedUnused,
    ToyRegressor,
    ToyStreamingClassifier,
)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 4))
    return X, X @ np.arange(1.0, 5.0) + 0.1 * rng.standard_normal(40)


GRID = {"alpha": [0.1, 1.0]}


def test_compliant_estimator_passes_every_check(data):
    est = ToyRegressor()
    for check in (
        check_pickle_roundtrip,
        check_same_seed_same_result,
        check_different_seeds_differ,
        check_bad_input_raises,
        check_partial_fit_atomic,
        check_in_pipeline,
    ):
        check(est, *data)
    check_in_grid_search(est, *data, param_grid=GRID)


def test_compliant_classifier_passes_every_check():
    rng = np.random.default_rng(0)
    y = np.arange(45) % 3
    X = rng.standard_normal((45, 4)) + 3.0 * np.eye(4)[y]
    est = ToyStreamingClassifier()
    for check in (
        check_pickle_roundtrip,
        check_same_seed_same_result,
        check_bad_input_raises,
        check_partial_fit_atomic,
        check_in_pipeline,
    ):
        check(est, X, y)
    with pytest.raises(AssertionError, match="an unseen class raised but changed"):
        check_partial_fit_atomic(BrokenClassCheck(), X, y)


@pytest.mark.parametrize("estimator", [ToyRegressor(), ToyStreamingClassifier()])
def test_compliant_estimators_pass_sklearn_checks(estimator):
    failed = [
        r for r in check_estimator(estimator, on_fail=None) if r["status"] == "failed"
    ]
    assert not failed, [(r["check_name"], r["exception"]) for r in failed]


@pytest.mark.parametrize(
    "broken, check, message",
    [
        (BrokenNoValidation, check_bad_input_raises, "fit with NaN in X"),
        (BrokenIgnoresSeed, check_same_seed_same_result, "same random_state"),
        (BrokenIgnoresSeedInList, check_same_seed_same_result, r"fitted layers_\[1\]"),
        (BrokenSeedUnused, check_different_seeds_differ, "seed is ignored"),
        (BrokenHalfUpdate, check_partial_fit_atomic, "changed the fitted state"),
        (BrokenPickle, check_pickle_roundtrip, "after pickling: predict differs"),
        (BrokenMutatesInput, check_in_pipeline, "in a Pipeline: predict differs"),
    ],
)
def test_battery_catches_broken_estimator(broken, check, message, data):
    with pytest.raises(AssertionError, match=message):
        check(broken(), *data)


def test_bad_input_check_requires_a_clear_message(data):
    # Validating NaN, inf and empty input is not enough: the wrong-feature-count
    # error of BrokenNoValidation ("bad shape") does not name the problem.
    class ValidatesButMumbles(BrokenNoValidation):
        def fit(self, X, y):
            X = np.asarray(X, dtype=float)
            if not np.isfinite(X).all():
                raise ValueError("Input X contains NaN or infinity.")
            if len(X) == 0:
                raise ValueError("Found array with 0 sample(s).")
            return super().fit(X, y)

    with pytest.raises(AssertionError, match="does not say what is wrong"):
        check_bad_input_raises(ValidatesButMumbles(), *data)


def test_sklearn_checks_catch_overwritten_parameters(data):
    results = check_estimator(BrokenOverwritesParams(), on_fail=None)
    failed = {r["check_name"] for r in results if r["status"] == "failed"}
    assert "check_dont_overwrite_parameters" in failed


def test_grid_search_check_catches_unrankable_estimator(data):
    with pytest.raises(AssertionError, match="non-finite CV scores"):
        check_in_grid_search(BrokenNaNScore(), *data, param_grid=GRID)
