"""Benchmarks of skpapers against the peers users would pick instead.

Run ``python -m benchmarks [NAME ...] [--smoke]`` from the repository root.
"""

from ._harness import (
    Case,
    Contender,
    get_benchmarks,
    markdown_table,
    measure,
    register_benchmark,
    run_benchmarks,
    run_case,
)

__all__ = [
    "Case",
    "Contender",
    "get_benchmarks",
    "markdown_table",
    "measure",
    "register_benchmark",
    "run_benchmarks",
    "run_case",
]
