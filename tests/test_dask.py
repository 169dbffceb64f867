"""Scale-out on Dask, tested on a two-worker ``distributed.LocalCluster`` on loopback.

- every estimator in ``GridSearchCV`` under ``joblib.parallel_backend("dask")``
  gives the search a local backend gives;
- ``dask_ml.wrappers.Incremental`` streams ``partial_fit`` block by block exactly as a
  local loop over the same blocks, and ``ParallelPostFit`` predicts blockwise;
- ``SketchedLinearRegression`` fits a 1 GiB dask array on workers limited to 600 MiB
  (the out-of-core recipe of the docs), within the ``ell_inf`` guarantee;
- ``fit_many`` recovers many measurement vectors with ``KroneckerSBL`` on the
  cluster, as a loop of separate fits;
- without dask, skpapers still imports and works, and asking for dask says which
  extra to install;
- every recipe of ``docs/scaling_out.rst`` runs and passes its own checks.

The shared cluster runs one process per worker (``processes=True``): that is what a
real cluster does (every task and fitted model crosses a pickle boundary).
"""

import runpy
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV

from skpapers import KroneckerSBL, fit_many
from skpapers.utils import all_estimators, import_optional

from ._instances import construct_instance, make_check_data, param_grid

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")
joblib = pytest.importorskip("joblib")

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted((ROOT / "docs" / "recipes").glob("dask_*.py"))

ESTIMATORS = [cls for _, cls in all_estimators()]
INCREMENTAL = [cls for cls in ESTIMATORS if hasattr(cls, "partial_fit")]

# Two candidates whose scores differ on the check data, and a continuous score for
# the classifiers (accuracy ties on 60 samples). An estimator missing here gets
# the one-candidate grid of the common battery.
DASK_GRIDS = {
    "DPPWeightedLeastSquares": ({"degree": [1, 2]}, None),
    "EnsLossClassifier": ({"lr": [0.01, 0.1]}, "neg_log_loss"),
    "GenerativeDiscriminativeClassifier": ({"test_size": [0.25, 0.5]}, "neg_log_loss"),
    "KroneckerSBL": ({"precision_coupling": [0.0, 0.5]}, None),
    "OnlineOrthogonalDictionaryLearning": ({"threshold": [0.1, 0.5]}, None),
    "PooledGaussianNB": ({"var_smoothing": [1e-9, 1e-1]}, "neg_log_loss"),
    "SketchedLinearRegression": ({"sketch_size": [10, 20]}, None),
    "UnfoldedIHT": ({"lam": [0.01, 0.1]}, None),
    "UnfoldedISTA": ({"lam": [0.01, 0.1]}, None),
}


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _seeded(estimator):
    estimator = clone(estimator)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=0)
    return estimator


def _fitted_state(estimator):
    """Public fitted attributes (trailing underscore), arrays flattened from lists."""
    state = {}
    for key, value in vars(estimator).items():
        if not key.endswith("_") or key.startswith("_"):
            continue
        if isinstance(value, list | tuple):
            state.update({f"{key}[{i}]": np.asarray(v) for i, v in enumerate(value)})
        else:
            state[key] = np.asarray(value)
    return state


def _assert_same_state(actual, expected):
    actual, expected = _fitted_state(actual), _fitted_state(expected)
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if np.issubdtype(value.dtype, np.inexact):
            assert_allclose(actual[key], value, rtol=1e-10, atol=1e-12, err_msg=key)
        else:
            assert_array_equal(actual[key], value, err_msg=key)


# ----------------------------------------------------------------------------
# the recipes of docs/scaling_out.rst


def test_every_recipe_is_included_in_the_docs_page():
    page = (ROOT / "docs" / "scaling_out.rst").read_text()
    assert len(RECIPES) == 4
    for recipe in RECIPES:
        assert f".. literalinclude:: recipes/{recipe.name}" in page


@pytest.mark.parametrize(
    "recipe",
    [r for r in RECIPES if r.name != "dask_out_of_core.py"],
    ids=lambda path: path.stem,
)
def test_recipe_runs_and_passes_its_checks(recipe):
    # Each starts its own LocalCluster and ends with assertions; the out-of-core
    # recipe runs in its own test below. These tests come first in the module:
    # with the module's cluster (worker processes, TCP) already up, a recipe's
    # in-process workers open a client of their own from inside joblib's tasks
    # that outlives the recipe's cluster.
    runpy.run_path(str(recipe), run_name="__main__")


# ----------------------------------------------------------------------------
# GridSearchCV on the dask backend


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_grid_search_on_dask_backend_equals_local_search(client, Estimator):
    estimator = _seeded(construct_instance(Estimator))
    X, y = make_check_data(estimator)
    grid, scoring = DASK_GRIDS.get(Estimator.__name__, (param_grid(estimator), None))

    def search():
        return GridSearchCV(
            estimator, grid, scoring=scoring, cv=2, error_score="raise"
        ).fit(X, y)

    local = search()
    with joblib.parallel_backend("dask"), distributed.get_task_stream(client) as ts:
        remote = search()
    # The fits ran as tasks on the workers (joblib may batch several in one task).
    assert ts.data
    assert {task["worker"] for task in ts.data} <= set(
        client.scheduler_info()["workers"]
    )
    assert remote.best_params_ == local.best_params_
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    assert_allclose(
        remote.cv_results_["mean_test_score"],
        local.cv_results_["mean_test_score"],
        rtol=1e-10,
    )


# ----------------------------------------------------------------------------
# streaming partial_fit and blockwise prediction


def _blocks(n_samples, size):
    return [slice(start, start + size) for start in range(0, n_samples, size)]


@pytest.mark.parametrize("Estimator", INCREMENTAL, ids=lambda cls: cls.__name__)
def test_incremental_on_dask_blocks_equals_local_partial_fit_loop(client, Estimator):
    estimator = _seeded(construct_instance(Estimator))
    X, y = make_check_data(estimator, n_samples=90)
    kwargs = {"classes": np.unique(y)} if is_classifier(estimator) else {}
    X_dask = da.from_array(X, chunks=(30, -1))

    local = clone(estimator)
    for block in _blocks(len(X), 30):
        if y is None:
            local.partial_fit(X[block], **kwargs)
        else:
            local.partial_fit(X[block], y[block], **kwargs)

    streamed = dask_ml_wrappers.Incremental(clone(estimator), shuffle_blocks=False)
    with distributed.get_task_stream(client) as ts:
        if y is None:
            streamed.fit(X_dask, **kwargs)
        else:
            streamed.fit(X_dask, da.from_array(y, chunks=30), **kwargs)
    # One partial_fit task per block ran on the workers, in order.
    steps = [task["key"][1] for task in ts.data if task["key"][0].startswith("fit-")]
    assert sorted(step for step in steps if step >= 0) == [0, 1, 2]
    _assert_same_state(streamed.estimator_, local)
    # The streamed model predicts blockwise too (Incremental is a ParallelPostFit).
    method = "transform" if y is None else "predict"
    lazy = getattr(streamed, method)(X_dask)
    assert isinstance(lazy, da.Array)
    assert_allclose(lazy.compute(), getattr(local, method)(X), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_parallel_post_fit_outputs_lazy_blockwise_equal_to_in_memory(client, Estimator):
    estimator = _seeded(construct_instance(Estimator))
    X, y = make_check_data(estimator, n_samples=90)
    fitted = estimator.fit(X) if y is None else estimator.fit(X, y)
    wrapped = dask_ml_wrappers.ParallelPostFit(fitted)
    X_dask = da.from_array(X, chunks=(30, -1))
    methods = [
        m for m in ("predict", "predict_proba", "transform") if hasattr(fitted, m)
    ]
    assert methods
    for method in methods:
        lazy = getattr(wrapped, method)(X_dask)
        assert isinstance(lazy, da.Array)
        assert lazy.numblocks[0] == 3
        assert_allclose(
            lazy.compute(), getattr(fitted, method)(X), rtol=1e-10, atol=1e-12
        )


# ----------------------------------------------------------------------------
# sketched regression on a dask array larger than a worker's memory limit


def test_sketched_regression_out_of_core_within_linf_guarantee():
    # The docs recipe: X (1 GiB) is drawn block by block on workers limited to
    # 600 MiB that spill nothing; it asserts that no worker went past its limit
    # or died, and that the coefficients are within the ell_inf bound of the
    # exact solution (normal equations summed over the blocks).
    recipe = runpy.run_path(str(ROOT / "docs" / "recipes" / "dask_out_of_core.py"))
    tracemalloc.start()
    try:
        result = recipe["main"]()
        client_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    X, reg = result["X"], result["reg"]
    assert X.nbytes > 1.5 * recipe["MEMORY_LIMIT"]
    assert max(result["peaks"].values()) < recipe["MEMORY_LIMIT"]
    assert result["error"] <= result["bound"]
    # This process (client and scheduler) gathered the small sketch, never X.
    assert reg.sketch_size_ * (X.shape[1] + 2) * 8 < 2**20
    assert client_peak < X.nbytes / 32
    # The data follow y = X COEF + 0.5 + noise: the reference is the right one.
    assert_allclose(result["exact"], np.append(recipe["COEF"], 0.5), atol=1e-2)


# ----------------------------------------------------------------------------
# KroneckerSBL over many measurement vectors


def _many_vectors(rng, n_vectors, complex_valued=False):
    """Shared factors (6 x 8, 5 x 9) and one Kronecker-supported x per column."""
    shape = (6, 8), (5, 9)

    def draw(size):
        z = rng.standard_normal(size)
        return z + 1j * rng.standard_normal(size) if complex_valued else z

    factors = [draw(s) for s in shape]
    coef = np.zeros((n_vectors, 8, 9), dtype=factors[0].dtype)
    for j in range(n_vectors):
        rows, cols = rng.choice(8, 2, replace=False), rng.choice(9, 2, replace=False)
        coef[j, rows[:, None], cols] = 1.0 + np.abs(draw((2, 2)))
    coef = coef.reshape(n_vectors, -1)
    Y = np.kron(*factors) @ coef.T + 0.01 * draw((30, n_vectors))
    return factors, Y, coef


@pytest.mark.parametrize("complex_valued", [False, True])
def test_fit_many_equals_a_loop_of_separate_fits(complex_valued):
    factors, Y, coef = _many_vectors(np.random.default_rng(0), 5, complex_valued)
    sbl = KroneckerSBL(max_iter=200)
    recovered, fitted = fit_many(sbl, None, Y, factors=factors, return_estimators=True)
    loop = [clone(sbl).fit(None, y, factors=factors) for y in Y.T]
    assert recovered.dtype == coef.dtype
    assert_array_equal(recovered, np.stack([est.coef_ for est in loop]))
    for est, ref in zip(fitted, loop, strict=True):
        assert est.noise_variance_ == ref.noise_variance_
    assert not hasattr(sbl, "coef_"), "the estimator passed in was modified"
    nmse = np.sum(np.abs(recovered - coef) ** 2, 1) / np.sum(np.abs(coef) ** 2, 1)
    assert np.all(nmse < 1e-2)

    # A dense dictionary (X) instead of factors: the same fits.
    if not complex_valued:
        X = np.kron(*factors)
        dense = fit_many(KroneckerSBL(), X, Y)
        assert_array_equal(
            dense, np.stack([KroneckerSBL().fit(X, y).coef_ for y in Y.T])
        )


def test_fit_many_on_the_cluster_equals_loop(client):
    factors, Y, _ = _many_vectors(np.random.default_rng(1), 6)
    sbl = KroneckerSBL()
    loop = np.stack([clone(sbl).fit(None, y, factors=factors).coef_ for y in Y.T])

    with joblib.parallel_backend("dask"), distributed.get_task_stream(client) as ts:
        on_cluster = fit_many(sbl, None, Y, factors=factors)
    assert len(ts.data) > 0
    assert_allclose(on_cluster, loop, rtol=1e-10, atol=1e-12)

    Y_dask = da.from_array(Y, chunks=(10, 4))  # rows are rechunked to one block
    lazy = fit_many(sbl, None, Y_dask, factors=factors)
    assert isinstance(lazy, da.Array) and lazy.shape == loop.shape
    assert lazy.chunks[0] == (4, 2)
    with distributed.get_task_stream(client) as ts:
        computed = lazy.compute()
    assert len(ts.data) >= 2  # one fit task per block of columns, at least
    assert_allclose(computed, loop, rtol=1e-10, atol=1e-12)

    # A dense dictionary travels with the blocks the same way.
    X = np.kron(*factors)
    dense = np.stack([KroneckerSBL().fit(X, y).coef_ for y in Y.T])
    lazy_dense = fit_many(KroneckerSBL(), X, Y_dask)
    assert_allclose(lazy_dense.compute(), dense, rtol=1e-10, atol=1e-12)


def test_fit_many_rejects_bad_input():
    factors, Y, _ = _many_vectors(np.random.default_rng(2), 3)
    with pytest.raises(ValueError, match="one measurement vector per column"):
        fit_many(KroneckerSBL(), None, Y[:, 0], factors=factors)
    with pytest.raises(ValueError, match="as X or as factors"):
        fit_many(KroneckerSBL(), None, Y)
    with pytest.raises(ValueError, match="no columns"):
        fit_many(KroneckerSBL(), None, Y[:, :0], factors=factors)
    with pytest.raises(ValueError, match="fit method"):
        fit_many(object(), None, Y, factors=factors)
    with pytest.raises(ValueError, match="in-memory Y"):
        fit_many(
            KroneckerSBL(),
            None,
            da.from_array(Y),
            factors=factors,
            return_estimators=True,
        )
    with pytest.raises(ValueError, match="one measurement vector per column"):
        fit_many(KroneckerSBL(), None, da.from_array(Y[:, 0]), factors=factors)
    # A measurement vector the estimator rejects: its own error comes through.
    Y_bad = Y.copy()
    Y_bad[0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fit_many(KroneckerSBL(), None, Y_bad, factors=factors)


# ----------------------------------------------------------------------------
# without dask


class _Absent:
    """Stands for ``importlib`` in an environment without the optional packages.

    Patched into the helper's module only: emptying ``sys.modules`` instead would
    break the cluster's threads running in this process.
    """

    @staticmethod
    def import_module(name):
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)


@pytest.mark.parametrize(
    "module, extra",
    [
        ("dask.array", "dask"),
        ("distributed", "dask"),
        ("dask_ml.wrappers", "dask"),
        ("torch", "torch"),
        ("cupy", "gpu"),
    ],
)
def test_missing_optional_dependency_names_the_extra(monkeypatch, module, extra):
    from skpapers.utils import _optional

    monkeypatch.setattr(_optional, "importlib", _Absent)
    with pytest.raises(ImportError, match=rf'pip install "skpapers\[{extra}\]"'):
        import_optional(module, purpose="the test")
    with pytest.raises(ImportError, match=f"the test needs {module!r}"):
        import_optional(module, purpose="the test")


def test_import_optional_imports_and_rejects_unknown_modules():
    assert import_optional("dask.array") is da
    with pytest.raises(ValueError, match="not an optional dependency"):
        import_optional("numpy")


def test_without_dask_skpapers_works_and_says_what_to_install():
    # A fresh interpreter in which dask, distributed and dask_ml cannot be imported.
    code = textwrap.dedent(
        """
        import sys
        from importlib.abc import MetaPathFinder

        class NoDask(MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {"dask", "distributed", "dask_ml"}:
                    raise ModuleNotFoundError(f"No module named {name!r}")

        sys.meta_path.insert(0, NoDask())

        import numpy as np
        import skpapers
        from skpapers import KroneckerSBL, SketchedLinearRegression, fit_many
        from skpapers.utils import import_optional

        rng = np.random.default_rng(0)
        X = rng.standard_normal((200, 3))
        SketchedLinearRegression(sketch_size=50, random_state=0).fit(X, X @ [1, 2, 3])
        fit_many(KroneckerSBL(), X[:20], X[:20, :2] @ np.eye(2, 3))
        try:
            import_optional("dask.array", purpose="the recipe")
        except ImportError as exc:
            print(exc)

        import warnings
        from benchmarks.bench_dask_scaling import cases

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert list(cases(smoke=True)) == []
        print(caught[0].message)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    message, skipped = result.stdout.splitlines()
    assert "the recipe needs 'dask.array'" in message
    assert 'pip install "skpapers[dask]"' in message
    assert "dask_scaling benchmark" in skipped and "skpapers[dask]" in skipped
