"""make_sparse_recovery: the paper's Gaussian A, Bernoulli-Gaussian x and SNR."""

import numpy as np
import pytest

from skpapers.datasets import make_sparse_recovery


def test_shapes_and_model():
    Y, X, A = make_sparse_recovery(
        50, n_measurements=10, n_components=20, snr=None, random_state=0
    )
    assert (Y.shape, X.shape, A.shape) == ((50, 10), (50, 20), (10, 20))
    # Noiseless: the measurements are exactly A x.
    np.testing.assert_allclose(Y, X @ A.T)


def test_statistics_match_the_parameters():
    Y, X, A = make_sparse_recovery(4000, sparsity=0.08, snr=10.0, random_state=0)
    # Entries of A are N(0, 1/m): squared column norms average 1.
    assert abs(np.mean(np.sum(A**2, axis=0)) - 1.0) < 0.05
    # Each entry nonzero with probability p (binomial sd ~ 4e-4 here).
    assert abs(np.mean(X != 0) - 0.08) < 0.003
    nonzeros = X[X != 0]
    assert abs(np.std(nonzeros) - 1.0) < 0.03
    # The empirical SNR is the requested one.
    signal = X @ A.T
    snr = 10 * np.log10(np.sum(signal**2) / np.sum((Y - signal) ** 2))
    assert abs(snr - 10.0) < 0.2


def test_mismatched_test_set_shares_the_matrix():
    _, _, A = make_sparse_recovery(10, random_state=0)
    Y, X, A_test = make_sparse_recovery(
        3000, measurement_matrix=A, sparsity=0.2, snr=5.0, random_state=1
    )
    np.testing.assert_array_equal(A_test, A)
    assert abs(np.mean(X != 0) - 0.2) < 0.01
    signal = X @ A.T
    snr = 10 * np.log10(np.sum(signal**2) / np.sum((Y - signal) ** 2))
    assert abs(snr - 5.0) < 0.2


def test_seed_reproducible_and_matters():
    first = make_sparse_recovery(20, random_state=3)
    second = make_sparse_recovery(20, random_state=3)
    other = make_sparse_recovery(20, random_state=4)
    for a, b, c in zip(first, second, other):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sparsity": 1.5}, "sparsity"),
        ({"n_samples": 0}, "n_samples"),
        ({"measurement_matrix": [[np.nan, 1.0]]}, "NaN"),
    ],
)
def test_bad_parameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_sparse_recovery(**({"n_samples": 5} | kwargs))
