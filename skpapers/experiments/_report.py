"""Running experiments and writing their report (Markdown, JSON, PNG figures)."""

import base64
import html
import json
import os
import time
import traceback
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


def _markdown_table(rows):
    if not rows:
        return "_(no table)_\n"
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        cells = [
            f"{row.get(k):.4g}" if isinstance(row.get(k), float) else str(row.get(k))
            for k in keys
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _verdict(supports_claim):
    return {True: "supported", False: "NOT supported", None: "undecided"}[
        supports_claim
    ]


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
    (out / "report.md").write_text(_report_markdown(records, quick))
    (out / "report.html").write_text(_report_html(records, quick, out))
    return records


def _report_markdown(records, quick):
    size = "quick" if quick else "full"
    parts = [f"# skpapers reproduction report ({size} size)\n"]
    parts.append("| experiment | status | claim | seconds |\n|---|---|---|---|")
    for r in records:
        verdict = _verdict(r.get("supports_claim")) if r["status"] == "ok" else "-"
        parts.append(f"| {r['name']} | {r['status']} | {verdict} | {r['seconds']} |")
    for r in records:
        parts.append(f"\n## {r['name']}: {r['paper']}\n")
        parts.append(f"**Claim.** {r['claim']}\n")
        if r["status"] == "failed":
            parts.append(f"**Failed.**\n\n```\n{r['error']}```\n")
            continue
        parts.append(f"**Result ({_verdict(r['supports_claim'])}).** {r['summary']}\n")
        if r["paper_comparison"]:
            parts.append("**Paper vs ours.**\n")
            parts.append(_markdown_table(r["paper_comparison"]))
        if "figure" in r:
            parts.append(f"![{r['name']}]({r['figure']})\n")
        parts.append(_markdown_table(r["table"]))
    return "\n".join(parts) + "\n"


def _html_table(rows):
    if not rows:
        return "<p><em>(no table)</em></p>"
    keys = list(rows[0])
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in keys)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{v:.4g}</td>"
            if isinstance(v, float)
            else f"<td>{html.escape(str(v))}</td>"
            for v in (row.get(k) for k in keys)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
    "padding:.2em .5em;text-align:right}img{max-width:100%}"
    "pre{background:#f6f6f6;padding:1em;overflow:auto}"
)


def _report_html(records, quick, out):
    """The report as one self-contained HTML page (figures embedded as base64)."""
    size = "quick" if quick else "full"
    esc = html.escape
    summary_rows = [
        {
            "experiment": r["name"],
            "status": r["status"],
            "claim": _verdict(r.get("supports_claim")) if r["status"] == "ok" else "-",
            "seconds": r["seconds"],
        }
        for r in records
    ]
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>skpapers report</title><style>{_STYLE}</style></head><body>",
        f"<h1>skpapers reproduction report ({size} size)</h1>",
        _html_table(summary_rows),
    ]
    for r in records:
        parts.append(f"<h2>{esc(r['name'])}: {esc(r['paper'])}</h2>")
        parts.append(f"<p><strong>Claim.</strong> {esc(r['claim'])}</p>")
        if r["status"] == "failed":
            parts.append(f"<p><strong>Failed.</strong></p><pre>{esc(r['error'])}</pre>")
            continue
        verdict = _verdict(r["supports_claim"])
        parts.append(f"<p><strong>Result ({verdict}).</strong> {esc(r['summary'])}</p>")
        if r["paper_comparison"]:
            parts.append("<h3>Paper vs ours</h3>")
            parts.append(_html_table(r["paper_comparison"]))
        if "figure" in r:
            data = base64.b64encode((out / r["figure"]).read_bytes()).decode("ascii")
            parts.append(
                f"<img alt='{esc(r['name'])}' src='data:image/png;base64,{data}'>"
            )
        parts.append(_html_table(r["table"]))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
