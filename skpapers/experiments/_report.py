"""Running experiments and writing their report (Markdown, HTML, JSON, PNG figures).

The report opens with where it ran (commit, date, package versions, machine, and
whether other work loaded the machine, which is what makes one run take 3 minutes
and another 30), then a linked table of contents with each verdict. Per paper:
the claim, the verdict, the paper's numbers beside ours, the figure, and last the
full result table, folded away when it is long.
"""

import base64
import html
import json
import os
import platform
import subprocess
import time
import traceback
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np


def _tracker(desc):
    """A ``track(iterable, total=None)`` that shows a progress bar when it can."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None

    def track(iterable, total=None):
        if tqdm is None:
            return iterable
        return tqdm(iterable, total=total, desc=desc, leave=False)

    return track


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def run_experiments(experiments, *, quick=True, out="skpapers-report", random_state=0):
    """Run ``experiments``, write the report into ``out``, return the records.

    A failing experiment is recorded (with its traceback) and the others still run.

    Parameters
    ----------
    experiments : sequence of Experiment
        What to run, e.g. from :func:`get_experiments`.
    quick : bool, default=True
        Small sizes (minutes on two cores) rather than the papers' sizes.
    out : str or path, default="skpapers-report"
        Folder for ``report.md``, ``report.html``, ``results.json`` and one PNG
        per experiment with a figure; created if needed.
    random_state : int, default=0
        Seed handed to every experiment.

    Returns
    -------
    records : list of dict
        One per experiment, with ``status`` ``"ok"`` or ``"failed"``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skpapers.experiments import Experiment, ExperimentResult, run_experiments
    >>> def run(*, quick, track, random_state):
    ...     total = sum(track(range(4)))
    ...     return ExperimentResult(summary=f"sum {total}", supports_claim=total == 6)
    >>> toy = Experiment(name="toy", paper="A toy paper", claim="0+1+2+3 = 6.", run=run)
    >>> with tempfile.TemporaryDirectory() as out:  # doctest: +ELLIPSIS
    ...     records = run_experiments([toy], out=out)
    ...     sorted(path.name for path in Path(out).iterdir())
    [1/1] toy: A toy paper
        ok in ... s
    ['report.html', 'report.md', 'results.json']
    >>> records[0]["status"], records[0]["supports_claim"]
    ('ok', True)
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # Read before anything of ours runs: the load average then is other work.
    environment = _environment(quick)
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures go to files, never a screen
    records = []
    for index, exp in enumerate(experiments, start=1):
        print(f"[{index}/{len(experiments)}] {exp.name}: {exp.paper}", flush=True)
        start = time.perf_counter()
        record = {"name": exp.name, "paper": exp.paper, "claim": exp.claim}
        try:
            result = exp.run(
                quick=quick, track=_tracker(exp.name), random_state=random_state
            )
        except Exception:  # one failure must not stop the others
            record.update(status="failed", error=traceback.format_exc())
        else:
            record.update(
                status="ok",
                summary=result.summary,
                supports_claim=result.supports_claim,
                table=result.table,
                metrics=result.metrics,
                paper_comparison=result.paper_comparison,
            )
            if result.figure is not None:
                import matplotlib.pyplot as plt

                figure_path = out / f"{exp.name}.png"
                result.figure.savefig(figure_path, dpi=110, bbox_inches="tight")
                plt.close(result.figure)
                record["figure"] = figure_path.name
        record["seconds"] = round(time.perf_counter() - start, 2)
        print(f"    {record['status']} in {record['seconds']} s", flush=True)
        records.append(record)

    (out / "results.json").write_text(json.dumps(_jsonable(records), indent=2))
    environment["load_after"] = _load_average()
    (out / "report.md").write_text(_report_markdown(records, environment))
    (out / "report.html").write_text(_report_html(records, environment, out))
    return records


# -- where the run happened ---------------------------------------------------

_PACKAGES = (
    "skpapers",
    "numpy",
    "scipy",
    "scikit-learn",
    "numba",
    "torch",
    "skorch",
    "dask",
    "matplotlib",
)


def _load_average():
    """The 1-minute load average, or None where the system has none."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _commit():
    """The checkout's commit, marked when the tree has uncommitted changes."""
    root = Path(__file__).resolve().parents[2]

    def git(*args):
        return subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short=10", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return commit + (" with uncommitted changes" if dirty else "")


def _processor():
    """The CPU model, from ``/proc/cpuinfo`` where there is one."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _environment(quick):
    """What a reader needs to compare two reports: code, software, machine, load."""
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return {
        "size": "quick" if quick else "full",
        "commit": _commit(),
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "python": platform.python_version(),
        "packages": versions,
        "machine": f"{platform.system()} {platform.machine()}, {_processor()}",
        "cpus": os.cpu_count(),
        "threads": {
            name: os.environ[name]
            for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            if name in os.environ
        },
        "load_before": _load_average(),
    }


def _load_text(env):
    """Whether other work was running, from the load averages of the run."""
    before, after = env["load_before"], env.get("load_after")
    if before is None:
        return "not measurable on this system"
    # Nothing of ours runs when ``before`` is read, so it is other work.
    other = "yes" if before >= 0.5 else "no"
    text = (
        f"other work running at the start: {other} (1-minute load average "
        f"{before:.2f} on {env['cpus']} CPUs before the first experiment"
    )
    if after is not None:
        text += f", {after:.2f} at the end, ours included"
    return text + ")"


def _header_fields(env):
    """``[(label, text)]``: the report's header, the same in Markdown and HTML."""
    software = f"Python {env['python']}, " + ", ".join(
        f"{name} {version}" for name, version in env["packages"].items()
    )
    threads = ", ".join(f"{k}={v}" for k, v in env["threads"].items()) or "not set"
    return [
        ("Size", env["size"]),
        ("Commit", env["commit"]),
        ("Date", env["date"]),
        ("Software", software),
        ("Machine", f"{env['machine']}, {env['cpus']} CPUs"),
        ("Threads", threads),
        ("Load", _load_text(env)),
    ]


# -- values and tables --------------------------------------------------------

# Result tables longer than this are folded away below the figure.
LONG_TABLE_ROWS = 12
# Cells that compare the row with the column (the EnsLoss tallies).
_SIGNS = {"+": "better", "=": "no clear difference", "-": "worse"}


def _verdict(record):
    """``(text, css class)`` of a record's verdict."""
    if record["status"] != "ok":
        return "failed", "failed"
    return {
        True: ("supported", "supported"),
        False: ("not supported", "refuted"),
        None: ("undecided", "undecided"),
    }[record["supports_claim"]]


def _cell(value):
    """A table cell as a reader wants it: no raw ``None``/``True``, 4 digits."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _seconds(seconds):
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


def _columns(rows):
    """Every key of ``rows``, in order of first appearance."""
    keys = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    return list(keys)


def _legend(rows):
    """A sentence explaining sign cells (``+``/``=``/``-``), or ``""``."""
    keys = _columns(rows)
    signed = [
        k
        for k in keys
        if any(row.get(k) in _SIGNS for row in rows)
        and all(row.get(k) in _SIGNS or row.get(k) is None for row in rows)
    ]
    if not signed:
        return ""
    meaning = ", ".join(f"{sign} {word}" for sign, word in _SIGNS.items())
    return (
        f"In the columns {', '.join(signed)}: {meaning} (the row against the column)."
    )


def _markdown_table(rows):
    keys = _columns(rows)
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        cells = (_cell(row.get(k)).replace("|", "\\|") for k in keys)
        lines.append("| " + " | ".join(cells) + " |")
    legend = _legend(rows)
    return "\n".join(lines) + "\n" + (f"\n{legend}\n" if legend else "")


def _html_table(rows):
    esc = html.escape
    keys = _columns(rows)
    head = "".join(f"<th>{esc(str(k))}</th>" for k in keys)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(_cell(row.get(k)))}</td>" for k in keys) + "</tr>"
        for row in rows
    )
    legend = _legend(rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" + (
        f"<p class='legend'>{esc(legend)}</p>" if legend else ""
    )


def _folded(rows, table, gap=""):
    """``table`` as is when short, folded inside ``<details>`` when long.

    ``gap`` separates the HTML tags from the table: Markdown needs blank lines.
    """
    if len(rows) <= LONG_TABLE_ROWS:
        return table
    summary = f"<summary>Full results ({len(rows)} rows)</summary>"
    return f"<details>{summary}{gap}{table}{gap}</details>\n"


# -- the two renderings -------------------------------------------------------


def _report_markdown(records, env):
    parts = [f"# skpapers reproduction report ({env['size']} size)\n"]
    parts += [f"- **{label}:** {text}" for label, text in _header_fields(env)]
    parts.append("\n## Contents\n")
    parts.append("| experiment | verdict | time |\n|---|---|---|")
    for r in records:
        verdict, _ = _verdict(r)
        parts.append(
            f"| [{r['name']}](#{r['name']}): {r['paper']} | **{verdict}** "
            f"| {_seconds(r['seconds'])} |"
        )
    for r in records:
        verdict, _ = _verdict(r)
        parts.append(f'\n<a id="{r["name"]}"></a>\n')
        parts.append(f"## {r['name']}: {r['paper']}\n")
        parts.append(f"**Claim.** {r['claim']}\n")
        if r["status"] == "failed":
            parts.append(f"**Verdict: failed.**\n\n```\n{r['error']}```\n")
            continue
        parts.append(f"**Verdict: {verdict}.** {r['summary']}\n")
        if r["paper_comparison"]:
            parts.append("**Paper vs ours.**\n")
            parts.append(_markdown_table(r["paper_comparison"]))
        if "figure" in r:
            parts.append(f"![{r['name']}]({r['figure']})\n")
        if r["table"]:
            parts.append(_folded(r["table"], _markdown_table(r["table"]), gap="\n\n"))
    return "\n".join(parts) + "\n"


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:64em;margin:auto;padding:1em;"
    "line-height:1.45;color:#222}"
    "table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;"
    "padding:.2em .5em;text-align:right}th{background:#f3f3f3}"
    "td:first-child,th:first-child{text-align:left}"
    "img{max-width:100%;margin:.6em 0}pre{background:#f6f6f6;padding:1em;overflow:auto}"
    "dl.header{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;"
    "font-size:.92em}dl.header dt{font-weight:600}dl.header dd{margin:0}"
    ".badge{display:inline-block;padding:.05em .55em;border-radius:.8em;"
    "font-size:.85em;font-weight:600;color:#fff;white-space:nowrap}"
    "nav td{text-align:left}nav td:last-child{text-align:right;white-space:nowrap}"
    ".supported{background:#2e7d32}.refuted{background:#c62828}"
    ".undecided{background:#757575}.failed{background:#6a1b9a}"
    "details{margin:.6em 0}summary{cursor:pointer;color:#1565c0}"
    ".legend{font-size:.9em;color:#555}section{margin-top:2.5em}"
)


def _badge(record):
    text, css = _verdict(record)
    return f"<span class='badge {css}'>{text}</span>"


def _report_html(records, env, out):
    """The report as one self-contained HTML page (figures embedded as base64)."""
    esc = html.escape
    header = "".join(
        f"<dt>{esc(label)}</dt><dd>{esc(text)}</dd>"
        for label, text in _header_fields(env)
    )
    contents = "".join(
        f"<tr><td><a href='#{esc(r['name'])}'>{esc(r['name'])}</a></td>"
        f"<td>{esc(r['paper'])}</td><td>{_badge(r)}</td>"
        f"<td>{_seconds(r['seconds'])}</td></tr>"
        for r in records
    )
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>skpapers report</title><style>{_STYLE}</style></head><body>",
        f"<h1>skpapers reproduction report ({env['size']} size)</h1>",
        f"<dl class='header'>{header}</dl>",
        "<nav><h2>Contents</h2><table><thead><tr><th>experiment</th><th>paper</th>"
        f"<th>verdict</th><th>time</th></tr></thead><tbody>{contents}</tbody>"
        "</table></nav>",
    ]
    for r in records:
        parts.append(f"<section id='{esc(r['name'])}'>")
        parts.append(f"<h2>{esc(r['name'])}: {esc(r['paper'])}</h2>")
        parts.append(f"<p><strong>Claim.</strong> {esc(r['claim'])}</p>")
        if r["status"] == "failed":
            parts.append(f"<p>{_badge(r)}</p><pre>{esc(r['error'])}</pre></section>")
            continue
        parts.append(f"<p>{_badge(r)} {esc(r['summary'])}</p>")
        if r["paper_comparison"]:
            parts.append("<h3>Paper vs ours</h3>")
            parts.append(_html_table(r["paper_comparison"]))
        if "figure" in r:
            data = base64.b64encode((out / r["figure"]).read_bytes()).decode("ascii")
            parts.append(
                f"<img alt='{esc(r['name'])}' src='data:image/png;base64,{data}'>"
            )
        if r["table"]:
            parts.append(_folded(r["table"], _html_table(r["table"])))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
