"""Hostile input, drawn at random, for every estimator that ``all_estimators`` finds.

Each example is a data set of random shape and dtype whose values may be extreme
but finite (down to 1e-300, up to near the dtype's largest value), with constant
columns, duplicated rows and columns, a single row, or a single class. The
promise under test, for ``fit`` and (where it exists) ``partial_fit``:

- the call either succeeds, and then every fitted array and every output on the
  same data is finite, or it raises ``ValueError`` or ``TypeError``;
- a call that raises leaves an already fitted estimator exactly as it was: same
  fitted state, same outputs;
- nothing hangs: each call runs under a watchdog (``faulthandler``) that dumps
  the stack and ends the process if it has not returned in ``HANG_SECONDS``, so a
  hang fails the run instead of blocking it.

Examples are derandomised (the same on every run) so that the suite is
reproducible; raise ``FUZZ_EXAMPLES`` (default 50 per estimator) locally to
search harder.
"""

import copy
import faulthandler
import os
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sklearn.base import clone, is_classifier, is_regressor

from skpapers.utils import all_estimators
from skpapers.utils.estimator_checks import _fitted_arrays, _outputs

from ._instances import construct_instance, make_check_data

HANG_SECONDS = 300
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 50))
ESTIMATORS = [construct_instance(cls) for _, cls in all_estimators()]
IDS = [type(est).__name__ for est in ESTIMATORS]

# Scalar summaries whose non-finite values are documented sentinels, not garbage.
NONFINITE_BY_DESIGN = {
    "GenerativeDiscriminativeClassifier": {
        "error_gap_": "NaN when there are too few samples for learning curves",
        "error_gap_upper_": "inf with one repeat (no spread), NaN without curves",
    },
}

# Magnitudes of the values, as a fraction of what each dtype can hold.
SCALES = [1e-300, 1e-30, 1e-3, 1.0, 1e3, 1e20, 1e150, 1e300]


@contextmanager
def watchdog(what):
    """End the process with a stack dump if the block runs past HANG_SECONDS."""
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@st.composite
def hostile_data(draw):
    """``(X, y_kind_values)``: X hostile, y as values for every kind of learner."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n_samples = draw(st.sampled_from([1, 2, 3, 7, 25]))
    n_features = draw(st.integers(1, 5))
    largest = float(np.finfo(dtype).max)
    scale = min(draw(st.sampled_from(SCALES)), largest / 10)
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)) * scale
    if draw(st.booleans()):
        X[:, 0] = scale  # a constant column
    if n_features > 1 and draw(st.booleans()):
        X[:, -1] = X[:, 0]  # a duplicated column
    if n_samples > 1 and draw(st.booleans()):
        X[-1] = X[0]  # a duplicated row
    n_classes = draw(st.integers(1, 3))
    labels = rng.integers(0, n_classes, n_samples)
    y_scale = min(draw(st.sampled_from(SCALES)), largest / 10)
    targets = rng.standard_normal(n_samples) * y_scale
    return X.astype(dtype), labels, targets.astype(dtype)


def _y_for(estimator, labels, targets):
    if is_classifier(estimator):
        return labels
    if is_regressor(estimator):
        return targets
    return None


def _call(estimator, method, X, y):
    if y is None:
        return getattr(estimator, method)(X)
    if method == "partial_fit" and is_classifier(estimator):
        return estimator.partial_fit(X, y, classes=np.unique(y))
    return getattr(estimator, method)(X, y)


def _assert_finite(estimator, X, what):
    exempt = NONFINITE_BY_DESIGN.get(type(estimator).__name__, {})
    for name, value in _fitted_arrays(estimator).items():
        if name in exempt:
            continue
        value = np.asarray(value)
        if value.dtype.kind in "fc":
            assert np.all(np.isfinite(value)), f"{what}: fitted {name} is not finite"
    for method, output in _outputs(estimator, X).items():
        output = np.asarray(output)
        if output.dtype.kind in "fc":
            assert np.all(np.isfinite(output)), f"{what}: {method} is not finite"


def _state(estimator):
    """What a failed call must leave as it was: every attribute, comparably.

    Arrays by value, plain values as they are, other objects (a torch network)
    by type: their behaviour is compared through the outputs.
    """
    state = {}
    for key, value in vars(estimator).items():
        if isinstance(value, np.ndarray | np.generic):
            state[key] = ("array", value.dtype.str, value.shape, value.tobytes())
        elif value is None or isinstance(value, int | float | str | bool | tuple):
            state[key] = repr(value)
        else:
            state[key] = type(value).__name__
    return state


def _seeded(estimator):
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=0)
    return estimator


def _fitted_on_clean_data(estimator):
    X, y = make_check_data(estimator, n_samples=30, n_features=3)
    fitted = _seeded(clone(estimator))
    _call(fitted, "fit", X, y)
    return fitted, X


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_hostile_input_gives_finite_results_or_a_clear_error(estimator):
    fitted, X_clean = _fitted_on_clean_data(estimator)
    outputs_before = _outputs(fitted, X_clean)
    methods = ["fit"] + (["partial_fit"] if hasattr(estimator, "partial_fit") else [])

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        # no shrinking: a failure is reported as drawn, and the run stays short
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=hostile_data(), method=st.sampled_from(methods))
    def check(data, method):
        X, labels, targets = data
        y = _y_for(estimator, labels, targets)
        what = (
            f"{type(estimator).__name__}.{method} on X of shape {X.shape}, "
            f"{X.dtype}, max |X| {np.max(np.abs(X)):.3g}"
            + ("" if y is None else f", y {np.asarray(y)[:5]}...")
        )
        # A fresh estimator: the call succeeds with finite results or says why not.
        fresh = _seeded(clone(estimator))
        with watchdog(what):
            try:
                _call(fresh, method, X, y)
            except (ValueError, TypeError):
                pass
            else:
                _assert_finite(fresh, X, what)
        # A fitted estimator: a call that raises changes nothing.
        model = copy.deepcopy(fitted)
        before = _state(model)
        with watchdog(what):
            try:
                _call(model, method, X, y)
            except (ValueError, TypeError):
                assert _state(model) == before, f"{what}: state changed"
                for name, output in _outputs(model, X_clean).items():
                    np.testing.assert_array_equal(
                        output, outputs_before[name], err_msg=f"{what}: {name}"
                    )
            else:
                _assert_finite(model, X, what)

    check()
