"""Render the table of registered experiments (name, paper, claim) for the docs.

Read from the registry of :mod:`skpapers.experiments` at build time, so the page
quotes each claim exactly as the report does. Nothing is run.
"""

from pathlib import Path

from gen_benchmarks import rst_text


def render():
    """The RST list-table of the registered experiments."""
    from skpapers.experiments import get_experiments

    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 15 30 55", ""]
    lines.append("   * - name\n     - paper\n     - claim tested")
    for exp in get_experiments():
        cells = [f"``{exp.name}``", rst_text(exp.paper), rst_text(exp.claim)]
        lines.append("   * - " + "\n     - ".join(cells))
    return "\n".join(lines) + "\n"


def write_experiment_table(docs):
    """Write ``docs/generated/experiments.inc`` if its content changed."""
    target = Path(docs) / "generated" / "experiments.inc"
    text = render()
    if not target.exists() or target.read_text() != text:
        target.parent.mkdir(exist_ok=True)
        target.write_text(text)
    return target
