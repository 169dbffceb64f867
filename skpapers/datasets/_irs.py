r"""The IRS-aided MIMO uplink channel of He and Joseph's application (Section V).

Model (derived from the paper and the authors' simulation ``PC-KroSBL/main.m``).
A mobile station (MS) with ``N_M`` antennas sends ``T`` pilots ``X`` (``N_M x T``,
QPSK scaled by ``1 / sqrt(N_M)``) to a base station (BS) with ``N_B`` antennas
through an intelligent reflecting surface (IRS) of ``N_R`` elements, a uniform
linear array each; the direct path is blocked. With IRS phase pattern
``phi_p`` (entries ``+-1 / sqrt(N_R)``), the BS receives
``Y_p = H_2 diag(phi_p) H_1 X + noise`` for ``p = 1..P``. All arrays use the same
``R``-point angle grid ``theta_r = 2 r / R - 1`` (``r = 0..R-1``) with steering
vectors ``a_N(theta)[n] = exp(j pi theta n) / sqrt(N)``, and the paths are:

- MS -> IRS: ``H_1 = c_1 A_R diag(g_a * alpha_a) e_m^T A_M^H``, one departure angle
  ``e_m`` at the MS and ``L`` consecutive arrival angles at the IRS (the angular
  spread), gains ``alpha_a ~ CN(0, 1)``, ``c_1 = sqrt(N_M N_R / L)``;
- IRS -> BS: ``H_2 = c_2 A_B diag(g_b * alpha_b) e_d e_d^T A_R^H``, one departure
  angle ``e_d`` at the IRS, ``L`` consecutive arrival angles at the BS,
  ``c_2 = sqrt(N_B N_R / L)``.

The scalar ``a_R(theta_d)^H diag(phi) a_R(theta_k)`` depends on the angles only
through ``theta_k - theta_d``, which is again on the grid (modulo 2):
``conj(a_R(theta_d)) * a_R(theta_k) = a_R(theta_k - theta_d) / sqrt(N_R)``. So
``vec(Y_p)`` (BS antenna fastest, then pilot) is, for every pattern at once,

    y = (H_I ⊗ X^T conj(A_M) ⊗ A_B) x + n,      x = c_1 c_2 (x_I ⊗ e_m ⊗ x_B),

where ``H_I[p, r] = sum_n phi_p[n] exp(-j 2 pi r n / R) / N_R`` (the IRS patterns
seen through the grid of angle differences), ``x_I`` holds ``alpha_a`` at the
differences ``r = (d - k) mod R`` of the ``L`` IRS arrival angles ``k`` and
``x_B = g_b * alpha_b``. The dictionary has three factors of sizes ``P x R``,
``T x R``, ``N_B x R`` (for the paper: ``M = 6 * 3 * 16 = 288`` measurements and
``N = 18^3 = 5,832`` atoms), and ``x`` is Kronecker-structured and block sparse
along modes 0 and 2 (runs of ``L`` neighbouring atoms; along mode 0 the run may
wrap around the grid). The quantity estimated is the cascaded channel
``vec(H_2 diag(phi_p) H_1)`` for each pattern, ``(H_I[p] ⊗ conj(A_M) ⊗ A_B) x``,
and the paper's NMSE is ``||H_hat_p - H_p||^2 / ||H_p||^2`` averaged over the
patterns. The SNR is the mean received signal power over the noise variance.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state

from skpapers.utils._kronecker import kron, kron_matvec


def steering_dictionary(n_antennas, n_grid):
    """The ``n_antennas x n_grid`` ULA dictionary on the grid ``2 r / R - 1``.

    Column ``r`` is ``exp(j pi (2 r / R - 1) n) / sqrt(n_antennas)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.datasets._irs import steering_dictionary
    >>> A = steering_dictionary(4, 6)
    >>> A.shape, bool(np.allclose(np.linalg.norm(A, axis=0), 1))
    ((4, 6), True)
    """
    theta = 2 * np.arange(n_grid) / n_grid - 1
    return np.exp(1j * np.pi * np.outer(np.arange(n_antennas), theta)) / np.sqrt(
        n_antennas
    )


def _check_positive_int(value, name):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return int(value)


def make_irs_channel(
    n_ms_antennas=6,
    n_bs_antennas=16,
    n_irs_elements=256,
    *,
    n_grid=18,
    n_pilots=3,
    n_patterns=6,
    angular_spread=3,
    snr_db=20.0,
    random_state=None,
):
    """Generate the paper's IRS-aided MIMO channel-estimation problem.

    One channel realisation and its noisy pilot measurements, with the
    three-factor Kronecker dictionary over which the cascaded channel is sparse
    (derived at the top of ``skpapers/datasets/_irs.py``).
    The defaults are the paper's setting (``PC-KroSBL/main.m``): 6 MS and 16 BS
    antennas, 256 IRS elements, 18 grid angles per dimension, 3 pilots, 6 IRS
    patterns, angular spread 3, giving ``M = 288`` measurements and
    ``N = 5,832`` atoms.

    Parameters
    ----------
    n_ms_antennas, n_bs_antennas, n_irs_elements : int, default=6, 16, 256
        Antennas at the mobile station, the base station; IRS elements.
    n_grid : int, default=18
        Angle grid points per dimension (atoms per factor).
    n_pilots : int, default=3
        Pilot symbols (QPSK) per IRS pattern.
    n_patterns : int, default=6
        IRS phase patterns (random ``+-1 / sqrt(n_irs_elements)``).
    angular_spread : int, default=3
        Consecutive grid angles of arrival at the IRS and at the BS.
    snr_db : float, default=20.0
        Mean received signal power over the noise variance, in dB; ``np.inf``
        for noiseless measurements.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    data : Bunch
        ``factors``: the dictionary factors ``[H_I, X^T conj(A_M), A_B]``
        (complex, shapes ``(P, R)``, ``(T, R)``, ``(N_B, R)``); ``y``: the
        ``P T N_B`` measurements; ``coef``: the sparse ``x`` (``R^3``, complex);
        ``noise_variance``: the complex noise variance; ``channel_factors``:
        ``[H_I, conj(A_M), A_B]``, which map ``x`` to the cascaded channels;
        ``channel``: the true cascaded channels ``vec(H_2 diag(phi_p) H_1)``,
        one row per pattern (``P x N_B N_M``); ``block_modes``: ``(0, 2)``, the
        modes whose support is a run of ``angular_spread`` atoms;
        ``feature_shape``; and the physical quantities: ``pilots`` ``X``
        (``N_M x T``), ``irs_patterns`` (``N_R x P``), ``ms_to_irs`` ``H_1``
        (``N_R x N_M``) and ``irs_to_bs`` ``H_2`` (``N_B x N_R``).

    Examples
    --------
    >>> import numpy as np
    >>> from skpapers.datasets import make_irs_channel
    >>> data = make_irs_channel(snr_db=np.inf, random_state=0)
    >>> [a.shape for a in data.factors], data.y.shape, data.coef.shape
    ([(6, 18), (3, 18), (16, 18)], (288,), (5832,))
    >>> int(np.count_nonzero(data.coef))
    9
    """
    n_ms = _check_positive_int(n_ms_antennas, "n_ms_antennas")
    n_bs = _check_positive_int(n_bs_antennas, "n_bs_antennas")
    n_irs = _check_positive_int(n_irs_elements, "n_irs_elements")
    n_grid = _check_positive_int(n_grid, "n_grid")
    n_pilots = _check_positive_int(n_pilots, "n_pilots")
    n_patterns = _check_positive_int(n_patterns, "n_patterns")
    spread = _check_positive_int(angular_spread, "angular_spread")
    if spread > n_grid:
        raise ValueError(
            f"angular_spread={spread} must not exceed n_grid={n_grid} (the "
            "consecutive arrival angles lie on the grid)."
        )
    if not isinstance(snr_db, Real) or np.isnan(snr_db):
        raise ValueError(f"snr_db must be a real number or np.inf, got {snr_db!r}.")
    rng = check_random_state(random_state)

    def cn(size):
        return (rng.standard_normal(size) + 1j * rng.standard_normal(size)) / np.sqrt(2)

    qpsk = (
        rng.choice([-1.0, 1.0], (n_ms, n_pilots))
        + 1j * rng.choice([-1.0, 1.0], (n_ms, n_pilots))
    ) / np.sqrt(2)
    pilots = qpsk / np.sqrt(n_ms)
    a_ms = steering_dictionary(n_ms, n_grid)
    a_bs = steering_dictionary(n_bs, n_grid)
    # the IRS seen through the grid of angle differences, column r: -2 r / R
    diff = np.exp(-2j * np.pi * np.outer(np.arange(n_irs), np.arange(n_grid)) / n_grid)
    diff /= n_irs

    departure_ms = rng.randint(n_grid)
    arrival_irs = rng.randint(n_grid - spread + 1) + np.arange(spread)
    departure_irs = rng.randint(n_grid)
    arrival_bs = rng.randint(n_grid - spread + 1) + np.arange(spread)
    gains_irs, gains_bs = cn(spread), cn(spread)
    c_1 = np.sqrt(n_ms * n_irs / spread)
    c_2 = np.sqrt(n_bs * n_irs / spread)
    gain = c_1 * c_2
    x_irs = np.zeros(n_grid, dtype=complex)
    x_irs[(departure_irs - arrival_irs) % n_grid] = gains_irs
    x_ms = np.zeros(n_grid, dtype=complex)
    x_ms[departure_ms] = 1.0
    x_bs = np.zeros(n_grid, dtype=complex)
    x_bs[arrival_bs] = gains_bs
    coef = gain * kron([x_irs, x_ms, x_bs])
    # the physical channels, returned so that the model above can be checked
    a_irs = steering_dictionary(n_irs, n_grid)
    ms_to_irs = c_1 * np.outer(
        a_irs[:, arrival_irs] @ gains_irs, np.conj(a_ms[:, departure_ms])
    )
    irs_to_bs = c_2 * np.outer(
        a_bs[:, arrival_bs] @ gains_bs, np.conj(a_irs[:, departure_irs])
    )

    patterns = rng.choice([-1.0, 1.0], (n_irs, n_patterns)) / np.sqrt(n_irs)
    h_irs = patterns.T @ diff
    # as the authors: a pattern that nearly cancels the channel is drawn again
    for p in range(n_patterns):
        while abs(h_irs[p] @ x_irs) * gain < 1e-5:
            patterns[:, p] = rng.choice([-1.0, 1.0], n_irs) / np.sqrt(n_irs)
            h_irs[p] = patterns[:, p] @ diff

    factors = [h_irs, pilots.T @ np.conj(a_ms), a_bs]
    signal = kron_matvec(factors, coef)
    noise_variance = 0.0
    y = signal
    if np.isfinite(snr_db):
        noise_variance = float(np.mean(np.abs(signal) ** 2) / 10 ** (snr_db / 10))
        y = signal + np.sqrt(noise_variance) * cn(signal.shape)
    channel_factors = [h_irs, np.conj(a_ms), a_bs]
    channel = kron_matvec(channel_factors, coef).reshape(n_patterns, n_ms * n_bs)
    return Bunch(
        factors=factors,
        y=y,
        coef=coef,
        noise_variance=noise_variance,
        channel_factors=channel_factors,
        channel=channel,
        block_modes=(0, 2),
        feature_shape=(n_grid, n_grid, n_grid),
        pilots=pilots,
        irs_patterns=patterns,
        ms_to_irs=ms_to_irs,
        irs_to_bs=irs_to_bs,
    )


def channel_nmse(channel_factors, coef, channel):
    """The paper's NMSE: per-pattern ``||H_hat_p - H_p||^2 / ||H_p||^2``, averaged.

    Parameters
    ----------
    channel_factors : list of ndarray
        ``[H_I, conj(A_M), A_B]`` from :func:`make_irs_channel`.
    coef : ndarray of shape (R^3,)
        An estimate of ``x``.
    channel : ndarray of shape (P, N_B N_M)
        The true cascaded channels.

    Returns
    -------
    nmse : float

    Examples
    --------
    >>> from skpapers.datasets import make_irs_channel
    >>> from skpapers.datasets._irs import channel_nmse
    >>> data = make_irs_channel(random_state=0)
    >>> channel_nmse(data.channel_factors, data.coef, data.channel)
    0.0
    """
    estimate = kron_matvec(channel_factors, coef).reshape(channel.shape)
    error = np.sum(np.abs(estimate - channel) ** 2, axis=1)
    return float(np.mean(error / np.sum(np.abs(channel) ** 2, axis=1)))
