"""``python -m skpapers``: listing and reproducing registered experiments."""

import json
import re
import subprocess
import sys

import pytest

from skpapers.__main__ import main
from skpapers.experiments import ExperimentResult, register_experiment
from skpapers.experiments._registry import _REGISTRY


@pytest.fixture
def toy_experiments():
    """Register a working and a failing experiment for the duration of a test."""

    @register_experiment("toy_ok", paper="A toy paper", claim="Sums add up.")
    def run_ok(*, quick, track, random_state):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        # long enough to be folded away, with the values a reader must not see raw
        rows = [
            {
                "k": k,
                "sum": float(k * (k + 1) // 2),
                "even": k % 2 == 0,
                "gap": None,
                "vs k-1": "+" if k > 1 else "=",
            }
            for k in track(range(1, 21))
        ]
        fig, ax = plt.subplots()
        ax.plot([r["k"] for r in rows], [r["sum"] for r in rows])
        return ExperimentResult(
            summary=f"quick={quick}, seed={random_state}",
            table=rows,
            supports_claim=True,
            figure=fig,
            metrics={"largest": rows[2]["sum"]},
            paper_comparison=[
                {"quantity": "sum to 3", "paper": 6, "ours": 6.0, "note": "agrees"}
            ],
        )

    @register_experiment("toy_fail", paper="A broken paper", claim="It runs.")
    def run_fail(*, quick, track, random_state):
        raise RuntimeError("deliberate failure")

    yield
    del _REGISTRY["toy_ok"], _REGISTRY["toy_fail"]


def test_list_shows_registered(toy_experiments, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "toy_ok" in out and "A toy paper" in out


def test_reproduce_writes_report(toy_experiments, tmp_path):
    assert main(["reproduce", "toy_ok", "--out", str(tmp_path), "--full"]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert results[0]["status"] == "ok"
    assert results[0]["metrics"] == {"largest": 6.0}
    assert results[0]["summary"] == "quick=False, seed=0"
    assert (tmp_path / "toy_ok.png").stat().st_size > 1000
    report = (tmp_path / "report.md").read_text()
    assert "Sums add up." in report and "**Verdict: supported.**" in report
    assert "![toy_ok](toy_ok.png)" in report
    page = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64," in page and "Sums add up." in page
    # the paper's numbers beside ours, then the figure, then the long table
    assert results[0]["paper_comparison"][0]["paper"] == 6
    comparison = report.index("**Paper vs ours.**")
    figure = report.index("![toy_ok]")
    assert comparison < figure < report.index("<details>") < report.index("| k |")
    assert page.index("Paper vs ours") < page.index("data:image/png")
    assert page.index("data:image/png") < page.index("<th>k</th>")


def _sections(page):
    """``{id: html}`` of the report's per-experiment sections."""
    return dict(re.findall(r"<section id='([^']+)'>(.*?)</section>", page, re.S))


def test_report_html_header_contents_and_order(toy_experiments, tmp_path):
    code = main(["reproduce", "toy_ok", "toy_fail", "--out", str(tmp_path)])
    assert code == 1
    page = (tmp_path / "report.html").read_text()

    # the header says where and when it ran, on what, and under what load
    header = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", page))
    assert set(header) >= {"Commit", "Date", "Software", "Machine", "Load"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", header["Date"])
    assert re.search(r"numpy \d", header["Software"])
    assert re.search(r"scikit-learn \d", header["Software"])
    assert re.search(
        r"other work running at the start: (yes|no)|not measurable", header["Load"]
    )
    assert header["Commit"]

    # one contents link per experiment, each to its section, with its verdict
    nav = page[page.index("<nav>") : page.index("</nav>")]
    links = re.findall(r"<a href='#([^']+)'>", nav)
    sections = _sections(page)
    assert links == ["toy_ok", "toy_fail"] == list(sections)
    assert "badge supported" in nav and "badge failed" in nav

    # per experiment: the figure comes before its first long (folded) table
    ok = sections["toy_ok"]
    assert ok.index("data:image/png") < ok.index("<details>")
    assert "Full results (20 rows)" in ok
    assert "deliberate failure" in sections["toy_fail"]

    # clean values: no raw Python values, and sign columns get a legend
    cells = re.findall(r"<td>([^<]*)</td>", ok)
    assert "None" not in cells and "True" not in cells and "False" not in cells
    assert {"yes", "no", "n/a"} <= set(cells)
    assert "In the columns vs k-1: + better" in ok


def test_failure_is_reported_and_others_still_run(toy_experiments, tmp_path):
    code = main(["reproduce", "toy_fail", "toy_ok", "--out", str(tmp_path)])
    assert code == 1
    results = {
        r["name"]: r for r in json.loads((tmp_path / "results.json").read_text())
    }
    assert results["toy_fail"]["status"] == "failed"
    assert "deliberate failure" in results["toy_fail"]["error"]
    assert results["toy_ok"]["status"] == "ok"
    assert "deliberate failure" in (tmp_path / "report.md").read_text()


def test_unknown_experiment_is_an_error(capsys):
    assert main(["reproduce", "no_such_experiment"]) == 2
    assert "no_such_experiment" in capsys.readouterr().err


def test_registering_a_name_twice_is_an_error(toy_experiments):
    with pytest.raises(ValueError, match="already registered"):
        register_experiment("toy_ok", paper="x", claim="y")(lambda **kw: None)


def test_module_entry_point_lists():
    result = subprocess.run(
        [sys.executable, "-m", "skpapers", "list"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
