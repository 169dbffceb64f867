"""The explicit Kronecker product, the one helper every module forming it uses."""

from ._array_api import get_namespace


def kron(arrays, xp=None):
    """Kronecker product ``a_1 ⊗ ... ⊗ a_I`` of vectors or matrices (``np.kron`` order).

    Written against the array API (``np.kron`` is NumPy only): each step is one
    broadcast product and one reshape.

    Parameters
    ----------
    arrays : sequence of arrays
        All 1-D (vectors) or all 2-D (matrices).
    xp : namespace, default=None
        Array namespace; taken from the arrays when None.

    Returns
    -------
    out : array
        Of shape ``(prod n_i,)`` for vectors, ``(prod m_i, prod n_i)`` for matrices.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.utils._kronecker import kron
    >>> kron([np.array([1.0, 2.0]), np.array([1.0, 10.0])])
    array([ 1., 10.,  2., 20.])
    >>> a, b = np.arange(6.0).reshape(2, 3), np.arange(4.0).reshape(2, 2)
    >>> bool(np.array_equal(kron([a, b]), np.kron(a, b)))
    True
    """
    if xp is None:
        xp, _ = get_namespace(*arrays)
    out = arrays[0]
    for b in arrays[1:]:
        if out.ndim == 1:
            out = xp.reshape(xp.reshape(out, (-1, 1)) * xp.reshape(b, (1, -1)), (-1,))
            continue
        m_a, n_a = out.shape
        m_b, n_b = b.shape
        out = xp.reshape(
            xp.reshape(out, (m_a, 1, n_a, 1)) * xp.reshape(b, (1, m_b, 1, n_b)),
            (m_a * m_b, n_a * n_b),
        )
    return out
