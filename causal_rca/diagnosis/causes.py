"""A ranked candidate as a ``Cause``, its evidence, and the one-line summary of a diagnosis.

The last step of the diagnosis before the report: it reads the signals,
mechanism results and attribution already computed and decides nothing new.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.causal.mechanism import MechanismResult
from causal_rca.diagnosis.classify import classify
from causal_rca.diagnosis.rank import Candidate, score_candidates
from causal_rca.diagnosis.records import Anomaly, Cause, Evidence
from causal_rca.diagnosis.vocabulary import MITIGATION
from causal_rca.explain.distributions import distribution_summaries, plotted_nodes
from causal_rca.explain.whys import fault_path, why_chain
from causal_rca.lineage import LineageGraph
from causal_rca.metrics import MetricComparison, MetricSpec, row_outcome_description
from causal_rca.signals.detect import MIN_EFFECT, Signal


LENIENT_CONFIDENCE = 0.5  # scores of causes that passed only the lenient mechanism test


def ranked_causes(graph: LineageGraph, metric: str, spec: MetricSpec, candidates: list[Candidate],
                  contributions: dict[str, float] | None, comparison: MetricComparison, signals: list[Signal],
                  mechanisms: dict[str, MechanismResult], quality_confidence: float) -> list[Cause]:
    """The candidates as causes, best first; scores lowered for weak leads and thin windows."""
    change = comparison.change
    outcome = row_outcome_description(spec, worse=(change < 0) == spec.higher_is_better)
    moved = {s.node for s in signals if s.anomalous} | {n for n, m in mechanisms.items() if m.changed}
    confidence = (LENIENT_CONFIDENCE if any(m.lenient for m in mechanisms.values()) else 1.0) * quality_confidence
    causes = []
    for rank, (cand, score, contrib) in enumerate(score_candidates(candidates, contributions, change), 1):
        score = round(score * confidence, 4)
        causes.append(build_cause(graph, metric, cand, rank, score, contrib, change, comparison,
                                  signals, mechanisms, outcome, moved))
    return causes


def cause_evidence(node: str, signals: list[Signal], mech: MechanismResult | None,
              contribution: float | None, change: float, extra: tuple[Evidence, ...] = ()) -> list[Evidence]:
    """The evidence of an observed cause: its mechanism test, its strongest signals, its attribution."""
    own = sorted((s for s in signals if s.node == node and s.anomalous),
                 key=lambda s: (-s.effect / MIN_EFFECT.get(s.signal, 0.05), s.signal))
    out = [Evidence(s.signal, s.reference, s.current, s.p_adjusted, s.detail) for s in own[:6]]
    if mech is not None and mech.method != "marginal":
        out.insert(0, Evidence("mechanism", None, None, mech.p_adjusted, mech.detail))
    if mech is not None and mech.moved_with:
        out.append(Evidence("moved_with", None, None, mech.measures.get("sibling_p_value"),
                            f"{', '.join(mech.moved_with)} moved with it; given {node}, "
                            f"{'its' if len(mech.moved_with) == 1 else 'their'} distribution is unchanged, "
                            f"while {node} changed given {'it' if len(mech.moved_with) == 1 else 'them'}"))
    out += list(extra)
    if contribution is not None and change != 0:
        out.append(Evidence("attribution", None, contribution, None,
                            f"explains {contribution:+.3g} of the {change:+.3g} change "
                            f"({contribution / change:.0%})"))
    return out


def build_cause(graph: LineageGraph, metric: str, cand: Candidate, rank: int, score: float, contrib: float | None,
                change: float, comparison: MetricComparison, signals: list[Signal],
                mechanisms: dict[str, MechanismResult], outcome: str, moved: set[str]) -> Cause:
    """A ranked candidate as a ``Cause``: its failure mode, evidence, path and chain of whys."""
    root_mech = mechanisms.get(cand.node)
    mode, decided_by, alternatives = classify(graph, cand.node, signals, root_mech)
    path = fault_path(graph, cand.node, metric, moved)
    why = why_chain(graph, metric, cand.node, mode, comparison.reference.value, comparison.current.value,
                    signals, mechanisms, outcome, path)
    children = [k for k in cand.members if k in graph.children(cand.node)]
    children_evidence = [Evidence("mechanism", None, None, mechanisms[k].p_adjusted, f"{k}: {mechanisms[k].detail}")
                         for k in children]
    if cand.latent:
        evidence = children_evidence
        if contrib is not None and change != 0:
            evidence.append(Evidence("attribution", None, contrib, None,
                                     f"its children together explain {contrib:+.3g} of the {change:+.3g} change"))
    else:  # an observed service carries the children that fell back with it (rank.find_candidates)
        evidence = cause_evidence(cand.node, signals, root_mech, contrib, change,
                                  (*children_evidence, *_passed_through_evidence(decided_by, root_mech)))
    node = graph.nodes[cand.node]
    return Cause(rank=rank, node=cand.node, failure_mode=mode, category=node.category, score=score,
                 contribution=contrib, p_value=cand.p_value, evidence=evidence, why=why,
                 mitigation=MITIGATION[mode], path=path, owner=node.owner,
                 alternatives=[{"failure_mode": m, "evidence": said, "mitigation": MITIGATION[m]}
                               for m, said in alternatives],
                 children=children)


def _passed_through_evidence(decided_by: list[str], mech: MechanismResult | None) -> tuple[Evidence, ...]:
    """What made a changed computation a rescaling: its rows now hold a parent's value unchanged."""
    if "pass_through" not in decided_by or mech is None:
        return ()
    m = mech.measures
    now = m["pass_through_share"]
    before = now - m["pass_through_excess"]
    return (Evidence("pass_through", before, now, m["pass_through_p"],
                     f"on {now:.0%} of rows the value is a parent's value as it stands ({before:.0%} in the "
                     f"reference): the transformation was skipped, as when a feature is served raw instead "
                     f"of normalised"),)


def as_anomaly(s: Signal) -> Anomaly:
    """A signal as the diagnosis reports it."""
    return Anomaly(s.node, s.signal, s.reference, s.current, s.p_adjusted, s.detail)


def report_extras(graph: LineageGraph, dtypes: dict[str, str], ref_s: pd.DataFrame, cur_s: pd.DataFrame,
                  causes: list[Cause]) -> dict:
    """What reports need beyond the verdict: the graph to draw and the top causes' distributions to plot.

    Read only after ranking, from the same seeded samples, so it changes no
    verdict and the JSON stays byte-stable for a seed.
    """
    return {"lineage": graph,
            "distributions": distribution_summaries(ref_s, cur_s, dtypes, plotted_nodes(causes))}


def summary_line(metric: str, comparison: MetricComparison, causes: list[Cause], split_p_value: float | None = None,
                 split_level: float | None = None) -> str:
    """The diagnosis in one sentence; ``split_level``: the change-point test's level when ``split_p_value`` is set."""
    change = comparison.change
    verb = "fell" if change < 0 else "rose"
    if split_p_value is not None:
        return (f"{metric} moved {change:+.3g} ({comparison.reference.value:.3g} → {comparison.current.value:.3g}) "
                f"across the most likely split, but the change-point test does not support a change there "
                f"(p = {split_p_value:.2g}, held to {split_level:g} because the split is the best of many "
                f"times): no significant change to explain")
    if not comparison.significant:
        return (f"{metric} moved {change:+.3g} ({comparison.reference.value:.3g} → {comparison.current.value:.3g}), "
                f"within the noise (95% CI of the change {comparison.change_ci[0]:+.3g} to "
                f"{comparison.change_ci[1]:+.3g}): no significant change to explain")
    if not causes:
        return (f"{metric} {verb} {abs(change):.3g}; no node of the graph changed its own mechanism: "
                f"the cause may lie outside the graph")
    top = causes[0]
    return f"{metric} {verb} {abs(change):.3g}; most likely cause: {top.failure_mode} at {top.node}"
