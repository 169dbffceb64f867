"""Scale-out on Dask: what a second worker buys, and sketching on a cluster.

Both cases run on one ``distributed.LocalCluster`` of two single-threaded worker
processes on this machine (``threads_per_worker=1``; set
``OPENBLAS_NUM_THREADS=1``): processes, as on a real cluster, free of this
process's GIL.

- ``GridSearchCV`` of ``StandardScaler + EnsLossClassifier`` (2 losses x 3 step
  sizes, 3 folds: 18 fits) under ``joblib.parallel_backend("dask")``: on both
  workers (ours) against on one of them (peer: every task restricted to that
  worker, which is a one-worker cluster without starting a second one).
  Quality: the best cross-validated accuracy, which must be the same.
- ``SketchedLinearRegression`` (SRHT, ``eps = 1``) on a ``dask.array`` whose row
  blocks are persisted on the cluster, each block sketched where it lives (ours),
  against the same data as a NumPy array in this process (peer). Quality:
  throughput in rows per second of one warm fit (the harness's times are
  medians of several); both fits give the same coefficients, since the sketch
  does not depend on the chunks.
"""

import time
import warnings
from contextlib import contextmanager

import joblib
import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from benchmarks import Case, Contender, register_benchmark
from skpapers import EnsLossClassifier, SketchedLinearRegression
from skpapers.utils import import_optional

_PURPOSE = "The dask_scaling benchmark"


@contextmanager
def _cluster(n_workers):
    """A client of a local cluster of ``n_workers`` single-threaded processes."""
    distributed = import_optional("distributed", purpose=_PURPOSE)
    with (
        distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client


def _grid_search_case(smoke, client):
    n, epochs = (600, 5) if smoke else (60_000, 50)
    X, y = make_classification(n_samples=n, n_features=20, random_state=0)
    pipe = make_pipeline(
        StandardScaler(), EnsLossClassifier(max_epochs=epochs, random_state=0)
    )
    grid = {
        "enslossclassifier__loss": ["ensloss", "bce"],
        "enslossclassifier__lr": [0.01] if smoke else [0.003, 0.01, 0.03],
    }
    cv = 2 if smoke else 3
    n_fits = (
        cv * len(grid["enslossclassifier__loss"]) * len(grid["enslossclassifier__lr"])
    )
    workers = sorted(client.scheduler_info()["workers"])

    def search(workers):
        with joblib.parallel_backend(
            "dask", client=client, workers=workers, allow_other_workers=False
        ):
            return GridSearchCV(pipe, grid, cv=cv).fit(X, y).best_score_

    return Case(
        label=f"GridSearchCV, {n_fits} fits of EnsLoss, n={n}",
        ours=Contender("2 workers", lambda: search(workers)),
        peer=Contender("1 worker", lambda: search(workers[:1])),
        quality=float,
        quality_name="best CV accuracy",
    )


def _sketch_case(smoke, client):
    da = import_optional("dask.array", purpose=_PURPOSE)
    log2_n, d, n_blocks = (14, 8, 4) if smoke else (21, 16, 16)
    n = 2**log2_n
    block = n // n_blocks

    def make_block(block_info=None):
        (lo, hi), _ = block_info[None]["array-location"]
        rng = np.random.default_rng([5, lo])
        Z = rng.standard_normal((hi - lo, d + 1))
        Z[:, d] += Z[:, :d] @ np.linspace(-1.0, 1.0, d)
        return Z

    data = da.map_blocks(
        make_block,
        chunks=((block,) * n_blocks, (d + 1,)),
        dtype=np.float64,
        meta=np.empty((0, 0)),
    )
    data = client.persist(data)
    X_dask, y_dask = data[:, :d], data[:, d]
    Z = client.compute(data).result()
    X, y = np.ascontiguousarray(Z[:, :d]), Z[:, d].copy()

    def on_cluster():
        with client.as_current():
            return SketchedLinearRegression(random_state=0).fit(X_dask, y_dask)

    def in_memory():
        return SketchedLinearRegression(random_state=0).fit(X, y)

    def throughput(fit):
        start = time.perf_counter()
        reg = fit()
        return reg, n / (time.perf_counter() - start)

    # The first fits load the numba kernels (here and on the workers).
    on_cluster(), in_memory()
    return Case(
        label=f"SketchedLinearRegression, n=2^{log2_n}, d={d}",
        ours=Contender("dask array, 2 workers", lambda: throughput(on_cluster)),
        peer=Contender("NumPy, in memory", lambda: throughput(in_memory)),
        quality=lambda out: out[1],
        quality_name="rows/s (one warm fit)",
    )


@register_benchmark("dask_scaling")
def cases(smoke):
    try:
        import_optional("distributed", purpose=_PURPOSE)
        import_optional("dask.array", purpose=_PURPOSE)
    except ImportError as exc:
        # The other benchmarks still run without the optional extra.
        warnings.warn(f"{exc}; skipping it.", stacklevel=2)
        return
    with _cluster(2) as client:
        yield _grid_search_case(smoke, client)
        yield _sketch_case(smoke, client)
