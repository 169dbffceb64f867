"""Discovery of the public estimators of skpapers."""

import inspect
import pkgutil
from importlib import import_module
from operator import itemgetter

from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClusterMixin,
    RegressorMixin,
    TransformerMixin,
)

# Packages that hold no estimators, or that would import optional dependencies.
_SKIP = {"tests", "experiments", "utils", "datasets"}

_TYPE_MIXINS = {
    "classifier": ClassifierMixin,
    "regressor": RegressorMixin,
    "transformer": TransformerMixin,
    "cluster": ClusterMixin,
}


def all_estimators(type_filter=None):
    """List every public estimator class of skpapers.

    Importing the modules imports none of the optional dependencies (torch, skorch,
    cupy, dask): estimators load those on first use.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "cluster"} or list \
            of those, default=None
        Keep only estimators of these kinds. None keeps all.

    Returns
    -------
    estimators : list of (name, class)
        Sorted by name.

    Examples
    --------
    >>> from skpapers.utils import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> names == sorted(names)
    True
    """
    import skpapers

    found = {}
    for _, module_name, _ in pkgutil.walk_packages(
        skpapers.__path__, prefix="skpapers."
    ):
        if set(module_name.split(".")[1:]) & _SKIP:
            continue
        module = import_module(module_name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseEstimator)
                and cls.__module__.startswith("skpapers.")
                and not name.startswith("_")
                and not inspect.isabstract(cls)
            ):
                found[name] = cls

    estimators = sorted(found.items(), key=itemgetter(0))
    if type_filter is None:
        return estimators
    kinds = [type_filter] if isinstance(type_filter, str) else list(type_filter)
    unknown = set(kinds) - set(_TYPE_MIXINS)
    if unknown:
        raise ValueError(
            f"type_filter must be among {sorted(_TYPE_MIXINS)}, got {sorted(unknown)}."
        )
    mixins = tuple(_TYPE_MIXINS[k] for k in kinds)
    return [(name, cls) for name, cls in estimators if issubclass(cls, mixins)]
