"""EnsLossClassifier with the linear model: the numba loop, learning, the API."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from skpapers import EnsLossClassifier
from skpapers.ensemble._ensloss_derivatives import loss_derivatives
from skpapers.ensemble._kernels import LOSS_CODES, linear_sgd_epoch


def _reference_steps(
    X, Y, batches, normals, *, loss, boxcox_lambda, lr, momentum, weight_decay
):
    """Plain NumPy mini-batch SGD with momentum; the parameters after each step.

    Weights are (n_features, n_outputs) here, the transpose of the kernel's.
    """
    coef = np.zeros((X.shape[1], Y.shape[1]))
    intercept = np.zeros(Y.shape[1])
    v_coef, v_intercept = np.zeros_like(coef), np.zeros_like(intercept)
    history = []
    for index, z in zip(batches, normals):
        margins = Y[index] * (X[index] @ coef + intercept)
        g = loss_derivatives(margins, loss, z, boxcox_lambda) * Y[index]
        v_coef = momentum * v_coef + X[index].T @ g / len(index) + weight_decay * coef
        v_intercept = momentum * v_intercept + g.mean(axis=0)
        coef, intercept = coef - lr * v_coef, intercept - lr * v_intercept
        history.append((coef, intercept))
    return history


def _readonly(X):
    # The estimator hands the kernel a read-only view of X; so does this test,
    # which then reuses that compilation.
    X = X.view()
    X.flags.writeable = False
    return X


@pytest.mark.parametrize("loss", ["bce", "hinge", "exponential", "ensloss"])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_kernel_matches_numpy_reference_step_for_step(loss, n_outputs):
    rng = np.random.default_rng(n_outputs)
    X = rng.standard_normal((70, 4))
    Y = np.where(rng.random((70, n_outputs)) < 0.5, -1.0, 1.0)
    order = rng.permutation(70)
    batches = [order[i : i + 16] for i in range(0, 70, 16)]  # last one has 6
    normals = [rng.standard_normal((len(b), n_outputs)) for b in batches]
    settings = dict(
        loss=loss, boxcox_lambda=0.3, lr=0.2, momentum=0.9, weight_decay=0.05
    )
    expected = _reference_steps(X, Y, batches, normals, **settings)

    coef, intercept = np.zeros((n_outputs, 4)), np.zeros(n_outputs)
    v_coef, v_intercept = np.zeros_like(coef), np.zeros_like(intercept)
    for (index, z), (coef_ref, intercept_ref) in zip(zip(batches, normals), expected):
        n_steps, *_ = linear_sgd_epoch(
            _readonly(X[index]),
            Y[index],
            coef,
            intercept,
            v_coef,
            v_intercept,
            np.arange(len(index)),
            z,
            0.3,
            LOSS_CODES[loss],
            0.2,
            0.9,
            0.05,
            len(index),
        )
        assert n_steps == 1
        np.testing.assert_allclose(coef.T, coef_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(intercept, intercept_ref, rtol=1e-12, atol=1e-14)

    # and a whole epoch in one call equals the same steps
    coef, intercept = np.zeros((n_outputs, 4)), np.zeros(n_outputs)
    v_coef, v_intercept = np.zeros_like(coef), np.zeros_like(intercept)
    n_steps, *_ = linear_sgd_epoch(
        _readonly(X),
        Y,
        coef,
        intercept,
        v_coef,
        v_intercept,
        order,
        np.concatenate(normals),
        0.3,
        LOSS_CODES[loss],
        0.2,
        0.9,
        0.05,
        16,
    )
    assert n_steps == len(batches)
    np.testing.assert_allclose(coef.T, expected[-1][0], rtol=1e-12, atol=1e-14)


def test_bce_converges_to_penalised_logistic_regression():
    # Full-batch gradient descent on mean log-loss + wd/2 |w|^2 has the optimum
    # of LogisticRegression(C = 1 / (n * wd)) (intercept not penalised).
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5))
    y = (X @ rng.standard_normal(5) + 0.5 * rng.standard_normal(200) > 0).astype(int)
    wd = 0.01
    reference = LogisticRegression(C=1 / (200 * wd), tol=1e-12, max_iter=10_000)
    reference.fit(X, y)
    ours = EnsLossClassifier(
        loss="bce",
        batch_size=200,
        max_epochs=1000,
        lr=0.1,
        weight_decay=wd,
        random_state=0,
    ).fit(X, y)
    np.testing.assert_allclose(ours.coef_, reference.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, atol=1e-5)
    np.testing.assert_allclose(
        ours.predict_proba(X), reference.predict_proba(X), atol=1e-5
    )


def _separable(seed, n=300, d=10, gap=0.5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    score = X @ w / np.linalg.norm(w)
    keep = np.abs(score) > gap
    return X[keep], np.where(score[keep] > 0, "pos", "neg")


@pytest.mark.parametrize("boxcox_lambda", [0.0, "random"])
def test_ensloss_separates_linearly_separable_data(boxcox_lambda):
    X, y = _separable(0)
    clf = EnsLossClassifier(boxcox_lambda=boxcox_lambda, random_state=0).fit(X, y)
    assert clf.score(X, y) == 1.0
    assert clf.coef_.shape == (1, 10) and clf.classes_.tolist() == ["neg", "pos"]
    assert clf.n_iter_ == 50 and clf.t_ == 50 * int(np.ceil(len(X) / 128))
    if boxcox_lambda == "random":
        assert -1 <= clf.boxcox_lambda_ <= 1
    else:
        assert clf.boxcox_lambda_ == 0.0


def test_multiclass_one_vs_rest_on_iris():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = EnsLossClassifier(max_epochs=100, random_state=0).fit(X, y)
    scores = clf.decision_function(X)
    assert scores.shape == (150, 3) and clf.coef_.shape == (3, 4)
    np.testing.assert_array_equal(clf.predict(X), np.argmax(scores, axis=1))
    assert clf.score(X, y) > 0.8  # one-vs-rest linear: versicolor is not separable
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)


def test_multiclass_columns_are_the_binary_problems():
    # With a fixed loss the draws are the same (only the batch order), so each
    # one-vs-rest column equals the binary model of "class k against the rest".
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    params = dict(loss="bce", max_epochs=20, batch_size=32, random_state=3)
    multi = EnsLossClassifier(**params).fit(X, y)
    for k in range(3):
        binary = EnsLossClassifier(**params).fit(X, y == k)
        np.testing.assert_allclose(multi.coef_[k], binary.coef_[0], rtol=1e-12)
        np.testing.assert_allclose(multi.intercept_[k], binary.intercept_[0])


def test_fit_with_one_epoch_is_one_partial_fit():
    X, y = _separable(1)
    fitted = EnsLossClassifier(max_epochs=1, random_state=4).fit(X, y)
    streamed = EnsLossClassifier(random_state=4).partial_fit(
        X, y, classes=["neg", "pos"]
    )
    np.testing.assert_array_equal(fitted.coef_, streamed.coef_)
    np.testing.assert_array_equal(fitted.intercept_, streamed.intercept_)


def test_partial_fit_streams_and_keeps_learning():
    X, y = _separable(2, n=600)
    clf = EnsLossClassifier(random_state=0)
    for _ in range(5):
        for chunk in np.array_split(np.arange(len(X)), 4):
            clf.partial_fit(X[chunk], y[chunk], classes=np.unique(y))
    assert clf.n_iter_ == 20 and clf.score(X, y) > 0.97
    with pytest.raises(ValueError, match="classes must be passed"):
        EnsLossClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X[:3], np.array(["neg", "pos", "other"]))


def test_random_lambda_is_redrawn_every_period():
    X, y = _separable(3)
    clf = EnsLossClassifier(boxcox_lambda="random", lambda_period=2, random_state=0)
    lambdas = []
    for _ in range(6):
        lambdas.append(clf.partial_fit(X, y, classes=["neg", "pos"]).boxcox_lambda_)
    assert lambdas[0] == lambdas[1] and lambdas[2] == lambdas[3]
    assert lambdas[4] == lambdas[5] and len(set(lambdas)) == 3
    assert all(-1 <= lam <= 1 for lam in lambdas)


def test_float32_stays_float32():
    X, y = _separable(4)
    clf = EnsLossClassifier(random_state=0).fit(X.astype(np.float32), y)
    assert clf.coef_.dtype == np.float32
    assert clf.decision_function(X.astype(np.float32)).dtype == np.float32
    assert clf.score(X, y) > 0.97


@pytest.mark.parametrize(
    "params, message",
    [
        # the linear model has no device: it trains on the CPU, without torch
        (dict(device="cuda"), "Invalid parameter 'device'"),
        (dict(lambda_period=0), "lambda_period"),
    ],
)
def test_bad_options_raise_before_any_state_change(params, message):
    X, y = _separable(5)
    clf = EnsLossClassifier(random_state=0).fit(X, y)
    coef = clf.coef_.copy()
    with pytest.raises(ValueError, match=message):
        clf.set_params(**params).fit(X, y)
    np.testing.assert_array_equal(clf.coef_, coef)


def test_one_class_is_an_error():
    with pytest.raises(ValueError, match="at least 2 classes"):
        EnsLossClassifier().fit(np.ones((5, 2)), np.zeros(5))


def test_linear_model_does_not_import_torch():
    code = (
        "import sys, numpy as np\n"
        "from skpapers import EnsLossClassifier\n"
        "X = np.random.default_rng(0).normal(size=(40, 3))\n"
        "EnsLossClassifier(max_epochs=2).fit(X, X[:, 0] > 0).predict(X)\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_divergence_is_a_clear_error_and_keeps_the_model():
    X, y = _separable(6)
    clf = EnsLossClassifier(loss="exponential", random_state=0).fit(X, y)
    coef = clf.coef_.copy()
    with pytest.raises(ValueError, match="diverged in epoch"):
        clf.set_params(lr=1e3).fit(100 * X, y)
    np.testing.assert_array_equal(clf.coef_, coef)
