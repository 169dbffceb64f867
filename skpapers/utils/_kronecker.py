"""Kronecker products: the explicit one, and one applied to a vector unformed.

Every module that needs either imports it from here."""

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


def kron_matvec(matrices, v, xp=None):
    """``(B_1 ⊗ ... ⊗ B_I) v`` by mode products, without forming the product.

    Each step multiplies the leading mode by ``B_i`` with one matrix product and
    rotates that mode to the end, so that after ``I`` steps the modes are back in
    order: ``O(sum_i P_1..P_i Q_i..Q_I)`` operations for ``B_i`` of shape
    ``(P_i, Q_i)``.

    Parameters
    ----------
    matrices : sequence of 2-D arrays
        ``B_1, ..., B_I``, ``B_i`` of shape ``(P_i, Q_i)``.
    v : array of shape (prod Q_i,)

    Returns
    -------
    out : array of shape (prod P_i,)

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.utils._kronecker import kron_matvec
    >>> rng = np.random.default_rng(0)
    >>> B1, B2 = rng.normal(size=(2, 3)), rng.normal(size=(4, 5))
    >>> v = rng.normal(size=15)
    >>> bool(np.allclose(kron_matvec([B1, B2], v), np.kron(B1, B2) @ v))
    True
    """
    if xp is None:
        xp, _ = get_namespace(v, *matrices)
    t = v
    for b in matrices:
        t = b @ xp.reshape(t, (b.shape[1], -1))
        t = t.T
    return xp.reshape(t, (-1,))
