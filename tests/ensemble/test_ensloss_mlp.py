"""EnsLossMLPClassifier (torch). Tiny nets, few epochs."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_circles
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skpapers import EnsLossClassifier, EnsLossMLPClassifier
from skpapers.ensemble import _networks
from skpapers.ensemble._ensloss_derivatives import DERIVATIVE_SHIFT, loss_derivatives
from skpapers.ensemble._solvers import TrainingMonitor
from skpapers.utils._torch import check_device
from skpapers.utils.estimator_checks import (
    check_bad_input_raises,
    check_in_grid_search,
    check_in_pipeline,
    check_partial_fit_atomic,
    check_pickle_roundtrip,
    check_same_seed_same_result,
)

from .._instances import make_check_data

torch = pytest.importorskip("torch")
from skpapers.ensemble import _torch_training  # noqa: E402

TINY = dict(hidden_layer_sizes=(8,), max_epochs=10, lr=0.05)


def _reference_mlp_steps(
    X,
    Y,
    coefs,
    intercepts,
    batches,
    normals,
    *,
    loss,
    boxcox_lambda,
    lr,
    momentum,
    weight_decay,
):
    """Hand-written backpropagation for a ReLU MLP, in NumPy."""
    params = [p for pair in zip(coefs, intercepts) for p in pair]
    velocity = [np.zeros_like(p) for p in params]
    for index, z in zip(batches, normals):
        activations = [X[index]]
        for layer in range(0, len(params) - 2, 2):
            activations.append(
                np.maximum(activations[-1] @ params[layer] + params[layer + 1], 0)
            )
        margins = Y[index] * (activations[-1] @ params[-2] + params[-1])
        delta = loss_derivatives(margins, loss, z, boxcox_lambda) * Y[index]
        delta /= len(index)
        grads = [None] * len(params)
        for layer in range(len(params) - 2, -1, -2):
            grads[layer] = activations[layer // 2].T @ delta
            grads[layer + 1] = delta.sum(axis=0)
            if layer:
                delta = (delta @ params[layer].T) * (activations[layer // 2] > 0)
        for i, p in enumerate(params):
            grad = grads[i] + (weight_decay * p if p.ndim == 2 else 0.0)
            velocity[i] = momentum * velocity[i] + grad
            params[i] = p - lr * velocity[i]
    return params[0::2], params[1::2]


@pytest.mark.parametrize("loss, n_outputs", [("ensloss", 1), ("bce", 3)])
def test_torch_training_matches_numpy_backprop_step_for_step(loss, n_outputs):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((45, 5))
    Y = np.where(rng.random((45, n_outputs)) < 0.5, -1.0, 1.0)
    coefs, intercepts = _networks.init_mlp([5, 7, 6, n_outputs], rng)
    order = rng.permutation(45)
    batches = [order[i : i + 10] for i in range(0, 45, 10)]
    normals = [rng.standard_normal((len(b), n_outputs)) for b in batches]
    settings = dict(loss=loss, momentum=0.9, weight_decay=0.01)
    monitor = TrainingMonitor(lr=0.1, feature_scale=1.0)

    velocities = [np.zeros_like(p) for pair in zip(coefs, intercepts) for p in pair]
    ours = (coefs, intercepts)
    for step, (index, z) in enumerate(zip(batches, normals), start=1):
        epoch = [(0.1, -0.5, np.arange(len(index)), z)]
        *ours, velocities, n_updates = _torch_training.train_mlp(
            X[index],
            Y[index],
            *ours,
            velocities,
            epoch,
            batch_size=10,
            monitor=monitor,
            **settings,
        )
        assert n_updates == 1
        expected = _reference_mlp_steps(
            X,
            Y,
            coefs,
            intercepts,
            batches[:step],
            normals[:step],
            boxcox_lambda=-0.5,
            lr=0.1,
            **settings,
        )
        for mine, theirs in zip(ours[0] + ours[1], expected[0] + expected[1]):
            np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("sizes", [(), (4, 0), (2.5,)])
def test_bad_hidden_layer_sizes_raise_before_any_state_change(sizes):
    X, y = make_check_data(EnsLossMLPClassifier())
    clf = EnsLossMLPClassifier(**TINY, random_state=0).fit(X, y)
    coef = clf.coefs_[0].copy()
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        clf.set_params(hidden_layer_sizes=sizes).fit(X, y)
    np.testing.assert_array_equal(clf.coefs_[0], coef)


def test_same_seed_is_bit_identical_and_seeds_differ():
    X, y = make_check_data(EnsLossMLPClassifier())
    fits = [
        EnsLossMLPClassifier(**TINY, random_state=seed).fit(X, y) for seed in (0, 0, 1)
    ]
    for first, second in zip(fits[0].coefs_, fits[1].coefs_):
        np.testing.assert_array_equal(first, second)
    assert not np.array_equal(fits[0].coefs_[0], fits[2].coefs_[0])
    assert not np.array_equal(
        fits[0].decision_function(X), fits[2].decision_function(X)
    )


def test_fit_with_one_epoch_is_one_partial_fit():
    X, y = make_check_data(EnsLossMLPClassifier())
    params = dict(TINY, batch_size=16, random_state=2)
    fitted = EnsLossMLPClassifier(**dict(params, max_epochs=1)).fit(X, y)
    streamed = EnsLossMLPClassifier(**params).partial_fit(X, y, classes=[0, 1, 2])
    for first, second in zip(
        fitted.coefs_ + fitted.intercepts_, streamed.coefs_ + streamed.intercepts_
    ):
        np.testing.assert_array_equal(first, second)
    # a second call continues from the kept weights and momentum buffers
    before = [w.copy() for w in streamed.coefs_]
    streamed.partial_fit(X, y)
    assert streamed.n_iter_ == 2 and streamed.t_ == 8
    assert not np.array_equal(before[0], streamed.coefs_[0])


@parametrize_with_checks([EnsLossMLPClassifier(**dict(TINY, max_epochs=40))])
def test_mlp_passes_the_sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_pickle_roundtrip,
        check_same_seed_same_result,
        check_bad_input_raises,
        check_partial_fit_atomic,
        check_in_pipeline,
    ],
)
def test_mlp_passes_the_skpapers_battery(check):
    estimator = EnsLossMLPClassifier(**TINY)
    check(estimator, *make_check_data(estimator))


def test_mlp_in_grid_search():
    estimator = EnsLossMLPClassifier(**TINY)
    check_in_grid_search(
        estimator,
        *make_check_data(estimator),
        param_grid={"loss": ["ensloss", "hinge"]},
    )


def test_derivatives_are_calibrated_on_every_batch_of_training(monkeypatch):
    seen = []

    def checked(margins, loss, normals=None, boxcox_lambda=0.0):
        g = loss_derivatives(margins, loss, normals, boxcox_lambda)
        for s, gk in zip(margins.T, g.T):
            order = np.argsort(s)
            assert np.all(gk < 0)
            assert np.all(np.diff(gk[order]) >= 0)
            tail = s > 1
            undone = (gk[tail] + DERIVATIVE_SHIFT) * s[tail]
            assert np.all((undone >= -1 - 1e-6) & (undone <= 1e-6))
        seen.append(boxcox_lambda)
        return g

    monkeypatch.setattr(_torch_training, "loss_derivatives", checked)
    X, y = make_circles(200, noise=0.1, factor=0.5, random_state=0)
    clf = EnsLossMLPClassifier(
        **dict(TINY, max_epochs=30, batch_size=32),
        boxcox_lambda="random",
        random_state=0,
    ).fit(X, y)
    assert len(seen) == clf.t_ == 30 * 7
    assert len(set(seen)) == 30  # a new lambda every epoch


def test_mlp_learns_what_the_linear_model_cannot():
    X, y = make_circles(300, noise=0.05, factor=0.5, random_state=0)
    linear = EnsLossClassifier(random_state=0).fit(X, y)
    mlp = EnsLossMLPClassifier(
        hidden_layer_sizes=(16, 16), max_epochs=60, lr=0.05, random_state=0
    ).fit(X, y)
    assert linear.score(X, y) < 0.7 < 0.97 < mlp.score(X, y)


def test_mlp_multiclass_on_iris():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    clf = EnsLossMLPClassifier(**dict(TINY, max_epochs=60), random_state=0).fit(X, y)
    assert [w.shape for w in clf.coefs_] == [(4, 8), (8, 3)]
    assert all(w.dtype == np.float32 for w in clf.coefs_ + clf.intercepts_)
    scores = clf.decision_function(X)
    assert scores.shape == (150, 3) and scores.dtype == np.float32
    np.testing.assert_array_equal(clf.predict(X), np.argmax(scores, axis=1))
    assert clf.score(X, y) > 0.9


def test_cuda_without_a_gpu_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    X, y = make_check_data(EnsLossMLPClassifier())
    clf = EnsLossMLPClassifier(**TINY, device="cuda")
    with pytest.raises(ValueError, match="device='cuda'.*no CUDA device"):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")


def test_cuda_is_selected_only_when_asked(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert check_device("cpu") == torch.device("cpu")
    assert check_device("cuda") == torch.device("cuda")


def test_training_restores_the_thread_count():
    threads = torch.get_num_threads()
    X, y = make_check_data(EnsLossMLPClassifier())
    EnsLossMLPClassifier(**TINY).fit(X, y)
    assert torch.get_num_threads() == threads


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_training_agrees_with_cpu():
    X, y = make_check_data(EnsLossMLPClassifier())
    cpu = EnsLossMLPClassifier(**TINY, random_state=0).fit(X, y)
    gpu = EnsLossMLPClassifier(**TINY, device="cuda", random_state=0).fit(X, y)
    assert all(isinstance(w, np.ndarray) for w in gpu.coefs_)
    np.testing.assert_allclose(
        gpu.decision_function(X), cpu.decision_function(X), rtol=1e-6, atol=1e-8
    )
