"""EnsLoss against the classifiers a user would pick instead, on the same data.

- linear EnsLoss (numba) vs ``SGDClassifier(loss="log_loss")`` and
  ``LogisticRegression``;
- MLP EnsLoss (torch) vs ``MLPClassifier``;
- what the numba epoch buys: the compiled epoch vs the same epoch in vectorised
  NumPy (identical updates, so identical accuracy).

Quality is test accuracy on a 70/30 split of standardised features.
"""

import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from benchmarks import Case, Contender, register_benchmark
from skpapers import EnsLossClassifier, EnsLossMLPClassifier
from skpapers.ensemble._ensloss_derivatives import loss_derivatives
from skpapers.ensemble._kernels import LOSS_CODES, linear_sgd_epoch


def _data(smoke):
    if smoke:
        n_samples, n_features, label = 1_000, 10, "synthetic n=1000, d=10"
    else:
        n_samples, n_features, label = 20_000, 50, "synthetic n=20000, d=50"
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_features // 2,
        flip_y=0.05,
        random_state=0,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return label, scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _fit_predict(estimator, X_train, y_train, X_test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X_train, y_train).predict(X_test)


def _numpy_epochs(X, Y, plan, *, loss, lr_momentum_decay, batch_size):
    """The linear model's epochs in vectorised NumPy, batch by batch."""
    lr, momentum, weight_decay = lr_momentum_decay
    coef, intercept = np.zeros((X.shape[1], Y.shape[1])), np.zeros(Y.shape[1])
    v_coef, v_intercept = np.zeros_like(coef), np.zeros_like(intercept)
    for order, normals in plan:
        for start in range(0, len(X), batch_size):
            index = order[start : start + batch_size]
            z = normals[start : start + batch_size]
            margins = Y[index] * (X[index] @ coef + intercept)
            g = loss_derivatives(margins, loss, z, 0.0) * Y[index] / len(index)
            v_coef = momentum * v_coef + X[index].T @ g + weight_decay * coef
            v_intercept = momentum * v_intercept + g.sum(axis=0)
            coef, intercept = coef - lr * v_coef, intercept - lr * v_intercept
    return coef, intercept


def _kernel_epochs(X, Y, plan, *, loss, lr_momentum_decay, batch_size):
    lr, momentum, weight_decay = lr_momentum_decay
    coef, intercept = np.zeros((Y.shape[1], X.shape[1])), np.zeros(Y.shape[1])
    v_coef, v_intercept = np.zeros_like(coef), np.zeros_like(intercept)
    for order, normals in plan:
        linear_sgd_epoch(
            X, Y, coef, intercept, v_coef, v_intercept, order, normals, 0.0,
            LOSS_CODES[loss], lr, momentum, weight_decay, batch_size,
        )  # fmt: skip
    return coef.T, intercept


@register_benchmark("ensloss")
def cases(smoke):
    label, X_train, X_test, y_train, y_test = _data(smoke)
    epochs = 5 if smoke else 30

    def accuracy(y_pred):
        return accuracy_score(y_test, y_pred)

    linear = EnsLossClassifier(max_epochs=epochs, random_state=0)
    peers = {
        "sklearn SGDClassifier(log_loss)": SGDClassifier(
            loss="log_loss", max_iter=epochs, tol=None, random_state=0
        ),
        "sklearn LogisticRegression": LogisticRegression(),
    }
    for peer_name, peer in peers.items():
        yield Case(
            label=f"linear, {label}, {epochs} epochs",
            ours=Contender(
                "skpapers EnsLossClassifier(linear)",
                lambda: _fit_predict(linear, X_train, y_train, X_test),
            ),
            peer=Contender(
                peer_name,
                lambda peer=peer: _fit_predict(peer, X_train, y_train, X_test),
            ),
            quality=accuracy,
            quality_name="test accuracy",
        )

    hidden = (32,) if smoke else (100,)
    mlp = EnsLossMLPClassifier(hidden, max_epochs=epochs, random_state=0)
    mlp_peer = MLPClassifier(
        hidden_layer_sizes=hidden, batch_size=128, max_iter=epochs, random_state=0
    )
    yield Case(
        label=f"MLP {hidden}, {label}, {epochs} epochs",
        ours=Contender(
            "skpapers EnsLossMLPClassifier",
            lambda: _fit_predict(mlp, X_train, y_train, X_test),
        ),
        peer=Contender(
            "sklearn MLPClassifier(adam)",
            lambda: _fit_predict(mlp_peer, X_train, y_train, X_test),
        ),
        quality=accuracy,
        quality_name="test accuracy",
    )

    # The same EnsLoss epochs, compiled and in NumPy: what the kernel buys.
    rng = np.random.default_rng(0)
    Y = np.where(y_train == 1, 1.0, -1.0)[:, None]
    plan = [
        (rng.permutation(len(X_train)), rng.standard_normal((len(X_train), 1)))
        for _ in range(epochs)
    ]
    settings = dict(loss="ensloss", lr_momentum_decay=(0.01, 0.9, 1e-4), batch_size=128)

    def linear_accuracy(params):
        coef, intercept = params
        return accuracy(np.where(X_test @ coef[:, 0] + intercept[0] > 0, 1, 0))

    yield Case(
        label=f"linear epochs only, {label}, {epochs} epochs",
        ours=Contender(
            "numba epoch", lambda: _kernel_epochs(X_train, Y, plan, **settings)
        ),
        peer=Contender(
            "vectorised NumPy epoch",
            lambda: _numpy_epochs(X_train, Y, plan, **settings),
        ),
        quality=linear_accuracy,
        quality_name="test accuracy",
    )
