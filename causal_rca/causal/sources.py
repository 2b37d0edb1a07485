"""Sources that moved together: which one moved, and which only followed it (``sources_given_each_other``)."""

from __future__ import annotations

from dataclasses import replace

from causal_rca.causal.encoding import EncodedWindows, is_discrete
from causal_rca.causal.mechanism_result import SIGNIFICANCE, MechanismResult
from causal_rca.lineage.graph import LineageGraph
from causal_rca.signals.clustering import deflated_p
from causal_rca.signals.detect import Signal
from causal_rca.signals.reweighted import reweighted_change


# A source with these signals lost values or changed type: a failure of its own, never what a
# population tilt along another source does to it.
OWN_FAILURE_SIGNALS = frozenset({"dtype", "coercion", "null_rate", "staleness", "tail_nulls", "partial_scale"})


def measured_inputs(graph: LineageGraph, order: list[str], parents_of: dict[str, tuple[str, ...]]) -> list[str]:
    """Nodes that record the world rather than compute from it: sources, and parentless features.

    Sources fed by a declared unobserved node (a service, a vendor file) are left out: the
    graph already names their common cause, and moving together is how it shows
    (rank.find_candidates groups them under it).
    """
    return [n for n in order if (graph.nodes[n].kind == "source"
                                 or (not parents_of[n] and graph.nodes[n].kind == "feature"))
            and all(graph.nodes[p].observed for p in graph.nodes[n].parents)]


def given_other(enc: EncodedWindows, node_id: str, other: str, seed: int) -> tuple[float, float]:
    """(KS D, p): did ``node_id`` change given ``other`` alone (signals.reweighted.reweighted_change)?"""
    x_ref = enc.reference[other].to_numpy(dtype=float)
    return reweighted_change(enc.reference[node_id].to_numpy(dtype=float), x_ref,
                             enc.current[node_id].to_numpy(dtype=float), enc.current[other].to_numpy(dtype=float),
                             other in enc.categorical or is_discrete(x_ref), seed)


def sources_given_each_other(graph: LineageGraph, enc: EncodedWindows, signals: list[Signal],
                              results: dict[str, MechanismResult], inputs: list[str], seed: int,
                              threshold: float, design_effects: dict[str, float] | None) -> dict[str, MechanismResult]:
    """Sources are correlated in the world whether or not an edge joins them: weight, horsepower
    and cylinders move together when the population tilts along one. A tilt (or a new
    sub-population) along A changes A's distribution given B, but not B's given A.

    For every ordered pair of changed sources the engine asks whether one changed given the
    other alone (a stratified test, cheap enough for every pair). B is a messenger of A when
    B is unchanged given A (p >= 0.01) while A changed given B (p below the provisional
    level): B's own mechanism result is replaced by that test, and A records B in
    ``moved_with``. Two sources each unchanged given the other (nearly the same column)
    cannot be told apart, and nothing changes for them.

    A leader must have broken by the provisional level, but a messenger only needs to be a
    source that could still end up changed: any p below 0.01 may pass the adjusted test
    (development case 1007072: a sibling at p = 0.0016 was never asked, then passed it). Each
    counts as moved once its effect reaches its own test's floor (``effect_floor``).
    """
    failed = {s.node for s in signals if s.anomalous and s.signal in OWN_FAILURE_SIGNALS}
    moved = [n for n in inputs if results[n].p_value < SIGNIFICANCE and results[n].effect >= results[n].effect_floor
             and results[n].method != "skipped"]
    broke = {n for n in moved if results[n].p_value < threshold}
    if len(moved) < 2 or not broke:
        return results
    test: dict[tuple[str, str], tuple[float, float]] = {}
    for i, node_id in enumerate(moved):
        for j, other in enumerate(moved):
            if other != node_id and (node_id in broke or other in broke):
                d, p = given_other(enc, node_id, other, seed + 104729 + i * len(moved) + j)
                if design_effects and node_id in design_effects:
                    p = deflated_p(p, design_effects[node_id])
                test[node_id, other] = (d, p)
    followed: dict[str, list[str]] = {}
    for (node_id, other), (_d, p) in test.items():
        if node_id not in failed and other in broke and p >= SIGNIFICANCE and test[other, node_id][1] < threshold:
            followed.setdefault(node_id, []).append(other)
    out = dict(results)
    for node_id, leaders in followed.items():
        best = max(leaders, key=lambda o: (test[node_id, o][1], o))
        d, p = test[node_id, best]
        out[node_id] = replace(
            results[node_id], p_value=p, effect=d,
            detail=f"moved with {', '.join(sorted(leaders))}: given {best}, unchanged ({results[node_id].detail})",
            measures={**results[node_id].measures, "sibling_p_value": p})
    for node_id in moved:
        if node_id in followed:
            continue
        messengers = tuple(sorted(n for n, leaders in followed.items() if node_id in leaders))
        if messengers:
            p = max(test[node_id, m][1] for m in messengers)
            out[node_id] = replace(results[node_id], moved_with=messengers,
                                   measures={**results[node_id].measures, "sibling_p_value": p})
    return out
