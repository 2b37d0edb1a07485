"""What a diagram shows per node: its status, how strongly it moved, its strongest finding.

Diagrams and reports read the same view, so the causal diagram, the
fishbone and the tables never disagree about a node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from causal_rca.diagnosis.model import Diagnosis
from causal_rca.explain.whys import NodeEvidence, WhyStep, node_evidence
from causal_rca.lineage.graph import LineageGraph

# Fill colours by anomaly strength (0 = nothing found): pale yellow to deep orange, read at a glance.
STRENGTH_FILL = ("#ffffff", "#fff3c4", "#ffcc80", "#ff8a65")
CLEAR_FILL = "#e8f5e9"
CAUSE_COLOR = "#b71c1c"
CLEAR_COLOR = "#2e7d32"
MUTED_COLOR = "#757575"


@dataclass(frozen=True)
class NodeView:
    """One node as the reports draw it.

    ``status`` is ``cause``, ``moved`` (anomalous but not a root cause),
    ``clear`` (checked, nothing found), ``unobserved`` (no column) or
    ``unknown`` (no diagnosis given).
    """

    node: str
    kind: str
    category: str
    status: str
    strength: int
    note: str | None
    rank: int | None = None
    failure_mode: str | None = None
    score: float | None = None


def pct(x: Any) -> str:
    """A share as a percentage, written as the signals write theirs; anything else as it is."""
    if not isinstance(x, (int, float)) or isinstance(x, bool) or not math.isfinite(x):
        return str(x)
    from causal_rca.signals.detect import format_share  # here: the signals need the data layer

    return format_share(x)


def clip(text: str, limit: int = 48) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_note(e: NodeEvidence) -> str:
    """A finding in a few words with its numbers ("null rate 0% → 30%"), to annotate a node."""
    if e.test == "null_rate":
        return f"null rate {pct(e.reference)} → {pct(e.current)}"
    if e.test == "coercion":
        return f"unparseable {pct(e.reference)} → {pct(e.current)}"
    if e.test == "dtype":
        return clip(f"type {e.reference} → {e.current}")
    detail = e.detail
    if "; " in detail:
        detail = detail.split("; ", 1)[1]
    elif " (" in detail and detail.index(" (") >= 12:
        detail = detail[: detail.index(" (")]
    return clip(detail)


def strength_of(p_value: float | None) -> int:
    """1–3 by adjusted p-value: below 1e-20 is as sure as a test gets at these sizes."""
    if p_value is None or not math.isfinite(p_value):
        return 1
    if p_value <= 1e-20:
        return 3
    if p_value <= 1e-6:
        return 2
    return 1


def category_of(graph: LineageGraph, node: str) -> str:
    """The fishbone bone of a node; a metric (no category) counts as Pipeline."""
    return graph.nodes[node].category or "Pipeline"


def node_views(graph: LineageGraph, d: Diagnosis | None = None) -> dict[str, NodeView]:
    """Every node of the graph as the diagrams draw it, in declaration order."""
    views: dict[str, NodeView] = {}
    causes = {c.node: c for c in d.causes} if d is not None else {}
    for node_id, node in graph.nodes.items():
        base = {"node": node_id, "kind": node.kind, "category": category_of(graph, node_id)}
        if d is None:
            views[node_id] = NodeView(**base, status="unknown" if node.observed else "unobserved",
                                      strength=0, note=None)
            continue
        evidence = node_evidence(d, node_id)
        cause = causes.get(node_id)
        if cause is not None:
            if cause.children:  # an unobserved cause is known by its children
                note = f"{len(cause.children)} children changed together"
            else:
                note = short_note(evidence) if evidence is not None else None
            p_values = [e.p_value for e in cause.evidence if e.p_value is not None] + [cause.p_value]
            p = min((q for q in p_values if q is not None), default=None)
            views[node_id] = NodeView(**base, status="cause", strength=max(strength_of(p), 2), note=note,
                                      rank=cause.rank, failure_mode=cause.failure_mode, score=cause.score)
        elif evidence is not None:
            p = min([a.p_value for a in d.anomalies if a.node == node_id]
                    + [m.p_value for m in d.mechanisms if m.node == node_id and m.changed], default=None)
            views[node_id] = NodeView(**base, status="moved", strength=strength_of(p), note=short_note(evidence))
        elif node_id == d.target:
            views[node_id] = NodeView(**base, status="moved" if d.significant else "clear",
                                      strength=3 if d.significant else 0,
                                      note=f"{d.reference.value:.3g} → {d.current.value:.3g}")
        elif not node.observed and node.kind != "metric":
            views[node_id] = NodeView(**base, status="unobserved", strength=0, note="unobserved")
        elif node_id in d.checked_clear:
            views[node_id] = NodeView(**base, status="clear", strength=0, note="checked, clear")
        else:
            views[node_id] = NodeView(**base, status="unknown", strength=0, note=None)
    return views


def fill_of(view: NodeView) -> str:
    if view.status == "clear":
        return CLEAR_FILL
    return STRENGTH_FILL[view.strength]


def root_path(d: Diagnosis | None) -> list[str]:
    """The top cause's path to the metric (root first), which the diagrams draw bold."""
    if d is None or not d.causes:
        return []
    return list(d.causes[0].path) or [d.causes[0].node]


def p_text(p_value: float | None) -> str:
    """An adjusted p-value for people: an underflowed 0 is "p < 1e-16", not "p = 0"."""
    if p_value is None or not math.isfinite(p_value):
        return ""
    return "p < 1e-16" if p_value < 1e-16 else f"p = {p_value:.2g}"


def cite(step: WhyStep, escape: Callable[[str], str] = str) -> str | None:
    """What a why-step rests on, in words with numbers, without repeating what its sentence says.

    ``escape`` is applied to the finding (which may quote data values), not
    to the p-value the engine formats.
    """
    e = step.evidence
    if e is None:
        return None
    p = p_text(e.p_value)
    if e.detail and e.detail in step.text:
        return p or None
    return escape(f"{e.test}: {e.detail}") + (f" ({p})" if p else "")


def graph_warning_lines(d: Diagnosis) -> list[str]:
    """One line per suspected missing edge (``graph_warnings``), the same in every format."""
    return [f"the graph may be missing the edge {w.get('parent')} → {w.get('node')}: {w.get('detail', '')}"
            for w in d.graph_warnings]
