"""Synthetic Kronecker-structured sparse recovery problems."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from skpapers.utils._kronecker import kron, kron_matvec


def _as_tuple(value, n_factors, name):
    if isinstance(value, Integral) and not isinstance(value, bool):
        return (int(value),) * n_factors
    value = tuple(value)
    if len(value) != n_factors or not all(
        isinstance(v, Integral) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(
            f"{name} must be an int or a tuple of {n_factors} ints (one per "
            f"factor), got {value!r}."
        )
    return tuple(int(v) for v in value)


def _support(n_atoms, n_nonzero, block_size, rng):
    """``n_nonzero`` indices of ``range(n_atoms)`` in non-overlapping blocks."""
    n_blocks = n_nonzero // block_size
    slots = np.sort(rng.choice(n_atoms - n_blocks * (block_size - 1), n_blocks, False))
    starts = slots + np.arange(n_blocks) * (block_size - 1)
    return np.sort((starts[:, None] + np.arange(block_size)).ravel())


def _gaussian(shape, complex_valued, rng):
    if complex_valued:
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(
            2
        )
    return rng.standard_normal(shape)


def make_kronecker_sparse(
    n_measurements=(8, 12, 15),
    n_atoms=(15, 15, 15),
    n_nonzero=3,
    *,
    snr_db=25.0,
    block_size=1,
    complex_valued=False,
    kronecker_values=False,
    unit_norm_atoms=True,
    as_factors=False,
    random_state=None,
):
    """Generate a sparse recovery problem with a Kronecker dictionary and support.

    ``y = (A_1 ⊗ ... ⊗ A_I) x + n`` with Gaussian factors ``A_i`` of shape
    ``(M_i, N_i)`` and ``x`` supported on ``S_1 x ... x S_I``, ``S_i`` of size
    ``n_nonzero[i]`` drawn uniformly in each factor. ``x`` is ``np.kron``-ordered:
    ``x.reshape(n_atoms)[k_1, ..., k_I]`` is non-zero iff every ``k_i`` is in
    ``S_i``.

    The paper's synthetic model, as the authors' code draws it
    (``KroSBL_f/Configuration.m``), is ``kronecker_values=True,
    unit_norm_atoms=False``: ``A_i = randn(M_i, N_i)`` and ``x = x_1 ⊗ ... ⊗ x_I``
    with ``x_i`` sparse and standard normal on ``S_i``. By default the non-zero
    entries of ``x`` are independent standard normals instead (a support with
    Kronecker structure, values without) and the factors are scaled by
    ``1 / sqrt(M_i)`` (atoms of unit norm on average).

    Parameters
    ----------
    n_measurements : int or tuple of int, default=(8, 12, 15)
        ``(M_1, ..., M_I)``. An int with ``n_atoms`` a tuple repeats it.
    n_atoms : int or tuple of int, default=(15, 15, 15)
        ``(N_1, ..., N_I)``.
    n_nonzero : int or tuple of int, default=3
        Size of the support in each factor.
    snr_db : float, default=25.0
        Signal-to-noise ratio ``10 log10(||A x||^2 / (M s2))`` fixing the noise
        variance ``s2`` from the drawn signal; ``np.inf`` gives noiseless data.
    block_size : int, default=1
        The support of each factor is made of blocks of ``block_size``
        consecutive atoms (block sparsity); ``n_nonzero`` must be a multiple.
    complex_valued : bool, default=False
        Complex dictionary, coefficients and circular complex noise.
    kronecker_values : bool, default=False
        ``x = x_1 ⊗ ... ⊗ x_I`` with independent standard normal ``x_i`` on
        ``S_i`` (the paper's model) instead of independent values on the support.
    unit_norm_atoms : bool, default=True
        Scale ``A_i`` by ``1 / sqrt(M_i)``; False keeps ``randn`` (the paper's).
    as_factors : bool, default=False
        Return the list of factors instead of the explicit dictionary (which has
        ``prod(M_i) * prod(N_i)`` entries).
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (prod(M_i), prod(N_i)), or list of ndarray
        The dictionary ``A_1 ⊗ ... ⊗ A_I``, or its factors if ``as_factors``.
    y : ndarray of shape (prod(M_i),)
        Noisy measurements.
    coef : ndarray of shape (prod(N_i),)
        The sparse vector ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.datasets import make_kronecker_sparse
    >>> X, y, coef = make_kronecker_sparse(
    ...     (4, 5), (6, 7), n_nonzero=(2, 3), snr_db=np.inf, random_state=0)
    >>> X.shape, y.shape, int(np.count_nonzero(coef))
    ((20, 42), (20,), 6)
    >>> bool(np.allclose(X @ coef, y))
    True
    """
    if isinstance(n_atoms, Integral) and not isinstance(n_measurements, Integral):
        n_factors = len(tuple(n_measurements))
    elif isinstance(n_atoms, Integral):
        n_factors = 1
    else:
        n_factors = len(tuple(n_atoms))
    if n_factors == 0:
        raise ValueError("n_atoms must give at least one factor.")
    n_measurements = _as_tuple(n_measurements, n_factors, "n_measurements")
    n_atoms = _as_tuple(n_atoms, n_factors, "n_atoms")
    n_nonzero = _as_tuple(n_nonzero, n_factors, "n_nonzero")
    if min(n_measurements) < 1 or min(n_atoms) < 1:
        raise ValueError(
            f"n_measurements={n_measurements} and n_atoms={n_atoms} must be positive."
        )
    if not isinstance(block_size, Integral) or block_size < 1:
        raise ValueError(f"block_size must be a positive int, got {block_size!r}.")
    for i, (k, n) in enumerate(zip(n_nonzero, n_atoms)):
        if not 1 <= k <= n or k % block_size:
            raise ValueError(
                f"n_nonzero[{i}]={k} must be between 1 and n_atoms[{i}]={n} and a "
                f"multiple of block_size={block_size}."
            )
    if not isinstance(snr_db, Real) or np.isnan(snr_db):
        raise ValueError(f"snr_db must be a real number or np.inf, got {snr_db!r}.")
    rng = check_random_state(random_state)

    factors = [
        _gaussian((m, n), complex_valued, rng) / (np.sqrt(m) if unit_norm_atoms else 1)
        for m, n in zip(n_measurements, n_atoms)
    ]
    supports = [_support(n, k, block_size, rng) for n, k in zip(n_atoms, n_nonzero)]
    dtype = complex if complex_valued else float
    if kronecker_values:
        parts = []
        for n, k, support in zip(n_atoms, n_nonzero, supports):
            part = np.zeros(n, dtype=dtype)
            part[support] = _gaussian(k, complex_valued, rng)
            parts.append(part)
        coef = kron(parts)
    else:
        coef = np.zeros(n_atoms, dtype=dtype)
        coef[np.ix_(*supports)] = _gaussian(n_nonzero, complex_valued, rng)
        coef = coef.ravel()

    signal = kron_matvec(factors, coef)
    y = signal
    if np.isfinite(snr_db):
        noise_variance = np.mean(np.abs(signal) ** 2) / 10 ** (snr_db / 10)
        y = signal + np.sqrt(noise_variance) * _gaussian(
            signal.shape, complex_valued, rng
        )
    if as_factors:
        return factors, y, coef
    return kron(factors), y, coef
