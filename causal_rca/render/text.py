"""A diagnosis for a terminal, rendered with rich."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from causal_rca.diagnosis.model import Diagnosis


def _ci(ci: tuple[float, float]) -> str:
    return f"[{ci[0]:.3g}, {ci[1]:.3g}]"


def diagnosis_renderable(d: Diagnosis) -> Group:
    head = Text()
    head.append(f"{d.target}", style="bold")
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
            table.add_row(str(c.rank), c.node, c.failure_mode, f"{c.score:.2f}", contrib, ev, style=None)
        parts.append(table)
        top = d.causes[0]
        why = Text()
        for i, line in enumerate(top.why, 1):
            why.append(f"{i}. {line}\n")
        why.append(f"\nmitigation: {top.mitigation}", style="italic")
        parts.append(Panel(why, title=f"why: {top.node}", expand=False))
    if d.anomalies:
        parts.append(Text(f"{len(d.anomalies)} anomalous signals; clear: {', '.join(d.checked_clear) or 'none'}"))
    for w in d.warnings:
        parts.append(Text(f"warning: {w}", style="yellow"))
    return Group(*parts)


def render_text(d: Diagnosis, width: int = 110) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"), color_system=None)
    console.print(diagnosis_renderable(d))
    return console.export_text()
