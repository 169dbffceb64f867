"""Streaming ``partial_fit`` over a dask array, and blockwise prediction.

``dask_ml.wrappers.Incremental`` calls the estimator's ``partial_fit`` on one block
of rows after another, on the cluster, so only one block is in memory at a time;
``ParallelPostFit`` predicts (or transforms) block by block and returns a lazy
dask array.
"""

import dask.array as da
import numpy as np
from dask_ml.wrappers import Incremental, ParallelPostFit
from distributed import Client, LocalCluster
from sklearn.datasets import make_classification

from skpapers import OnlineOrthogonalDictionaryLearning, PooledGaussianNB


def main():
    X, y = make_classification(
        n_samples=6000, n_features=8, n_informative=6, n_classes=3, random_state=0
    )
    # Five blocks of 1200 rows: in practice read from Parquet, Zarr, HDF5, ...
    X_dask = da.from_array(X, chunks=(1200, -1))
    y_dask = da.from_array(y, chunks=1200)
    classes = np.unique(y)

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster),
    ):
        # shuffle_blocks=False: the blocks in order, as the loop below.
        nb = Incremental(PooledGaussianNB(), shuffle_blocks=False)
        nb.fit(X_dask, y_dask, classes=classes)
        predicted = nb.predict(X_dask)  # a lazy dask array, one block per block
        accuracy = float((predicted == y_dask).mean().compute())

        # An estimator fitted in memory on a sample transforms blockwise.
        odl = OnlineOrthogonalDictionaryLearning(random_state=0).fit(X[:1000])
        codes = ParallelPostFit(odl).transform(X_dask)
        codes_computed = codes.compute()

    # The same stream, block by block, in this process.
    local = PooledGaussianNB()
    for start in range(0, len(X), 1200):
        block = slice(start, start + 1200)
        local.partial_fit(X[block], y[block], classes=classes)
    np.testing.assert_allclose(nb.estimator_.theta_, local.theta_)
    np.testing.assert_allclose(nb.estimator_.var_, local.var_)
    assert isinstance(predicted, da.Array) and isinstance(codes, da.Array)
    assert accuracy == np.mean(local.predict(X) == y)
    np.testing.assert_allclose(codes_computed, odl.transform(X))
    print(f"streamed PooledGaussianNB: training accuracy {accuracy:.3f}")
    return nb


if __name__ == "__main__":
    main()
