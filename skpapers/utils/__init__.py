"""Shared helpers: array namespaces, validation, estimator discovery."""

from ._array_api import (
    check_same_namespace,
    device,
    float_dtype,
    get_namespace,
    is_numpy_namespace,
    to_numpy,
)
from ._dask import dask_rows, is_dask
from ._discovery import all_estimators
from ._optional import import_optional
from ._tables import format_cell, markdown_table
from ._threads import single_blas_thread
from ._validation import (
    check_magnitude,
    check_partial_fit_classes,
    keep_state_on_error,
)

__all__ = [
    "all_estimators",
    "check_magnitude",
    "check_same_namespace",
    "check_partial_fit_classes",
    "dask_rows",
    "device",
    "float_dtype",
    "format_cell",
    "get_namespace",
    "import_optional",
    "is_dask",
    "is_numpy_namespace",
    "keep_state_on_error",
    "markdown_table",
    "single_blas_thread",
    "to_numpy",
]
