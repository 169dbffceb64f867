"""
Choosing where to evaluate a function: DPP weighted least squares
=================================================================

Fitting a polynomial of dimension m to an expensive function needs few evaluations
if they are placed well. :class:`~skpapers.DPPWeightedLeastSquares` chooses the
points by a projection determinantal point process (DPP), which spreads them out
and favours the places where the polynomial space is hard to pin down (the ends of
the interval for polynomials), and weights them by w = m / k_m so that the
weighted least-squares fit is quasi-optimal.

We compare, for the same budget of evaluations, points from repeated projection
DPPs, from volume-rescaled sampling, and uniform points with ordinary least
squares, first on a pool of candidate points (``select`` then ``fit_function``),
then on the continuous square [-1, 1]^2.
"""

import matplotlib.pyplot as plt
import numpy as np

from skpapers import DPPWeightedLeastSquares
from skpapers.sampling import ContinuousSampler, PolynomialBasis, gram_deviation


def runge(X):
    """An 'expensive' function: we count its evaluations."""
    runge.calls += len(X)
    return 1.0 / (1.0 + 25.0 * np.sum(X**2, axis=1))


runge.calls = 0

# %%
# A pool of candidates, labelled only where the sampler says
# ------------------------------------------------------------
# ``select`` returns the rows to evaluate before any label exists;
# ``fit_function`` evaluates the function only there.
rng = np.random.default_rng(0)
pool = rng.uniform(-1, 1, size=(5000, 1))
grid = np.linspace(-1, 1, 1000)[:, None]

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(grid[:, 0], runge(grid), "k", lw=2, label="f")
strategies = [("repeated_dpp", 36), ("volume", 36), ("uniform", 36)]
for height, (sampling, n_samples) in zip([-0.25, -0.35, -0.45], strategies):
    model = DPPWeightedLeastSquares(
        basis="legendre",
        degree=11,
        sampling=sampling,
        n_samples=n_samples,
        random_state=0,
    )
    rows = model.select(pool)
    model.fit_function(runge, pool)
    error = np.sqrt(np.mean((model.predict(grid) - runge(grid)) ** 2))
    line = ax.plot(
        grid[:, 0], model.predict(grid), label=f"{sampling}: RMSE {error:.3f}"
    )
    # where the function was evaluated
    ax.plot(pool[rows, 0], np.full(len(rows), height), "|", color=line[0].get_color())
ax.set_ylim(-0.5, 1.3)
ax.set_title("degree 11 (m = 12), 36 evaluations out of 5000 candidates")
ax.legend()

# %%
# The continuous square, with a stability check
# ----------------------------------------------
# On [-1, 1]^2 with the uniform measure, repeated DPPs are drawn until the
# empirical Gram matrix G of the weighted features is close to the identity
# (||G - I||_2 <= 1/2), which guarantees a well-conditioned fit.
basis = PolynomialBasis("legendre", degree=8, n_dims=2)
model = DPPWeightedLeastSquares(basis=basis, sampling="repeated_dpp", random_state=0)
runge.calls = 0
model.fit_function(runge)
n_evaluations = runge.calls
test = basis.sample_measure(20_000, random_state=1)
error = np.sqrt(np.mean((model.predict(test) - runge(test)) ** 2))
print(
    f"m = {model.n_basis_}, evaluations = {n_evaluations}, "
    f"||G - I|| = {model.gram_deviation_:.2f}, RMSE = {error:.4f}"
)

sampler = ContinuousSampler(basis)
uniform = basis.sample_measure(n_evaluations, random_state=0)
uniform_deviation = gram_deviation(sampler.gram(uniform, np.ones(n_evaluations)))
fig, axes = plt.subplots(1, 2, figsize=(11, 5))
axes[0].scatter(*model.sample_points_.T, c=model.sample_weight_, s=12, cmap="viridis")
axes[0].set_title("repeated DPP points (colour: weight m / k_m)")
axes[1].scatter(*uniform.T, s=12, color="grey")
axes[1].set_title(f"as many uniform points: ||G - I|| = {uniform_deviation:.2f}")
for ax in axes:
    ax.set_aspect("equal")
plt.show()
