"""Benchmark harness: skpapers against the peer a user would pick, in one process.

A benchmark module (``benchmarks/bench_*.py``) registers a function
``cases(smoke) -> iterable of Case`` with :func:`register_benchmark`. Each case runs
both contenders on the same data: one warm-up call (numba compilation, caches)
excluded, then the median wall time of ``repeat`` calls, then one call under
``tracemalloc`` for the peak of Python and NumPy allocations (torch's own allocator
is not seen by tracemalloc).
"""

import json
import pkgutil
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from skpapers.utils import markdown_table as _markdown_table


@dataclass(frozen=True)
class Contender:
    """A named callable of no arguments returning the output that quality scores."""

    name: str
    run: Callable[[], Any]


@dataclass(frozen=True)
class Case:
    """One comparison at one size.

    Parameters
    ----------
    label : str
        The size or setting, e.g. ``"n=2^18, d=100"``.
    ours, peer : Contender
    quality : callable
        ``quality(output) -> float`` for either contender's output.
    quality_name : str
        What ``quality`` measures, e.g. ``"test error"``.
    """

    label: str
    ours: Contender
    peer: Contender
    quality: Callable[[Any], float]
    quality_name: str


_REGISTRY: dict[str, Callable] = {}


def register_benchmark(name):
    """Register ``cases(smoke: bool) -> iterable of Case`` under ``name``."""

    def decorator(cases):
        _REGISTRY[name] = cases
        return cases

    return decorator


def get_benchmarks(names=None):
    """Registered benchmarks as ``{name: cases}``, all or those in ``names``."""
    import benchmarks as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("bench_"):
            import_module(f"{package.__name__}.{info.name}")
    if not names:
        return dict(sorted(_REGISTRY.items()))
    unknown = [name for name in names if name not in _REGISTRY]
    if unknown:
        raise ValueError(f"Unknown benchmark(s) {unknown}; known: {sorted(_REGISTRY)}")
    return {name: _REGISTRY[name] for name in names}


def measure(fn, repeat=5, *, warm_up=None, synchronize=None, trace_memory=True):
    """Time ``fn`` after one warm-up call and measure its peak traced memory.

    Parameters
    ----------
    fn : callable
        No arguments; what is timed.
    repeat : int, default=5
        Timed calls; the median is reported.
    warm_up : callable, default=None
        Called once, untimed, instead of ``fn`` (e.g. the same work at a small
        size, when one full-size call is already long); ``None``: ``fn``.
    synchronize : callable, default=None
        Called before and after each timed call, so that asynchronous work (a
        GPU's) is inside the timing.
    trace_memory : bool, default=True
        Also run ``fn`` once under ``tracemalloc`` for its peak.

    Returns
    -------
    result : dict
        ``output`` (of the warm-up call, or of the last timed call when a
        separate ``warm_up`` is given), ``seconds`` (median of ``repeat`` calls),
        ``times`` (all of them) and ``peak_mib`` (None without ``trace_memory``).
    """
    synchronize = synchronize or (lambda: None)
    output = (warm_up or fn)()
    times = []
    for _ in range(repeat):
        synchronize()
        start = time.perf_counter()
        last = fn()
        synchronize()
        times.append(time.perf_counter() - start)
    if warm_up is not None:
        output = last
    peak = None
    if trace_memory:
        tracemalloc.start()
        try:
            fn()
            peak = tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
    return {
        "output": output,
        "seconds": statistics.median(times),
        "times": times,
        "peak_mib": peak,
    }


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else float("inf")


def run_case(benchmark, case, repeat=5):
    """Measure both contenders of ``case`` and return one result row."""
    ours = measure(case.ours.run, repeat)
    peer = measure(case.peer.run, repeat)
    q_ours, q_peer = case.quality(ours["output"]), case.quality(peer["output"])
    return {
        "benchmark": benchmark,
        "case": case.label,
        "ours": case.ours.name,
        "peer": case.peer.name,
        "seconds_ours": ours["seconds"],
        "seconds_peer": peer["seconds"],
        "speedup": _ratio(peer["seconds"], ours["seconds"]),
        "quality": case.quality_name,
        "quality_ours": float(q_ours),
        "quality_peer": float(q_peer),
        "quality_ratio": _ratio(float(q_ours), float(q_peer)),
        "peak_mib_ours": ours["peak_mib"],
        "peak_mib_peer": peer["peak_mib"],
        "memory_ratio": _ratio(ours["peak_mib"], peer["peak_mib"]),
    }


#: (key, heading) of the result table's columns; the docs' tables use them too.
COLUMNS = [
    ("benchmark", "benchmark"),
    ("case", "case"),
    ("ours", "ours"),
    ("peer", "peer"),
    ("seconds_ours", "s ours"),
    ("seconds_peer", "s peer"),
    ("speedup", "speed-up (peer/ours)"),
    ("quality", "quality"),
    ("quality_ours", "ours"),
    ("quality_peer", "peer"),
    ("quality_ratio", "ratio (ours/peer)"),
    ("peak_mib_ours", "MiB ours"),
    ("peak_mib_peer", "MiB peer"),
    ("memory_ratio", "memory ratio"),
]


def markdown_table(rows):
    """Render result rows as a Markdown table of the harness's ``COLUMNS``."""
    return _markdown_table(
        rows, [(title, key) for key, title in COLUMNS], float_format=".3g"
    )


def run_benchmarks(benchmarks, *, smoke=False, repeat=5, out="benchmarks/results"):
    """Run every case of ``benchmarks`` (``{name: cases}``); save and return rows."""
    rows = []
    for name, cases in benchmarks.items():
        for case in cases(smoke):
            rows.append(run_case(name, case, repeat))
            print(f"  {name} / {case.label}: done", flush=True)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tag = "smoke" if smoke else "full"
    (out / f"results-{tag}.json").write_text(json.dumps(rows, indent=2))
    return rows
