"""BLAS thread control for the small dense factorisations inside the solvers."""

import functools


@functools.cache
def _threadpool_controller():
    # Scanning the loaded libraries costs tens of ms: do it once per process.
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_blas_thread():
    """Context in which BLAS runs on one thread, for small dense factorisations.

    They take milliseconds on one core, and a threaded BLAS that has to share the
    cores (with another test worker, Dask or anything else) spins: a 3146 x 101
    ``lstsq`` measured 0.9 s with two OpenBLAS threads on a loaded two-core
    machine against 8 ms with one.

    Returns
    -------
    context : context manager
        ``threadpoolctl``'s limit of the BLAS pools to one thread.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.utils import single_blas_thread
    >>> with single_blas_thread():
    ...     q, r = np.linalg.qr(np.eye(3))
    """
    return _threadpool_controller().limit(limits=1, user_api="blas")
