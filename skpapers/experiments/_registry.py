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
    """

    summary: str
    table: list[dict] = field(default_factory=list)
    supports_claim: bool | None = None
    figure: Any = None
    metrics: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: a paper, its claim, and the function that tests it."""

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

    Notes
    -----
    ``quick`` asks for a size that finishes in about a minute on two cores;
    ``track(iterable, total=None)`` wraps the main loop to show progress;
    ``random_state`` is an int seed.
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
    """Registered experiments, all of them (sorted by name) or those in ``names``."""
    _import_experiment_modules()
    if not names:
        return [_REGISTRY[name] for name in sorted(_REGISTRY)]
    unknown = [name for name in names if name not in _REGISTRY]
    if unknown:
        raise ValueError(
            f"Unknown experiment(s) {unknown}; registered: {sorted(_REGISTRY)}."
        )
    return [_REGISTRY[name] for name in names]
