"""GridSearchCV on a Dask cluster: joblib's "dask" backend runs the fits.

The search is scikit-learn's own; ``joblib.parallel_backend("dask")`` sends each
(candidate, fold) fit to the cluster's workers. The result is the one a local
search gives, fit for fit.
"""

import joblib
import numpy as np
from distributed import Client, LocalCluster, get_task_stream
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpapers import EnsLossClassifier


def main():
    X, y = make_classification(n_samples=400, n_features=10, random_state=0)
    pipe = make_pipeline(StandardScaler(), EnsLossClassifier(random_state=0))
    grid = {
        "enslossclassifier__loss": ["ensloss", "bce"],
        "enslossclassifier__lr": [0.01, 0.1],
    }

    # Two single-threaded workers, the dashboard on any free local port.
    # processes=False keeps this demo light (threads in this process); on a real
    # machine leave it out, or connect a Client to your cluster's scheduler.
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as client,
    ):
        search = GridSearchCV(pipe, grid, cv=3)
        with joblib.parallel_backend("dask"), get_task_stream(client) as tasks:
            search.fit(X, y)

    # The same search on this machine's default backend.
    local = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert len(tasks.data) > 0, "no fit ran on the cluster"
    assert search.best_params_ == local.best_params_
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    print(f"best {search.best_params_}: accuracy {search.best_score_:.3f}")
    return search


if __name__ == "__main__":
    main()
