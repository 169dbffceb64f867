"""UnfoldedISTA and UnfoldedIHT: the network is the iteration it unfolds, and
training it beats that iteration as the paper reports."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

from skpapers import UnfoldedIHT, UnfoldedISTA
from skpapers.datasets import make_sparse_recovery
from skpapers.unfolding import iht, ista, nmse, sparse_recovery_objective

LAM = 0.1
T = 10


@pytest.fixture(scope="module")
def data():
    """Small sensor (m=20, n=40): training and held-out pairs."""
    Y, X, A = make_sparse_recovery(
        300, n_measurements=20, n_components=40, sparsity=0.1, random_state=0
    )
    Y_test, X_test, _ = make_sparse_recovery(
        300, measurement_matrix=A, sparsity=0.1, random_state=1
    )
    return Y, X, A, Y_test, X_test


def _staged(est, Y):
    return np.array(list(est.staged_predict(Y)))


@pytest.mark.parametrize(("cls", "solver"), [(UnfoldedISTA, ista), (UnfoldedIHT, iht)])
def test_untrained_network_is_the_classic_iteration(data, cls, solver):
    Y, X, A, Y_test, _ = data
    est = cls(A, n_layers=T, lam=LAM, max_epochs=0).fit(Y, X)
    _, path = solver(Y_test, A, LAM, n_iter=T, iterates_at=range(1, T + 1))
    np.testing.assert_allclose(_staged(est, Y_test), path, atol=1e-9)


@pytest.mark.parametrize(("cls", "solver"), [(UnfoldedISTA, ista), (UnfoldedIHT, iht)])
@pytest.mark.parametrize("loss", ["supervised", "unsupervised"])
def test_trained_network_is_the_iteration_with_its_step_sizes(data, cls, solver, loss):
    # Every layer is one ISTA (IHT) step with the learned gamma_t: running the
    # classic solver with that step schedule reproduces every layer's output.
    Y, X, A, Y_test, _ = data
    est = cls(A, n_layers=5, lam=LAM, loss=loss, max_epochs=3, random_state=0)
    est.fit(Y, X)
    assert not np.allclose(est.step_sizes_, est.step_sizes_[0])  # trained
    _, path = solver(
        Y_test, A, LAM, n_iter=5, step_size=est.step_sizes_, iterates_at=range(1, 6)
    )
    np.testing.assert_allclose(_staged(est, Y_test), path, atol=1e-9)
    np.testing.assert_array_equal(est.predict(Y_test), _staged(est, Y_test)[-1])


def test_unsupervised_ista_lowers_the_objective_on_held_out_data(data):
    Y, _, A, Y_test, _ = data
    est = UnfoldedISTA(A, n_layers=T, lam=LAM, loss="unsupervised", random_state=0)
    est.fit(Y)  # no ground truth
    F_net = sparse_recovery_objective(Y_test, A, est.predict(Y_test), LAM)
    F_ista = sparse_recovery_objective(Y_test, A, ista(Y_test, A, LAM, n_iter=T), LAM)
    assert F_net.mean() < F_ista.mean()


def test_supervised_ista_lowers_the_nmse_on_held_out_data(data):
    Y, X, A, Y_test, X_test = data
    est = UnfoldedISTA(A, n_layers=T, lam=LAM, random_state=0).fit(Y, X)
    assert nmse(X_test, est.predict(Y_test)) < nmse(
        X_test, ista(Y_test, A, LAM, n_iter=T)
    )


@pytest.mark.parametrize("loss", ["supervised", "unsupervised"])
def test_unfolded_iht_beats_iht_to_convergence(data, loss):
    # The l0 problem is nonconvex: the trained network finds better minima than
    # IHT run to its fixed point.
    Y, X, A, Y_test, X_test = data
    est = UnfoldedIHT(A, n_layers=T, lam=LAM, loss=loss, random_state=0).fit(Y, X)
    X_iht = iht(Y_test, A, LAM, n_iter=1000)
    assert nmse(X_test, est.predict(Y_test)) < nmse(X_test, X_iht)


@pytest.mark.parametrize("cls", [UnfoldedISTA, UnfoldedIHT])
def test_lista_without_measurement_matrix_learns(data, cls):
    Y, X, _, Y_test, X_test = data
    untrained = cls(n_layers=4, max_epochs=0).fit(Y, X)
    trained = cls(n_layers=4, max_epochs=5, random_state=0).fit(Y, X)
    assert trained.input_weights_.shape == (4, 40, 20)
    assert trained.state_weights_.shape == (4, 40, 40)
    assert not hasattr(trained, "step_sizes_")
    assert nmse(X_test, trained.predict(Y_test)) < nmse(
        X_test, untrained.predict(Y_test)
    )


@pytest.mark.parametrize("incremental", [True, False])
def test_training_schedule(data, incremental):
    Y, X, A, _, _ = data
    est = UnfoldedISTA(A, n_layers=4, max_epochs=2, incremental=incremental)
    est.fit(Y, X)
    # Incremental: one stage of max_epochs per layer; end to end: one stage.
    assert len(est.net_.history) == (8 if incremental else 2)
    losses = est.net_.history[:, "train_loss"]
    assert losses[-1] < losses[0]


def test_learned_thresholds(data):
    Y, X, A, _, _ = data
    est = UnfoldedISTA(A, n_layers=3, learn_thresholds=True, max_epochs=3).fit(Y, X)
    ratio = est.thresholds_ / est.step_sizes_  # lambda_t
    assert not np.allclose(ratio, LAM)


def test_float32_in_float32_out(data):
    Y, X, A, Y_test, _ = data
    est = UnfoldedISTA(A, n_layers=3, max_epochs=0).fit(Y.astype(np.float32), X)
    out = est.predict(Y_test)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ista(Y_test, A, LAM, n_iter=3), atol=1e-5)


def test_one_dimensional_target(data):
    Y, X, _, _, _ = data
    est = UnfoldedISTA(n_layers=2, max_epochs=1).fit(Y, X[:, 0])
    assert est.predict(Y).shape == (len(Y),)
    assert est.n_outputs_ == 1


def test_seeds(data):
    Y, X, A, _, _ = data
    params = {"n_layers": 3, "max_epochs": 2, "batch_size": 32}

    def fit(seed):
        return UnfoldedISTA(A, random_state=seed, **params).fit(Y, X)

    np.testing.assert_array_equal(fit(0).step_sizes_, fit(0).step_sizes_)
    assert not np.array_equal(fit(0).step_sizes_, fit(1).step_sizes_)


def test_fit_leaves_torch_global_state_alone(data):
    import torch

    Y, X, A, _, _ = data
    state, threads = torch.get_rng_state(), torch.get_num_threads()
    UnfoldedISTA(A, n_layers=2, max_epochs=1, random_state=0).fit(Y, X)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.get_num_threads() == threads


def test_seeded_fits_in_parallel_threads_are_reproducible(data):
    """Threads (joblib, Dask workers as threads) share torch's global generator."""
    from concurrent.futures import ThreadPoolExecutor

    Y, X, A, _, _ = data
    seeds = [0, 1, 2, 3]

    def fit(seed):
        est = UnfoldedISTA(A, n_layers=3, max_epochs=3, batch_size=16)
        return est.set_params(random_state=seed).fit(Y, X).step_sizes_

    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # the fits use 1 (n_jobs=None) and must restore 2
    try:
        alone = [fit(seed) for seed in seeds]
        with ThreadPoolExecutor(max_workers=2) as pool:
            together = list(pool.map(fit, seeds))
        # overlapping calls restore torch's process-wide thread count in the end
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)


def test_pickle_after_another_fit(data):
    Y, X, A, Y_test, _ = data
    first = UnfoldedISTA(A, n_layers=2, max_epochs=1, random_state=0).fit(Y, X)
    UnfoldedISTA(A, n_layers=2, max_epochs=1).fit(Y, X)
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.predict(Y_test), first.predict(Y_test))


def test_pickle_in_a_fresh_process(data):
    # The torch classes are built lazily; unpickling must find them by name.
    Y, X, A, Y_test, _ = data
    est = UnfoldedIHT(A, n_layers=3, max_epochs=1, random_state=0).fit(Y, X)
    code = (
        "import pickle, sys; import numpy as np\n"
        "est, Y = pickle.loads(sys.stdin.buffer.read())\n"
        "np.save(sys.stdout.buffer, est.predict(Y))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=pickle.dumps((est, Y_test)),
        capture_output=True,
        check=True,
    ).stdout
    import io

    np.testing.assert_array_equal(np.load(io.BytesIO(out)), est.predict(Y_test))


@pytest.mark.parametrize(
    ("params", "fit_args", "match"),
    [
        ({"loss": "unsupervised"}, "no_A", "needs measurement_matrix"),
        ({}, "no_y", "requires y"),
        ({}, "wide_A", "rows"),
        ({}, "short_signals", "columns"),
        ({}, "zero_A", "zero"),
    ],
)
def test_bad_input_raises(data, params, fit_args, match):
    Y, X, A, _, _ = data
    A_arg, y = {
        "no_A": (None, None),
        "no_y": (A, None),
        "wide_A": (np.vstack([A, A[:1]]), X),
        "short_signals": (A, X[:, :-1]),
        "zero_A": (np.zeros_like(A), X),
    }[fit_args]
    with pytest.raises(ValueError, match=match):
        UnfoldedISTA(A_arg, max_epochs=0, **params).fit(Y, y)


def test_unavailable_device_raises(data):
    import torch

    Y, X, A, _, _ = data
    with pytest.raises(ValueError, match="not a torch device"):
        UnfoldedISTA(A, max_epochs=0, device="banana").fit(Y, X)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            UnfoldedISTA(A, max_epochs=0, device="cuda").fit(Y, X)


# --- hostile input and failed calls (issue 21) ---------------------------------


def test_float32_X_with_target_beyond_float32_raises_instead_of_hanging(data):
    # y cast to float32 became inf and np.linalg.lstsq spun in LAPACK
    Y, X, _, _, _ = data
    y = X.copy()
    y[0, 0] = 1e39
    with pytest.raises(ValueError, match="float32"):
        UnfoldedISTA(n_layers=2, max_epochs=1).fit(Y.astype(np.float32), y)


@pytest.mark.parametrize("cls", [UnfoldedISTA, UnfoldedIHT])
@pytest.mark.parametrize(("dtype", "scale"), [(np.float64, 1e200), (np.float32, 1e20)])
def test_huge_measurements_raise_instead_of_nan(data, cls, dtype, scale):
    Y, X, A, _, _ = data
    with pytest.raises(ValueError, match="magnitude"):
        cls(A, n_layers=2, max_epochs=1).fit((Y * scale).astype(dtype), X)
    trained = cls(A, n_layers=2, max_epochs=0).fit(Y.astype(dtype), X)
    with pytest.raises(ValueError, match="magnitude"):
        trained.predict((Y * scale).astype(dtype))


def test_huge_measurement_matrix_raises_value_error_not_overflow(data):
    # the step 1 / ||A||_2^2 squared a Python float: OverflowError
    Y, X, A, _, _ = data
    with pytest.raises(ValueError, match="measurement_matrix"):
        UnfoldedISTA(A * 1e200, n_layers=2, max_epochs=0).fit(Y, X)


def test_network_step_size_of_a_huge_matrix_does_not_overflow():
    import torch

    from skpapers.unfolding._modules import torch_classes

    # ||A||_2 = sqrt(12) 1e155: its square overflows a float, its inverse square
    # is a (subnormal) float64
    matrix = torch.full((3, 4), 1e155, dtype=torch.float64)
    module = torch_classes().UnfoldedNetwork(
        matrix,
        n_layers=1,
        lam=0.1,
        hard=False,
        learn_matrices=False,
        learn_thresholds=False,
    )
    assert module.step_sizes()[0].item() == pytest.approx(1e-310 / 12, rel=1e-3)


@pytest.mark.parametrize("cls", [UnfoldedISTA, UnfoldedIHT])
def test_failed_fit_leaves_the_fitted_estimator_unchanged(data, cls):
    Y, X, A, Y_test, _ = data
    est = cls(A, n_layers=2, max_epochs=1, random_state=0).fit(Y, X)
    before = est.predict(Y_test)
    bad_Y = np.hstack([Y, Y[:, :1]])  # 21 features: A has 20 rows
    with pytest.raises(ValueError, match="rows"):
        est.fit(bad_Y, X)
    assert est.n_features_in_ == Y.shape[1]
    np.testing.assert_array_equal(est.predict(Y_test), before)


def test_failed_first_fit_leaves_the_estimator_unfitted(data):
    from sklearn.exceptions import NotFittedError

    Y, X, A, Y_test, _ = data
    est = UnfoldedISTA(A, n_layers=2, max_epochs=1)
    with pytest.raises(ValueError):
        est.fit(np.hstack([Y, Y[:, :1]]), X)
    assert not hasattr(est, "n_features_in_")
    with pytest.raises(NotFittedError):
        est.predict(Y_test)


def test_data_without_signal_cannot_start_the_layers():
    # measurements near 1e-301: the estimated A is ~1e-270, and ISTA's step
    # 1 / ||A||^2 used to overflow into infinite thresholds without an error
    X = np.full((4, 2), 1.26e-301)
    y = np.full((4, 2), -1.3e-31)
    net = UnfoldedISTA(n_layers=2, max_epochs=1)
    with pytest.raises(ValueError, match="spectral norm"):
        net.fit(X, y)
