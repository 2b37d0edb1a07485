"""The 5-whys chain: from the metric back to the root cause along the real graph path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx

from causal_rca.diagnosis.model import Cause, Diagnosis
from causal_rca.diagnosis.vocabulary import MEANING
from causal_rca.lineage.graph import LineageGraph

if TYPE_CHECKING:  # the reports quote a diagnosis without the statistics that made it (see render/__init__)
    from causal_rca.causal.mechanism import MechanismResult
    from causal_rca.signals.detect import Signal


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def metric_sentence(metric: str, reference: float, current: float) -> str:
    verb = "fell" if current < reference else "rose" if current > reference else "stayed"
    if verb == "stayed":
        return f"{metric} stayed at {_fmt(reference)}"
    return f"{metric} {verb} from {_fmt(reference)} to {_fmt(current)}"


def fault_path(graph: LineageGraph, root: str, metric: str, anomalous: set[str]) -> list[str]:
    """The path the fault most plausibly travelled: through the most anomalous nodes, via the model.

    The shortest path may skip the model (a source also feeds the label); a
    post-mortem follows the path along which things visibly changed. Among all
    root → metric paths: most anomalous inner nodes, then one through a model,
    then the shortest, then the last in name order. Found by dynamic programming
    from the metric back (a 500-node graph has more paths than can be listed).
    """
    dag = graph.dag
    if root not in dag or metric not in dag or root == metric:
        return []
    on_a_path = (nx.descendants(dag, root) | {root}) & (nx.ancestors(dag, metric) | {metric})
    if metric not in on_a_path or root not in on_a_path:
        return []
    # best[node][through_model] = (anomalous inner nodes, -length, path) of the best node → metric suffix.
    best: dict[str, dict[bool, tuple[int, int, tuple[str, ...]]]] = {metric: {False: (0, -1, (metric,))}}
    for node in reversed(list(nx.topological_sort(dag.subgraph(on_a_path)))):
        if node == metric:
            continue
        inner = node != root
        gain = int(inner and node in anomalous)
        model = inner and graph.nodes[node].kind == "model"
        options: dict[bool, tuple[int, int, tuple[str, ...]]] = {}
        for child in dag.successors(node):
            for through, (count, neg_length, path) in best.get(child, {}).items():
                key = through or model
                candidate = (count + gain, neg_length - 1, (node, *path))
                if key not in options or candidate > options[key]:
                    options[key] = candidate
        best[node] = options
    *_merit, path = max((count, through, neg_length, path)
                        for through, (count, neg_length, path) in best[root].items())
    return list(path)


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
    from causal_rca.signals.detect import strongest

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


@dataclass(frozen=True)
class NodeEvidence:
    """The one finding a report cites for a node: which test, what it found, how sure."""

    node: str
    test: str
    detail: str
    p_value: float | None
    reference: Any = None
    current: Any = None


@dataclass(frozen=True)
class WhyStep:
    """One "why" of a chain: the sentence, the node it is about, the evidence it rests on."""

    node: str
    text: str
    evidence: NodeEvidence | None


_NOT_FINDINGS = ("mechanism", "attribution")


def node_evidence(d: Diagnosis, node: str) -> NodeEvidence | None:
    """The node's strongest finding in a diagnosis.

    For a cause, its first own evidence (the engine lists it strongest first);
    otherwise its most significant anomalous signal; otherwise a mechanism
    change. ``None`` when nothing was found at the node.
    """
    cause = next((c for c in d.causes if c.node == node), None)
    if cause is not None:
        own = [e for e in cause.evidence if e.test not in _NOT_FINDINGS]
        mech = [e for e in cause.evidence if e.test == "mechanism"]
        for e in own[:1] or mech[:1]:
            return NodeEvidence(node, e.test, e.detail, e.p_value, e.reference, e.current)
    anomaly = next((a for a in d.anomalies if a.node == node), None)
    if anomaly is not None:
        return NodeEvidence(node, anomaly.signal, anomaly.detail, anomaly.p_value, anomaly.reference, anomaly.current)
    mech = next((m for m in d.mechanisms if m.node == node and m.changed), None)
    if mech is not None:
        return NodeEvidence(node, "mechanism", mech.detail, mech.p_value)
    return None


def why_steps(d: Diagnosis, cause: Cause) -> list[WhyStep]:
    """The cause's why-chain paired with the path it follows, metric first, root last.

    ``why_chain`` wrote one line for the metric, one per node between root
    and metric (root → metric read backwards) and one or two for the root;
    this pairs each line with its node and that node's strongest evidence,
    so a report can cite numbers at every step.
    """
    lines = list(cause.why)
    if not lines:
        return []
    inner = list(reversed(cause.path[1:-1])) if len(cause.path) >= 2 else []
    metric_evidence = NodeEvidence(
        d.target, "metric", f"{d.metric} {d.reference.value:.4g} → {d.current.value:.4g} "
        f"(change {d.change:+.3g}, 95% CI {d.change_ci[0]:+.3g} to {d.change_ci[1]:+.3g})", None,
        d.reference.value, d.current.value)
    steps = [WhyStep(d.target, lines[0], metric_evidence)]
    for i, line in enumerate(lines[1:]):
        node = inner[i] if i < len(inner) else cause.node
        first_at_root = i == len(inner)
        evidence = node_evidence(d, node) if node != cause.node or first_at_root else None
        steps.append(WhyStep(node, line, evidence))
    return steps
