"""
Deep-unfolded ISTA: supervised or unsupervised training
=======================================================

:class:`~skpapers.UnfoldedISTA` turns ``T`` iterations of ISTA into a network
whose only trainable parameters are the ``T`` step sizes, and trains them with
skorch either against the true signals (supervised) or on the l1 objective of the
measurements alone (unsupervised, no ground truth needed).

We recover sparse signals from noisy Gaussian measurements, compare the two
trained 10-layer networks with ISTA and FISTA iteration by iteration, and look at
the step sizes they learned.
"""

import matplotlib.pyplot as plt
import numpy as np

from skpapers import UnfoldedISTA
from skpapers.datasets import make_sparse_recovery
from skpapers.unfolding import (
    fista,
    ista,
    lipschitz_constant,
    nmse,
    sparse_recovery_objective,
)

# %%
# Measurements of sparse signals
# ------------------------------
# ``y = A x + w``: a 75 x 150 Gaussian ``A``, signals with 8 % nonzero Gaussian
# entries, 10 dB SNR. ``X`` holds the measurements and ``y`` the signals, the
# layout of any scikit-learn regressor.
Y, X, A = make_sparse_recovery(1000, random_state=0)
Y_test, X_test, _ = make_sparse_recovery(500, measurement_matrix=A, random_state=1)
lam, n_layers = 0.1, 10

# %%
# Two ways of training the same network
# -------------------------------------
# Layer by layer (``incremental=True``, the default), 5 epochs of Adam per layer.
# Float32 measurements make the network compute in float32.
nets = {
    loss: UnfoldedISTA(
        A, n_layers=n_layers, lam=lam, loss=loss, max_epochs=5, random_state=0
    ).fit(Y.astype(np.float32), X if loss == "supervised" else None)
    for loss in ("supervised", "unsupervised")
}

# %%
# Layer by layer against iteration by iteration
# ---------------------------------------------
# ``staged_predict`` yields each layer's output; the classic solvers return the
# iterates asked for with ``iterates_at``.
iterations = np.arange(1, 101)
classic_objective = {}
fig, (ax_nmse, ax_obj) = plt.subplots(1, 2, figsize=(11, 4))
for name, solver in (("ISTA", ista), ("FISTA", fista)):
    _, path = solver(Y_test, A, lam, n_iter=100, iterates_at=iterations)
    nmse_db = [10 * np.log10(nmse(X_test, x)) for x in path]
    objective = [sparse_recovery_objective(Y_test, A, x, lam).mean() for x in path]
    classic_objective[name] = np.array(objective)
    ax_nmse.plot(iterations, nmse_db, "--", label=name)
    ax_obj.plot(iterations, objective, "--", label=name)
for loss, net in nets.items():
    path = list(net.staged_predict(Y_test))
    layers = np.arange(1, n_layers + 1)
    nmse_db = [10 * np.log10(nmse(X_test, x)) for x in path]
    ax_nmse.plot(layers, nmse_db, "-o", markersize=3, label=f"{loss} UnfoldedISTA")
    ax_obj.plot(
        layers,
        [sparse_recovery_objective(Y_test, A, x, lam).mean() for x in path],
        "-o",
        markersize=3,
        label=f"{loss} UnfoldedISTA",
    )
ax_nmse.set(xscale="log", xlabel="iteration / layer", ylabel="NMSE (dB)")
ax_obj.set(xscale="log", yscale="log", xlabel="iteration / layer", ylabel="objective")
ax_nmse.legend()
fig.tight_layout()

# %%
# Supervised training buys the lower error, unsupervised training the lower
# objective, which ISTA and FISTA need many more iterations to reach.
for loss, net in nets.items():
    X_hat = net.predict(Y_test)
    objective = sparse_recovery_objective(Y_test, A, X_hat, lam).mean()
    print(
        f"{loss:>12}: NMSE {10 * np.log10(nmse(X_test, X_hat)):6.2f} dB, "
        f"objective {objective:.4f}"
    )
    for name, curve in classic_objective.items():
        reached = np.flatnonzero(curve <= objective)
        needed = iterations[reached[0]] if reached.size else "> 100"
        print(f"{'':>14}{name} needs {needed} iterations to reach that objective")

# %%
# The learned step sizes
# ----------------------
# ISTA's step is ``1 / ||A||_2^2`` at every iteration; the trained networks
# alternate short steps with a few much longer ones.
fig, ax = plt.subplots(figsize=(6, 3))
for loss, net in nets.items():
    ax.plot(np.arange(1, n_layers + 1), net.step_sizes_, "-o", label=loss)
ax.axhline(1 / lipschitz_constant(A), color="k", ls="--", label="ISTA: 1 / L")
ax.set(xlabel="layer", ylabel="step size", yscale="log")
ax.legend()
fig.tight_layout()
plt.show()
