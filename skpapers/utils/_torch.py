"""The torch contract of the estimators that train torch networks.

EnsLoss's networks and the unfolded ISTA/IHT networks take a ``device`` the same
way (any torch device string: ``"cpu"``, ``"cuda"``, ``"cuda:1"``; CUDA only when
asked, an error when asked and absent) and run torch's CPU kernels on a thread
count they set for the call and then restore. Importing this module does not
import torch.
"""

import threading
from contextlib import contextmanager

from joblib import effective_n_jobs

# torch_threads's bookkeeping: calls in progress, and the setting they replaced.
_THREADS = {"lock": threading.Lock(), "active": 0, "saved": None}


def check_device(device):
    """The ``torch.device`` for ``device``; a ValueError when torch cannot use it.

    Parameters
    ----------
    device : str
        A torch device string (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...).

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If ``device`` is not a torch device, or names CUDA while torch sees no
        CUDA device.

    Examples
    --------
    >>> from skpapers.utils._torch import check_device
    >>> check_device("cpu")
    device(type='cpu')
    """
    import torch

    try:
        torch_device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from exc
    if torch_device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested, but torch {torch.__version__} finds "
            "no CUDA device. Use device='cpu', or a CUDA build of torch on a "
            "machine with a GPU."
        )
    return torch_device


@contextmanager
def torch_threads(n_jobs):
    """Run torch's CPU kernels on ``n_jobs`` threads (joblib's convention).

    The networks trained here are small matrix products: on one thread they are
    fastest unless the batches are large, and several processes each spinning up
    all cores' worth of OpenMP threads slow each other down by an order of
    magnitude. torch's thread count is process-wide, so fits running at the same
    time in several threads (joblib's threading backend, Dask workers as threads)
    share it: the first one in sets it, and the last one out restores what was set
    before.

    Examples
    --------
    >>> import torch
    >>> from skpapers.utils._torch import torch_threads
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    import torch

    with _THREADS["lock"]:
        if _THREADS["active"] == 0:
            _THREADS["saved"] = torch.get_num_threads()
            torch.set_num_threads(effective_n_jobs(n_jobs))
        _THREADS["active"] += 1
    try:
        yield
    finally:
        with _THREADS["lock"]:
            _THREADS["active"] -= 1
            if _THREADS["active"] == 0:
                torch.set_num_threads(_THREADS["saved"])
