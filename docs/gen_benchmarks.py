"""Render the benchmarks page of the docs from stored results; never run them.

``python -m benchmarks [--smoke]`` writes ``benchmarks/results/results-full.json``
(or ``results-smoke.json``): a list of rows, see ``benchmarks/_harness.py``. For
each size, a local result there is rendered if present, else the snapshot
committed in ``docs/benchmark_results/``, with what its ``.meta.json`` says about
the machine and the command.

Written into ``docs/_benchmarks/`` (included by ``benchmarks.rst``): one summary
figure per size (speed-up and quality ratio of every case, one colour per
method), a one-row-per-method summary table, and per benchmark a table of the
columns a reader compares, with every column one click away.
"""

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

SIZES = {"full": "Full-size run", "smoke": "Smoke-size run"}
SMOKE_WARNING = """.. warning::

   Smoke sizes are tiny problems that check the benchmarks run, with one timed
   call per case: the ratios below are not the headline figures.
"""
# The visible columns of a benchmark's table, then every column (folded away).
MAIN_COLUMNS = [
    ("case", "case"),
    ("ours", "ours"),
    ("peer", "peer"),
    ("speedup", "speed-up"),
    ("quality", "quality"),
    ("quality_ratio", "quality ratio"),
]
ALL_COLUMNS = [
    ("case", "case"),
    ("ours", "ours"),
    ("peer", "peer"),
    ("seconds_ours", "seconds, ours"),
    ("seconds_peer", "seconds, peer"),
    ("speedup", "speed-up (peer / ours)"),
    ("quality", "quality"),
    ("quality_ours", "quality, ours"),
    ("quality_peer", "quality, peer"),
    ("quality_ratio", "quality ratio (ours / peer)"),
    ("peak_mib_ours", "peak MiB, ours"),
    ("peak_mib_peer", "peak MiB, peer"),
]
# Quality ratios outside this range are drawn at its edge, with another marker.
RATIO_LIMITS = (0.1, 10.0)


def rst_text(value):
    """A table cell: numbers to 3 significant digits, text with RST escaped."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if math.isinf(value):
            return "inf"
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


def _list_table(rows, columns, indent=""):
    """An RST list-table of ``rows`` restricted to ``columns``."""
    out = [f"{indent}.. list-table::", f"{indent}   :header-rows: 1", ""]
    out.append(f"{indent}   * - " + f"\n{indent}     - ".join(h for _, h in columns))
    for row in rows:
        cells = [rst_text(row.get(key)) for key, _ in columns]
        out.append(f"{indent}   * - " + f"\n{indent}     - ".join(cells))
    return [*out, ""]


def _folded(title, lines):
    """``lines`` (RST) inside an HTML ``<details>`` element titled ``title``."""
    return [
        ".. raw:: html",
        "",
        f"   <details><summary>{title}</summary>",
        "",
        *lines,
        "",
        ".. raw:: html",
        "",
        "   </details>",
        "",
    ]


def _benchmarks(rows):
    """The benchmark names of ``rows``, sorted."""
    return sorted({row["benchmark"] for row in rows})


def _finite(values):
    return [v for v in values if isinstance(v, float | int) and math.isfinite(v)]


def _summary_table(rows, user_guide):
    """One row per method: its cases, spread of speed-ups, peers and qualities."""
    columns = [
        ("benchmark", "method"),
        ("cases", "cases"),
        ("speedup", "median speed-up"),
        ("range", "speed-up range"),
        ("qualities", "qualities compared"),
        ("peers", "compared with"),
    ]
    summary = []
    for name in _benchmarks(rows):
        mine = [row for row in rows if row["benchmark"] == name]
        speedups = _finite(row["speedup"] for row in mine)
        summary.append(
            {
                "benchmark": name,
                "cases": len(mine),
                "speedup": median(speedups) if speedups else None,
                "range": (
                    f"{min(speedups):.3g} to {max(speedups):.3g}" if speedups else None
                ),
                # Ratios of different qualities do not pool: name them instead.
                "qualities": ", ".join(dict.fromkeys(row["quality"] for row in mine)),
                "peers": ", ".join(dict.fromkeys(row["peer"] for row in mine)),
            }
        )
    lines = _list_table(summary, columns)
    # Method names link to their user-guide page where there is one.
    for name in _benchmarks(rows):
        if name in user_guide:
            escaped = rst_text(name)
            lines = [
                line.replace(
                    f"* - {escaped}", f"* - :doc:`{escaped} <{user_guide[name]}>`"
                )
                for line in lines
            ]
    return lines


def summary_figure(rows, path):
    """Speed-up and quality ratio of every case, one row and colour per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = _benchmarks(rows)
    colours = plt.get_cmap("tab10")
    fig, (ax_speed, ax_ratio) = plt.subplots(
        1, 2, figsize=(10, 0.45 * len(names) + 1.4), sharey=True
    )
    low, high = RATIO_LIMITS
    off_scale = False
    for i, name in enumerate(names):
        mine = [row for row in rows if row["benchmark"] == name]
        # Spread the cases of one method vertically so that dots do not hide.
        offsets = (
            [0.0]
            if len(mine) == 1
            else [-0.25 + 0.5 * k / (len(mine) - 1) for k in range(len(mine))]
        )
        style = {"color": colours(i % 10), "s": 28, "zorder": 3}
        for row, offset in zip(mine, offsets, strict=True):
            y = i + offset
            if row["speedup"] and math.isfinite(row["speedup"]):
                ax_speed.scatter(row["speedup"], y, **style)
            ratio = row.get("quality_ratio")
            if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
                continue
            if low <= ratio <= high:
                ax_ratio.scatter(ratio, y, **style)
            else:
                off_scale = True
                edge, marker = (low, "<") if ratio < low else (high, ">")
                ax_ratio.scatter(edge, y, marker=marker, **style)
    for ax in (ax_speed, ax_ratio):
        ax.set_xscale("log")
        ax.axvline(1.0, color="0.3", lw=1, ls="--", zorder=1)
        ax.grid(axis="x", which="major", color="0.9")
    ax_speed.set_yticks(range(len(names)), names)
    ax_speed.invert_yaxis()
    ax_speed.set_xlabel("speed-up: peer time / ours (right of 1: ours faster)")
    ax_speed.set_title("Speed")
    ax_ratio.set_xlim(low / 1.5, high * 1.5)
    ax_ratio.set_xlabel("quality ratio: ours / peer (read against each quality)")
    ax_ratio.set_title("Quality")
    if off_scale:
        ax_ratio.text(
            0.99,
            -0.24 - 0.1 / max(len(names), 1),
            f"< > : off the scale (below {low:g}, above {high:g}, 0 or infinite)",
            transform=ax_ratio.transAxes,
            ha="right",
            fontsize=8,
            color="0.35",
        )
    fig.tight_layout()
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _benchmark_tables(rows):
    """Per benchmark: the main columns, then every column folded away."""
    out = []
    for name in _benchmarks(rows):
        mine = [row for row in rows if row["benchmark"] == name]
        title = f"``{name}``"
        out += [title, "~" * len(title), ""]
        out += _list_table(mine, MAIN_COLUMNS)
        out += _folded(
            "Every column: times in seconds and peak memory",
            _list_table(mine, ALL_COLUMNS),
        )
    return out


def render(docs, user_guide=None):
    """The RST of the results, full size first; writes the summary figures."""
    user_guide = user_guide or {}
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
        if size == "smoke":
            out.append(SMOKE_WARNING)
        figure = summary_figure(rows, docs / "_benchmarks" / f"summary-{size}.png")
        out += [
            f".. figure:: /_benchmarks/{figure.name}",
            f"   :alt: speed-up and quality ratio of every {size}-size case",
            "",
            "   Every case of every benchmark: a dot per case, a colour per method.",
            "   Left of the dashed line, the peer was faster; for the quality ratio,",
            "   read the table's quality (an error below 1 favours ours, an accuracy",
            "   above 1 does).",
            "",
            "Summary",
            "~~~~~~~",
            "",
            *_summary_table(rows, user_guide),
            *_folded(
                "How these numbers were measured", _provenance(path, size in local)
            ),
            *_benchmark_tables(rows),
        ]
    return "\n".join(out) + "\n"


def write_benchmark_tables(docs, user_guide=None):
    """Write ``docs/_benchmarks/tables.inc`` (and its figures)."""
    target = Path(docs) / "_benchmarks" / "tables.inc"
    text = render(Path(docs), user_guide)
    if not target.exists() or target.read_text() != text:
        target.parent.mkdir(exist_ok=True)
        target.write_text(text)
    return target
