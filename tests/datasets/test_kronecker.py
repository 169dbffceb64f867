"""make_kronecker_sparse: the paper's synthetic Kronecker sparse recovery problems."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skpapers.datasets import make_kronecker_sparse


def _mode_support(coef, shape, mode):
    tensor = coef.reshape(shape)
    others = tuple(i for i in range(len(shape)) if i != mode)
    return np.flatnonzero(np.any(tensor != 0, axis=others))


def test_support_is_a_kronecker_product_of_per_factor_supports():
    shape = (6, 7, 8)
    X, y, coef = make_kronecker_sparse((3, 4, 5), shape, (2, 3, 4), random_state=0)
    assert X.shape == (60, 336) and y.shape == (60,) and coef.shape == (336,)
    supports = [_mode_support(coef, shape, i) for i in range(3)]
    assert [len(s) for s in supports] == [2, 3, 4]
    expected = np.zeros(shape, dtype=bool)
    expected[np.ix_(*supports)] = True
    assert np.array_equal(coef.reshape(shape) != 0, expected)


def test_factors_and_dictionary_agree_and_snr_is_met():
    factors, y, coef = make_kronecker_sparse(
        (8, 9), (12, 10), 3, snr_db=10.0, as_factors=True, random_state=1
    )
    X, y_full, coef_full = make_kronecker_sparse(
        (8, 9), (12, 10), 3, snr_db=10.0, random_state=1
    )
    assert_allclose(np.kron(*factors), X)
    assert_allclose(y, y_full)
    assert_allclose(coef, coef_full)
    signal = X @ coef
    snr = 10 * np.log10(np.mean(signal**2) / np.mean((y - signal) ** 2))
    assert abs(snr - 10.0) < 1.5  # 72 noise draws


def test_noiseless_and_complex():
    X, y, coef = make_kronecker_sparse(
        (3, 4), (5, 6), 2, snr_db=np.inf, complex_valued=True, random_state=2
    )
    assert np.iscomplexobj(X) and np.iscomplexobj(coef)
    assert_allclose(X @ coef, y)
    # columns have unit norm on average
    assert 0.7 < np.mean(np.sum(np.abs(X) ** 2, axis=0)) < 1.4


def test_block_support_is_made_of_contiguous_runs():
    for seed in range(5):
        _, _, coef = make_kronecker_sparse(
            (5, 5), (20, 20), 6, block_size=3, as_factors=True, random_state=seed
        )
        for mode in range(2):
            remaining = sorted(_mode_support(coef, (20, 20), mode))
            assert len(remaining) == 6
            # blocks never overlap, so peeling runs of 3 from the left must work
            while remaining:
                start = remaining[0]
                assert remaining[:3] == [start, start + 1, start + 2], remaining
                remaining = remaining[3:]


def test_same_seed_same_problem():
    first = make_kronecker_sparse(random_state=3, as_factors=True)
    second = make_kronecker_sparse(random_state=3, as_factors=True)
    for a, b in zip(first[0], second[0]):
        assert_allclose(a, b)
    assert_allclose(first[1], second[1])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_measurements=(3, 4), n_atoms=(5, 6, 7)), "tuple of 3 ints"),
        (dict(n_measurements=(3, 4), n_atoms=(5, 6), n_nonzero=7), "between 1"),
        (dict(n_measurements=(3, 4), n_atoms=(5, 6), n_nonzero=0), "between 1"),
        (
            dict(n_measurements=(3, 4), n_atoms=(6, 6), n_nonzero=3, block_size=2),
            "multiple of block_size",
        ),
        (dict(n_measurements=(0, 4), n_atoms=(5, 6)), "positive"),
        (dict(n_measurements=(3, 4), n_atoms=(5, 6), snr_db=np.nan), "snr_db"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_kronecker_sparse(**kwargs)


def test_paper_model_is_a_kronecker_product_of_sparse_vectors():
    # the authors' configuration: randn factors, x = x_1 ⊗ x_2 ⊗ x_3
    shape = (15, 15, 15)
    factors, y, coef = make_kronecker_sparse(
        (6, 12, 15),
        shape,
        3,
        kronecker_values=True,
        unit_norm_atoms=False,
        snr_db=np.inf,
        as_factors=True,
        random_state=3,
    )
    assert [a.shape for a in factors] == [(6, 15), (12, 15), (15, 15)]
    assert y.dtype == coef.dtype == np.float64 and coef.shape == (3375,)
    # a rank-one tensor: every unfolding has rank one
    tensor = coef.reshape(shape)
    for mode in range(3):
        unfolding = np.moveaxis(tensor, mode, 0).reshape(15, -1)
        assert np.linalg.matrix_rank(unfolding, tol=1e-10) == 1
    assert np.count_nonzero(coef) == 27
    # unscaled randn factors: column norms about sqrt(M_i), not 1
    assert np.mean(np.linalg.norm(factors[2], axis=0)) > 2.5
    assert_allclose(np.kron(np.kron(*factors[:2]), factors[2]) @ coef, y)
