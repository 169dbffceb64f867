"""The numba ISTA, FISTA and IHT against a dense NumPy reference, and their theory."""

import numpy as np
import pytest
from sklearn.linear_model import Lasso

from skpapers.datasets import make_sparse_recovery
from skpapers.unfolding import (
    fista,
    iht,
    ista,
    lipschitz_constant,
    nmse,
    sparse_recovery_objective,
)

SOLVERS = {"ista": ista, "fista": fista, "iht": iht}


def reference_path(Y, A, lam, step_sizes, kind):
    """Every iterate of the textbook iteration, in the residual form."""
    x = x_prev = np.zeros((Y.shape[0], A.shape[1]))
    t = 1.0
    path = [x]
    for gamma in step_sizes:
        v = x
        if kind == "fista":
            t_next = (1 + np.sqrt(1 + 4 * t**2)) / 2
            v = x + (t - 1) / t_next * (x - x_prev)
            t = t_next
        z = v + gamma * (Y - v @ A.T) @ A
        x_prev = x
        if kind == "iht":
            x = np.where(np.abs(z) > np.sqrt(2 * lam * gamma), z, 0.0)
        else:
            x = np.sign(z) * np.maximum(np.abs(z) - lam * gamma, 0.0)
        path.append(x)
    return np.array(path)


@pytest.fixture(scope="module")
def problem():
    Y, X, A = make_sparse_recovery(
        40, n_measurements=15, n_components=30, sparsity=0.15, random_state=0
    )
    return Y, X, A


@pytest.mark.parametrize("kind", SOLVERS)
@pytest.mark.parametrize("schedule", ["constant", "per-iteration"])
def test_kernels_match_dense_reference(problem, kind, schedule):
    Y, _, A = problem
    lam, n_iter = 0.1, 25
    L = lipschitz_constant(A)
    if schedule == "constant":
        step_size, steps = None, np.full(n_iter, 1 / L)
    else:
        steps = np.random.default_rng(0).uniform(0.2, 1.8, n_iter) / L
        step_size = steps
    last, path = SOLVERS[kind](
        Y, A, lam, n_iter=n_iter, step_size=step_size, iterates_at=range(n_iter + 1)
    )
    expected = reference_path(Y, A, lam, steps, kind)
    np.testing.assert_allclose(path, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(last, path[-1])
    assert np.count_nonzero(path[-1]) < path[-1].size  # thresholding is active


@pytest.mark.parametrize("kind", SOLVERS)
def test_float32_stays_float32(problem, kind):
    Y, _, A = problem
    out32 = SOLVERS[kind](Y.astype(np.float32), A.astype(np.float32), 0.1, n_iter=20)
    out64 = SOLVERS[kind](Y, A, 0.1, n_iter=20)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, out64, atol=1e-4)


def test_ista_converges_to_the_lasso_solution(problem):
    Y, _, A = problem
    lam = 0.1
    X_ista = ista(Y[:5], A, lam, n_iter=20000)
    # sklearn's Lasso scales the data fit by 1 / (2 m): alpha = lam / m.
    lasso = Lasso(
        alpha=lam / A.shape[0], fit_intercept=False, tol=1e-12, max_iter=10**5
    )
    X_lasso = np.array([lasso.fit(A, y).coef_ for y in Y[:5]])
    np.testing.assert_allclose(X_ista, X_lasso, atol=1e-6)


@pytest.mark.parametrize(("kind", "penalty"), [("ista", "l1"), ("iht", "l0")])
def test_objective_never_increases_with_step_one_over_l(problem, kind, penalty):
    # gamma = 1/L makes each step a majorise-minimise step of F.
    Y, _, A = problem
    lam = 0.1
    _, path = SOLVERS[kind](Y, A, lam, n_iter=60, iterates_at=range(61))
    F = np.array([sparse_recovery_objective(Y, A, x, lam, penalty) for x in path])
    assert np.all(np.diff(F, axis=0) <= 1e-12)
    assert F[-1].mean() < 0.5 * F[0].mean()


def test_fista_is_faster_than_ista(problem):
    Y, _, A = problem
    lam, k = 0.1, 30
    F_ista = sparse_recovery_objective(Y, A, ista(Y, A, lam, n_iter=k), lam)
    F_fista = sparse_recovery_objective(Y, A, fista(Y, A, lam, n_iter=k), lam)
    F_star = sparse_recovery_objective(Y, A, ista(Y, A, lam, n_iter=20000), lam)
    # The gap of FISTA after k iterations is well below ISTA's.
    assert np.mean(F_fista - F_star) < 0.5 * np.mean(F_ista - F_star)


def test_recovery_error_against_ground_truth():
    # The paper's sizes at 30 dB: the l1 solvers recover the signals; IHT, which
    # stalls in local minima at this sparsity, does so for sparser signals.
    Y, X, A = make_sparse_recovery(100, snr=30.0, random_state=0)
    assert nmse(X, ista(Y, A, 0.01, n_iter=3000)) < 0.01
    assert nmse(X, fista(Y, A, 0.01, n_iter=1000)) < 0.01
    Y, X, A = make_sparse_recovery(100, snr=30.0, sparsity=0.02, random_state=0)
    assert nmse(X, iht(Y, A, 0.01, n_iter=1000)) < 0.05


def test_iterates_at_records_chosen_iterations(problem):
    Y, _, A = problem
    _, full = ista(Y, A, 0.1, n_iter=10, iterates_at=range(11))
    _, some = ista(Y, A, 0.1, n_iter=10, iterates_at=[0, 3, 3, 10])
    np.testing.assert_array_equal(some, full[[0, 3, 3, 10]])
    assert not np.any(some[0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"measurements": np.ones((3, 4))}, "rows"),
        ({"measurement_matrix": np.zeros((5, 6))}, "zero"),
        ({"step_size": np.ones(3)}, "one entry per iteration"),
        ({"step_size": -1.0}, "positive"),
        ({"iterates_at": [0, 11]}, "iterates_at"),
        ({"iterates_at": [5, 2]}, "sorted"),
        ({"lam": -0.1}, "lam"),
        ({"measurements": np.full((3, 5), np.nan)}, "NaN"),
    ],
)
def test_bad_input_raises(kwargs, match):
    args = {
        "measurements": np.ones((3, 5)),
        "measurement_matrix": np.eye(5, 6),
        "lam": 0.1,
        "n_iter": 10,
    } | kwargs
    with pytest.raises(ValueError, match=match):
        ista(**args)


def test_objective_and_nmse_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        sparse_recovery_objective(np.ones((2, 3)), np.eye(3), np.ones((2, 4)), 0.1)
    with pytest.raises(ValueError, match="penalty"):
        sparse_recovery_objective(
            np.ones((2, 3)), np.eye(3), np.ones((2, 3)), 0.1, "l2"
        )
    with pytest.raises(ValueError, match="shapes"):
        nmse(np.ones((2, 3)), np.ones((3, 2)))
