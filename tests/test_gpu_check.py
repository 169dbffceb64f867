"""benchmarks/gpu_check.py: its dry run end to end, its coverage, its refusal.

The dry run is the whole GPU check with array_api_strict's "device1" standing in
for CuPy and "cpu" for "cuda", at small sizes: it proves the script's logic (the
estimator list, the placement and agreement checks, the JSON and the table)
without a GPU. The real run on a GPU is ``python -m benchmarks.gpu_check``.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.utils import get_tags

from skpapers.utils import all_estimators

ROOT = Path(__file__).resolve().parents[1]


def _run(*args):
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.gpu_check", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )


def test_dry_run_checks_every_gpu_path(tmp_path):
    pytest.importorskip("array_api_strict")
    pytest.importorskip("torch")
    path = tmp_path / "gpu_check.json"
    result = _run("--dry-run", "--json", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(path.read_text())
    assert report["mode"] == "dry-run" and report["passed"]

    # derived here independently of the script: no estimator is left out
    array_api = {
        name for name, cls in all_estimators() if get_tags(cls()).array_api_support
    }
    assert {"SketchedLinearRegression", "DPPWeightedLeastSquares"} <= array_api
    rows = {row["estimator"]: row for row in report["rows"]}
    assert array_api | {"PoolSampler.projection_dpp"} <= set(rows)
    assert {"UnfoldedISTA", "EnsLossMLPClassifier"} <= set(rows)
    assert set(report["array_api_estimators"]) == array_api

    # Wiring only, not tolerance: in the dry run the torch rows compare a "cpu"
    # fit with a "cpu" fit and array_api_strict wraps NumPy, so most differences
    # are 0 by construction. That the agreement check can fail is
    # test_a_gpu_result_beyond_its_tolerance_is_a_failed_row's business; the
    # tolerances themselves are only tested by a run on a GPU.
    for name, row in rows.items():
        assert row["passed"] and row["on_device"], (name, row["note"])
        assert row["max_abs_diff"] <= row["tolerance"], name
        assert row["cpu_s"] > 0 and row["gpu_s"] > 0, name
        assert row["tolerance_reason"] != "no tolerance stated", name
    # the device chain rule drew the very rows of the numba one
    assert rows["PoolSampler.projection_dpp"]["max_abs_diff"] == 0

    table = [line for line in result.stdout.splitlines() if line.startswith("|")]
    assert table[0].startswith("| estimator | size | CPU s | GPU s | speedup")
    assert len(table) == 2 + len(rows)
    assert all(line.endswith("| yes | yes |") for line in table[2:])


def test_the_placement_check_tells_host_from_device():
    from benchmarks.gpu_check import dry_run_backend

    xp = pytest.importorskip("array_api_strict")
    backend = dry_run_backend()
    on_device = backend.asarray(np.zeros(2))
    assert backend.on_device(on_device, backend.asarray(np.ones((2, 2))))
    assert not backend.on_device(on_device, np.zeros(2))  # NumPy: on the host
    other_device = xp.asarray(np.zeros(2), device=xp.Device("CPU_DEVICE"))
    assert not backend.on_device(other_device)


def test_an_estimator_without_a_case_is_a_failed_row():
    from benchmarks.gpu_check import dry_run_backend, run_case

    pytest.importorskip("array_api_strict")
    row = run_case("NewGPUEstimator", "array API", dry_run_backend(), {}, repeat=1)
    assert not row["passed"] and "no gpu_check case" in row["note"]


def test_without_a_gpu_it_exits_with_a_clear_message():
    if importlib.util.find_spec("cupy") is not None:
        pytest.skip("CuPy is installed: this machine may have a GPU")
    result = _run()
    assert result.returncode == 2
    assert "needs CuPy and a CUDA GPU" in result.stderr
    assert "--dry-run" in result.stderr


def test_a_gpu_result_beyond_its_tolerance_is_a_failed_row(monkeypatch):
    import benchmarks.gpu_check as gpu_check
    from skpapers.utils import to_numpy

    pytest.importorskip("array_api_strict")
    backend = gpu_check.dry_run_backend()
    sizes = gpu_check.SIZES["small"]
    name = "PooledGaussianNB"
    row = gpu_check.run_case(name, "array API", backend, sizes, repeat=1)
    assert row["passed"], row["note"]
    tolerance = row["tolerance"]
    assert tolerance > 0
    # every array copied back from the device is off by 3x the tolerance
    monkeypatch.setattr(gpu_check, "to_numpy", lambda a: to_numpy(a) + 3 * tolerance)
    row = gpu_check.run_case(name, "array API", backend, sizes, repeat=1)
    assert row["on_device"] and not row["passed"]
    assert row["max_abs_diff"] == pytest.approx(3 * tolerance, rel=1e-6)
    assert "| **NO** |" in gpu_check.markdown_table([row])


def test_a_row_needing_a_missing_package_fails_with_the_package_name():
    from benchmarks.gpu_check import dry_run_backend, run_case

    pytest.importorskip("array_api_strict")
    backend = dry_run_backend()
    assert backend.missing == {}  # this environment has everything
    backend.missing = {
        "skorch": "not installed",
        "array-api-compat": "not installed",
    }
    for name, kind, package in [
        ("UnfoldedISTA", "torch device", "skorch: not installed"),
        ("PooledGaussianNB", "array API", "array-api-compat: not installed"),
    ]:
        row = run_case(name, kind, backend, {}, repeat=1)
        assert not row["passed"] and "traceback" not in row
        assert row["note"].startswith("not run, missing " + package), row["note"]
    # EnsLoss needs torch, not skorch: it is not held back (it runs, and fails
    # here only for want of sizes)
    row = run_case("EnsLossMLPClassifier", "torch device", backend, {}, repeat=1)
    assert row["note"] == "KeyError: 'mlp'"
