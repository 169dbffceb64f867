"""Sketch operators: FWHT against scipy's Hadamard matrix, the SRHT's P H D
structure, isometry in expectation, block sums, kernels against their references,
Dask input, bad input.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.linalg import hadamard

from skpapers.sketching import (
    SRHT,
    CountSketch,
    GaussianSketch,
    SparseSignSketch,
    _kernels,
    fwht,
)

SKETCHES = [SRHT, GaussianSketch, CountSketch, SparseSignSketch]


@pytest.mark.parametrize("n", [1, 2, 4, 32, 256])
@pytest.mark.parametrize("d", [1, 3, 40])
def test_fwht_matches_scipy_hadamard(n, d):
    A = np.random.default_rng(n + d).standard_normal((n, d))
    assert_allclose(fwht(A), hadamard(n) @ A, rtol=1e-12, atol=1e-12)
    assert_allclose(fwht(A[:, 0]), hadamard(n) @ A[:, 0], rtol=1e-12, atol=1e-12)


def test_fwht_kernel_agrees_with_hadamard_past_its_cache_block():
    # Long enough for the cache blocking's long strides (64 KiB row blocks).
    A = np.random.default_rng(0).standard_normal((2048, 24))
    X = A.copy()
    _kernels.fwht_inplace(X)
    assert_allclose(X, hadamard(2048) @ A, rtol=1e-10, atol=1e-10)
    assert fwht(A.astype(np.float32)).dtype == np.float32


def test_fwht_rejects_lengths_that_are_not_powers_of_two():
    with pytest.raises(ValueError, match="power of two"):
        fwht(np.ones((6, 2)))


def test_srht_is_subsampled_hadamard_times_random_signs():
    n, m = 100, 40
    S = SRHT(m, n, random_state=0)
    dense = S.toarray() * np.sqrt(m)
    H = hadamard(S.padded_size_)[S.sampled_rows_][:, :n]
    signs = dense / H
    # Every column is the Hadamard column times one random sign: P H D / sqrt(m).
    assert_allclose(np.abs(signs), 1.0)
    assert_array_equal(signs, np.tile(signs[0], (m, 1)))
    assert 0.3 < np.mean(signs[0] > 0) < 0.7
    assert len(np.unique(S.sampled_rows_)) == m


@pytest.mark.parametrize("Sketch", SKETCHES)
def test_isometry_in_expectation(Sketch):
    # E[S^T S] = I: averaged over seeds, ||S x||^2 / ||x||^2 -> 1 for any x, and
    # the cross terms <S e_i, S e_j> -> 0.
    n, m, seeds = 24, 8, 1500
    x = np.random.default_rng(0).standard_normal(n)
    X = np.column_stack([x, np.eye(n)[:, 0], np.eye(n)[:, 1]])
    norms, cross = [], []
    for seed in range(seeds):
        SX = Sketch(m, n, random_state=seed).apply(X)
        norms.append(SX[:, 0] @ SX[:, 0] / (x @ x))
        cross.append(SX[:, 1] @ SX[:, 2])
    assert abs(np.mean(norms) - 1.0) < 0.05
    assert abs(np.mean(cross)) < 0.05


@pytest.mark.parametrize("Sketch", SKETCHES)
def test_apply_equals_the_dense_matrix_and_block_sums(Sketch):
    n = 300
    rng = np.random.default_rng(1)
    A = rng.standard_normal((n, 4))
    S = Sketch(32, n, random_state=2)
    dense = S.toarray()
    SA = S.apply(A)
    assert_allclose(SA, dense @ A, atol=1e-12)
    assert_allclose(S @ A[:, 1], SA[:, 1], atol=1e-12)
    assert_allclose(S.apply(sp.csr_matrix(A)), SA, atol=1e-12)
    # A sketch is linear: any split of the rows sums to the same sketch.
    cuts = [0, 7, 130, 131, 300]
    blocks = sum(S.apply_block(A[a:b], a) for a, b in zip(cuts[:-1], cuts[1:]))
    assert_allclose(blocks, SA, atol=1e-12)


@pytest.mark.parametrize("Sketch", SKETCHES)
def test_same_seed_same_sketch_and_seeds_differ(Sketch):
    A = np.random.default_rng(0).standard_normal((200, 3))
    first = Sketch(16, 200, random_state=5).apply(A)
    assert_array_equal(Sketch(16, 200, random_state=5).apply(A), first)
    assert not np.allclose(Sketch(16, 200, random_state=6).apply(A), first)


def test_tiled_srht_equals_the_full_transform_then_sampling():
    # The tiled kernel (FWHT of each tile of B ~ m rows, then a signed sum over
    # tiles) against the textbook order: full FWHT of the padded D A, then P.
    n = 3000
    A = np.random.default_rng(0).standard_normal((n, 5))
    S = SRHT(100, n, random_state=0)
    assert S.tile_size_ < S.padded_size_
    padded = np.zeros((S.padded_size_, 5))
    padded[:n] = S._signs(0, n)[:, None] * A
    expected = fwht(padded)[S.sampled_rows_] / np.sqrt(100)
    assert_allclose(S.apply(A), expected, rtol=1e-10, atol=1e-10)


def test_sparse_sketches_have_the_documented_sparsity():
    count = CountSketch(10, 50, random_state=0).toarray()
    assert_array_equal((count != 0).sum(axis=0), 1)
    assert_allclose(np.abs(count[count != 0]), 1.0)
    sign = SparseSignSketch(10, 50, nnz_per_column=3, random_state=0).toarray()
    assert_array_equal((sign != 0).sum(axis=0), 3)
    assert_allclose(np.abs(sign[sign != 0]), 1 / np.sqrt(3))


@pytest.mark.parametrize("Sketch", SKETCHES)
def test_dask_array_is_sketched_blockwise_to_the_same_result(Sketch):
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    n = 500
    A = np.random.default_rng(3).standard_normal((n, 3))
    S = Sketch(20, n, random_state=4)
    with dask.config.set(scheduler="synchronous"):
        for chunks in [(100, 3), (77, 3), (n, 3)]:
            assert_allclose(S.apply(da.from_array(A, chunks=chunks)), S.apply(A))


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="padded Hadamard"):
        SRHT(65, 40)
    with pytest.raises(ValueError, match="integer"):
        GaussianSketch(2.5, 10)
    with pytest.raises(ValueError, match="at least 1"):
        CountSketch(0, 10)
    with pytest.raises(ValueError, match="nnz_per_column"):
        SparseSignSketch(4, 10, nnz_per_column=5)
    with pytest.raises(ValueError, match="n_samples=10"):
        SRHT(4, 10).apply(np.ones((11, 2)))
    with pytest.raises(ValueError, match="outside"):
        CountSketch(4, 10).apply_block(np.ones((5, 2)), 8)
