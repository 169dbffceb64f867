"""Dask helpers: recognise a ``dask.array`` without importing Dask, lay out rows."""

import numpy as np


def is_dask(a):
    """Whether ``a`` is a Dask collection (checked without importing Dask).

    Parameters
    ----------
    a : object
        Anything.

    Returns
    -------
    is_dask : bool
        True for ``dask.array`` arrays (and other Dask objects).

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.utils import is_dask
    >>> is_dask(np.ones(3))
    False
    """
    return type(a).__module__.split(".")[0] == "dask"


def dask_rows(a, row_chunks):
    """``a`` (NumPy or Dask) as a ``dask.array`` whose rows are chunked as given.

    Parameters
    ----------
    a : ndarray or dask.array of shape (n, ...)
        The array to lay out.
    row_chunks : tuple of int
        Row chunk sizes, summing to ``n`` (typically ``X.chunks[0]``).

    Returns
    -------
    a : dask.array
        Chunked by ``row_chunks`` along the rows, one chunk along other axes.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.utils import dask_rows
    >>> dask_rows(np.arange(6.0), (4, 2)).chunks
    ((4, 2),)
    """
    import dask.array as da

    chunks = (tuple(row_chunks),) + tuple((size,) for size in a.shape[1:])
    if is_dask(a):
        return a if a.chunks == chunks else a.rechunk(chunks)
    return da.from_array(np.asarray(a), chunks=chunks)
