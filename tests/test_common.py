"""The common battery, applied to every estimator that ``all_estimators`` finds."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skpapers.utils import all_estimators
from skpapers.utils.estimator_checks import (
    check_bad_input_raises,
    check_different_seeds_differ,
    check_in_grid_search,
    check_in_pipeline,
    check_partial_fit_atomic,
    check_pickle_roundtrip,
    check_same_seed_same_result,
)

from ._instances import (
    DETERMINISTIC,
    EXPECTED_FAILED_CHECKS,
    GRID_SCORING,
    construct_instance,
    make_check_data,
    param_grid,
)

ESTIMATORS = [construct_instance(cls) for _, cls in all_estimators()]
IDS = [type(est).__name__ for est in ESTIMATORS]


def test_sklearn_array_api_checks_are_enabled():
    # scikit-learn runs its array-API checks only when scipy's support is on.
    import os

    assert os.environ.get("SCIPY_ARRAY_API") == "1"


@parametrize_with_checks(
    ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS.get(
        type(est).__name__, {}
    ),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
@pytest.mark.parametrize(
    "check",
    [
        check_pickle_roundtrip,
        check_same_seed_same_result,
        check_bad_input_raises,
        check_in_pipeline,
    ],
)
def test_skpapers_conventions(estimator, check):
    check(estimator, *make_check_data(estimator))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_different_seeds_differ(estimator):
    name = type(estimator).__name__
    if "random_state" not in estimator.get_params() or name in DETERMINISTIC:
        pytest.skip(DETERMINISTIC.get(name, "no random_state parameter"))
    check_different_seeds_differ(estimator, *make_check_data(estimator))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_partial_fit_failure_keeps_state(estimator):
    if not hasattr(estimator, "partial_fit"):
        pytest.skip("no partial_fit")
    check_partial_fit_atomic(estimator, *make_check_data(estimator))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_grid_search(estimator):
    check_in_grid_search(
        estimator,
        *make_check_data(estimator),
        param_grid=param_grid(estimator),
        scoring=GRID_SCORING.get(type(estimator).__name__),
    )
