import inspect

import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

import skpapers
from skpapers.utils import all_estimators


def test_all_estimators_are_public_sorted_estimators():
    estimators = all_estimators()
    names = [name for name, _ in estimators]
    assert names == sorted(names) and len(set(names)) == len(names)
    for name, cls in estimators:
        assert issubclass(cls, BaseEstimator) and not inspect.isabstract(cls)
        assert not name.startswith("_") and cls.__module__.startswith("skpapers.")


def test_every_estimator_is_exported_from_the_top_level():
    for name, cls in all_estimators():
        assert getattr(skpapers, name, None) is cls, f"skpapers.{name} is missing"
        assert name in skpapers.__all__


def test_type_filter():
    for name, cls in all_estimators("classifier"):
        assert issubclass(cls, ClassifierMixin), name
    kinds = all_estimators(["classifier", "regressor"])
    assert all(issubclass(c, ClassifierMixin | RegressorMixin) for _, c in kinds)
    with pytest.raises(ValueError, match="type_filter"):
        all_estimators("no_such_kind")
