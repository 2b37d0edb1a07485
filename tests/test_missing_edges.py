"""graph_warnings: a top cause whose change an undeclared parent explains (issue 24, third item)."""

from __future__ import annotations

import json
from functools import lru_cache

import pandas as pd
import yaml

from causal_rca.causal.encoding import EncodedWindows
from causal_rca.causal.mechanism import MechanismResult
from causal_rca.diagnosis import missing_edges as me
from causal_rca.diagnosis.model import Cause, Diagnosis, Evidence
from causal_rca.lineage import graph_from_dict
from causal_rca.render import render
from causal_rca.scenarios import generate, get_scenario
from causal_rca.signals.detect import Signal


@lru_cache(maxsize=None)
def _damaged_diagnosis() -> Diagnosis:
    """eta_routing_distance_in_miles with the true edge distance_km -> travel_time_est deleted."""
    from causal_rca.api import diagnose

    scenario = get_scenario("eta_routing_distance_in_miles")
    d = yaml.safe_load((scenario.directory / "graph.yaml").read_text(encoding="utf-8"))
    d["nodes"]["travel_time_est"]["parents"].remove("distance_km")
    frames = generate(scenario, scenario.seed)
    return diagnose(graph_from_dict(d), frames["reference"], frames["current"], scenario.metric, seed=scenario.seed)


def test_a_deleted_edge_is_warned_at_the_node_that_inherits_the_change() -> None:
    d = _damaged_diagnosis()
    assert d.causes[0].node == "distance_km"  # the true cause still first
    warned = {(w["node"], w["parent"]) for w in d.graph_warnings}
    assert ("travel_time_est", "distance_km") in warned, d.graph_warnings
    cause = next(c for c in d.causes if c.node == "travel_time_est")
    assert any(e.test == "missing_edge" and "distance_km → travel_time_est" in e.detail for e in cause.evidence)


def test_graph_warnings_survive_json_and_show_in_every_format() -> None:
    d = _damaged_diagnosis()
    data = json.loads(d.to_json())
    assert data["graph_warnings"] and data["graph_warnings"][0]["node"] == "travel_time_est"
    assert Diagnosis.from_dict(data).graph_warnings == data["graph_warnings"]
    for fmt in ("text", "markdown", "html"):
        assert "the graph may be missing the edge distance_km → travel_time_est: travel_time_est depends" \
            in render(d, fmt).replace("\n", ""), fmt


def test_a_diagnosis_without_a_suspected_edge_still_has_the_list() -> None:
    d = Diagnosis.from_dict(json.loads(_damaged_diagnosis().to_json()) | {"graph_warnings": []})
    assert json.loads(d.to_json())["graph_warnings"] == []


def _cause(rank: int, node: str, score: float) -> Cause:
    return Cause(rank=rank, node=node, failure_mode="pipeline_skew", category=None, score=score, contribution=None,
                 p_value=0.001, evidence=[Evidence("mechanism", None, None, 0.001, "changed")], why=[], mitigation="")


def test_the_warned_cause_loses_half_its_score_and_its_rank(monkeypatch) -> None:
    graph = graph_from_dict({"version": 1, "name": "g", "nodes": {
        "a": {"kind": "source", "column": "a"}, "b": {"kind": "source", "column": "b"},
        "x": {"kind": "feature", "parents": ["b"], "column": "x"},
        "y": {"kind": "feature", "parents": ["b"], "column": "y"}}})
    changed = {n: MechanismResult(n, ("b",), "regression", 1e-6, 0.5, "changed", p_adjusted=1e-6) for n in "xy"}
    signals = [Signal("a", "ks", None, None, 1e-9, 0.5, "shifted", p_adjusted=1e-9)]
    asked = []
    monkeypatch.setattr(me, "_depends_in_reference", lambda node, *args: (asked.append(node), (1e-5, 0.2))[1])
    monkeypatch.setattr(me, "_vanishes", lambda node, parents, other, *args: (
        MechanismResult(node, (*parents, other), "regression", 0.4, 0.02, "no change") if node == "x" else None))
    frame = pd.DataFrame(columns=["a", "b", "x", "y"])
    causes, warnings = me.missing_edges(graph, [_cause(1, "x", 0.9), _cause(2, "y", 0.6)], changed, signals,
                                        EncodedWindows(frame, frame, frozenset()), frame, {"a": "numeric"}, 0)
    assert [(c.rank, c.node, c.score) for c in causes] == [(1, "y", 0.6), (2, "x", 0.45)]
    assert [(w.node, w.parent) for w in warnings] == [("x", "a")] and asked == ["x", "y"]
    assert causes[1].evidence[-1].test == "missing_edge"
