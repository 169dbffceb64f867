"""
EnsLoss: a fresh random calibrated loss for every mini-batch
============================================================

EnsLoss (Dai et al.) never writes a loss down. For each mini-batch it draws
random loss *derivatives* at the batch's margins ``s = y f(x)`` so that they are
negative and non-decreasing in the margin: the derivatives of a convex,
classification-calibrated loss. SGD then follows them, so training sees a new
legitimate loss every step, an ensemble of losses inside one run.

The first figure integrates a few such derivative draws into the losses they
belong to, next to the fixed losses of the paper's comparison. The second part
trains :class:`~skpapers.EnsLossClassifier` (linear model) on the breast cancer
data, with EnsLoss and with each fixed loss through the same loop.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.integrate import cumulative_trapezoid
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpapers import EnsLossClassifier
from skpapers.ensemble._ensloss_derivatives import (
    ensloss_derivatives,
    fixed_loss_derivatives,
)

# %%
# Random calibrated losses
# ------------------------
# Treat a grid of margins as one batch, draw derivatives at it, and integrate:
# phi(s) = phi(0) + int_0^s g. Every draw is convex and decreasing at 0.

margins = np.linspace(-3, 4, 141)
zero = np.searchsorted(margins, 0.0)
rng = np.random.default_rng(0)


def loss_from_derivatives(g):
    phi = cumulative_trapezoid(g, margins, initial=0.0)
    return phi - phi[zero] + 1.0  # phi(0) = 1, like the hinge loss


fig, ax = plt.subplots(figsize=(6, 4))
for draw, boxcox_lambda in enumerate([0.0, 0.0, -0.5, 0.5, 1.0]):
    g = ensloss_derivatives(margins, rng.standard_normal(margins.size), boxcox_lambda)
    ax.plot(
        margins,
        loss_from_derivatives(g),
        color="tab:blue",
        alpha=0.6,
        label="EnsLoss draws" if draw == 0 else None,
    )
for loss, colour in [("bce", "black"), ("hinge", "tab:orange")]:
    g = fixed_loss_derivatives(margins, loss)
    ax.plot(margins, loss_from_derivatives(g), color=colour, lw=2, label=loss)
ax.axvline(0.0, color="gray", lw=0.5)
ax.set_xlabel("margin s = y f(x)")
ax.set_ylabel("loss (phi(0) = 1)")
ax.set_ylim(-1, 4.5)
ax.legend()
ax.set_title("Random convex calibrated losses drawn by EnsLoss")
fig.tight_layout()

# %%
# Training with random losses and with fixed ones
# -----------------------------------------------
# The same model, optimiser and seed; only the loss differs.

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
for loss in ["ensloss", "bce", "hinge", "exponential"]:
    clf = make_pipeline(
        StandardScaler(), EnsLossClassifier(loss=loss, max_epochs=100, random_state=0)
    )
    clf.fit(X_train, y_train)
    print(f"{loss:>12}: test accuracy {clf.score(X_test, y_test):.3f}")

# %%
# ``EnsLossMLPClassifier(hidden_layer_sizes=(64, 64))`` trains a ReLU
# network the same way with torch (``device="cuda"`` asks for a GPU, a path no
# GPU has run yet), and several classes are handled one-vs-rest.
plt.show()
