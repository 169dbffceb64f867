"""
Naive Bayes or logistic regression? Reading the regime off learning curves
==========================================================================

Zheng et al. (2023) prove that multiclass naive Bayes reaches its asymptotic
error with O(log n) samples in n features, while logistic regression needs
O(n). With few samples the generative model wins; with many, the discriminative
one catches up, and overtakes it when naive Bayes' independence assumption is
wrong. :func:`~skpapers.compare_generative_discriminative` measures both learning
curves on your data and estimates the crossover size;
:class:`~skpapers.GenerativeDiscriminativeClassifier` uses them to pick the
model for the training size at hand, inside a ``Pipeline``.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpapers import (
    GenerativeDiscriminativeClassifier,
    PooledGaussianNB,
    compare_generative_discriminative,
)
from skpapers.datasets import make_nb_lr_simulation

warnings.simplefilter("ignore", ConvergenceWarning)

# %%
# The paper's simulation: naive Bayes is the right model
# -------------------------------------------------------
# Two Gaussian classes in n = 100 dimensions, half of the coordinates a hundred
# times noisier than the rest. Naive Bayes estimates a variance per coordinate
# and is near the Bayes error after a handful of samples; logistic regression
# needs m of the order of n.
X, y = make_nb_lr_simulation(2000, n_features=100, random_state=0)
X_test, y_test = make_nb_lr_simulation(2000, n_features=100, random_state=1)
simulation = compare_generative_discriminative(
    X,
    y,
    train_sizes=[4, 10, 40, 100, 300, 1000],
    n_repeats=3,
    X_test=X_test,
    y_test=y_test,
    random_state=0,
)
print(simulation)

# %%
# Real data: the two regimes
# --------------------------
# On the breast cancer data naive Bayes' independence assumption is wrong:
# it converges fast but to a higher error, and logistic regression (on
# standardised features) overtakes it past a few dozen samples.
X_bc, y_bc = load_breast_cancer(return_X_y=True)
scaled_lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
real = compare_generative_discriminative(
    X_bc,
    y_bc,
    discriminative=scaled_lr,
    n_repeats=5,
    test_size=0.3,
    random_state=0,
)
print(real)

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
simulation.plot(ax=axes[0], title="simulation, K=2, n=100")
real.plot(ax=axes[1], title="breast cancer")
fig.tight_layout()

# %%
# Choosing the model for the training size at hand
# -------------------------------------------------
# The meta-classifier measures both curves by repeated hold-out splits of its
# training data, carries them on to the full training size and refits the
# winner. Fed 40 samples of the simulation it keeps naive Bayes; fed 350 breast
# cancer samples, far past their crossover, it takes logistic regression. It is
# an ordinary classifier, so it sits at the end of a ``Pipeline``. (Close to a
# crossover the two are nearly as good, and the choice is a close call.)
X_train, X_hold, y_train, y_hold = train_test_split(
    X_bc, y_bc, test_size=200, stratify=y_bc, random_state=0
)
problems = {
    "simulation, m=40": (X[:40], y[:40], X_test, y_test),
    "breast cancer, m=350": (X_train[:350], y_train[:350], X_hold, y_hold),
}
for name, (X_fit, y_fit, X_eval, y_eval) in problems.items():
    pipe = make_pipeline(
        StandardScaler(),
        GenerativeDiscriminativeClassifier(
            PooledGaussianNB(), LogisticRegression(max_iter=1000), random_state=0
        ),
    ).fit(X_fit, y_fit)
    chosen = pipe[-1].chosen_
    error = np.mean(pipe.predict(X_eval) != y_eval)
    print(f"{name}: chose {chosen}, held-out error {error:.3f}")

plt.show()
