"""Failure Mode and Effects Analysis from the lineage: every node × failure mode, scored before it happens.

For each node and each failure mode with an injector at its kind
(``faults.py``), the fault is injected into real reference rows at the
standard strength and carried down to the model (``window.py``):

- **severity** (S): how much worse the metric gets, 5% of its reference value
  per step (1 = no significant harm, 10 = 45% or more);
- **occurrence** (O): past incidents at that node and mode in the history
  database (``--history``), else a prior by kind and mode, said as such;
- **detection** (D): 2 when a contract the graph already declares at the broken
  node (or the service's fields) catches the injected window (``validate --data``'s check), 3 when causal-rca names the
  node at rank 1 on it (a self-test: the injected window is really diagnosed),
  6 when only a watch on the metric would alert (its change is significant),
  9 when nothing would;
- the risk priority number RPN = S × O × D (1 to 1000), ranked, with the
  cheapest detection to add: a verified contract line when one catches the
  fault (``contract_patch.py``), else a watch on the metric.

Diagnosing costs seconds per window, so only the ``self_tests`` rows with the
highest provisional RPN are diagnosed; the others say "not self-tested" and
make no claim about causal-rca.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from causal_rca.lineage import LineageGraph
from causal_rca.prevention.contract_patch import ReferenceContracts, patch_for
from causal_rca.prevention.faults import STANDARD_STRENGTH, applicable_modes
from causal_rca.prevention.window import Setup, faulty_window, metric_change
from causal_rca.windows.validate import check_table

SEVERITY_STEP = 0.05  # one severity point per 5% of the reference metric lost
SELF_TESTS = 5
DETECTION = {"contract": 2, "causal-rca": 3, "watch": 6, "none": 9}
# Occurrence before any history: how often each kind of node fails that way in pipelines (1-10).
PRIOR = {
    ("source", "missing_values"): 5, ("source", "schema_change"): 4, ("source", "scale_change"): 3,
    ("source", "out_of_distribution"): 3, ("source", "distribution_shift"): 5, ("source", "stale_values"): 3,
    ("feature", "missing_values"): 4, ("feature", "scale_change"): 3, ("feature", "pipeline_skew"): 4,
    ("feature", "stale_values"): 4, ("infra", "infrastructure"): 5, ("model", "model_change"): 2,
    ("label", "concept_drift"): 4, ("label", "label_shift"): 3,
}
HISTORY_STEP = 3  # occurrence points per past incident at the node and mode


@dataclass(frozen=True)
class RiskRow:
    node: str
    kind: str
    mode: str
    strength: float
    injected: str
    reference: float
    faulty: float
    change: float
    significant: bool
    severity: int
    occurrence: int
    occurrence_source: str
    detection: int
    detected_by: str
    contract_findings: list[str]
    watch_alerts: bool
    self_test: dict[str, Any] | None  # None: not diagnosed
    cheapest_detection: str
    patch: dict[str, Any] | None = None

    @property
    def rpn(self) -> int:
        return self.severity * self.occurrence * self.detection

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "kind": self.kind, "failure_mode": self.mode, "strength": self.strength,
                "injected": self.injected, "metric": {"reference": self.reference, "faulty": self.faulty,
                                                      "change": self.change, "significant": self.significant},
                "severity": self.severity, "occurrence": self.occurrence,
                "occurrence_source": self.occurrence_source, "detection": self.detection,
                "detected_by": self.detected_by,
                "detection_checks": {"contract": self.contract_findings, "watch": self.watch_alerts,
                                     "self_test": self.self_test},
                "rpn": self.rpn, "cheapest_detection": self.cheapest_detection, "patch": self.patch}


@dataclass(frozen=True)
class RiskTable:
    graph: str
    metric: str
    rows_used: int
    scored_by: str
    history: str | None
    rows: list[RiskRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"format": "causal-rca-risk/1", "graph": self.graph, "metric": self.metric,
                "reference_rows": self.rows_used, "scored_by": self.scored_by, "history": self.history,
                "scales": {"severity": f"1 + one point per {SEVERITY_STEP:.0%} of the reference metric lost "
                                       f"(significant changes only), at most 10",
                           "occurrence": "history: prior + 3 per past incident at the node and mode (at most 10), "
                                         "prior - 2 when none; else the prior by kind and mode",
                           "detection": {k: v for k, v in DETECTION.items()}},
                "rows": [r.to_dict() for r in self.rows], "warnings": list(self.warnings)}


def severity(higher_is_better: bool, reference: float, change: float, significant: bool) -> int:
    """1-10 from how much worse the metric got, relative to its reference value."""
    worse = -change if higher_is_better else change
    if not significant or worse <= 0:
        return 1
    share = worse / abs(reference) if reference != 0 else 1.0
    return int(min(10, 1 + math.floor(share / SEVERITY_STEP + 1e-9)))  # 0.25 / 0.05 is 4.999… in floats


def occurrence(graph: LineageGraph, node: str, mode: str, history: list | None) -> tuple[int, str]:
    """(1-10, where it came from): past incidents at the node and mode, else the prior by kind."""
    kind = graph.nodes[node].kind
    prior = PRIOR.get((kind, mode), 3)
    if history is None:
        return prior, f"prior for a {kind} node ({mode})"
    mine = [r for r in history if r.graph == graph.name]
    k = sum(1 for r in mine if r.top_node == node and r.top_mode == mode)
    if k == 0:
        return max(1, prior - 2), f"none in {len(mine)} recorded incidents of this graph (prior {prior} - 2)"
    return min(10, prior + HISTORY_STEP * k), f"{k} of {len(mine)} recorded incidents of this graph"


def _with_contracts(graph: LineageGraph, nodes) -> LineageGraph | None:
    """The graph cut down to ``nodes`` that declare a contract (no parents): what `validate --data` checks."""
    kept = {n: replace(graph.nodes[n], parents=()) for n in nodes
            if n in graph.nodes and graph.nodes[n].observed and graph.nodes[n].contract is not None}
    return replace(graph, nodes=kept, segments=(), key_column=None) if kept else None


def _contract_catches(setup: Setup, faulty: pd.DataFrame, nodes: set[str], before: set[tuple[str, str]]) -> list[str]:
    """What the graph's own contracts say about the faulty rows that they do not say about the reference
    (``before``: the (node, check) findings on the reference)."""
    sub = _with_contracts(setup.graph, nodes)
    if sub is None:
        return []
    return [f"{f.node}: {f.detail}" for f in check_table(sub, faulty, "injected")[1] if (f.node, f.check) not in before]


def _self_test(setup: Setup, faulty: pd.DataFrame, node: str, seed: int, trust_model: bool) -> dict[str, Any]:
    from causal_rca.api import diagnose

    d = diagnose(setup.graph, setup.rows, faulty, setup.metric, seed=seed, sample_rows=len(setup.rows), jobs=1,
                 trust_model=trust_model)
    named = next((c.rank for c in d.causes if c.node == node), None)
    top = d.causes[0] if d.causes else None
    return {"diagnosed": True, "significant": d.significant, "rank1_node": top.node if top else None,
            "rank1_mode": top.failure_mode if top else None, "named_at_rank": named}


def _row(setup: Setup, node: str, mode: str, strength: float, seed: int, history: list | None,
         before: set[tuple[str, str]]) -> tuple[RiskRow, pd.DataFrame]:
    faulty, injected = faulty_window(setup, node, mode, strength, seed)
    cmp = metric_change(setup, faulty, seed)
    sev = severity(setup.spec.higher_is_better, cmp.reference.value, cmp.change, cmp.significant)
    occ, occ_source = occurrence(setup.graph, node, mode, history)
    # Only the values the fault itself set are judged: recomputed descendants are the mechanisms' estimates,
    # which can stray a little outside a contract (a count of -0.5) where the real pipeline would not.
    found = _contract_catches(setup, faulty, {node, *injected.changed}, before)
    watch = bool(cmp.significant)
    detected_by = "contract" if found else "watch" if watch else "none"
    row = RiskRow(node, setup.graph.nodes[node].kind, mode, strength, injected.note, cmp.reference.value,
                  cmp.current.value, cmp.change, cmp.significant, sev, occ, occ_source, DETECTION[detected_by],
                  detected_by, found, watch, None, "")
    return row, faulty


def _cheapest(setup: Setup, row: RiskRow, faulty: pd.DataFrame, contracts: ReferenceContracts) -> RiskRow:
    if row.detected_by == "contract":
        return replace(row, cheapest_detection="already caught by the graph's contracts")
    if row.severity == 1:  # no patch search: checking a harmless fault costs more than it saves
        return replace(row, cheapest_detection=f"none needed: {setup.metric} stays within its noise or improves")
    patches = patch_for(setup.graph, row.node, setup.rows, faulty, contracts) if row.mode not in (
        "model_change", "concept_drift", "label_shift", "distribution_shift") else []
    if patches:
        p = patches[0]
        keys = ", ".join(f"{k}: {v}" for k, v in p.keys.items())
        return replace(row, cheapest_detection=f"add to {p.node}'s contract: {keys} (verified on the injected "
                                                f"window)", patch=p.to_dict())
    if row.watch_alerts:
        return replace(row, cheapest_detection=f"watch {setup.metric} with causal-rca watch: the change is "
                                                f"significant at this window's size")
    return replace(row, cheapest_detection="no cheap check: the fault stays within what the reference holds and "
                                            "the metric within its noise")


def _ranked(table: list[RiskRow]) -> list[int]:
    return sorted(range(len(table)), key=lambda i: (-table[i].rpn, -table[i].severity, table[i].node, table[i].mode))


def risk_table(setup: Setup, *, history: list | None = None, history_label: str | None = None,
               strength: float = STANDARD_STRENGTH, self_tests: int = SELF_TESTS, seed: int = 0,
               trust_model: bool = False, progress=None) -> RiskTable:
    """Every node × applicable failure mode, injected, scored and ranked by RPN (highest first)."""
    say = progress or (lambda _msg: None)
    pairs = [(n, m) for n in setup.graph.topological_order() for m in
             applicable_modes(setup.graph, n, setup.dtypes.get(n))]
    own = _with_contracts(setup.graph, setup.dtypes)
    before = {(f.node, f.check) for f in check_table(own, setup.rows, "reference")[1]} if own else set()
    rows: list[tuple[RiskRow, pd.DataFrame]] = []
    for i, (node, mode) in enumerate(pairs):
        say(f"injecting {mode} at {node} ({i + 1}/{len(pairs)})")
        rows.append(_row(setup, node, mode, strength, seed, history, before))
    # Self-test the rows that rank highest, re-ranking after each: diagnosing a window costs seconds, so
    # the budget goes to the rows at the top of the final table.
    table = [r for r, _f in rows]
    for _ in range(self_tests):
        untested = [i for i in _ranked(table) if table[i].self_test is None and table[i].significant]
        if not untested:
            break
        i = untested[0]
        say(f"self-test: diagnosing the window with {table[i].mode} at {table[i].node}")
        test = _self_test(setup, rows[i][1], table[i].node, seed, trust_model)
        table[i] = replace(table[i], self_test=test)
        if test["named_at_rank"] == 1 and table[i].detected_by != "contract":
            table[i] = replace(table[i], detection=DETECTION["causal-rca"], detected_by="causal-rca")
    contracts = ReferenceContracts(setup.graph, setup.rows, setup.rows, setup.dtypes)
    out = [_cheapest(setup, table[i], rows[i][1], contracts) for i in _ranked(table)]
    warnings = [] if history is not None else ["no --history: occurrence is a prior by kind and mode"]
    return RiskTable(setup.graph.name, setup.metric, len(setup.rows), setup.scored_by, history_label, out, warnings)
