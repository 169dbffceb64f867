"""Pooled naive Bayes against logistic regression and GaussianNB at m = 10 n.

The paper's simulation (``make_nb_lr_simulation``, K = 3 classes, n features,
m = 10 n training samples, 5,000 test points). Each case fits on the training set
and predicts the test set; quality is the test error.

- ``PooledGaussianNB`` vs ``LogisticRegression(max_iter=1000)`` (multinomial, L2,
  lbfgs: the paper's discriminative model), at m = 10 n (both near the Bayes
  error) and at m = 20 K (few samples, where the two differ);
- ``PooledGaussianNB`` vs ``sklearn.naive_bayes.GaussianNB`` (a variance per class);
- streaming: ``partial_fit`` over 10 batches, ours (exact merge) vs GaussianNB's.

No numba kernel: fitting is two matrix products per batch and prediction one, so
vectorised BLAS is already the fast path.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from benchmarks import Case, Contender, register_benchmark
from skpapers.datasets import make_nb_lr_simulation
from skpapers.naive_bayes import PooledGaussianNB

N_CLASSES = 3


def _fit_predict(estimator, X, y, X_test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y).predict(X_test)


def _stream_predict(estimator, X, y, X_test, n_batches=10):
    classes = np.arange(N_CLASSES)
    for part in np.array_split(np.arange(len(y)), n_batches):
        estimator.partial_fit(X[part], y[part], classes=classes)
    return estimator.predict(X_test)


def _contender(name, make_estimator, X, y, X_test, run=_fit_predict):
    """A contender that fits a fresh ``make_estimator()`` on ``(X, y)`` with ``run``."""
    return Contender(name, lambda: run(make_estimator(), X, y, X_test))


@register_benchmark("nb_vs_lr")
def cases(smoke):
    n_grid = [20] if smoke else [100, 200, 400]
    n_test = 500 if smoke else 5000
    for n in n_grid:
        X, y = make_nb_lr_simulation(10 * n, n, N_CLASSES, random_state=0)
        X_test, y_test = make_nb_lr_simulation(n_test, n, N_CLASSES, random_state=1)

        def error(pred, y_test=y_test):
            return np.mean(pred != y_test)

        def logistic():
            return LogisticRegression(max_iter=1000)

        label = f"K={N_CLASSES}, n={n}, m={10 * n}"
        few = 20 * N_CLASSES
        pairs = [
            (label, "", X, y, _fit_predict, "LogisticRegression", logistic),
            (
                f"K={N_CLASSES}, n={n}, m={few}",
                "",
                X[:few],
                y[:few],
                _fit_predict,
                "LogisticRegression",
                logistic,
            ),
            (label, "", X, y, _fit_predict, "GaussianNB", GaussianNB),
            (
                f"{label}, 10 partial_fit batches",
                ".partial_fit",
                X,
                y,
                _stream_predict,
                "GaussianNB",
                GaussianNB,
            ),
        ]
        for case_label, method, X_fit, y_fit, run, peer_name, peer in pairs:
            yield Case(
                label=case_label,
                ours=_contender(
                    f"skpapers PooledGaussianNB{method}",
                    PooledGaussianNB,
                    X_fit,
                    y_fit,
                    X_test,
                    run,
                ),
                peer=_contender(
                    f"sklearn {peer_name}{method}", peer, X_fit, y_fit, X_test, run
                ),
                quality=error,
                quality_name="test error",
            )
