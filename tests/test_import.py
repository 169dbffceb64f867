"""Importing skpapers, and discovering its estimators, loads no optional dependency."""

import subprocess
import sys

import pytest

OPTIONAL = ("torch", "skorch", "cupy", "dask", "distributed", "dask_ml")


@pytest.mark.parametrize(
    "code",
    [
        "import skpapers",
        "import skpapers; skpapers.all_estimators()",
        "from skpapers.experiments import get_experiments; get_experiments()",
    ],
)
def test_no_optional_dependency_imported(code):
    probe = (
        f"{code}\nimport sys\n"
        f"print(','.join(m for m in {OPTIONAL!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{code!r} imported {result.stdout.strip()}"


def test_probe_detects_an_import():
    # The probe above would see a module that is imported.
    probe = "import json, sys; print('json' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "True"
