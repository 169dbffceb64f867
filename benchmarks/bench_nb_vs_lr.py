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


@register_benchmark("nb_vs_lr")
def cases(smoke):
    n_grid = [20] if smoke else [100, 200, 400]
    n_test = 500 if smoke else 5000
    for n in n_grid:
        X, y = make_nb_lr_simulation(10 * n, n, N_CLASSES, random_state=0)
        X_test, y_test = make_nb_lr_simulation(n_test, n, N_CLASSES, random_state=1)

        def error(pred, y_test=y_test):
            return np.mean(pred != y_test)

        label = f"K={N_CLASSES}, n={n}, m={10 * n}"
        ours = Contender(
            "skpapers PooledGaussianNB",
            lambda X=X, y=y, X_test=X_test: _fit_predict(
                PooledGaussianNB(), X, y, X_test
            ),
        )
        yield Case(
            label=label,
            ours=ours,
            peer=Contender(
                "sklearn LogisticRegression",
                lambda X=X, y=y, X_test=X_test: _fit_predict(
                    LogisticRegression(max_iter=1000), X, y, X_test
                ),
            ),
            quality=error,
            quality_name="test error",
        )
        X_few, y_few = X[: 20 * N_CLASSES], y[: 20 * N_CLASSES]
        yield Case(
            label=f"K={N_CLASSES}, n={n}, m={20 * N_CLASSES}",
            ours=Contender(
                "skpapers PooledGaussianNB",
                lambda X=X_few, y=y_few, X_test=X_test: _fit_predict(
                    PooledGaussianNB(), X, y, X_test
                ),
            ),
            peer=Contender(
                "sklearn LogisticRegression",
                lambda X=X_few, y=y_few, X_test=X_test: _fit_predict(
                    LogisticRegression(max_iter=1000), X, y, X_test
                ),
            ),
            quality=error,
            quality_name="test error",
        )
        yield Case(
            label=label,
            ours=ours,
            peer=Contender(
                "sklearn GaussianNB",
                lambda X=X, y=y, X_test=X_test: _fit_predict(
                    GaussianNB(), X, y, X_test
                ),
            ),
            quality=error,
            quality_name="test error",
        )
        yield Case(
            label=f"{label}, 10 partial_fit batches",
            ours=Contender(
                "skpapers PooledGaussianNB.partial_fit",
                lambda X=X, y=y, X_test=X_test: _stream_predict(
                    PooledGaussianNB(), X, y, X_test
                ),
            ),
            peer=Contender(
                "sklearn GaussianNB.partial_fit",
                lambda X=X, y=y, X_test=X_test: _stream_predict(
                    GaussianNB(), X, y, X_test
                ),
            ),
            quality=error,
            quality_name="test error",
        )
