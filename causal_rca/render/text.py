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
from causal_rca.render import legend
from causal_rca.render.class_findings import COLUMNS as CLASS_COLUMNS
from causal_rca.render.class_findings import class_metric_name, class_sentences, class_table
from causal_rca.render.drivers import COLUMNS as DRIVER_COLUMNS
from causal_rca.render.drivers import driver_sentences, driver_table
from causal_rca.render.findings import cite, graph_warning_lines
from causal_rca.render.model_findings import model_sentences


def _ci(ci: tuple[float, float]) -> str:
    return f"[{ci[0]:.3g}, {ci[1]:.3g}]"


def _signals_line(d: Diagnosis) -> str:
    """"7 anomalous signals at 2 nodes: a (null_rate, coercion), b (drift); clear: …", naming every one."""
    by_node: dict[str, list[str]] = {}
    for a in d.anomalies:
        by_node.setdefault(a.node, []).append(a.signal)
    named = "; ".join(f"{node} ({', '.join(dict.fromkeys(signals))})" for node, signals in by_node.items())
    return (f"{len(d.anomalies)} anomalous signal{'s' if len(d.anomalies) != 1 else ''} at {len(by_node)} "
            f"node{'s' if len(by_node) != 1 else ''}: {named}; clear: {', '.join(d.checked_clear) or 'none'}")


def _node_order(d: Diagnosis) -> list[str]:
    named = [a.node for a in d.anomalies] + [m.node for m in d.mechanisms] + list(d.checked_clear)
    if d.lineage is not None:
        order = [n for n in d.lineage.topological_order() if n in set(named)]
        return order + [n for n in dict.fromkeys(named) if n not in set(order)]
    return list(dict.fromkeys(named))


def _value(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)[:24]


def every_node_table(d: Diagnosis) -> Table:
    """Every node with each signal it was tested on that moved, and its mechanism test (``--verbose``)."""
    table = Table(title="Every node: what moved (signals after multiple-testing correction; mechanism = the node "
                        "given its parents)")
    for col in ("node", "signal", "reference", "current", "p", "detail"):
        table.add_column(col)
    mechanisms = {m.node: m for m in d.mechanisms}
    for node in _node_order(d):
        rows = [a for a in d.anomalies if a.node == node]
        for a in rows:
            table.add_row(Text(node), Text(a.signal), Text(_value(a.reference)), Text(_value(a.current)),
                          f"{a.p_value:.2g}", Text(a.detail))
        m = mechanisms.get(node)
        if m is not None:
            table.add_row(Text(node), "mechanism", "", "", f"{m.p_value:.2g}",
                          Text(("changed: " if m.changed else "unchanged: ") + m.detail))
        if not rows and m is None:
            table.add_row(Text(node), "-", "", "", "", Text("nothing moved"))
    return table


def _classes(d: Diagnosis) -> list:
    """The per-class table and where the errors moved (multi-class metrics only)."""
    if not d.class_findings.get("classes"):
        return []
    table = Table(title=f"Classes ({class_metric_name(d)}, 95% CI)")
    for col in CLASS_COLUMNS:
        table.add_column(col)
    for row in class_table(d):
        table.add_row(*(Text(cell) for cell in row))
    lines = class_sentences(d)
    return [table] + ([Text("\n".join(f"- {line}" for line in lines))] if lines else [])


def _drivers(d: Diagnosis) -> list:
    """The decision drivers (SHAP, with a model artifact only)."""
    if not d.decision_drivers:
        return []
    table = Table(title="Decision drivers (mean |SHAP contribution|, 95% CI)")
    for col in DRIVER_COLUMNS:
        table.add_column(col)
    for row in driver_table(d):
        table.add_row(*(Text(cell) for cell in row))
    return [table, Text("\n".join(f"- {line}" for line in driver_sentences(d)))]


def diagnosis_renderable(d: Diagnosis, verbose: bool = False) -> Group:
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
        parts.append(Text(f"{legend.SCORE}.\n{legend.CONTRIBUTION}.", style="dim"))
        top = d.causes[0]
        why = Text()
        for i, step in enumerate(why_steps(d, top), 1):
            why.append(f"{i}. {step.text}")
            cited = cite(step)
            why.append(f" — {cited}\n" if cited else "\n", style="dim")
        why.append(f"\nmitigation: {top.mitigation}", style="italic")
        parts.append(Panel(why, title=Text(f"why: {top.node}"), expand=False))
    parts += _classes(d)
    parts += _drivers(d)
    model = model_sentences(d)
    if model:
        model_text = "\n".join(f"- {line}" for line in model)
        if "of the drop" in model_text:
            model_text += f"\n({legend.SLICE})"
        parts.append(Panel(Text(model_text), title="model", expand=False))
    if d.data_quality:
        table = Table(title=f"Data quality ({DATA_QUALITY_NOTE})")
        for col in ("node", "check", "detail"):
            table.add_column(col)
        for a in d.data_quality[:12]:
            table.add_row(Text(a.node), Text(a.signal), Text(a.detail))
        if len(d.data_quality) > 12:
            table.add_row("…", f"{len(d.data_quality) - 12} more", "")
        parts.append(table)
    if verbose:
        parts.append(every_node_table(d))
    elif d.anomalies:
        parts.append(Text(_signals_line(d) + " (--verbose: every node's signals in one table)"))
    for w in graph_warning_lines(d) + d.warnings:
        parts.append(Text(f"warning: {w}", style="yellow"))
    return Group(*parts)


def render_text(d: Diagnosis, width: int = 110, verbose: bool = False) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(diagnosis_renderable(d, verbose))
    return console.export_text()
