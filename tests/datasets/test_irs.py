"""make_irs_channel: the paper's IRS-MIMO channel against the physical model."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skpapers.datasets import make_irs_channel
from skpapers.datasets._irs import channel_nmse


def test_shapes_dtypes_and_block_support():
    data = make_irs_channel(snr_db=10.0, random_state=0)
    assert [a.shape for a in data.factors] == [(6, 18), (3, 18), (16, 18)]
    assert data.y.shape == (288,) and data.coef.shape == (5832,)
    assert data.channel.shape == (6, 96)
    assert all(np.iscomplexobj(a) for a in [*data.factors, data.y, data.coef])
    x = data.coef.reshape(data.feature_shape)
    supports = [
        np.flatnonzero(np.any(x != 0, axis=a)) for a in [(1, 2), (0, 2), (0, 1)]
    ]
    assert [len(s) for s in supports] == [3, 1, 3]
    # runs of 3 neighbouring atoms on the block modes (mode 0 may wrap)
    assert np.all(np.diff(supports[2]) == 1)
    runs = [set((s + np.arange(3)) % 18) for s in range(18)]
    assert set(supports[0].tolist()) in runs
    # x is a Kronecker product: its unfoldings have rank one
    for mode in range(3):
        assert np.linalg.matrix_rank(np.moveaxis(x, mode, 0).reshape(18, -1)) == 1
    assert data.block_modes == (0, 2)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kronecker_model_equals_the_physical_channel(seed):
    # y_p = vec(H_2 diag(phi_p) H_1 X) and the cascaded channel vec(H_2 diag(phi_p)
    # H_1), from the physical MS -> IRS and IRS -> BS channels, equal the
    # three-factor Kronecker dictionary applied to x (the derivation's claim)
    data = make_irs_channel(snr_db=np.inf, random_state=seed)
    A = np.kron(np.kron(*data.factors[:2]), data.factors[2])
    for p in range(6):
        cascaded = data.irs_to_bs @ np.diag(data.irs_patterns[:, p]) @ data.ms_to_irs
        assert_allclose(data.channel[p], cascaded.ravel(order="F"), atol=1e-10)
        received = (cascaded @ data.pilots).ravel(order="F")
        assert_allclose(data.y[48 * p : 48 * (p + 1)], received, atol=1e-10)
    assert_allclose(A @ data.coef, data.y, atol=1e-10)


def test_noiseless_estimate_has_zero_nmse_and_snr_is_met():
    data = make_irs_channel(snr_db=np.inf, random_state=1)
    assert channel_nmse(data.channel_factors, data.coef, data.channel) == 0.0
    assert channel_nmse(data.channel_factors, 0 * data.coef, data.channel) == 1.0
    noisy = make_irs_channel(snr_db=4.0, random_state=1)
    snr = 10 * np.log10(np.mean(np.abs(data.y) ** 2) / noisy.noise_variance)
    assert_allclose(snr, 4.0)
    assert_allclose(noisy.coef, data.coef)  # same seed, same channel
    assert np.linalg.norm(noisy.y - data.y) > 0


def test_bad_input():
    with pytest.raises(ValueError, match="angular_spread"):
        make_irs_channel(n_grid=4, angular_spread=5)
    with pytest.raises(ValueError, match="n_pilots"):
        make_irs_channel(n_pilots=0)
