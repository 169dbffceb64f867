"""Optional dependencies: import on first use, or say which extra installs them.

skpapers imports none of torch, skorch, cupy or dask at import time. Code that needs
one of them calls :func:`import_optional` where it is used, so that a user without
it gets an ``ImportError`` that names the ``pip install "skpapers[...]"`` extra
instead of a bare ``ModuleNotFoundError`` from deep inside a call.
"""

import importlib

# The extra of ``pip install "skpapers[extra]"`` (pyproject.toml) that provides each
# optional top-level module.
OPTIONAL_EXTRAS = {
    "dask": "dask",
    "distributed": "dask",
    "dask_ml": "dask",
    "torch": "torch",
    "skorch": "torch",
    "cupy": "gpu",
}


def import_optional(name, *, purpose=None):
    """Import an optional dependency of skpapers, or explain how to install it.

    Parameters
    ----------
    name : str
        The module to import, e.g. ``"dask.array"``. Its top-level package must be
        one of the optional dependencies (dask, distributed, dask_ml, torch, skorch,
        cupy).
    purpose : str, default=None
        What needs the module, for the error message (e.g.
        ``"fit_many with a dask array"``).

    Returns
    -------
    module : module
        The imported module.

    Raises
    ------
    ImportError
        If the module cannot be imported; the message names the extra that
        installs it, e.g. ``pip install "skpapers[dask]"``.
    ValueError
        If ``name`` is not an optional dependency of skpapers.

    Examples
    --------
    >>> from skpapers.utils import import_optional
    >>> da = import_optional("dask.array", purpose="this example")
    >>> int(da.ones(4, chunks=2).sum().compute())
    4
    """
    top = name.split(".")[0]
    if top not in OPTIONAL_EXTRAS:
        raise ValueError(
            f"{name!r} is not an optional dependency of skpapers; expected a module "
            f"of {sorted(OPTIONAL_EXTRAS)}."
        )
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        extra = OPTIONAL_EXTRAS[top]
        who = purpose or "This feature of skpapers"
        raise ImportError(
            f"{who} needs {name!r} (an optional dependency), which could not be "
            f'imported: {exc}. Install it with: pip install "skpapers[{extra}]"'
        ) from exc
