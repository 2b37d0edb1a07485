"""A diagnosis for a terminal, rendered with rich.

User-supplied strings go in as ``Text`` objects, never as markup strings:
rich would otherwise read ``[red]`` in a node id or description as style.
"""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from causal_rca.diagnosis.data_quality import DATA_QUALITY_NOTE
from causal_rca.diagnosis.model import Diagnosis
from causal_rca.explain.whys import why_steps
from causal_rca.render.findings import cite
from causal_rca.render.model_findings import model_sentences


def _ci(ci: tuple[float, float]) -> str:
    return f"[{ci[0]:.3g}, {ci[1]:.3g}]"


def diagnosis_renderable(d: Diagnosis) -> Group:
    head = Text()
    head.append(d.target, style="bold")
    head.append(f" ({d.metric}) in {d.graph}\n")
    head.append(f"reference {d.reference.value:.4g} {_ci(d.reference.ci)}  n={d.reference.rows}\n")
    head.append(f"current   {d.current.value:.4g} {_ci(d.current.ci)}  n={d.current.rows}\n")
    head.append(f"change    {d.change:+.4g} {_ci(d.change_ci)}  ")
    head.append("significant" if d.significant else "not significant",
                style="bold red" if d.significant else "bold green")
    parts: list = [Panel(head, title="causal-rca diagnosis", expand=False), Text(d.summary, style="bold")]
    if d.causes:
        table = Table(title="Ranked causes", show_lines=False)
        for col in ("#", "node", "failure mode", "score", "contribution", "strongest evidence"):
            table.add_column(col)
        for c in d.causes:
            ev = next((e.detail for e in c.evidence if e.test not in ("attribution",)), "")
            contrib = "" if c.contribution is None else f"{c.contribution:+.3g}"
            table.add_row(str(c.rank), Text(c.node), Text(c.mode_label), f"{c.score:.2f}", contrib, Text(ev))
        parts.append(table)
        top = d.causes[0]
        why = Text()
        for i, step in enumerate(why_steps(d, top), 1):
            why.append(f"{i}. {step.text}")
            cited = cite(step)
            why.append(f" — {cited}\n" if cited else "\n", style="dim")
        why.append(f"\nmitigation: {top.mitigation}", style="italic")
        parts.append(Panel(why, title=Text(f"why: {top.node}"), expand=False))
    model = model_sentences(d)
    if model:
        parts.append(Panel(Text("\n".join(f"- {line}" for line in model)), title="model", expand=False))
    if d.data_quality:
        table = Table(title=f"Data quality ({DATA_QUALITY_NOTE})")
        for col in ("node", "check", "detail"):
            table.add_column(col)
        for a in d.data_quality[:12]:
            table.add_row(Text(a.node), Text(a.signal), Text(a.detail))
        if len(d.data_quality) > 12:
            table.add_row("…", f"{len(d.data_quality) - 12} more", "")
        parts.append(table)
    if d.anomalies:
        parts.append(Text(f"{len(d.anomalies)} anomalous signals; clear: {', '.join(d.checked_clear) or 'none'}"))
    for w in d.warnings:
        parts.append(Text(f"warning: {w}", style="yellow"))
    return Group(*parts)


def render_text(d: Diagnosis, width: int = 110) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(diagnosis_renderable(d))
    return console.export_text()
