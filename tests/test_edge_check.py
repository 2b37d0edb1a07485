"""`import … --observed-from LOG --check-graph`: guessed "every input column" edges the data does not support."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import yaml

from causal_rca.causal.edge_check import guessed_nodes, unsupported_edges
from causal_rca.causal.graph_check import read_sample
from causal_rca.lineage import graph_from_dict
from tests.conftest import run_cli


def _schema(columns: list[str]) -> dict:
    return {"schema": {"fields": [{"name": c, "type": "double"} for c in columns]}}


def _files(tmp_path):
    """One job reads raw (a1, a2, a3) and writes feat (b1, b2) with no column lineage; the log holds all five:
    b1 reads only a1, b2 reads a2 and a3."""
    event = {"eventType": "COMPLETE", "job": {"namespace": "n", "name": "build_features"},
             "inputs": [{"namespace": "db", "name": "raw", "facets": _schema(["a1", "a2", "a3"])}],
             "outputs": [{"namespace": "db", "name": "feat", "facets": _schema(["b1", "b2"])}]}
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(event) + "\n", encoding="utf-8")
    rng = np.random.default_rng(0)
    a1, a2, a3 = rng.normal(size=(3, 3000))
    log = tmp_path / "log.csv"
    pd.DataFrame({"a1": a1, "a2": a2, "a3": a3, "b1": np.tanh(a1) + 0.1 * rng.normal(size=3000),
                  "b2": a2 * a3 + 0.1 * rng.normal(size=3000)}).to_csv(log, index=False)
    return events, log


def test_guessed_edges_the_log_contradicts_are_suggested_removals(tmp_path, capsys) -> None:
    events, log = _files(tmp_path)
    out_graph = tmp_path / "graph.yaml"
    code, out, err = run_cli(["import", "openlineage", events, "--out", out_graph, "--observed-from", log,
                              "--check-graph"], capsys)
    assert code == 0, err
    written = yaml.safe_load(out_graph.read_text(encoding="utf-8"))
    assert written["nodes"]["b1"]["parents"] == ["a1", "a2", "a3"]  # suggested, never applied
    assert "b1 shows no dependence on a2 beyond its other parents" in out
    assert "to remove them:  b1: parents: [a1]" in out
    assert "to remove it:  b2: parents: [a2, a3]" in out
    assert "b2 shows no dependence on a2" not in out and "b2 shows no dependence on a3" not in out


def test_only_nodes_whose_parents_were_guessed_are_examined(tmp_path) -> None:
    events, log = _files(tmp_path)
    from causal_rca.lineage.importers.write import imported_graph

    graph = graph_from_dict(imported_graph("openlineage", events, observed_from=str(log)))
    assert guessed_nodes(graph) == ["b1", "b2"]
    frame, dtypes = read_sample(graph, str(log))
    kept = {(r.node, r.parent) for r in unsupported_edges(graph, frame, dtypes)}
    assert kept == {("b1", "a2"), ("b1", "a3"), ("b2", "a1")}
    assert unsupported_edges(graph, frame, dtypes, nodes=[]) == []
