"""Render the benchmark tables of the docs from stored results; never run them.

``python -m benchmarks [--smoke]`` writes ``benchmarks/results/results-full.json``
(or ``results-smoke.json``): a list of rows, see ``benchmarks/_harness.py``. For
each size, a local result there is rendered if present, else the snapshot
committed in ``docs/benchmark_results/``, with what its ``.meta.json`` says about
the machine and the command. The output, ``docs/_benchmarks/tables.inc``, is
included by ``benchmarks.rst``.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

from benchmarks._harness import COLUMNS as HARNESS_COLUMNS

# The harness's columns, less the benchmark (one table each) and the memory ratio.
COLUMNS = [
    (key, heading)
    for key, heading in HARNESS_COLUMNS
    if key not in ("benchmark", "memory_ratio")
]
SIZES = {"full": "Full-size run", "smoke": "Smoke-size run"}
SMOKE_WARNING = """.. warning::

   Smoke sizes are tiny problems that check the benchmarks run, with one timed
   call per case: the ratios below are not the headline figures.
"""


def rst_text(value):
    """A table cell: numbers to 3 significant digits, text with RST escaped."""
    if isinstance(value, float):
        return f"{value:.3g}"
    text = str(value)
    for char in "\\*`|_":
        text = text.replace(char, "\\" + char)
    return text


def _results_by_size(folder):
    """``{size: path}`` of the ``results-SIZE.json`` files in ``folder``."""
    if not folder.is_dir():
        return {}
    return {
        path.stem.removeprefix("results-"): path
        for path in folder.glob("results-*.json")
        if not path.stem.endswith(".meta")
    }


def _provenance(path, local):
    """Where the numbers come from, as RST lines."""
    if local:
        written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        return [
            f"Local run: ``benchmarks/results/{path.name}``, written "
            f"{written:%Y-%m-%d %H:%M} UTC on the machine that built this page "
            "(the harness does not record which).",
        ]
    meta_path = path.with_name(path.stem + ".meta.json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    lines = [f"Snapshot ``docs/benchmark_results/{path.name}``:", ""]
    for key in (
        "command",
        "size",
        "machine",
        "software",
        "commit",
        "date",
        "wall_time",
        "updated",
    ):
        if key in meta:
            value = f"``{meta[key]}``" if key == "command" else rst_text(meta[key])
            lines.append(f"- {key.replace('_', ' ').capitalize()}: {value}")
    return lines


def _tables(rows):
    """One list-table per benchmark."""
    out = []
    for name in sorted({row["benchmark"] for row in rows}):
        title = f"``{name}``"
        out += [
            title,
            "~" * len(title),
            "",
            ".. list-table::",
            "   :header-rows: 1",
            "",
        ]
        out.append("   * - " + "\n     - ".join(heading for _, heading in COLUMNS))
        for row in rows:
            if row["benchmark"] == name:
                cells = [rst_text(row.get(key, "")) for key, _ in COLUMNS]
                out.append("   * - " + "\n     - ".join(cells))
        out.append("")
    return out


def render(docs):
    """The RST of the benchmark tables, full size first."""
    snapshot = _results_by_size(docs / "benchmark_results")
    local = _results_by_size(docs.parent / "benchmarks" / "results")
    sizes = sorted(snapshot.keys() | local.keys(), key=lambda s: (s != "full", s))
    if not sizes:
        return "No benchmark results are stored: run ``python -m benchmarks``.\n"
    out = []
    for size in sizes:
        path = local.get(size, snapshot.get(size))
        title = SIZES.get(size, f"Run ``{size}``")
        out += [title, "-" * len(title), ""]
        try:
            rows = json.loads(path.read_text())
        except ValueError as exc:
            out += [f"``{path.name}`` could not be read ({rst_text(exc)}).", ""]
            continue
        out += [*_provenance(path, size in local), ""]
        if size == "smoke":
            out.append(SMOKE_WARNING)
        out += _tables(rows)
    return "\n".join(out) + "\n"


def write_benchmark_tables(docs):
    """Write ``docs/_benchmarks/tables.inc`` if its content changed."""
    target = Path(docs) / "_benchmarks" / "tables.inc"
    text = render(Path(docs))
    if not target.exists() or target.read_text() != text:
        target.parent.mkdir(exist_ok=True)
        target.write_text(text)
    return target
