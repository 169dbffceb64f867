"""Kronecker-structured SBL: the paper's sweeps over SNR, measurements and sparsity.

Problems come from :func:`skpapers.datasets.make_kronecker_sparse`: Gaussian factors,
a Kronecker-product support with ``K`` non-zeros per factor, Gaussian non-zero values.
Each method is scored by its NMSE ``10 log10(mean ||x_hat - x||^2 / ||x||^2)`` over
the trials and by its support recovery rate: the fraction of the true support among
the ``|S|`` largest entries of ``|x_hat|``. Baselines: classic SBL (KroneckerSBL with
one factor), scikit-learn's ARDRegression and OrthogonalMatchingPursuit (told the
true number of non-zeros), and least squares on the true support (oracle).
ARDRegression and classic SBL work on the explicit dictionary and cost seconds to
minutes per problem (ARD most at low SNR): they run on the SNR sweep only, with
fewer trials, and ARD from 15 dB up.
"""

import time
import warnings

import numpy as np

from skpapers.experiments import ExperimentResult, register_experiment
from skpapers.utils._kronecker import kron

_PAPER = (
    "Bayesian Algorithms for Kronecker-structured Sparse Vector Recovery With "
    "Application to IRS-MIMO Channel Estimation"
)
_CLAIM = (
    "Kronecker-structured SBL recovers Kronecker-supported sparse vectors at least "
    "as accurately as classic SBL, ARD and OMP, and its SVD-based solver is faster "
    "than the AM-based one and about as accurate."
)
# "at least as accurate": NMSE no more than this many dB above the baseline's
_TIE_DB = 0.5

_FAST = ("KroSBL-SVD", "KroSBL-AM", "OMP", "Oracle LS")
_SLOW = ("Classic SBL", "ARD")


def _fit(method, factors, y, coef):
    """Run one method on one problem: the estimate and the seconds it took."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import ARDRegression, OrthogonalMatchingPursuit

    from skpapers import KroneckerSBL

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if method == "KroSBL-SVD":
            estimate = KroneckerSBL(solver="svd").fit(None, y, factors=factors).coef_
        elif method == "KroSBL-AM":
            estimate = KroneckerSBL(solver="am").fit(None, y, factors=factors).coef_
        elif method == "Classic SBL":
            estimate = KroneckerSBL().fit(kron(factors), y).coef_
        elif method == "ARD":
            estimate = ARDRegression(fit_intercept=False).fit(kron(factors), y).coef_
        elif method == "OMP":
            omp = OrthogonalMatchingPursuit(
                n_nonzero_coefs=int(np.count_nonzero(coef)), fit_intercept=False
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
    if quick:
        base = dict(
            n_measurements=(5, 8, 10), n_atoms=(10, 10, 10), n_nonzero=2, snr=25
        )
        sweeps = {
            "SNR (dB)": ("snr", [5, 10, 15, 20, 25, 30]),
            "M_1": ("m1", [3, 4, 5, 6, 7]),
            "non-zeros per factor": ("k", [1, 2, 3, 4]),
        }
        return base, sweeps, 3, {"Classic SBL": (2, 5), "ARD": (1, 15)}
    base = dict(n_measurements=(8, 12, 15), n_atoms=(15, 15, 15), n_nonzero=3, snr=25)
    sweeps = {
        "SNR (dB)": ("snr", [5, 10, 15, 20, 25, 30]),
        "M_1": ("m1", [6, 8, 10, 12, 14]),
        "non-zeros per factor": ("k", [2, 3, 4, 5, 6]),
    }
    return base, sweeps, 10, {"Classic SBL": (2, 5), "ARD": (1, 15)}


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
    return make_kronecker_sparse(
        tuple(m),
        base["n_atoms"],
        k,
        snr_db=snr,
        as_factors=True,
        random_state=seed,
    )


@register_experiment("kronecker_sbl", paper=_PAPER, claim=_CLAIM)
def run(*, quick, track, random_state):
    # slow baselines: {method: (trials, lowest SNR)}, on the SNR sweep only
    base, sweeps, n_trials, slow = _settings(quick)
    jobs = [
        (name, key, value) for name, (key, values) in sweeps.items() for value in values
    ]
    rows = []
    for name, key, value in track(jobs, total=len(jobs)):
        methods = _FAST + tuple(
            m for m in _SLOW if key == "snr" and value >= slow[m][1]
        )
        errors = {m: [] for m in methods}
        rates = {m: [] for m in methods}
        seconds = {m: [] for m in methods}
        for trial in range(n_trials):
            factors, y, coef = _problem(base, key, value, random_state + trial)
            for method in methods:
                if method in slow and trial >= slow[method][0]:
                    continue
                estimate, elapsed = _fit(method, factors, y, coef)
                errors[method].append(
                    np.sum(np.abs(estimate - coef) ** 2) / np.sum(np.abs(coef) ** 2)
                )
                rates[method].append(_support_rate(estimate, coef))
                seconds[method].append(elapsed)
        for method in methods:
            rows.append(
                {
                    "sweep": name,
                    "value": value,
                    "method": method,
                    "trials": len(errors[method]),
                    "nmse_db": float(10 * np.log10(np.mean(errors[method]))),
                    "support_rate": float(np.mean(rates[method])),
                    "seconds": float(np.mean(seconds[method])),
                }
            )
    return _result(rows, sweeps, base, quick)


def _result(rows, sweeps, base, quick):
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
    # the SVD step can lock onto too small a support (a rank-one fit of Lambda
    # favours its largest entries): count the points where it is far behind AM
    far_behind = float(np.mean(np.asarray(gaps) > 10.0))
    supports = bool(beat_share >= 0.8 and svd_time < am_time and median_gap <= 1.0)

    snr_name = "SNR (dB)"
    default = {m: value_of(snr_name, base["snr"], m, "nmse_db") for m in _FAST + _SLOW}
    summary = (
        f"At {base['snr']} dB ({'quick' if quick else 'paper'} size, N="
        f"{base['n_atoms']}, M={base['n_measurements']}): NMSE "
        + ", ".join(f"{m} {v:.1f} dB" for m, v in default.items() if v is not None)
        + f". The better KroSBL solver is at least as accurate (within {_TIE_DB} dB) "
        f"as the baseline in {beat_share:.0%} of the comparisons; SVD takes "
        f"{svd_time * 1e3:.0f} ms per problem against "
        f"{am_time * 1e3:.0f} ms for AM; its NMSE minus AM's has median "
        f"{median_gap:+.1f} dB over the sweep points, and is above +10 dB at "
        f"{far_behind:.0%} of them (trials where SVD locks onto too small a support)."
    )
    metrics = {
        "nmse_db_default": default,
        "share_of_baseline_comparisons_matched": beat_share,
        "svd_ms": float(svd_time * 1e3),
        "am_ms": float(am_time * 1e3),
        "svd_minus_am_median_db": median_gap,
        "svd_more_than_10db_behind_am_share": far_behind,
    }
    return ExperimentResult(
        summary=summary,
        table=rows,
        supports_claim=supports,
        figure=_figure(rows, sweeps),
        metrics=metrics,
    )


def _figure(rows, sweeps):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(sweeps), figsize=(4.2 * len(sweeps), 7))
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
    fig.tight_layout()
    return fig
