"""KroneckerSBL over many measurement vectors, on a Dask cluster.

One dictionary ``A = A_1 ⊗ A_2`` (e.g. the IRS-MIMO sensing matrix) and one
measurement vector per user or subcarrier: ``Y[:, j] = A x_j + noise``. The
recoveries are independent, and :func:`skpapers.linear_model.fit_many` runs them
in parallel: through joblib (here on the "dask" backend) for an in-memory ``Y``,
or lazily, block of columns by block of columns, for a dask array ``Y``.
"""

import dask.array as da
import joblib
import numpy as np
from distributed import Client, LocalCluster

from skpapers import KroneckerSBL, fit_many

N_VECTORS = 24


def make_problem(rng):
    """Shared Kronecker factors and one 2 x 2-supported vector per column of Y."""
    factors = [rng.standard_normal((8, 12)), rng.standard_normal((10, 16))]
    coef = np.zeros((N_VECTORS, 12, 16))
    for j in range(N_VECTORS):
        rows = rng.choice(12, 2, replace=False)
        cols = rng.choice(16, 2, replace=False)
        coef[j, rows[:, None], cols] = 1.0 + rng.random((2, 2))
    coef = coef.reshape(N_VECTORS, -1)
    Y = np.kron(*factors) @ coef.T + 0.01 * rng.standard_normal((80, N_VECTORS))
    return factors, Y, coef


def main():
    factors, Y, coef = make_problem(np.random.default_rng(0))
    sbl = KroneckerSBL()

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster),
    ):
        # In-memory Y: one fit per column, sent to the workers by joblib.
        with joblib.parallel_backend("dask"):
            recovered = fit_many(sbl, None, Y, factors=factors)
        # A dask array Y (chunks of 8 vectors): a lazy dask array of coefficients.
        lazy = fit_many(sbl, None, da.from_array(Y, chunks=(-1, 8)), factors=factors)
        recovered_lazy = lazy.compute()

    one_by_one = np.stack([sbl.fit(None, y, factors=factors).coef_ for y in Y.T])
    np.testing.assert_allclose(recovered, one_by_one)
    np.testing.assert_allclose(recovered_lazy, one_by_one)
    nmse = np.sum((recovered - coef) ** 2, axis=1) / np.sum(coef**2, axis=1)
    assert np.all(nmse < 1e-2)
    print(
        f"{N_VECTORS} vectors recovered, worst NMSE {10 * np.log10(nmse.max()):.1f} dB"
    )
    return recovered


if __name__ == "__main__":
    main()
