"""
Fast tall least squares with an entrywise guarantee: SketchedLinearRegression
=============================================================================

For a tall least-squares problem (many more samples than features),
:class:`~skpapers.SketchedLinearRegression` compresses the rows with a random
sketch ``S`` and solves the small problem ``min ||S X w - S y||``. With a *dense*
sketch (the subsampled randomised Hadamard transform, SRHT) every coefficient is
close to the exact one: ``|w'_i - w*_i| <= (eps / sqrt(d)) ||X w* - y|| ||X^+||``.
A *sparse* sketch (CountSketch) is as cheap but loses that guarantee when a few
rows carry most of the leverage, which we show below. When full accuracy is needed,
``solver="sketch_and_precondition"`` uses the same sketch to precondition LSQR and
matches ``scipy.linalg.lstsq`` in a few passes over the data.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.linalg as la
from sklearn.linear_model import LinearRegression

from skpapers import SketchedLinearRegression

rng = np.random.default_rng(0)

# %%
# A tall problem: sketch-and-solve against LinearRegression
# ----------------------------------------------------------
n, d = 2**16, 50
X = rng.standard_normal((n, d))
y = X @ rng.standard_normal(d) + 2.0 + rng.standard_normal(n)

start = time.perf_counter()
exact = LinearRegression().fit(X, y)
t_exact = time.perf_counter() - start

sketched = SketchedLinearRegression(eps=4.0, random_state=0)
SketchedLinearRegression(eps=4.0, random_state=0).fit(X[:1024], y[:1024])  # jit
start = time.perf_counter()
sketched.fit(X, y)
t_sketched = time.perf_counter() - start

precise = SketchedLinearRegression(solver="sketch_and_precondition", random_state=0)
start = time.perf_counter()
precise.fit(X, y)
t_precise = time.perf_counter() - start

A = np.hstack([X, np.ones((n, 1))])
x_star = np.append(exact.coef_, exact.intercept_)
bound = 4.0 / np.sqrt(d + 1) * np.linalg.norm(A @ x_star - y) / la.svdvals(A)[-1]
linf = np.max(np.abs(np.append(sketched.coef_, sketched.intercept_) - x_star))
print(f"LinearRegression:        {t_exact:.3f} s")
print(
    f"sketch-and-solve:        {t_sketched:.3f} s, m = {sketched.sketch_size_} rows, "
    f"ell_inf error {linf:.2e} <= bound {bound:.2e}"
)
print(
    f"sketch-and-precondition: {t_precise:.3f} s, {precise.n_iter_[0]} LSQR "
    f"iterations, max |coef - exact| = "
    f"{np.max(np.abs(precise.coef_ - exact.coef_)):.1e}"
)

# %%
# Dense against sparse sketches on a coherent matrix
# --------------------------------------------------
# ``d`` rows of leverage one (an identity block over near-zero rows) and a
# residual of a few spikes. A CountSketch bucket that receives both a
# high-leverage row and a spike moves that coefficient by the whole spike; the
# SRHT spreads every row over all the sketch's rows first.
n, d, m, spikes = 2048, 64, 512, 16
A = np.zeros((n, d))
A[:d] = np.eye(d)
A[d:] = 1e-3 * rng.standard_normal((n - d, d))
b = np.zeros(n)
b[d + rng.choice(n - d, spikes, replace=False)] = 1.0
x_star = la.lstsq(A, b)[0]
unit = np.linalg.norm(A @ x_star - b) / (np.sqrt(d) * la.svdvals(A)[-1])

errors = {}
for sketch in ["srht", "gaussian", "countsketch", "sparse_sign"]:
    errors[sketch] = [
        np.max(
            np.abs(
                SketchedLinearRegression(
                    sketch=sketch, sketch_size=m, fit_intercept=False, random_state=s
                )
                .fit(A, b)
                .coef_
                - x_star
            )
        )
        / unit
        for s in range(30)
    ]

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.boxplot(list(errors.values()), tick_labels=list(errors))
ax.set_yscale("log")
ax.set_ylabel("effective eps = sqrt(d) ||x'-x*||_inf / (||r|| ||A^+||)")
ax.set_title(f"coherent A, n={n}, d={d}, m={m}: 30 sketches each")
fig.tight_layout()
plt.show()
