"""Registry of the papers' headline experiments, run by ``python -m skpapers``.

An experiment is a function ``run(*, quick, track, random_state)`` returning an
:class:`ExperimentResult`, registered with :func:`register_experiment` in a public
module of :mod:`skpapers.experiments` (one module per paper). Modules are found
automatically.
"""

import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any


@dataclass
class ExperimentResult:
    """What an experiment reports.

    Parameters
    ----------
    summary : str
        One or two sentences with the measured figures that bear on the claim.
    table : list of dict
        Rows of the result table (same keys in every row).
    supports_claim : bool or None
        Whether our numbers support the paper's claim (None: not decidable at this
        size).
    figure : matplotlib.figure.Figure or None
        The headline figure.
    metrics : dict
        Headline numbers, saved in ``results.json``.
    paper_comparison : list of dict
        The paper's published numbers beside ours, one row per reported quantity,
        with the keys ``"quantity"`` (what and where, e.g. ``"PC-KroSBL NMSE at
        12 dB"``), ``"paper"`` (the published value, a number or a short string),
        ``"ours"`` (ours, measured by this run; give the spread where there is
        one, e.g. ``"0.051 (IQR 0.03-0.08)"``) and ``"note"`` (why they differ,
        with its measured cause, or ``"agrees"``). Shown in the report before
        the figure and the long table.

    Examples
    --------
    >>> from skpapers.experiments import ExperimentResult
    >>> result = ExperimentResult(
    ...     summary="Ours: 0.01 NMSE, baseline: 0.10.",
    ...     table=[{"method": "ours", "nmse": 0.01}, {"method": "base", "nmse": 0.1}],
    ...     supports_claim=0.01 < 0.1,
    ...     metrics={"nmse_ratio": 0.1},
    ... )
    >>> result.supports_claim, result.figure is None
    (True, True)
    """

    summary: str
    table: list[dict] = field(default_factory=list)
    supports_claim: bool | None = None
    figure: Any = None
    metrics: dict = field(default_factory=dict)
    paper_comparison: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: a paper, its claim, and the function that tests it.

    Made by :func:`register_experiment` and listed by :func:`get_experiments`.

    Parameters
    ----------
    name : str
        Short identifier used on the command line.
    paper : str
        The paper's title.
    claim : str
        The claim that the experiment tests, in one sentence.
    run : callable
        ``run(*, quick, track, random_state) -> ExperimentResult``.

    Examples
    --------
    >>> from skpapers.experiments import Experiment, ExperimentResult
    >>> def run(*, quick, track, random_state):
    ...     total = sum(track(range(4)))
    ...     return ExperimentResult(summary=f"sum {total}", supports_claim=total == 6)
    >>> toy = Experiment(name="toy", paper="A toy paper", claim="0+1+2+3 = 6.", run=run)
    >>> result = toy.run(quick=True, track=lambda it, total=None: it, random_state=0)
    >>> result.summary, result.supports_claim
    ('sum 6', True)
    """

    name: str
    paper: str
    claim: str
    run: Callable[..., ExperimentResult]


_REGISTRY: dict[str, Experiment] = {}


def register_experiment(name, *, paper, claim):
    """Register ``run(*, quick, track, random_state) -> ExperimentResult``.

    Parameters
    ----------
    name : str
        Short identifier used on the command line (``python -m skpapers reproduce
        NAME``).
    paper : str
        The paper's title.
    claim : str
        The paper's claim that the experiment tests, in one sentence.

    Returns
    -------
    decorator : callable
        Registers the function it decorates and returns it unchanged.

    Notes
    -----
    ``quick`` asks for a size that finishes in about a minute on two cores;
    ``track(iterable, total=None)`` wraps the main loop to show progress;
    ``random_state`` is an int seed.

    Examples
    --------
    >>> from skpapers.experiments import (
    ...     ExperimentResult, get_experiments, register_experiment)
    >>> @register_experiment("doc_toy", paper="A toy paper", claim="0+1+2+3 = 6.")
    ... def run(*, quick, track, random_state):
    ...     total = sum(track(range(4)))
    ...     return ExperimentResult(summary=f"sum {total}", supports_claim=total == 6)
    >>> get_experiments(["doc_toy"])[0].claim
    '0+1+2+3 = 6.'

    The registry is global: remove the toy again.

    >>> from skpapers.experiments._registry import _REGISTRY
    >>> del _REGISTRY["doc_toy"]
    """

    def decorator(run):
        if name in _REGISTRY and _REGISTRY[name].run is not run:
            raise ValueError(f"An experiment named {name!r} is already registered.")
        _REGISTRY[name] = Experiment(name=name, paper=paper, claim=claim, run=run)
        return run

    return decorator


def _import_experiment_modules():
    import skpapers.experiments as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            import_module(f"{package.__name__}.{info.name}")


def get_experiments(names=None):
    """Registered experiments, all of them (sorted by name) or those in ``names``.

    Parameters
    ----------
    names : sequence of str or None, default=None
        Names to return, in this order; None or empty: all of them.

    Returns
    -------
    experiments : list of Experiment
        The experiments found in the public modules of
        :mod:`skpapers.experiments`.

    Examples
    --------
    >>> from skpapers.experiments import get_experiments
    >>> [exp.name for exp in get_experiments(["nb_vs_lr", "dpp_wls"])]
    ['nb_vs_lr', 'dpp_wls']
    >>> get_experiments(["no_such_paper"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: Unknown experiment(s) ['no_such_paper']; registered: ...
    """
    _import_experiment_modules()
    if not names:
        return [_REGISTRY[name] for name in sorted(_REGISTRY)]
    unknown = [name for name in names if name not in _REGISTRY]
    if unknown:
        raise ValueError(
            f"Unknown experiment(s) {unknown}; registered: {sorted(_REGISTRY)}."
        )
    return [_REGISTRY[name] for name in names]
