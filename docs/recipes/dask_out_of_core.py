"""Sketched least squares on a dask array larger than a worker's memory.

A sketch is linear, ``S X = sum_k S[:, rows_k] X[rows_k]``, so
``SketchedLinearRegression.fit`` on a dask array sketches each block of rows where
it lives and gathers only the small ``m x d`` sketch. Here ``X`` (1 GiB) is never
formed anywhere: each block is drawn from its own seed when a worker needs it, and
each worker has a 600 MiB memory limit. The answer is checked against the exact
least-squares solution, from the normal equations accumulated block by block
(``d`` is small), within the ``ell_inf`` guarantee of the sketch.
"""

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

from skpapers import SketchedLinearRegression

N_FEATURES = 8
ROWS_PER_BLOCK = 2**18
N_BLOCKS = 64  # 2^24 rows: X is 1 GiB of float64
MEMORY_LIMIT = 600 * 2**20  # bytes per worker
COEF = np.linspace(-1.0, 1.0, N_FEATURES)


def make_block(block_info=None):
    """Rows ``lo:hi`` of ``[X y]``, from a generator seeded by ``lo``."""
    (lo, hi), _ = block_info[None]["array-location"]
    rng = np.random.default_rng([2024, lo])
    block = rng.random((hi - lo, N_FEATURES + 1))  # uniform on [0, 1)
    noise = block[:, N_FEATURES] - 0.5
    block[:, N_FEATURES] = block[:, :N_FEATURES] @ COEF + 0.5 + noise
    return block


def block_gram(block):
    """``Z^T Z`` for the rows ``Z = [X 1 y]`` of one block, shape (1, d+2, d+2)."""
    Z = np.column_stack(
        [block[:, :N_FEATURES], np.ones(len(block)), block[:, N_FEATURES]]
    )
    return (Z.T @ Z)[None]


def peak_memory(dask_worker):
    """The largest resident memory the worker's monitor has seen, in bytes."""
    return max(dask_worker.monitor.quantities["memory"])


def main():
    data = da.map_blocks(
        make_block,
        chunks=((ROWS_PER_BLOCK,) * N_BLOCKS, (N_FEATURES + 1,)),
        dtype=np.float64,
        meta=np.empty((0, 0)),
    )
    X, y = data[:, :N_FEATURES], data[:, N_FEATURES]

    # Nothing is spilled to disk, so a worker's resident memory is all it holds;
    # past 95% of its limit the worker is restarted and the check below fails (it
    # is not paused: a demonstration must not hang).
    no_spill = {f"distributed.worker.memory.{k}": False for k in ("target", "spill")}
    with (
        dask.config.set({**no_spill, "distributed.worker.memory.pause": False}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            memory_limit=MEMORY_LIMIT,
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):
        workers = set(client.scheduler_info()["workers"])
        reg = SketchedLinearRegression(eps=1.0, random_state=0).fit(X, y)

        # The exact solution from the normal equations, with [X 1 y]^T [X 1 y]
        # summed over the blocks (d is small).
        gram = data.map_blocks(
            block_gram,
            chunks=((1,) * N_BLOCKS, (N_FEATURES + 2,), (N_FEATURES + 2,)),
            new_axis=2,
            dtype=np.float64,
        )
        gram = gram.sum(axis=0).compute()
        peaks = client.run(peak_memory)
        assert set(client.scheduler_info()["workers"]) == workers, "a worker died"

    AtA, Aty, yty = gram[:-1, :-1], gram[:-1, -1], gram[-1, -1]  # A = [X 1]
    exact = np.linalg.solve(AtA, Aty)
    residual = np.sqrt(yty - exact @ Aty)  # ||A w* - y||
    sigma_min = np.sqrt(np.linalg.eigvalsh(AtA)[0])  # 1 / ||A^+||
    bound = reg.eps / np.sqrt(N_FEATURES + 1) * residual / sigma_min
    error = np.max(np.abs(np.append(reg.coef_, reg.intercept_) - exact))

    assert X.nbytes > MEMORY_LIMIT
    assert max(peaks.values()) < MEMORY_LIMIT
    assert error <= bound
    print(
        f"X: {X.nbytes / 2**30:.2f} GiB; worker peak: "
        f"{max(peaks.values()) / 2**20:.0f} MiB of {MEMORY_LIMIT / 2**20:.0f} MiB; "
        f"sketch: {reg.sketch_size_} x {N_FEATURES + 1}; "
        f"ell_inf error {error:.2e} <= bound {bound:.2e}"
    )
    return {
        "X": X,
        "reg": reg,
        "exact": exact,
        "error": error,
        "bound": bound,
        "peaks": peaks,
    }


if __name__ == "__main__":
    main()
