"""How the common battery builds each estimator and the data it is checked on.

Add an entry here when an estimator needs more than its defaults to be checked
quickly, or has a deterministic ``random_state`` (e.g. only used for tie-breaking).
"""

import numpy as np
from sklearn.base import is_classifier, is_regressor

# Constructor parameters that keep the checks fast, by class name.
CHECK_PARAMS: dict[str, dict] = {
    # Two sizes and one split: 4 inner fits per fit instead of 36.
    "GenerativeDiscriminativeClassifier": {"n_repeats": 1, "train_sizes": [0.5, 1.0]},
    # The "auto" size exceeds the checks' 60 rows, where the exact problem is
    # solved: 50 rows keep the battery's fits sketched (so seeded and random).
    "SketchedLinearRegression": {"sketch_size": 50},
    # Few layers and epochs keep each torch fit to a few hundred small steps;
    # batches smaller than the checks' 60 rows make the minibatch order (the
    # seeded randomness) matter.
    "UnfoldedIHT": {"n_layers": 3, "max_epochs": 3, "batch_size": 16},
    "UnfoldedISTA": {"n_layers": 3, "max_epochs": 3, "batch_size": 16},
}

# A small grid for the GridSearchCV check, by class name. Default: the first
# parameter at its default value (one candidate), which still exercises
# cloning, cross-validation and refitting.
GRID_PARAMS: dict[str, dict] = {}

# Scoring for GridSearchCV when the estimator has no ``score`` method.
GRID_SCORING: dict[str, object] = {}

# Keyword arguments of ``make_check_data`` (``n_samples``, ``n_features``).
DATA_PARAMS: dict[str, dict] = {}

# Estimators whose result does not depend on random_state, with the reason.
DETERMINISTIC: dict[str, str] = {}

# scikit-learn checks expected to fail, by class name: {check name: reason}.
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {}


def construct_instance(cls):
    """An instance of ``cls`` with the check parameters of this table."""
    return cls(**CHECK_PARAMS.get(cls.__name__, {}))


def param_grid(estimator):
    name = type(estimator).__name__
    if name in GRID_PARAMS:
        return GRID_PARAMS[name]
    params = estimator.get_params(deep=False)
    first = sorted(params)[0]
    return {first: [params[first]]}


def make_check_data(estimator, n_samples=60, n_features=6, random_state=0):
    """Data of the estimator's kind: ``(X, y)``, ``y`` None when unsupervised.

    Classifiers get three well-separated classes, regressors a noisy linear model,
    everything else standard normal ``X``.
    """
    params = DATA_PARAMS.get(type(estimator).__name__, {})
    n_samples = params.get("n_samples", n_samples)
    n_features = params.get("n_features", n_features)
    rng = np.random.default_rng(random_state)
    X = rng.standard_normal((n_samples, n_features))
    if is_classifier(estimator):
        y = np.arange(n_samples) % 3
        X[:, :3] += 3.0 * np.eye(3)[y]
        return X, y
    if is_regressor(estimator):
        coef = rng.standard_normal(n_features)
        return X, X @ coef + 0.1 * rng.standard_normal(n_samples)
    return X, None
