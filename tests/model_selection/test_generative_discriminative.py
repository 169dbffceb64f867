"""Learning-curve comparison and the regime-picking classifier."""

import matplotlib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression

from skpapers.datasets import make_nb_lr_simulation
from skpapers.model_selection import (
    GenerativeDiscriminativeClassifier,
    GenerativeDiscriminativeComparison,
    GenerativeDiscriminativeDisplay,
    compare_generative_discriminative,
)
from skpapers.model_selection._comparison import (
    _class_covering_order,
    _crossover_size,
)
from skpapers.naive_bayes import PooledGaussianNB

matplotlib.use("Agg")


def _shared_noise_data(n_samples, seed):
    """Two classes where naive Bayes wins early and loses late.

    60 features carry the class (means -0.5 and 0.5): 30 under unit noise plus a
    noise factor ``u`` common to them, 30 under noise of variance 30 (the
    paper's design, where naive Bayes' per-feature variances pay off at once);
    3 more features measure ``u``. Logistic regression learns to subtract ``u``
    (asymptotic error about 1%), naive Bayes, taking the features as
    independent, cannot (about 7%), but it needs far fewer samples.
    """
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n_samples) % 2)
    u = rng.standard_normal((n_samples, 1))
    signal = y[:, None] - 0.5
    clean = signal + rng.standard_normal((n_samples, 30)) + 0.3 * u
    noisy = signal + np.sqrt(30.0) * rng.standard_normal((n_samples, 30))
    nuisance = u + 0.3 * rng.standard_normal((n_samples, 3))
    return np.hstack([clean, noisy, nuisance]), y


def test_crossover_size_rule():
    sizes = np.array([10, 100, 1000, 10000])
    gen = np.array([0.3, 0.2, 0.2, 0.2])
    # Never below at the end: no crossover, even after a transient dip.
    assert _crossover_size(sizes, gen, [0.5, 0.1, 0.3, 0.25]) is None
    assert _crossover_size(sizes, gen, gen) is None
    # Below everywhere: the first size.
    assert _crossover_size(sizes, gen, gen - 0.01) == 10
    # Gap +0.1 at 100 and -0.1 at 1000: half-way in log m, after the last dip.
    assert_allclose(
        _crossover_size(sizes, gen, [0.1, 0.3, 0.1, 0.1]), np.sqrt(100 * 1000)
    )


def test_nested_training_sets_hold_every_class():
    y = np.array([0] * 20 + [1] * 3 + [2] * 7)
    order = _class_covering_order(y, np.random.RandomState(0))
    assert_array_equal(np.sort(order), np.arange(len(y)))
    assert set(y[order[:3]]) == {0, 1, 2}


def test_finds_the_crossover_where_it_exists():
    X, y = _shared_noise_data(400, seed=0)
    X_test, y_test = _shared_noise_data(2000, seed=1)
    result = compare_generative_discriminative(
        X,
        y,
        train_sizes=[8, 30, 300],
        n_repeats=3,
        X_test=X_test,
        y_test=y_test,
        random_state=0,
    )
    gap = result.discriminative_mean - result.generative_mean
    assert np.all(gap[:2] > 0), "naive Bayes should win with few samples"
    assert gap[2] < 0, "logistic regression should win with many"
    assert 30 < result.crossover_size < 300
    assert result.generative_errors.shape == (3, 3)
    assert result.n_test == 2000


def test_no_crossover_when_the_generative_model_is_right():
    X, y = make_nb_lr_simulation(600, n_features=50, random_state=0)
    result = compare_generative_discriminative(
        X, y, train_sizes=[4, 40, 450], n_repeats=2, random_state=0
    )
    assert result.crossover_size is None
    assert result.generative_mean[0] < result.discriminative_mean[0]
    # Both end at the (near zero) Bayes error: the discriminative one caught up.
    assert result.discriminative_mean[-1] - result.generative_mean[-1] <= 0.01


def test_same_seed_same_curves_and_table():
    X, y = _shared_noise_data(200, seed=0)
    first, second = (
        compare_generative_discriminative(
            X, y, train_sizes=[0.1, 1.0], n_repeats=2, random_state=3
        )
        for _ in range(2)
    )
    assert_array_equal(first.generative_errors, second.generative_errors)
    assert_array_equal(first.discriminative_errors, second.discriminative_errors)
    assert_array_equal(first.train_sizes, [15, 150])  # fractions of the 150 pool
    table = first.to_table()
    assert [row["train_size"] for row in table] == [15, 150]
    assert_allclose(
        [row["discriminative_std"] for row in table], first.discriminative_std
    )
    assert "crossover" in repr(first)


def test_plot_draws_both_curves():
    result = GenerativeDiscriminativeComparison(
        [10, 100, 1000], [[0.2], [0.15], [0.15]], [[0.4], [0.1], [0.05]]
    )
    ax = result.plot(title="demo")
    assert len(ax.lines) == 3  # two curves and the crossover
    assert ax.get_xscale() == "log"
    assert ax.get_title() == "demo"
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_display_from_estimator_plots_the_meta_classifiers_curves():
    import matplotlib.pyplot as plt

    X, y = _shared_noise_data(200, seed=0)
    clf = GenerativeDiscriminativeClassifier(
        train_sizes=[8, 30, 150], n_repeats=2, random_state=0
    )
    display = GenerativeDiscriminativeDisplay.from_estimator(clf, X, y)
    # The same curves as the comparison with the estimator's settings.
    expected = compare_generative_discriminative(
        X, y, train_sizes=[8, 30, 150], n_repeats=2, random_state=0
    )
    assert_array_equal(display.comparison.generative_errors, expected.generative_errors)
    generative_line, discriminative_line = display.lines_
    assert_allclose(generative_line.get_ydata(), expected.generative_mean)
    assert_allclose(discriminative_line.get_ydata(), expected.discriminative_mean)
    assert display.ax_.get_xscale() == "log"
    assert display.figure_ is display.ax_.figure
    assert not hasattr(clf, "estimator_"), "from_estimator must not fit it"
    plt.close(display.figure_)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"train_sizes": [1, 20]}, "between the number of classes"),
        ({"train_sizes": [10, 10_000]}, "between the number of classes"),
        ({"train_sizes": [0.0, 0.5]}, r"\(0, 1\]"),
        ({"train_sizes": ["a"]}, "integers or fractions"),
        ({"n_repeats": 0}, "n_repeats"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    X, y = _shared_noise_data(40, seed=0)
    with pytest.raises(ValueError, match=message):
        compare_generative_discriminative(X, y, **kwargs)


def test_bad_data_raise():
    X, y = _shared_noise_data(40, seed=0)
    with pytest.raises(ValueError, match="at least 2 classes"):
        compare_generative_discriminative(X, np.zeros(40))
    with pytest.raises(ValueError, match="Too few samples"):
        compare_generative_discriminative(X[:5], np.array([0, 0, 0, 0, 1]))
    with pytest.raises(ValueError, match="at least 2 classes"):
        GenerativeDiscriminativeClassifier().fit(X, np.zeros(40))


def test_classifier_picks_the_regime_by_training_size():
    few = GenerativeDiscriminativeClassifier(n_repeats=2, random_state=0)
    X, y = make_nb_lr_simulation(40, n_features=200, random_state=0)
    few.fit(X, y)
    assert few.chosen_ == "generative" and few.error_gap_ > 0
    assert isinstance(few.estimator_, PooledGaussianNB)

    # Three repeats (the default): with two, the t bound on the gap is too wide
    # to clear zero here, and the classifier rightly keeps the simpler model.
    many = GenerativeDiscriminativeClassifier(
        train_sizes=[0.25, 0.5, 1.0], n_repeats=3, random_state=0
    )
    X, y = _shared_noise_data(600, seed=0)
    many.fit(X, y)
    assert many.chosen_ == "discriminative" and many.error_gap_ < 0
    assert many.comparison_.crossover_size < 450
    reference = LogisticRegression(max_iter=1000).fit(X, y)
    assert_allclose(many.predict_proba(X), reference.predict_proba(X))
    assert_array_equal(many.predict(X), reference.predict(X))


def test_classifier_keeps_the_generative_model_when_too_small_to_compare():
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    y = np.array([0, 0, 0, 1, 1])
    clf = GenerativeDiscriminativeClassifier().fit(X[:4], y[1:])
    assert clf.chosen_ == "generative" and clf.comparison_ is None
    assert np.isnan(clf.error_gap_)


def test_a_failed_fit_leaves_the_classifier_as_it_was():
    import pandas as pd
    from sklearn.exceptions import NotFittedError

    X, y = make_nb_lr_simulation(60, n_features=7, random_state=0)
    X = pd.DataFrame(X, columns=[f"x{j}" for j in range(7)])
    clf = GenerativeDiscriminativeClassifier(n_repeats=2, random_state=0).fit(X, y)
    predictions = clf.predict(X)
    bad = pd.DataFrame(np.zeros((20, 5)), columns=[f"z{j}" for j in range(5)])
    with pytest.raises(ValueError, match="at least 2"):
        clf.fit(bad, np.zeros(20))
    assert clf.n_features_in_ == 7
    assert_array_equal(clf.feature_names_in_, X.columns)
    assert_array_equal(clf.predict(X), predictions)

    fresh = GenerativeDiscriminativeClassifier()
    with pytest.raises(ValueError, match="at least 2"):
        fresh.fit(bad, np.zeros(20))
    with pytest.raises(NotFittedError):
        fresh.predict(X)


def test_a_failed_fit_keeps_the_constructor_parameters_themselves():
    rs = np.random.RandomState(0)
    clf = GenerativeDiscriminativeClassifier(random_state=rs)
    with pytest.raises(ValueError):
        clf.fit(np.zeros((20, 3)), np.zeros(20))
    assert clf.random_state is rs


def test_identical_learners_do_not_switch_on_noise():
    from sklearn.dummy import DummyClassifier

    # Two copies of one learner that differ only in their random draws: every
    # gap between their curves is noise. Choosing on the mean gap alone switches
    # about half the time; the classifier must keep the generative model.
    chosen, negative_gaps = [], 0
    for seed in range(15):
        X, y = make_nb_lr_simulation(80, n_features=5, random_state=seed)
        clf = GenerativeDiscriminativeClassifier(
            DummyClassifier(strategy="stratified", random_state=seed),
            DummyClassifier(strategy="stratified", random_state=seed + 100),
            train_sizes=[0.5, 1.0],
            n_repeats=5,
            random_state=seed,
        ).fit(X, y)
        chosen.append(clf.chosen_)
        negative_gaps += clf.error_gap_ < 0
    assert negative_gaps >= 4, "the noise must be able to fool the mean gap"
    assert chosen.count("discriminative") <= 1, chosen


def test_one_repeat_keeps_the_generative_model():
    X, y = _shared_noise_data(600, seed=0)
    clf = GenerativeDiscriminativeClassifier(
        train_sizes=[0.25, 1.0], n_repeats=1, random_state=0
    ).fit(X, y)
    assert clf.error_gap_ < 0 and clf.error_gap_upper_ == np.inf
    assert clf.chosen_ == "generative"


def test_crossover_interval_excludes_no_crossover_only_when_the_data_do():
    X, y = _shared_noise_data(400, seed=0)
    X_test, y_test = _shared_noise_data(2000, seed=1)
    result = compare_generative_discriminative(
        X,
        y,
        train_sizes=[8, 30, 300],
        n_repeats=10,
        X_test=X_test,
        y_test=y_test,
        random_state=0,
    )
    low, high = result.crossover_interval()
    assert 8 <= low <= result.crossover_size <= high < np.inf
    # Identical curves up to noise: the interval cannot exclude "no crossover".
    rng = np.random.default_rng(0)
    noise = GenerativeDiscriminativeComparison(
        [10, 100, 1000],
        0.2 + 0.01 * rng.standard_normal((3, 10)),
        0.2 + 0.01 * rng.standard_normal((3, 10)),
    )
    assert noise.crossover_interval()[1] == np.inf


def test_values_that_overflow_naive_bayes_are_rejected_not_fitted():
    X, y = make_nb_lr_simulation(60, n_features=5, random_state=0)
    clf = GenerativeDiscriminativeClassifier(n_repeats=2, random_state=0)
    with pytest.raises(ValueError, match="overflow"):
        clf.fit((X * 1e20).astype(np.float32), y)
    assert not hasattr(clf, "estimator_")
