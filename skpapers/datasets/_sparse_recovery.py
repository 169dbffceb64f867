r"""Synthetic sparse-recovery problems of the deep-unfolding paper.

``y = A x + w``: a Gaussian measurement matrix :math:`A` (``m x n``, entries
:math:`N(0, 1/m)`, so columns have unit norm on average), Bernoulli-Gaussian signals
(each entry nonzero with probability ``p``, nonzeros :math:`N(0, 1)`) and white
Gaussian noise at a given signal-to-noise ratio.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_array


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_measurements": [Interval(Integral, 1, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "sparsity": [Interval(Real, 0, 1, closed="both")],
        "snr": [Real, None],
        "measurement_matrix": ["array-like", None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_sparse_recovery(
    n_samples=1000,
    *,
    n_measurements=75,
    n_components=150,
    sparsity=0.08,
    snr=10.0,
    measurement_matrix=None,
    random_state=None,
):
    """Generate noisy linear measurements of Bernoulli-Gaussian sparse signals.

    The reference setup of deep-unfolded sparse recovery: ``m = 75`` measurements of
    signals of length ``n = 150``, each entry nonzero with probability ``p = 0.08``,
    at 10 dB SNR. The noise variance is set from the *expected* signal power,
    ``sigma^2 = p ||A||_F^2 / m / 10^(snr / 10)``, so every sample has the same
    noise level.

    Train/test mismatch (a test set of another sparsity or noise level for the same
    sensor): generate the test set with ``measurement_matrix=A`` of the training set
    and another ``sparsity`` or ``snr``.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of (measurement, signal) pairs.
    n_measurements : int, default=75
        ``m``, the length of a measurement vector. Ignored when
        ``measurement_matrix`` is given.
    n_components : int, default=150
        ``n``, the length of a signal. Ignored when ``measurement_matrix`` is given.
    sparsity : float in [0, 1], default=0.08
        ``p``, the probability that a signal entry is nonzero.
    snr : float or None, default=10.0
        Signal-to-noise ratio in dB, ``10 log10(E||Ax||^2 / E||w||^2)``. None (or
        ``inf``): noiseless.
    measurement_matrix : array-like of shape (m, n), default=None
        Use this ``A`` instead of drawing a Gaussian one.
    random_state : int, RandomState instance or None, default=None
        Seeds ``A``, the signals and the noise.

    Returns
    -------
    measurements : ndarray of shape (n_samples, m)
        ``y = A x + w``, one per row: the ``X`` of the unfolded estimators.
    signals : ndarray of shape (n_samples, n)
        The sparse ``x``: the ``y`` of the supervised estimators.
    measurement_matrix : ndarray of shape (m, n)
        ``A``.

    Examples
    --------
    >>> from skpapers.datasets import make_sparse_recovery
    >>> Y, X, A = make_sparse_recovery(500, random_state=0)
    >>> Y.shape, X.shape, A.shape
    ((500, 75), (500, 150), (75, 150))
    >>> Y_test, X_test, _ = make_sparse_recovery(
    ...     100, measurement_matrix=A, sparsity=0.16, snr=5.0, random_state=1
    ... )
    >>> Y_test.shape
    (100, 75)
    """
    rng = check_random_state(random_state)
    if measurement_matrix is None:
        A = rng.standard_normal((n_measurements, n_components)) / np.sqrt(
            n_measurements
        )
    else:
        A = check_array(
            measurement_matrix, dtype=np.float64, input_name="measurement_matrix"
        )
    m, n = A.shape
    support = rng.random_sample((n_samples, n)) < sparsity
    signals = np.where(support, rng.standard_normal((n_samples, n)), 0.0)
    measurements = signals @ A.T
    if snr is not None and np.isfinite(snr):
        noise_variance = sparsity * np.sum(A**2) / m / 10.0 ** (snr / 10.0)
        measurements += np.sqrt(noise_variance) * rng.standard_normal((n_samples, m))
    return measurements, signals, A
