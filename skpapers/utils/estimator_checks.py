"""The skpapers estimator battery: checks beyond scikit-learn's ``check_estimator``.

Each ``check_*`` function takes an unfitted estimator and data it can be fitted on,
and raises ``AssertionError`` (with a message saying what is wrong) when the
estimator breaks a skpapers convention (``shared/DESIGN.md``):

- a pickled and unpickled estimator predicts exactly as before;
- the same ``random_state`` gives the same fitted result, and different seeds
  change a stochastic estimator;
- NaN, inf, empty input and a wrong feature count raise a ``ValueError`` that says
  so;
- a failing ``partial_fit`` leaves every fitted attribute as it was;
- the estimator works inside ``Pipeline`` and ``GridSearchCV``.

``tests/test_common.py`` applies them to every estimator of :func:`all_estimators`.
"""

import pickle
import re

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from ._docstrings import fill_doc

# The parts that every check's docstring shares, filled in by ``fill_doc``.
_DOC_PARTS = {
    "estimator_X_y": """estimator : estimator
        An unfitted estimator (cloned, never fitted in place).
    X : ndarray of shape (n_samples, n_features)
        Data it can be fitted on.
    y : ndarray of shape (n_samples,) or None
        Targets, or None for an unsupervised estimator.""",
    "raises": """Raises
    ------
    AssertionError
        When the estimator breaks the convention, with a message saying how.""",
    "data": """>>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((30, 3))
    >>> y = X @ [1.0, 2.0, 3.0]""",
}


_battery_doc = fill_doc(**_DOC_PARTS)


_OUTPUT_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "score_samples",
)


def _outputs(estimator, X):
    """Every output method's result on ``X``, by method name."""
    return {
        method: getattr(estimator, method)(X)
        for method in _OUTPUT_METHODS
        if hasattr(estimator, method)
    }


def _fitted_arrays(estimator):
    """Fitted attributes (trailing underscore) that are arrays, by name.

    Lists and tuples of arrays (e.g. per-layer weights) are flattened into
    ``name[i]`` entries.
    """
    numeric = np.ndarray | np.generic | float | int
    arrays = {}
    for key, value in vars(estimator).items():
        if not key.endswith("_") or key.startswith("_"):
            continue
        if isinstance(value, numeric):
            arrays[key] = np.asarray(value)
        elif isinstance(value, list | tuple) and all(
            isinstance(v, numeric) for v in value
        ):
            arrays.update({f"{key}[{i}]": np.asarray(v) for i, v in enumerate(value)})
    return arrays


def _seeded(estimator, seed):
    estimator = clone(estimator)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=seed)
    return estimator


def _fit(estimator, X, y):
    return estimator.fit(X) if y is None else estimator.fit(X, y)


def _partial_fit(estimator, X, y, classes=None):
    if y is None:
        return estimator.partial_fit(X)
    if is_classifier(estimator):
        return estimator.partial_fit(X, y, classes=classes)
    return estimator.partial_fit(X, y)


def _y_part(y, index):
    return None if y is None else y[index]


def _assert_outputs_equal(expected, actual, what):
    assert expected.keys() == actual.keys(), f"{what}: output methods differ"
    for method in expected:
        np.testing.assert_array_equal(
            np.asarray(actual[method]),
            np.asarray(expected[method]),
            err_msg=f"{what}: {method} differs",
        )


@_battery_doc
def check_pickle_roundtrip(estimator, X, y):
    """A fitted estimator, pickled and unpickled, gives identical outputs.

    Parameters
    ----------
    %(estimator_X_y)s

    %(raises)s

    Examples
    --------
    %(data)s
    >>> from sklearn.linear_model import Ridge
    >>> from skpapers.utils.estimator_checks import check_pickle_roundtrip
    >>> check_pickle_roundtrip(Ridge(), X, y)
    """
    fitted = _fit(_seeded(estimator, 0), X, y)
    before = _outputs(fitted, X)
    restored = pickle.loads(pickle.dumps(fitted))
    _assert_outputs_equal(before, _outputs(restored, X), "after pickling")


@_battery_doc
def check_same_seed_same_result(estimator, X, y):
    """Two fits with the same ``random_state`` give identical state and outputs.

    Parameters
    ----------
    %(estimator_X_y)s

    %(raises)s

    Examples
    --------
    %(data)s
    >>> from sklearn.linear_model import SGDRegressor
    >>> from skpapers.utils.estimator_checks import check_same_seed_same_result
    >>> check_same_seed_same_result(SGDRegressor(max_iter=5, tol=None), X, y)
    """
    first = _fit(_seeded(estimator, 0), X, y)
    second = _fit(_seeded(estimator, 0), X, y)
    arrays_first, arrays_second = _fitted_arrays(first), _fitted_arrays(second)
    assert arrays_first.keys() == arrays_second.keys()
    for key in arrays_first:
        np.testing.assert_array_equal(
            arrays_second[key],
            arrays_first[key],
            err_msg=f"same random_state, different fitted {key}",
        )
    _assert_outputs_equal(_outputs(first, X), _outputs(second, X), "same seed")


@_battery_doc
def check_different_seeds_differ(estimator, X, y):
    """A stochastic estimator fitted with two seeds ends in two different states.

    Parameters
    ----------
    %(estimator_X_y)s

    %(raises)s

    Examples
    --------
    %(data)s
    >>> from sklearn.linear_model import LinearRegression, SGDRegressor
    >>> from skpapers.utils.estimator_checks import check_different_seeds_differ
    >>> check_different_seeds_differ(SGDRegressor(max_iter=5, tol=None), X, y)
    >>> check_different_seeds_differ(LinearRegression(), X, y)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    AssertionError: a stochastic estimator must take a random_state parameter...
    """
    assert "random_state" in estimator.get_params(), (
        "a stochastic estimator must take a random_state parameter"
    )
    first = _fitted_arrays(_fit(_seeded(estimator, 0), X, y))
    second = _fitted_arrays(_fit(_seeded(estimator, 1), X, y))
    differs = [
        key
        for key in first
        if first[key].shape != second[key].shape
        or not np.array_equal(first[key], second[key])
    ]
    assert differs, (
        "random_state=0 and random_state=1 give identical fitted attributes: the "
        "seed is ignored (or the estimator is deterministic and should be listed "
        "as such)"
    )


def _assert_raises_value_error(func, pattern, what):
    try:
        func()
    except ValueError as exc:
        assert re.search(pattern, str(exc), flags=re.IGNORECASE), (
            f"{what}: the ValueError does not say what is wrong "
            f"(expected /{pattern}/): {exc}"
        )
    except Exception as exc:  # any other type is the failure
        raise AssertionError(
            f"{what}: raised {type(exc).__name__} instead of ValueError: {exc}"
        ) from exc
    else:
        raise AssertionError(f"{what}: no error raised")


def _with_value(X, value):
    X = np.array(X, dtype=np.float64)
    X[0, 0] = value
    return X


@_battery_doc
def check_bad_input_raises(estimator, X, y):
    """NaN, inf, empty input and a wrong feature count raise a clear ValueError.

    Parameters
    ----------
    %(estimator_X_y)s

    %(raises)s

    Examples
    --------
    %(data)s
    >>> from sklearn.linear_model import Ridge
    >>> from skpapers.utils.estimator_checks import check_bad_input_raises
    >>> check_bad_input_raises(Ridge(), X, y)
    """
    bad_fits = [
        (_with_value(X, np.nan), y, r"nan", "NaN in X"),
        (_with_value(X, np.inf), y, r"inf", "inf in X"),
        (X[:0], None if y is None else y[:0], r"0 sample|empty", "empty X"),
    ]
    for X_bad, y_bad, pattern, what in bad_fits:
        if what.startswith(("NaN", "inf")) and get_tags(estimator).input_tags.allow_nan:
            continue
        _assert_raises_value_error(
            lambda X_bad=X_bad, y_bad=y_bad: _fit(clone(estimator), X_bad, y_bad),
            pattern,
            f"fit with {what}",
        )
    fitted = _fit(_seeded(estimator, 0), X, y)
    X_wide = np.hstack([X, X[:, :1]])
    for method in _outputs(fitted, X):
        _assert_raises_value_error(
            lambda method=method: getattr(fitted, method)(X_wide),
            r"feature",
            f"{method} with one feature too many",
        )


def _state_snapshot(estimator):
    return {key: pickle.dumps(value) for key, value in vars(estimator).items()}


@_battery_doc
def check_partial_fit_atomic(estimator, X, y):
    """A ``partial_fit`` that fails on bad input leaves the state as it was.

    Parameters
    ----------
    %(estimator_X_y)s

    %(raises)s

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.naive_bayes import PooledGaussianNB
    >>> from skpapers.utils.estimator_checks import check_partial_fit_atomic
    >>> X = np.random.default_rng(0).standard_normal((30, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> check_partial_fit_atomic(PooledGaussianNB(), X, y)
    """
    classes = np.unique(y) if is_classifier(estimator) else None
    half = len(X) // 2
    fitted = _partial_fit(
        _seeded(estimator, 0), X[:half], _y_part(y, slice(0, half)), classes
    )
    before = _state_snapshot(fitted)

    rest, y_rest = X[half:], _y_part(y, slice(half, None))
    bad_calls = [
        ("NaN in X", lambda: _partial_fit(fitted, _with_value(rest, np.nan), y_rest)),
        ("a wrong feature count", lambda: _partial_fit(fitted, rest[:, :-1], y_rest)),
    ]
    if y is not None:
        bad_calls.append(
            ("y shorter than X", lambda: _partial_fit(fitted, rest, y_rest[:-1]))
        )
    if classes is not None:
        unseen = np.array(y_rest, copy=True)
        unseen[0] = np.max(classes) + 1
        bad_calls.append(
            ("an unseen class", lambda: _partial_fit(fitted, rest, unseen))
        )
    for what, call in bad_calls:
        try:
            call()
        except ValueError:
            pass
        else:
            raise AssertionError(f"partial_fit with {what}: no ValueError raised")
        after = _state_snapshot(fitted)
        changed = sorted(
            key
            for key in before.keys() | after.keys()
            if before.get(key) != after.get(key)
        )
        assert not changed, (
            f"partial_fit with {what} raised but changed the fitted state: {changed}"
        )


@_battery_doc
def check_in_pipeline(estimator, X, y):
    """``Pipeline([StandardScaler(), estimator])`` equals scaling then fitting.

    Parameters
    ----------
    %(estimator_X_y)s

    %(raises)s

    Examples
    --------
    %(data)s
    >>> from sklearn.linear_model import Ridge
    >>> from skpapers.utils.estimator_checks import check_in_pipeline
    >>> check_in_pipeline(Ridge(), X, y)
    """
    pipe = _fit(
        Pipeline([("scale", StandardScaler()), ("est", _seeded(estimator, 0))]), X, y
    )
    X_scaled = StandardScaler().fit_transform(X)
    alone = _fit(_seeded(estimator, 0), X_scaled, y)
    _assert_outputs_equal(_outputs(alone, X_scaled), _outputs(pipe, X), "in a Pipeline")


@_battery_doc
def check_in_grid_search(estimator, X, y, param_grid, scoring=None):
    """``GridSearchCV`` over ``param_grid`` fits, scores every candidate, refits.

    Parameters
    ----------
    %(estimator_X_y)s
    param_grid : dict or list of dict
        The grid of :class:`~sklearn.model_selection.GridSearchCV`.
    scoring : str, callable or None, default=None
        Its ``scoring``.

    %(raises)s

    Examples
    --------
    %(data)s
    >>> from sklearn.linear_model import Ridge
    >>> from skpapers.utils.estimator_checks import check_in_grid_search
    >>> check_in_grid_search(Ridge(), X, y, {"alpha": [0.1, 1.0]})
    """
    search = _fit(
        GridSearchCV(
            _seeded(estimator, 0),
            param_grid,
            scoring=scoring,
            cv=3,
            error_score="raise",
        ),
        X,
        y,
    )
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)), f"non-finite CV scores: {scores}"
    n_candidates = len(search.cv_results_["params"])
    assert len(scores) == n_candidates
    outputs = _outputs(search.best_estimator_, X)
    assert outputs, "the refitted estimator has no output method"
