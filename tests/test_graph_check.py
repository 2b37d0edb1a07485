"""`validate --check-graph`: the graph's local Markov conditions tested on data (issue 24, first item).

On scenario graphs that match how their data was generated nothing is
reported; with one true edge deleted, the deleted parent is suggested.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
import yaml

from causal_rca.causal.graph_check import benjamini_hochberg, check_graph
from causal_rca.lineage import graph_from_dict
from causal_rca.scenarios import generate, get_scenario
from tests.conftest import run_cli


@lru_cache(maxsize=None)
def _reference(name: str) -> pd.DataFrame:
    return generate(name)["reference"]


def _graph_dict(name: str) -> dict:
    return yaml.safe_load((get_scenario(name).directory / "graph.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["churn_quiet_month_control", "usedcar_heavier_trade_ins",
                                  "credit_stable_month_control"])
def test_a_scenario_graph_on_its_own_data_has_no_violation(name: str) -> None:
    result = check_graph(graph_from_dict(_graph_dict(name)), _reference(name))
    assert result.tests > 0 and result.tested_nodes
    assert result.violations == (), [v.message() for v in result.violations]


@pytest.mark.parametrize("name, node, parent", [
    ("churn_quiet_month_control", "churn_model", "support_calls_90d"),
    ("usedcar_heavier_trade_ins", "power_to_weight", "horsepower"),
])
def test_a_deleted_true_edge_is_suggested(name: str, node: str, parent: str) -> None:
    d = _graph_dict(name)
    d["nodes"][node]["parents"].remove(parent)
    result = check_graph(graph_from_dict(d), _reference(name))
    top = [(v.node, v.other) for v in result.violations][:3]
    assert (node, parent) in top, top
    v = next(v for v in result.violations if (v.node, v.other) == (node, parent))
    assert v.p_value <= 0.05
    assert v.message().startswith(f"{node} depends on {parent} given its parents")
    assert v.suggestion() == f"{node}: parents: [{', '.join([*d['nodes'][node]['parents'], parent])}]"


def test_the_cli_lists_violations_as_warnings_and_leaves_the_graph(tmp_path, capsys) -> None:
    name = "churn_quiet_month_control"
    d = _graph_dict(name)
    d["nodes"]["churn_model"]["parents"].remove("support_calls_90d")
    graph = tmp_path / "graph.yaml"
    graph.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    before = graph.read_text(encoding="utf-8")
    data = tmp_path / "ref.csv"
    _reference(name).to_csv(data, index=False)
    code, out, err = run_cli(["validate", str(graph), "--data", str(data), "--check-graph"], capsys)
    assert code == 0, err
    assert "warning:" in out and "churn_model depends on support_calls_90d given its parents" in out
    assert "churn_model: parents: [tenure_months, charges_z, plan, support_calls_90d]" in out
    assert graph.read_text(encoding="utf-8") == before  # suggested, never applied


def test_benjamini_hochberg_matches_the_step_up_rule() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.2])
    assert np.allclose(benjamini_hochberg(p), [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert benjamini_hochberg(np.array([])).size == 0
