import numpy as np
import pytest

from skpapers.datasets import make_orthogonal_sparse


def test_model_orthogonal_dictionary_and_bernoulli_gaussian_codes():
    X, dictionary, code = make_orthogonal_sparse(
        20000, 10, nonzero_rate=0.2, random_state=0
    )
    np.testing.assert_allclose(dictionary @ dictionary.T, np.eye(10), atol=1e-12)
    np.testing.assert_allclose(X, code @ dictionary, atol=1e-12)
    support = code != 0
    assert abs(support.mean() - 0.2) < 0.01
    assert abs(code[support].std() - 1) < 0.02
    # every entry of the support is drawn independently: no structure by column
    np.testing.assert_allclose(support.mean(axis=0), 0.2, atol=0.02)


def test_noise_and_outliers():
    X, dictionary, code = make_orthogonal_sparse(
        5000, 8, noise=0.1, outlier_fraction=0.1, random_state=1
    )
    residual = X - code @ dictionary
    outliers = np.abs(residual).max(axis=1) > 0.6
    assert outliers.sum() == pytest.approx(500, abs=25)
    assert residual[~outliers].std() == pytest.approx(0.1, rel=0.05)
    # outliers are dense, with the inliers' expected energy
    energy = (X[outliers] ** 2).sum(axis=1).mean()
    assert energy == pytest.approx(0.3 * 8, rel=0.1)


def test_seeded_and_validated():
    first = make_orthogonal_sparse(50, 4, random_state=3)
    second = make_orthogonal_sparse(50, 4, random_state=3)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="nonzero_rate"):
        make_orthogonal_sparse(10, 4, nonzero_rate=1.5)
    with pytest.raises(ValueError, match="n_features"):
        make_orthogonal_sparse(10, 0)
