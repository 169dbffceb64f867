"""Kronecker-structured SBL: the paper's synthetic sweeps and its IRS-MIMO application.

Synthetic sweeps (the authors' ``KroSBL_f``): problems from
:func:`skpapers.datasets.make_kronecker_sparse` in the paper's model
(``kronecker_values=True, unit_norm_atoms=False``: ``randn`` factors and
``x = x_1 ⊗ x_2 ⊗ x_3``), the noise variance known to the SBL methods as in the
authors' code, at most 150 EM iterations. Each method is scored by its NMSE
``10 log10(mean ||x_hat - x||^2 / ||x||^2)`` over the trials, the failures
(NMSE > 1e-2) and its support recovery rate: the fraction of the true support
among the ``|S|`` largest entries of ``|x_hat|``. Baselines: classic SBL
(KroneckerSBL with one factor), scikit-learn's ARDRegression and
OrthogonalMatchingPursuit (told the true number of non-zeros), and least squares
on the true support (oracle). ARDRegression and classic SBL work on the explicit
dictionary and cost seconds to minutes per problem: they run on the SNR sweep
only: in ``--quick`` (3 factors of 10 atoms) 10 trials at 25 dB, like the fast
methods at every point; in ``--full`` 2 trials of classic SBL from 5 dB and one of
ARD from 25 dB, where the fast methods run the authors' 200 trials per point, on
two worker processes, and the report says how long it took.

IRS-MIMO channel estimation (the authors' ``PC-KroSBL/main.m``): problems from
:func:`skpapers.datasets.make_irs_channel` (6 MS and 16 BS antennas, 256 IRS
elements, 18-point grids, 3 pilots, 6 IRS patterns, angular spread 3; ``M = 288``,
``N = 5,832``, complex), known noise variance, at most 150 iterations, each method
with the authors' per-mode relative pruning (SVD: 1e-4, 1e-4, 0; AM: 1e-2, 1e-1,
1e-3; PC-KroSBL: 1e-2, 1e-1, 1e-2) and start (gamma = 1; ``g = 1`` under the
coupling). NMSE is the paper's: ``||H_hat_p - H_p||^2 / ||H_p||^2`` of the cascaded
channel, averaged over the IRS patterns and the trials. Beside the paper's
methods: SVD-KroSBL from the data-scaled start ``gamma_init="data"`` (a result
beyond the paper) and classic SBL on the explicit ``288 x 5,832`` dictionary (13 s
per fit: 2 trials per SNR), both in ``--full`` only. ``--quick`` runs 20 IRS trials
per SNR, ``--full`` the paper's 50; the IRS trials run on two worker processes.
"""

import time
import warnings

import numpy as np

from skpapers.experiments import ExperimentResult, register_experiment
from skpapers.utils._kronecker import kron, kron_matvec

_PAPER = (
    "Bayesian Algorithms for Kronecker-structured Sparse Vector Recovery With "
    "Application to IRS-MIMO Channel Estimation"
)
_CLAIM = (
    "Kronecker-structured SBL recovers Kronecker-supported sparse vectors at least "
    "as accurately as classic SBL, ARD and OMP, and its SVD-based solver is faster "
    "than the AM-based one and about as accurate; in IRS-MIMO channel estimation "
    "PC-KroSBL is more accurate than AM-KroSBL without coupling."
)
# "at least as accurate": NMSE no more than this many dB above the baseline's
_TIE_DB = 0.5
_FAILURE = 1e-2
_MAX_ITER = 150

_FAST = ("KroSBL-SVD", "KroSBL-AM", "OMP", "Oracle LS")
_SLOW = ("Classic SBL", "ARD")

# the IRS setting: the methods with the authors' per-mode pruning
_IRS_SNRS = (4, 8, 12, 16, 20)
_IRS_METHODS = {
    "SVD-KroSBL": dict(solver="svd", prune_threshold=(1e-4, 1e-4, 0.0)),
    "AM-KroSBL": dict(solver="am", prune_threshold=(1e-2, 1e-1, 1e-3)),
    "PC-KroSBL (beta=0.8)": dict(
        solver="am",
        coupling=0.8,
        block_modes=(0, 2),
        prune_threshold=(1e-2, 1e-1, 1e-2),
    ),
    "SVD-KroSBL, data start": dict(
        solver="svd", prune_threshold=(1e-4, 1e-4, 0.0), gamma_init="data"
    ),
    "Classic SBL": dict(),
}
# the authors' saved 50-trial results (PC-KroSBL/Results), NMSE at 4..20 dB
_IRS_PAPER = {
    "SVD-KroSBL": (0.609, 0.305, 0.194, 0.123, 0.105),
    "AM-KroSBL": (0.714, 0.321, 0.197, 0.139, 0.070),
    "PC-KroSBL (beta=0.8)": (0.312, 0.132, 0.049, 0.009, 0.003),
}


def _fit(method, factors, y, coef, noise_variance):
    """Run one method on one problem: the estimate and the seconds it took."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import ARDRegression, OrthogonalMatchingPursuit

    from skpapers import KroneckerSBL

    start = time.perf_counter()
    sbl = dict(noise_variance=noise_variance, max_iter=_MAX_ITER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if method == "KroSBL-SVD":
            estimate = KroneckerSBL(solver="svd", **sbl).fit(None, y, factors=factors)
            estimate = estimate.coef_
        elif method == "KroSBL-AM":
            estimate = KroneckerSBL(solver="am", **sbl).fit(None, y, factors=factors)
            estimate = estimate.coef_
        elif method == "Classic SBL":
            estimate = KroneckerSBL(**sbl).fit(kron(factors), y).coef_
        elif method == "ARD":
            estimate = ARDRegression(fit_intercept=False).fit(kron(factors), y).coef_
        elif method == "OMP":
            omp = OrthogonalMatchingPursuit(
                n_nonzero_coefs=int(np.count_nonzero(coef)),
                fit_intercept=False,
                precompute=False,  # twice as fast here as the Gram form
            )
            estimate = omp.fit(kron(factors), y).coef_
        else:  # least squares on the true support, through its Kronecker factors
            shape = tuple(a.shape[1] for a in factors)
            tensor = coef.reshape(shape) != 0
            supports = [
                np.flatnonzero(
                    tensor.any(axis=tuple(j for j in range(len(shape)) if j != i))
                )
                for i in range(len(shape))
            ]
            sub = kron([a[:, s] for a, s in zip(factors, supports)])
            estimate = np.zeros_like(coef)
            index = np.ravel_multi_index(np.ix_(*supports), shape).ravel()
            estimate[index] = np.linalg.lstsq(sub, y, rcond=None)[0]
    return estimate, time.perf_counter() - start


def _support_rate(estimate, coef):
    support = np.flatnonzero(coef)
    top = np.argsort(-np.abs(estimate), kind="stable")[: support.size]
    return np.intersect1d(top, support).size / support.size


def _settings(quick):
    """Base point, sweeps, trials, slow baselines {method: (trials, lowest SNR)}."""
    if quick:
        # every quick verdict on 10 trials: the slow baselines at the top SNR only
        slow = {"Classic SBL": (10, 25), "ARD": (10, 25)}
        base = dict(
            n_measurements=(5, 8, 10), n_atoms=(10, 10, 10), n_nonzero=2, snr=25
        )
        sweeps = {
            "SNR (dB)": ("snr", [5, 15, 25]),
            "M_1": ("m1", [3, 5, 7]),
            "non-zeros per factor": ("k", [1, 2, 3]),
        }
        return base, sweeps, 10, slow
    # the authors' Configuration.m
    base = dict(n_measurements=(8, 12, 15), n_atoms=(15, 15, 15), n_nonzero=3, snr=25)
    sweeps = {
        "SNR (dB)": ("snr", [5, 10, 15, 20, 25, 30]),
        "M_1": ("m1", [6, 8, 10, 12, 14]),
        "non-zeros per factor": ("k", [2, 3, 4, 5, 6]),
    }
    # ARDRegression forms its 3,375 x 3,375 posterior covariance at every one of
    # its iterations (minutes per fit at this size): one fit, at 25 and 30 dB
    return base, sweeps, 200, {"Classic SBL": (2, 5), "ARD": (1, 25)}


def _problem(base, key, value, seed):
    from skpapers.datasets import make_kronecker_sparse

    m = list(base["n_measurements"])
    k, snr = base["n_nonzero"], base["snr"]
    if key == "snr":
        snr = value
    elif key == "m1":
        m[0] = value
    else:
        k = value
    factors, y, coef = make_kronecker_sparse(
        tuple(m),
        base["n_atoms"],
        k,
        snr_db=snr,
        kronecker_values=True,
        unit_norm_atoms=False,
        as_factors=True,
        random_state=seed,
    )
    noise_variance = np.mean(kron_matvec(factors, coef) ** 2) / 10 ** (snr / 10)
    return factors, y, coef, noise_variance


def _synthetic_trial(base, key, value, seed, methods):
    factors, y, coef, noise_variance = _problem(base, key, value, seed)
    out = {}
    for method in methods:
        estimate, elapsed = _fit(method, factors, y, coef, noise_variance)
        error = np.sum(np.abs(estimate - coef) ** 2) / np.sum(np.abs(coef) ** 2)
        out[method] = (error, _support_rate(estimate, coef), elapsed)
    return out


def _irs_trial(snr, seed, methods):
    from sklearn.exceptions import ConvergenceWarning

    from skpapers import KroneckerSBL
    from skpapers.datasets import make_irs_channel
    from skpapers.datasets._irs import channel_nmse

    data = make_irs_channel(snr_db=snr, random_state=seed)
    out = {}
    for method in methods:
        factors = data.factors
        if method == "Classic SBL":
            factors = [kron(factors)]
        est = KroneckerSBL(
            noise_variance=data.noise_variance,
            max_iter=_MAX_ITER,
            **_IRS_METHODS[method],
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(None, data.y, factors=factors)
        elapsed = time.perf_counter() - start
        nmse = channel_nmse(data.channel_factors, est.coef_, data.channel)
        out[method] = (nmse, _support_rate(est.coef_, data.coef), elapsed)
    return out


def _row(sweep, value, method, done):
    """One table row from the trials' ``(nmse, support rate, seconds)``."""
    nmse = np.array([d[0] for d in done])
    q1, median, q3 = np.percentile(nmse, [25, 50, 75])
    return {
        "sweep": sweep,
        "value": value,
        "method": method,
        "trials": len(done),
        "nmse": float(np.mean(nmse)),
        "nmse_db": float(10 * np.log10(np.mean(nmse))),
        "nmse_q1": float(q1),
        "nmse_median": float(median),
        "nmse_q3": float(q3),
        "failures": int(np.sum(nmse > _FAILURE)),
        "support_rate": float(np.mean([d[1] for d in done])),
        "seconds": float(np.mean([d[2] for d in done])),
    }


def _map(function, arguments, n_jobs):
    if n_jobs == 1:
        return [function(*a) for a in arguments]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs)(delayed(function)(*a) for a in arguments)


@register_experiment("kronecker_sbl", paper=_PAPER, claim=_CLAIM)
def run(*, quick, track, random_state):
    started = time.perf_counter()
    base, sweeps, n_trials, slow = _settings(quick)
    n_jobs = 1 if quick else 2
    # AM-KroSBL stalls (NMSE > 1e-2) in about 40% of the IRS trials at 16 dB:
    # fewer than 20 trials make its mean a coin toss
    irs_trials = 20 if quick else 50
    # trials of the extra methods: {method: trials}
    irs_extra = (
        {} if quick else {"SVD-KroSBL, data start": irs_trials, "Classic SBL": 2}
    )
    jobs = [
        ("synthetic", name, key, value)
        for name, (key, values) in sweeps.items()
        for value in values
    ] + [("irs", "IRS SNR (dB)", "snr", snr) for snr in _IRS_SNRS]
    rows, irs_rows = [], []
    for part, name, key, value in track(jobs, total=len(jobs)):
        if part == "irs":
            irs_rows.extend(_irs_point(value, irs_trials, irs_extra, random_state, 2))
            continue
        methods = _FAST + tuple(
            m for m in _SLOW if key == "snr" and value >= slow[m][1]
        )
        arguments = [
            (
                base,
                key,
                value,
                random_state + trial,
                [m for m in methods if m not in slow or trial < slow[m][0]],
            )
            for trial in range(n_trials)
        ]
        trials = _map(_synthetic_trial, arguments, n_jobs)
        for method in methods:
            done = [t[method] for t in trials if method in t]
            rows.append(_row(name, value, method, done))
    return _result(rows, irs_rows, sweeps, base, quick, time.perf_counter() - started)


def _irs_point(snr, n_trials, extra, random_state, n_jobs):
    paper = list(_IRS_PAPER)
    arguments = [
        (
            snr,
            random_state + trial,
            paper + [m for m, n in extra.items() if trial < n],
        )
        for trial in range(n_trials)
    ]
    trials = _map(_irs_trial, arguments, n_jobs)
    rows = []
    for method in _IRS_METHODS:
        done = [t[method] for t in trials if method in t]
        if done:
            rows.append(_row("IRS SNR (dB)", snr, method, done))
    return rows


def _result(rows, irs_rows, sweeps, base, quick, seconds):
    def value_of(sweep, value, method, column):
        for row in rows:
            if (row["sweep"], row["value"], row["method"]) == (sweep, value, method):
                return row[column]
        return None

    points = [(row["sweep"], row["value"]) for row in rows if row["method"] == "OMP"]
    best_kron = {p: min(value_of(*p, m, "nmse_db") for m in _FAST[:2]) for p in points}
    beats = []
    for sweep, value in points:
        for peer in ("OMP", *_SLOW):
            peer_nmse = value_of(sweep, value, peer, "nmse_db")
            if peer_nmse is not None:
                beats.append(best_kron[(sweep, value)] <= peer_nmse + _TIE_DB)
    svd_time = np.mean([r["seconds"] for r in rows if r["method"] == "KroSBL-SVD"])
    am_time = np.mean([r["seconds"] for r in rows if r["method"] == "KroSBL-AM"])
    gaps = [
        value_of(*p, "KroSBL-SVD", "nmse_db") - value_of(*p, "KroSBL-AM", "nmse_db")
        for p in points
    ]
    beat_share = float(np.mean(beats))
    median_gap = float(np.median(gaps))

    irs = {
        m: [r for r in irs_rows if r["method"] == m]
        for m in _IRS_METHODS
        if any(r["method"] == m for r in irs_rows)
    }
    irs_nmse = {m: [r["nmse"] for r in mine] for m, mine in irs.items()}
    pc, am = irs_nmse["PC-KroSBL (beta=0.8)"], irs_nmse["AM-KroSBL"]
    pc_beats_am = bool(all(p < a for p, a in zip(pc, am)))
    published = _IRS_PAPER["PC-KroSBL (beta=0.8)"][2:]
    pc_ratio = [o / p for o, p in zip(pc[2:], published)]
    pc_median = [r["nmse_median"] for r in irs["PC-KroSBL (beta=0.8)"]]
    pc_median_ratio = [o / p for o, p in zip(pc_median[2:], published)]
    supports = bool(
        beat_share >= 0.8 and svd_time < am_time and median_gap <= 1.0 and pc_beats_am
    )

    snr_name = "SNR (dB)"
    default = {m: value_of(snr_name, base["snr"], m, "nmse_db") for m in _FAST + _SLOW}
    summary = (
        f"Synthetic, at {base['snr']} dB ({'quick' if quick else 'paper'} size, N="
        f"{base['n_atoms']}, M={base['n_measurements']}, paper's data model): NMSE "
        + ", ".join(f"{m} {v:.1f} dB" for m, v in default.items() if v is not None)
        + f". The better KroSBL solver is at least as accurate (within {_TIE_DB} dB) "
        f"as the baseline in {beat_share:.0%} of the comparisons; SVD takes "
        f"{svd_time * 1e3:.0f} ms per problem against {am_time * 1e3:.0f} ms for "
        f"AM; SVD's NMSE minus AM's has median {median_gap:+.1f} dB. IRS-MIMO "
        f"({irs['AM-KroSBL'][0]['trials']} trials per SNR), NMSE at "
        + "/".join(str(s) for s in _IRS_SNRS)
        + " dB: "
        + "; ".join(
            f"{m} " + "/".join(f"{v:.3f}" for v in values)
            for m, values in irs_nmse.items()
            if len(values) == len(_IRS_SNRS)
        )
        + f". PC-KroSBL below AM-KroSBL at every SNR: {pc_beats_am}. "
        f"The run took {seconds:.0f} s."
    )
    metrics = {
        "nmse_db_default": default,
        "share_of_baseline_comparisons_matched": beat_share,
        "svd_ms": float(svd_time * 1e3),
        "am_ms": float(am_time * 1e3),
        "svd_minus_am_median_db": median_gap,
        "irs_snr_db": list(_IRS_SNRS),
        "irs_nmse": irs_nmse,
        "irs_pc_over_paper_at_12_16_20_db": pc_ratio,
        "irs_pc_median_over_paper_at_12_16_20_db": pc_median_ratio,
        "duration_s": float(seconds),
    }
    return ExperimentResult(
        summary=summary,
        table=rows + irs_rows,
        supports_claim=supports,
        figure=_figure(rows, irs_rows, sweeps),
        metrics=metrics,
        paper_comparison=_paper_comparison(irs),
    )


def _paper_comparison(irs):
    """The authors' published IRS NMSE beside ours, with the measured causes."""
    # both directions have one measured cause: the start gamma = 1 is about 1e-6
    # of the channel's variance (x ~ 840 |alpha|), so in some trials EM grows
    # gamma too slowly and stops at 150 iterations with x near 0 (NMSE ~ 1); such
    # stalled trials set the mean, and their count varies between trial sets
    spread = (
        "{failures} of {trials} trials above 1e-2 and the mean far from the "
        "median: a few bad trials set the mean, and their count varies between "
        "trial sets; "
    )
    stall = (
        "in those we inspected EM had stalled from the start gamma = 1 "
        "(about 1e-6 of the channel's variance: at 150 iterations most atoms are "
        "still active and x is shrunk towards 0)"
    )
    # PC-KroSBL's bad trials are the authors' algorithm's own (measured with a
    # port of their loop, see the module docstring of _sbl_solvers)
    pc_stall = (
        "run as the authors' (start g~ = C_beta 1, pruning 1e-2, 1e-1, 1e-2, "
        "floor 1e-5 on unit-norm factors), and a line-by-line port of their loop "
        "gives the same NMSE trial by trial: their algorithm stalls on the same "
        "draws (e.g. seed 13 at 16 dB ends at 0.26 with 7/2/7 atoms per mode). "
        "With a floor relative to each factor (1e-5 ||C g||) instead of theirs, 3 "
        "of seeds 0-39 at 16 dB stall above 0.1 against 1 and the mean at "
        "12/16/20 dB rises from .068/.018/.0054 to .075/.030/.0071"
    )
    out = []
    for method, published in _IRS_PAPER.items():
        for snr, paper, row in zip(_IRS_SNRS, published, irs[method]):
            ratio = row["nmse"] / paper
            note = (
                spread.format(**row)
                + (pc_stall if method.startswith("PC") else stall)
                + ("; ours " + ("lower" if ratio < 1 else "higher"))
            )
            if 0.67 <= ratio <= 1.5:
                note = "agrees"
            out.append(
                {
                    "quantity": f"{method} NMSE at {snr} dB",
                    "paper": paper,
                    "ours": (
                        f"{row['nmse']:.3f} (median {row['nmse_median']:.3f}, IQR "
                        f"{row['nmse_q1']:.3f}-{row['nmse_q3']:.3f}, "
                        f"{row['trials']} trials)"
                    ),
                    "note": note,
                }
            )
    for snr, row in zip(_IRS_SNRS, irs.get("SVD-KroSBL, data start", [])):
        out.append(
            {
                "quantity": f"SVD-KroSBL from the data-scaled start, NMSE at {snr} dB",
                "paper": "not in the paper",
                "ours": f"{row['nmse']:.3f} (median {row['nmse_median']:.3f})",
                "note": (
                    "beyond the paper: gamma_init='data' starts near the signal's "
                    "scale, so low-SNR fits no longer stall at x ~ 0"
                ),
            }
        )
    return out


def _figure(rows, irs_rows, sweeps):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n_cols = len(sweeps) + 1
    fig, axes = plt.subplots(2, n_cols, figsize=(4.2 * n_cols, 7))
    for col, name in enumerate(sweeps):
        for method in _FAST + _SLOW:
            mine = [r for r in rows if r["sweep"] == name and r["method"] == method]
            if not mine:
                continue
            x = [r["value"] for r in mine]
            style = "-o" if method.startswith("KroSBL") else "--."
            axes[0, col].plot(x, [r["nmse_db"] for r in mine], style, label=method)
            axes[1, col].plot(x, [r["support_rate"] for r in mine], style, label=method)
        axes[0, col].set_title(f"NMSE vs {name}")
        axes[1, col].set_xlabel(name)
        axes[0, col].set_ylabel("NMSE (dB)")
        axes[1, col].set_ylabel("support recovery rate")
        axes[1, col].set_ylim(0, 1.05)
    axes[0, 0].legend(fontsize=8)
    ax = axes[0, -1]
    for method in _IRS_METHODS:
        mine = [r for r in irs_rows if r["method"] == method]
        if mine:
            snrs = [r["value"] for r in mine]
            ax.semilogy(snrs, [r["nmse"] for r in mine], "-o", label=f"{method} (ours)")
    for method, published in _IRS_PAPER.items():
        ax.semilogy(_IRS_SNRS, published, ":x", label=f"{method} (paper)")
    ax.set_title("IRS-MIMO channel NMSE")
    ax.set_xlabel("SNR (dB)")
    ax.legend(fontsize=6)
    axes[1, -1].axis("off")
    fig.tight_layout()
    return fig
