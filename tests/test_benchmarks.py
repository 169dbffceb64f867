"""The benchmark harness: warm-up excluded, medians, memory peaks, ratios."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks import Case, Contender, markdown_table, measure, run_case

ROOT = Path(__file__).resolve().parents[1]


def test_measure_excludes_warm_up_and_sees_memory():
    calls = []

    def allocate():
        calls.append(1)
        return np.ones(2**20).sum()  # 8 MiB

    result = measure(allocate, repeat=3)
    # one warm-up, three timed, one under tracemalloc
    assert len(calls) == 5
    assert len(result["times"]) == 3
    assert result["seconds"] == sorted(result["times"])[1]
    assert 7.9 < result["peak_mib"] < 9
    assert result["output"] == 2**20


def test_run_case_reports_ratios():
    small, large = np.ones(2**16), np.ones(2**20)
    case = Case(
        label="toy",
        ours=Contender("small", lambda: small.copy()),
        peer=Contender("large", lambda: large.copy()),
        quality=lambda out: float(out.size),
        quality_name="size",
    )
    row = run_case("toy", case, repeat=2)
    assert row["quality_ratio"] == 2**16 / 2**20
    assert row["memory_ratio"] < 0.1
    assert row["speedup"] == row["seconds_peer"] / row["seconds_ours"]
    table = markdown_table([row])
    assert table.count("\n") == 2 and "| toy | toy | small | large |" in table


def test_smoke_run_from_the_command_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    saved = list(tmp_path.glob("*.json"))
    if "No benchmarks are registered" not in result.stdout:
        assert saved and all(
            row["seconds_ours"] > 0 for row in json.loads(saved[0].read_text())
        )
