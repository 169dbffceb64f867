"""Deep-unfolded ISTA against the classic solvers and scikit-learn's lasso.

The paper's sensor (m = 75, n = 150, p = 0.08, 10 dB, lambda = 0.1); 10-layer
networks trained (untimed, in float32) on 5,000 pairs, then timed recovering
10,000 held-out signals:

* iterations: how many ISTA / FISTA iterations match the objective of the
  unsupervised network (the paper's step sizes only, and with a learned
  ``lambda_t`` per layer too) and the NMSE of the supervised one (found on the
  first 1,000 signals; the label gives the count and its ratio to the 10 layers).
  Each classic solver runs that many iterations on all signals;
* inference: the networks against ``SparseCoder(transform_algorithm="lasso_cd")``
  and ``Lasso`` at the same lambda (``alpha = lambda / m``), which solve the
  problem the unsupervised network approximates;
* the numba kernel against the same ISTA iterations in vectorised NumPy, which is
  what the kernel buys.
"""

import numpy as np
from sklearn.decomposition import SparseCoder
from sklearn.linear_model import Lasso

from benchmarks import Case, Contender, register_benchmark
from skpapers import UnfoldedISTA
from skpapers.datasets import make_sparse_recovery
from skpapers.unfolding import fista, ista, lipschitz_constant, nmse
from skpapers.unfolding import sparse_recovery_objective as objective

LAM = 0.1
N_LAYERS = 10


def _nmse_db(X_true):
    return lambda X_hat: 10 * np.log10(nmse(X_true, X_hat))


def _mean_objective(Y, A):
    return lambda X_hat: float(np.mean(objective(Y, A, X_hat, LAM)))


def _iterations_to_match(solver, Y, A, score, target, n_iter):
    """Fewest iterations (on a geometric grid) whose score reaches ``target``."""
    grid = np.unique(np.geomspace(1, n_iter, 120).astype(int))
    _, path = solver(Y, A, LAM, n_iter=n_iter, iterates_at=grid)
    for k, X_hat in zip(grid, path):
        if score(X_hat) <= target:
            return int(k), True
    return n_iter, False


def _numpy_ista(Y, A, n_iter, gamma):
    """ISTA vectorised over samples: one BLAS product and a shrink per step."""
    gram, correlation = A.T @ A, Y @ A
    X = np.zeros((Y.shape[0], A.shape[1]))
    for _ in range(n_iter):
        Z = X + gamma * (correlation - X @ gram)
        X = np.sign(Z) * np.maximum(np.abs(Z) - LAM * gamma, 0.0)
    return X


@register_benchmark("unfolded")
def cases(smoke):
    n_train, n_test, max_epochs, n_iter = (
        (100, 100, 1, 50) if smoke else (5000, 10000, 10, 3000)
    )
    Y, X, A = make_sparse_recovery(n_train, random_state=0)
    Y_test, X_test, _ = make_sparse_recovery(
        n_test, measurement_matrix=A, random_state=1
    )
    variants = {
        "supervised": {"loss": "supervised"},
        "unsupervised": {"loss": "unsupervised"},
        "unsupervised, learned lambda_t": {
            "loss": "unsupervised",
            "learn_thresholds": True,
        },
    }
    nets = {
        name: UnfoldedISTA(
            A, n_layers=N_LAYERS, lam=LAM, max_epochs=max_epochs, random_state=0,
            **params,
        ).fit(Y.astype(np.float32), X)
        for name, params in variants.items()
    }  # fmt: skip
    # Computed once, as a user solving many batches would (not timed).
    gamma = 1.0 / lipschitz_constant(A)
    search = slice(0, 1000)
    objective_scores = (
        "objective",
        _mean_objective(Y_test, A),
        _mean_objective(Y_test[search], A),
    )
    nmse_scores = ("NMSE dB", _nmse_db(X_test), _nmse_db(X_test[search]))
    size = f"{n_test} signals, m=75, n=150"
    for variant, scores in [
        ("unsupervised", objective_scores),
        ("unsupervised, learned lambda_t", objective_scores),
        ("supervised", nmse_scores),
    ]:
        quality_name, score, search_score = scores
        net = nets[variant]
        target = search_score(net.predict(Y_test[search]))
        for name, solver in (("ISTA", ista), ("FISTA", fista)):
            k, reached = _iterations_to_match(
                solver, Y_test[search], A, search_score, target, n_iter
            )
            count = f"{k} it = {k / N_LAYERS:.0f}x" if reached else f"> {n_iter} it"
            yield Case(
                label=f"{size}: {name} to match {quality_name} ({count})",
                ours=Contender(
                    f"UnfoldedISTA ({variant}), {N_LAYERS} layers",
                    lambda net=net: net.predict(Y_test),
                ),
                peer=Contender(
                    f"{name}, {k} iterations",
                    lambda solver=solver, k=k: solver(
                        Y_test, A, LAM, n_iter=k, step_size=gamma
                    ),
                ),
                quality=score,
                quality_name=quality_name,
            )

    coder = SparseCoder(
        dictionary=A.T, transform_algorithm="lasso_cd", transform_alpha=LAM
    )
    yield Case(
        label=f"{size}: inference vs SparseCoder(lasso_cd)",
        ours=Contender(
            "unsupervised UnfoldedISTA", lambda: nets["unsupervised"].predict(Y_test)
        ),
        peer=Contender("SparseCoder lasso_cd", lambda: coder.transform(Y_test)),
        quality=_mean_objective(Y_test, A),
        quality_name="objective",
    )
    lasso = Lasso(alpha=LAM / A.shape[0], fit_intercept=False)
    yield Case(
        label=f"{size}: inference vs Lasso",
        ours=Contender(
            "supervised UnfoldedISTA", lambda: nets["supervised"].predict(Y_test)
        ),
        peer=Contender("Lasso (multi-target)", lambda: lasso.fit(A, Y_test.T).coef_),
        quality=_nmse_db(X_test),
        quality_name="NMSE dB",
    )
    k = 10 if smoke else 100
    yield Case(
        label=f"{size}: {k} ISTA iterations, numba vs NumPy",
        ours=Contender(
            "ista (numba kernel)",
            lambda: ista(Y_test, A, LAM, n_iter=k, step_size=gamma),
        ),
        peer=Contender(
            "ISTA in vectorised NumPy", lambda: _numpy_ista(Y_test, A, k, gamma)
        ),
        quality=_mean_objective(Y_test, A),
        quality_name="objective",
    )
