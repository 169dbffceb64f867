"""The plot of a generative-vs-discriminative comparison, as a display object."""

from ._comparison import compare_generative_discriminative


class GenerativeDiscriminativeDisplay:
    """Learning curves of a generative and a discriminative classifier, plotted.

    In the style of :class:`sklearn.model_selection.LearningCurveDisplay`: build
    it with :meth:`from_estimator` (which measures the curves) or from a
    :class:`GenerativeDiscriminativeComparison`, then :meth:`plot`. Each curve is
    its mean test error against the training size ``m`` (log scale) with a band
    of one standard deviation over repeats; a dashed line marks the crossover.

    Parameters
    ----------
    comparison : GenerativeDiscriminativeComparison
        The learning curves.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Where the curves were drawn.
    figure_ : matplotlib Figure
        The figure holding ``ax_``.
    lines_ : list of matplotlib Line2D
        The two mean curves (generative first).
    fill_between_ : list of matplotlib PolyCollection
        The two bands of one standard deviation.
    crossover_line_ : matplotlib Line2D or None
        The crossover, when there is one.

    See Also
    --------
    compare_generative_discriminative : Measures the curves.
    sklearn.model_selection.LearningCurveDisplay : One model's learning curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skpapers.datasets import make_nb_lr_simulation
    >>> from skpapers.model_selection import (
    ...     GenerativeDiscriminativeClassifier,
    ...     GenerativeDiscriminativeDisplay,
    ... )
    >>> X, y = make_nb_lr_simulation(200, n_features=20, random_state=0)
    >>> display = GenerativeDiscriminativeDisplay.from_estimator(
    ...     GenerativeDiscriminativeClassifier(train_sizes=[4, 40], random_state=0),
    ...     X,
    ...     y,
    ... )
    >>> [line.get_label() for line in display.lines_]
    ['PooledGaussianNB', 'LogisticRegression']
    """

    def __init__(self, comparison):
        self.comparison = comparison

    def plot(self, ax=None, *, title=None):
        """Draw both learning curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        title : str, default=None

        Returns
        -------
        display : GenerativeDiscriminativeDisplay
            With ``ax_``, ``figure_``, ``lines_``, ``fill_between_`` and
            ``crossover_line_`` set.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        result = self.comparison
        sizes = result.train_sizes
        curves = [
            (result.generative_name, result.generative_mean, result.generative_std),
            (
                result.discriminative_name,
                result.discriminative_mean,
                result.discriminative_std,
            ),
        ]
        self.lines_, self.fill_between_ = [], []
        for (label, mean, std), color in zip(curves, ("C0", "C3")):
            (line,) = ax.plot(sizes, mean, "o-", color=color, label=label)
            self.lines_.append(line)
            self.fill_between_.append(
                ax.fill_between(sizes, mean - std, mean + std, color=color, alpha=0.2)
            )
        crossover = result.crossover_size
        self.crossover_line_ = (
            None
            if crossover is None
            else ax.axvline(crossover, color="gray", ls="--", lw=1, label="crossover")
        )
        ax.set_xscale("log")
        ax.set_xlabel("training size m")
        ax.set_ylabel("test error")
        if title is not None:
            ax.set_title(title)
        ax.legend(fontsize="small")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, X, y, *, ax=None, title=None):
        """Measure the learning curves of a meta-classifier's two models and plot.

        The curves are :func:`compare_generative_discriminative` with the
        models and settings of ``estimator`` (``generative``, ``discriminative``,
        ``train_sizes``, ``n_repeats``, ``test_size``, ``random_state``,
        ``n_jobs``); ``estimator`` itself is not fitted.

        Parameters
        ----------
        estimator : GenerativeDiscriminativeClassifier
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        ax : matplotlib Axes, default=None
        title : str, default=None

        Returns
        -------
        display : GenerativeDiscriminativeDisplay
        """
        generative, discriminative = estimator._candidates()
        comparison = compare_generative_discriminative(
            X,
            y,
            generative=generative,
            discriminative=discriminative,
            train_sizes=estimator.train_sizes,
            n_repeats=estimator.n_repeats,
            test_size=estimator.test_size,
            random_state=estimator.random_state,
            n_jobs=estimator.n_jobs,
        )
        return cls(comparison).plot(ax, title=title)
