"""From mechanism changes and attributions to a ranked list of causes.

A candidate is a node whose own mechanism changed, or an unobserved node
several of whose children changed together with nothing observed to
explain it. The score mixes how much of the metric's move the candidate
explains (Shapley attribution) with how clearly its mechanism changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from causal_rca.causal.mechanism import LENIENT_SIGNIFICANCE, SIGNIFICANCE, MechanismResult, lenient_mechanisms
from causal_rca.diagnosis.classify import classify
from causal_rca.lineage.graph import LineageGraph
from causal_rca.signals.detect import Signal

ATTRIBUTION_WEIGHT = 0.75


@dataclass(frozen=True)
class Candidate:
    node: str
    members: tuple[str, ...]  # observed nodes whose mechanisms it stands for
    effect: float
    p_value: float
    latent: bool = False


# A parent's break explains away its label's change only when at least this share of the label's effect.
MESSENGER_SHARE = 0.5
DEGRADATION_SIGNALS = ("null_rate", "default_rate", "staleness", "coercion", "contract")


def _label_is_messenger(graph: LineageGraph, node_id: str, mechanisms: dict[str, MechanismResult],
                        changed: set[str], signals: list[Signal]) -> bool:
    """A label's parents stand for real-world quantities; when one of them broke (a feature
    defaulted, a source changed units), the label's relation to the *logged* value changes
    although the world did not. Concept drift and label shift need stable inputs (spec).

    Only a parent that passed the adjusted test counts: when nothing did and every lead is
    lenient, a parent's weak wobble does not explain away the label's own change. Nor does a
    parent whose change is much weaker than the label's (under half its effect): when the prior
    itself moves, the inputs that go with the label move a little with it (a fraud wave brings
    more of the channel fraud uses), and that small move cannot account for the label's large one.
    """
    if graph.nodes[node_id].kind != "label":
        return False
    own = mechanisms[node_id].effect
    shift_corrected = "holdout_effective_rows" in mechanisms[node_id].measures
    return any(p in changed and mechanisms[p].p_adjusted < SIGNIFICANCE
               and mechanisms[p].effect >= MESSENGER_SHARE * own
               and not (shift_corrected and _world_moved(graph, p, mechanisms, signals))
               for p in mechanisms[node_id].parents)


def _world_moved(graph: LineageGraph, node_id: str, mechanisms: dict[str, MechanismResult],
                 signals: list[Signal]) -> bool:
    """A source whose own evidence reads as a distribution shift: the world moved, and the
    label, which follows the world, keeps its relation to the logged value. Asked only of a
    label whose test was corrected for the move of its inputs (a binary outcome's holdout
    reweighted to the current inputs, ``covariate_shift.py``): an uncorrected test also fires
    when a population moves to where the reference fit is weaker (field development seeds
    4000028 and 4000090: a category of 6% grown to 70–86% of rows, a multi-class and a numeric
    label's residuals wider there)."""
    return (graph.nodes[node_id].kind == "source"
            and classify(graph, node_id, signals, mechanisms[node_id])[0] == "distribution_shift")


def _degraded(node_id: str, mechanisms: dict[str, MechanismResult], signals: list[Signal]) -> bool:
    """Broke given its observed parents, or lost values: what a failing service does to its outputs.
    A child that merely drifted with its population is not evidence against the service."""
    if mechanisms[node_id].method != "marginal":
        return True
    return any(s.node == node_id and s.anomalous and s.signal in DEGRADATION_SIGNALS for s in signals)


FALLBACK_SIGNALS = ("null_rate", "default_rate", "staleness")


def _fell_back(node_id: str, signals: list[Signal]) -> bool:
    """Lost values, or served a fallback or an old value: what a timed-out call leaves behind."""
    return any(s.node == node_id and s.anomalous and s.signal in FALLBACK_SIGNALS for s in signals)


def find_candidates(graph: LineageGraph, mechanisms: dict[str, MechanismResult], relevant: set[str],
                    signals: list[Signal] | None = None) -> list[Candidate]:
    """Changed nodes among ``relevant`` (those that can reach the metric), with latent parents merged."""
    signals = signals or []
    changed = {n for n, m in mechanisms.items() if m.changed and n in relevant}
    changed = {n for n in changed if not _label_is_messenger(graph, n, mechanisms, changed, signals)}
    # A label whose parent broke changes its relation to the logged parent with it: in the
    # attribution its mechanism is swapped together with that parent's.
    riders: dict[str, list[str]] = {}
    for label in sorted(n for n in relevant if graph.nodes[n].kind == "label" and n in mechanisms
                        and n not in changed):  # a label whose relation changed on its own is a candidate
        broke = [p for p in mechanisms[label].parents if p in changed]
        if broke:
            riders.setdefault(max(broke, key=lambda p: (mechanisms[p].effect, p)), []).append(label)
    candidates: list[Candidate] = []
    absorbed: set[str] = set()
    for node_id in graph.topological_order():
        node = graph.nodes[node_id]
        if node.observed:
            continue
        kids = sorted(c for c in graph.children(node_id) if c in changed and _degraded(c, mechanisms, signals))
        if len(kids) >= 2:
            absorbed.update(kids)
            members = tuple(kids) + tuple(r for k in kids for r in riders.get(k, []))
            candidates.append(Candidate(
                node_id, members, max(mechanisms[k].effect for k in kids),
                min(mechanisms[k].p_adjusted for k in kids), latent=True))
    for node_id in sorted(n for n in changed - absorbed if graph.nodes[n].kind == "infra"):
        # A service whose own signal (latency, error rate) moved, and children that fell back
        # at the same time: the children's fallbacks are the service's failure, not theirs.
        kids = sorted(c for c in graph.children(node_id) if c in changed - absorbed and _fell_back(c, signals))
        if kids:
            absorbed.update(kids)
            members = (node_id, *riders.get(node_id, []), *kids, *(r for k in kids for r in riders.get(k, [])))
            candidates.append(Candidate(node_id, members, max(mechanisms[n].effect for n in (node_id, *kids)),
                                        min(mechanisms[n].p_adjusted for n in (node_id, *kids))))
            absorbed.add(node_id)
    for node_id in sorted(changed - absorbed):
        m = mechanisms[node_id]
        candidates.append(Candidate(node_id, (node_id, *riders.get(node_id, [])), m.effect, m.p_adjusted))
    candidates.sort(key=lambda c: (-c.effect, c.node))
    return candidates


def score_candidates(candidates: list[Candidate], contributions: dict[str, float] | None,
                     change: float) -> list[tuple[Candidate, float, float | None]]:
    """(candidate, score in [0, 1], contribution) sorted best first; ties broken by node id."""
    direction = 1.0 if change >= 0 else -1.0
    strength = {c.node: min(1.0, c.effect / 0.5) for c in candidates}
    if contributions:
        explained = {c.node: max(0.0, direction * contributions.get(c.node, 0.0)) for c in candidates}
        # A share of the metric's move, not of what the candidates happen to explain: when they
        # explain a fifth of the drop between them, none of them is "the" explanation of it.
        total = max(sum(explained.values()), abs(change))
        share = {n: (v / total if total > 0 else 0.0) for n, v in explained.items()}
        weight = ATTRIBUTION_WEIGHT
    else:
        share = {c.node: 0.0 for c in candidates}
        weight = 0.0
    scored = []
    for c in candidates:
        score = weight * share[c.node] + (1 - weight) * strength[c.node]
        contrib = contributions.get(c.node) if contributions else None
        scored.append((c, round(min(1.0, max(0.0, score)), 4), contrib))
    scored.sort(key=lambda t: (-t[1], t[0].node))
    return scored


def candidates_or_weak_leads(graph: LineageGraph, mechanisms: dict[str, MechanismResult], relevant: set[str],
                             signals: list[Signal], significant: bool
                             ) -> tuple[list[Candidate], dict[str, MechanismResult], list[str]]:
    """The candidates, and when the metric moved significantly but none passed the adjusted test,
    those that pass it one node at a time (weak leads, said so): (candidates, mechanisms used, warnings)."""
    candidates = find_candidates(graph, mechanisms, relevant, signals)
    if significant and not candidates:
        lenient = lenient_mechanisms(mechanisms)
        candidates = find_candidates(graph, lenient, relevant, signals)
        if candidates:
            return candidates, lenient, [
                f"no node's mechanism change passed the test adjusted for all {len(lenient)} "
                f"nodes; the causes below passed it only one node at a time (p < "
                f"{LENIENT_SIGNIFICANCE}): weak leads, to be confirmed"]
    return candidates, mechanisms, []
