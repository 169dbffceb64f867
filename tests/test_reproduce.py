"""The main job end to end: ``python -m skpapers reproduce --quick`` on every paper.

One subprocess runs all registered experiments at their quick size (about 1.5 min
on two cores), exactly as the README's first command does, and the test then reads
what it wrote. It checks the files, and for each paper the headline comparison
that the report states, from the numbers in ``results.json``, not from the
experiment's own verdict alone.
"""

import base64
import json
import os
import re
import subprocess
import sys

from skpapers.experiments import get_experiments


def _kronecker_sbl(m):
    nmse = m["nmse_db_default"]
    best = min(nmse["KroSBL-SVD"], nmse["KroSBL-AM"])
    assert best < nmse["ARD"], nmse
    assert best < nmse["OMP"], nmse
    assert m["svd_ms"] < m["am_ms"]
    # IRS-MIMO: PC-KroSBL (the paper's) beats AM-KroSBL at every SNR in mean
    # NMSE, and its mean over the trials run is within 3x of the paper's
    # published (50-trial mean) NMSE at 12, 16 and 20 dB
    irs = m["irs_nmse"]
    pc, am = irs["PC-KroSBL (beta=0.8)"], irs["AM-KroSBL"]
    assert len(pc) == len(m["irs_snr_db"]) == 5
    assert all(p < a for p, a in zip(pc, am)), (pc, am)
    assert all(r <= 3 for r in m["irs_pc_over_paper_at_12_16_20_db"]), pc


def _nb_vs_lr(m):
    complexity = m["sample_complexity"]
    assert complexity
    for k, rows in complexity.items():
        # O(log n) vs O(n): naive Bayes' samples-to-Bayes-error flat in n,
        # logistic regression's growing with n, and always more of them
        assert rows["nb_slope"] <= 0.3, k
        assert rows["lr_slope"] >= 0.5, k
        assert all(nb < lr for nb, lr in zip(rows["nb_m"], rows["lr_m"])), k
    assert m["hard"]
    for name, entry in m["hard"].items():
        # two regimes: a crossover whose 95% CI excludes "no crossover"
        assert entry["excludes_no_crossover"], name
        low, high = entry["crossover_ci"]
        assert low <= entry["crossover_m"] <= high, name


def _dpp_wls(m):
    assert m["volume_worst_mean_sq_error_ratio"] <= 3.0
    for d, entry in m["first_stable_ratio"].items():
        assert entry["repeated_dpp"] is not None, d
        iid = entry["iid_optimal"]
        assert iid is None or entry["repeated_dpp"] < iid, (d, entry)
    for d, entry in m["iid_conditioned"].items():
        # rejecting unstable Gram matrices makes i.i.d. sampling quasi-optimal
        # wherever it can be drawn; near n = 2m it cannot (acceptance ~ 0)
        assert entry["first_drawable"] is not None, d
        assert entry["worst_mean_sq_error_ratio"] <= 3.0, (d, entry)


def _online_odl(m):
    # medians over >= 10 trials of the authors' protocol (batch size 1) and of
    # the harder, denser setting
    assert m["n_trials"] >= 10
    protocol, hard = (f"n={n},theta={theta}" for n, theta in m["settings"])
    median = m["median_recovery_error"]
    ours = median[protocol]["FW-ODL, defaults"]
    mbdl = "MiniBatchDictionaryLearning (online, batches of 256)"
    assert ours < 0.05
    assert ours <= median[protocol][mbdl]
    assert median[hard]["FW-ODL, defaults"] < 0.05


def _sketched_linf(m):
    assert m["dense_meet_bound"] is True
    assert m["dense_worst_q95_over_promised"] <= 1.0
    # CountSketch breaks the entrywise guarantee on the coherent matrix
    assert max(m["countsketch_coherent_violation_rates"]) > 0.5


def _unfolded(m):
    # medians over >= 10 trials of the paper's setting
    assert m["n_trials"] >= 10
    nmse, objective = m["nmse_db"], m["objective"]
    assert nmse["supervised-ISTA"] < nmse["unsupervised-ISTA"]
    assert objective["supervised-ISTA"] > objective["unsupervised-ISTA"]
    assert m["unsupervised_ista_objective_gap"] <= 0.05
    for loss in ("supervised", "unsupervised"):
        assert nmse[f"{loss}-IHT"] < nmse["IHT"]
    # the v2 mismatch verdict is reported with its interval, whichever way it goes
    low, high = m["mismatch"]["IHT"]["unsupervised_advantage_db_ci95"]
    assert low <= m["mismatch"]["IHT"]["unsupervised_advantage_db_median"] <= high


def _ensloss(m):
    # The quick run covers the paper's three regimes (a digit pair with a CNN and
    # an MLP, a p >> n gene-expression task, label-noise synthetic data). What
    # must hold: no EnsLoss fit diverges, the synthetic setting overfits (BCE's
    # train-test gap is large: the regime the claim is about), and every setting
    # is compared with each fixed loss once per task.
    assert m["diverged"]["ensloss"] == 0
    assert m["bce_gap"]["synthetic, MLP 1x128"] > 0.2, m["bce_gap"]
    assert set(m["counts"]) == {
        "image pairs, CNN",
        "image pairs, MLP 3x128",
        "p >> n tabular, MLP 1x128",
        "synthetic, MLP 1x128",
    }
    for tally in m["counts"].values():
        assert len({sum(c.values()) for c in tally.values()}) == 1, tally


HEADLINES = {
    "kronecker_sbl": (_kronecker_sbl, True),
    "nb_vs_lr": (_nb_vs_lr, True),
    "dpp_wls": (_dpp_wls, True),
    "online_odl": (_online_odl, True),
    "sketched_linf": (_sketched_linf, True),
    "unfolded": (_unfolded, True),
    "ensloss": (_ensloss, None),
}


def test_every_experiment_has_a_headline_check():
    assert {e.name for e in get_experiments()} == set(HEADLINES)


def test_reproduce_quick_end_to_end(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-m", "skpapers", "reproduce", "--quick", "--out", tmp_path],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    results = json.loads((tmp_path / "results.json").read_text())
    records = {r["name"]: r for r in results}
    assert set(records) == set(HEADLINES)
    report = (tmp_path / "report.md").read_text()
    page = (tmp_path / "report.html").read_text()
    images = re.findall(r"src=['\"]data:image/png;base64,([^'\"]+)", page)
    assert len(images) == len(HEADLINES)
    for encoded in images:
        assert base64.b64decode(encoded)[:8] == b"\x89PNG\r\n\x1a\n"

    failures = []
    for name, (check, claim_supported) in HEADLINES.items():
        record = records[name]
        assert record["status"] == "ok", record
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
        assert f"## {name}:" in report and record["claim"] in report
        try:
            check(record["metrics"])
        except AssertionError as exc:
            failures.append(f"{name}: headline comparison fails: {exc!r}")
        if record["supports_claim"] is not claim_supported:
            failures.append(
                f"{name}: verdict {record['supports_claim']} differs from the "
                f"documented {claim_supported}; update the docs and this test"
            )
    assert not failures, "\n".join(failures)
