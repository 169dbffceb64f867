"""EnsLoss against fixed losses where the paper makes its claim: networks that overfit.

Dai et al. train one over-parameterised network with EnsLoss and with each fixed
loss (binary cross-entropy, hinge, exponential) on the same splits, and count,
over data sets, how often EnsLoss is significantly better, not different, or
worse: one-sided paired t-tests over repeated splits at level 0.05, on test
accuracy. Their settings are 45 CIFAR2 one-vs-one pairs with CNNs and 14 OpenML
sets with more than 1,000 samples and 1,000 features with MLPs of 1, 3 and 5
hidden layers, trained 300 epochs.

Here, on data that ships with packages (nothing is downloaded):

- **digit pairs**: the 45 one-vs-one pairs of scikit-learn's 8x8 digits (the
  analogue of the CIFAR2 pairs), with a small CNN (two 3x3 convolution + max-pool
  blocks, :class:`~skpapers.EnsLossNetClassifier`) and a ReLU MLP of three
  hidden layers of 128 (:class:`~skpapers.EnsLossMLPClassifier`);
- **p >> n tabular**: one-vs-rest tasks of the Khan (83 x 2,308) and NCI60
  (64 x 6,830) gene-expression sets shipped by the ``ISLP`` package (the
  paper's OVA-* sets are one-vs-rest too), with a one-hidden-layer MLP of 128;
- **synthetic**: 200 samples, 500 features (10 informative) and 20% flipped
  labels, the same MLP: over-parameterised, with label noise to overfit.

Every model trains with SGD, momentum 0.9, weight decay 1e-4, step size 0.01 on
a cosine schedule and batches of 64, the same for every loss, on 70/30 splits
stratified by class; pixel features are scaled to [0, 1], tabular ones
standardised on the training part. A fit that diverges (the exponential loss can)
is scored as a constant predictor (majority-class accuracy) and counted in
``metrics["diverged"]``. ``metrics["bce_gap"]`` is BCE's mean train minus test
accuracy per setting: the overfitting the paper's claim is about.

``quick`` runs 2 digit pairs with both networks, 2 gene-expression tasks and the
synthetic set, 5 splits, 50 epochs (22 s measured on two cores shared with
other jobs; 93 s at a load average of about 10). The full run has all 45 pairs, all 9
gene-expression tasks (the classes with at least 7 samples), 5 splits (10 for the
tabular rows) and the paper's 300 epochs: an estimated 70 minutes on two idle
cores (per fit at 300 epochs about 2.6 s for the MLP and 6.3 s for the CNN on a
digit pair, 1,800 digit fits), minutes on a GPU with ``device="cuda"`` added to
the estimators.
"""

import functools
from itertools import combinations

import numpy as np

from skpapers.experiments import ExperimentResult, register_experiment

PAPER = (
    "EnsLoss: Stochastic Calibrated Loss Ensembles for Preventing Overfitting in "
    "Classification"
)
CLAIM = (
    "In over-parameterised networks trained until cross-entropy overfits, "
    "training with random calibrated loss derivatives (EnsLoss) is significantly "
    "better than training with a fixed loss (BCE, hinge, exponential) more often "
    "than it is worse, over repeated paired splits."
)

FIXED_LOSSES = ("bce", "hinge", "exponential")
LOSSES = ("ensloss", *FIXED_LOSSES)
ALPHA = 0.05
SETTINGS = dict(batch_size=64, lr=0.01, momentum=0.9, weight_decay=1e-4)
DIGIT_PAIRS = list(combinations(range(10), 2))

# The paper's better/same/worse counts of EnsLoss against each fixed loss.
PAPER_COUNTS = {
    "image pairs": (
        "45 CIFAR2 pairs, CNNs",
        {
            "bce": "36/9/0 (VGG16, VGG19) to 45/0/0 (MobileNet, MobileNetV2)",
            "hinge": "27/18/0 (VGG19) to 45/0/0 (MobileNetV2)",
            "exponential": "45/0/0 for every CNN",
        },
    ),
    "p >> n tabular": (
        "14 OpenML sets, n > 1000 and p > 1000, MLPs 300 epochs",
        {
            "bce": "MLP(1) 9/4/1, MLP(3) 7/7/0, MLP(5) 11/3/0",
            "hinge": "MLP(1) 5/4/5, MLP(3) 9/3/2, MLP(5) 13/0/1",
            "exponential": "MLP(1) 7/5/2, MLP(3) 8/5/1, MLP(5) 11/2/1",
        },
    ),
}


def _config(quick):
    if quick:
        return dict(
            pairs=[(3, 8)],
            genes=[("Khan", 2)],
            n_repeats=5,
            n_tabular_repeats=5,
            epochs=50,
        )
    return dict(
        pairs=DIGIT_PAIRS,
        genes=[("Khan", k) for k in (1, 2, 3, 4)]
        + [("NCI60", c) for c in ("BREAST", "COLON", "MELANOMA", "NSCLC", "RENAL")],
        n_repeats=5,
        n_tabular_repeats=10,
        epochs=300,
    )


def _islp_file(name):
    """Path of a data file of the ISLP package, found without importing it."""
    from importlib.util import find_spec
    from pathlib import Path

    spec = find_spec("ISLP")
    if spec is None:
        raise ImportError(
            "the ensloss experiment's gene-expression rows read the Khan and NCI60 "
            "data shipped by ISLP: pip install --no-deps islp"
        )
    return Path(spec.submodule_search_locations[0]) / "data" / name


@functools.cache
def _gene_data(name):
    if name == "Khan":
        parts = [
            np.loadtxt(_islp_file(f"Khan_{part}.csv"), delimiter=",", skiprows=1)
            for part in ("xtrain", "xtest", "ytrain", "ytest")
        ]
        X = np.vstack(parts[:2])
        y = np.concatenate(parts[2:]).astype(int)
        return X, y
    X = np.load(_islp_file("NCI60data.npy"))
    labels = np.loadtxt(_islp_file("NCI60labs.csv"), dtype=str, skiprows=1)
    return X, np.char.strip(labels, '"')


def _load(task):
    """``(X, y, kind)`` of a task; ``kind`` says how features are scaled."""
    regime, name = task
    if regime == "digits":
        from sklearn.datasets import load_digits

        first, second = name
        X, y = load_digits(return_X_y=True)
        keep = (y == first) | (y == second)
        return X[keep] / 16.0, (y[keep] == second).astype(int), "pixels"
    if regime == "genes":
        data, positive = name
        X, y = _gene_data(data)
        return X, (y == positive).astype(int), "standardise"
    from sklearn.datasets import make_classification

    X, y = make_classification(200, 500, n_informative=10, flip_y=0.2, random_state=0)
    return X, y, "standardise"


@functools.cache
def _small_cnn():
    """A small CNN for the 8x8 digits (defined on first use: it needs torch)."""
    import torch
    from torch import nn

    class SmallCNN(nn.Module):
        def __init__(self, n_features, n_outputs):
            super().__init__()
            self.side = int(round(n_features**0.5))
            self.body = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Flatten(),
                nn.Linear(32 * (self.side // 4) ** 2, n_outputs),
            )

        def forward(self, X):
            return self.body(torch.reshape(X, (-1, 1, self.side, self.side)))

    return SmallCNN


def _estimator(model, loss, epochs, seed):
    from skpapers import EnsLossMLPClassifier, EnsLossNetClassifier

    common = dict(loss=loss, max_epochs=epochs, random_state=seed, **SETTINGS)
    if model == "CNN":
        return EnsLossNetClassifier(_small_cnn(), **common)
    hidden = (128,) * 3 if model == "MLP 3x128" else (128,)
    return EnsLossMLPClassifier(hidden, **common)


def _run_split(task, model, repeat, epochs, seed):
    """Test and train accuracy of every loss (None for a diverged fit)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y, kind = _load(task)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed + repeat
    )
    if kind == "standardise":
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    X_train, X_test = X_train.astype(np.float32), X_test.astype(np.float32)
    scores = {}
    for loss in LOSSES:
        clf = _estimator(model, loss, epochs, seed + repeat)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(X_train, y_train)
        except ValueError as exc:
            if "diverged" not in str(exc):
                raise
            majority = np.mean(y_test == np.bincount(y_train).argmax())
            scores[loss] = (float(majority), None)
            continue
        scores[loss] = (clf.score(X_test, y_test), clf.score(X_train, y_train))
    return task, model, repeat, scores


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


def _tasks(config):
    tasks = [
        (("digits", pair), model)
        for pair in config["pairs"]
        for model in ("CNN", "MLP 3x128")
    ]
    tasks += [(("genes", gene), "MLP 1x128") for gene in config["genes"]]
    tasks.append((("synthetic", "p=500, n=200, 20% label noise"), "MLP 1x128"))
    return tasks


def _task_name(task):
    regime, name = task
    if regime == "digits":
        return f"digits {name[0]} vs {name[1]}"
    if regime == "genes":
        return f"{name[0]} {name[1]} vs rest"
    return f"synthetic {name}"


REGIMES = {"digits": "image pairs", "genes": "p >> n tabular", "synthetic": "synthetic"}


def _figure(counts):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = list(counts)
    fig, axes = plt.subplots(1, len(settings), figsize=(3.4 * len(settings), 3.6))
    colours = {"better": "tab:green", "same": "tab:gray", "worse": "tab:red"}
    for ax, setting in zip(np.atleast_1d(axes), settings):
        bottom = np.zeros(len(FIXED_LOSSES))
        for outcome, colour in colours.items():
            values = np.array([counts[setting][loss][outcome] for loss in FIXED_LOSSES])
            ax.bar(FIXED_LOSSES, values, bottom=bottom, color=colour, label=outcome)
            bottom += values
        ax.set_title(setting, fontsize=9)
        ax.set_ylabel("tasks")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.suptitle("EnsLoss against each fixed loss: better / same / worse")
    fig.tight_layout()
    return fig


@register_experiment("ensloss", paper=PAPER, claim=CLAIM)
def run(*, quick, track, random_state):
    from joblib import Parallel, delayed

    config = _config(quick)
    jobs = []
    for task, model in _tasks(config):
        repeats = (
            config["n_repeats"] if task[0] == "digits" else config["n_tabular_repeats"]
        )
        jobs += [(task, model, repeat) for repeat in range(repeats)]
    results = Parallel(n_jobs=2, return_as="generator_unordered")(
        delayed(_run_split)(task, model, repeat, config["epochs"], random_state)
        for task, model, repeat in jobs
    )
    runs = {}
    for task, model, repeat, scores in track(results, total=len(jobs)):
        runs.setdefault((task, model), {})[repeat] = scores
    return _summarise(runs, config)


def _summarise(runs, config):
    rows, counts, gaps = [], {}, {}
    diverged = {loss: 0 for loss in LOSSES}
    for (task, model), by_repeat in runs.items():
        splits = [by_repeat[r] for r in sorted(by_repeat)]
        setting = f"{REGIMES[task[0]]}, {model}"
        tally = counts.setdefault(
            setting, {loss: dict(better=0, same=0, worse=0) for loss in FIXED_LOSSES}
        )
        test = {loss: [s[loss][0] for s in splits] for loss in LOSSES}
        for loss in LOSSES:
            diverged[loss] += sum(s[loss][1] is None for s in splits)
        train_bce = [s["bce"][1] for s in splits if s["bce"][1] is not None]
        gap = float(np.mean(train_bce) - np.mean(test["bce"]))
        gaps.setdefault(setting, []).append(gap)
        row = {"setting": setting, "task": _task_name(task), "splits": len(splits)}
        for loss in LOSSES:
            row[loss] = f"{np.mean(test[loss]):.3f} +- {np.std(test[loss]):.3f}"
        row["BCE train - test"] = f"{gap:.3f}"
        for loss in FIXED_LOSSES:
            verdict = _verdict(test["ensloss"], test[loss])
            tally[loss][verdict] += 1
            row[f"vs {loss}"] = {"better": "+", "same": "=", "worse": "-"}[verdict]
        rows.append(row)
    rows.sort(key=lambda row: (row["setting"], row["task"]))

    net = {
        setting: sum(c[loss]["better"] - c[loss]["worse"] for loss in FIXED_LOSSES)
        for setting, c in counts.items()
    }
    total = {
        loss: {
            outcome: sum(c[loss][outcome] for c in counts.values())
            for outcome in ("better", "same", "worse")
        }
        for loss in FIXED_LOSSES
    }
    total_net = sum(net.values())
    if total_net < 0:
        supports = False
    elif total_net > 0 and all(value >= 0 for value in net.values()):
        supports = True
    else:
        supports = None
    mean_gap = {setting: float(np.mean(values)) for setting, values in gaps.items()}

    def bsw(c):
        return f"{c['better']}/{c['same']}/{c['worse']}"

    comparison = []
    for setting, tally in counts.items():
        regime = setting.split(",")[0]
        if regime not in PAPER_COUNTS:
            continue
        what, paper = PAPER_COUNTS[regime]
        for loss in FIXED_LOSSES:
            comparison.append(
                {
                    "quantity": f"better/same/worse vs {loss}: {setting}",
                    "paper": f"{paper[loss]} ({what})",
                    "ours": f"{bsw(tally[loss])} over {sum(tally[loss].values())} "
                    f"tasks (BCE train-test gap {mean_gap[setting]:.3f})",
                    "note": _note(regime, config),
                }
            )
    by_setting = "; ".join(
        f"{setting}: "
        + ", ".join(f"vs {loss} {bsw(c[loss])}" for loss in FIXED_LOSSES)
        + f" (BCE train-test gap {mean_gap[setting]:.3f})"
        for setting, c in counts.items()
    )
    n_diverged = sum(diverged.values())
    summary = (
        f"EnsLoss against fixed losses, better/same/worse by one-sided paired "
        f"t-tests at level {ALPHA} on test accuracy over repeated 70/30 splits, "
        f"{config['epochs']} epochs: {by_setting}."
        + (f" {n_diverged} fits diverged ({diverged})." if n_diverged else "")
    )
    return ExperimentResult(
        summary=summary,
        table=rows,
        supports_claim=supports,
        figure=_figure(counts),
        paper_comparison=comparison,
        metrics={
            "counts": counts,
            "total_counts": total,
            "net_better_minus_worse": net,
            "bce_gap": mean_gap,
            "diverged": diverged,
            "epochs": config["epochs"],
        },
    )


def _note(regime, config):
    if regime == "image pairs":
        return (
            "8x8 digits instead of 32x32 CIFAR images and a two-block CNN instead "
            f"of ResNets/VGGs/MobileNets (CPU budget); {len(config['pairs'])} of "
            f"the 45 pairs, {config['epochs']} epochs. Digit pairs are nearly "
            "separable, so BCE's train-test gap (the room EnsLoss has to help) is "
            "small."
        )
    return (
        "Khan and NCI60 (n = 64-83, p = 2,308-6,830) instead of the paper's "
        "OpenML sets (n > 1,000): far fewer samples, so each split's test set is "
        f"20-25 samples and the t-test has little power; {config['epochs']} epochs."
    )
