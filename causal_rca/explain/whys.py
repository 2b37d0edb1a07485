"""The 5-whys chain: from the metric back to the root cause along the real graph path."""

from __future__ import annotations

from itertools import islice

import networkx as nx

from causal_rca.causal.mechanism import MechanismResult
from causal_rca.diagnosis.vocabulary import MEANING
from causal_rca.lineage.graph import LineageGraph
from causal_rca.signals.detect import Signal, strongest


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def metric_sentence(metric: str, reference: float, current: float) -> str:
    verb = "fell" if current < reference else "rose" if current > reference else "stayed"
    if verb == "stayed":
        return f"{metric} stayed at {_fmt(reference)}"
    return f"{metric} {verb} from {_fmt(reference)} to {_fmt(current)}"


def fault_path(graph: LineageGraph, root: str, metric: str, anomalous: set[str], limit: int = 500) -> list[str]:
    """The path the fault most plausibly travelled: through the most anomalous nodes, via the model.

    The shortest path may skip the model (a source also feeds the label); a
    post-mortem follows the path along which things visibly changed.
    """
    try:
        paths = list(islice(nx.all_simple_paths(graph.dag, root, metric), limit))
    except nx.NodeNotFound:
        return []
    if not paths:
        return []

    def merit(path: list[str]) -> tuple:
        inner = path[1:-1]
        return (sum(n in anomalous for n in inner), any(graph.nodes[n].kind == "model" for n in inner),
                -len(path), path)

    return max(paths, key=merit)


def why_chain(
    graph: LineageGraph,
    metric_id: str,
    root: str,
    failure_mode: str,
    reference_value: float,
    current_value: float,
    signals: list[Signal],
    mechanisms: dict[str, MechanismResult],
    outcome_phrase: str | None,
    path: list[str],
) -> list[str]:
    """One line per node on ``path`` (root → metric), read from the metric backwards."""
    lines = [metric_sentence(metric_id, reference_value, current_value)]
    for node in reversed(path[1:-1]):
        kind = graph.nodes[node].kind
        if kind == "model" and outcome_phrase:
            lines.append(f"because {node} {outcome_phrase}")
            continue
        sig = strongest(signals, node)
        mech = mechanisms.get(node)
        if sig is not None:
            lines.append(f"because {node} changed: {sig.detail}")
        elif mech is not None and mech.changed:
            lines.append(f"because {node} changed: {mech.detail}")
        else:
            lines.append(f"because {node} passed on the change of {path[path.index(node) - 1]}")
    sig = strongest(signals, root)
    mech = mechanisms.get(root)
    if mech is not None and mech.changed and mech.method != "marginal":
        lines.append(f"because {root}: {mech.detail}")
    elif sig is not None:
        lines.append(f"because {root}: {sig.detail}")
    lines.append(f"because {root} {MEANING[failure_mode]}")
    return lines
