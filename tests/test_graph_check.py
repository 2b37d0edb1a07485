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


def _chain(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """a -> c <- b, c -> d, d -> f: noisy nonlinear functions; e an independent source."""
    rng = np.random.default_rng(seed)
    a, b, e = rng.normal(size=(3, n))
    c = np.tanh(a) + 0.5 * b + 0.2 * rng.normal(size=n)
    d = np.exp(c / 2) + 0.2 * rng.normal(size=n)
    f = np.sqrt(np.abs(d)) + 0.2 * rng.normal(size=n)
    return pd.DataFrame({"a": a, "b": b, "c": c, "d": d, "e": e, "f": f})


def _chain_graph(names: str = "abcdef") -> dict:
    """The true graph of ``_chain`` with its nodes named by ``names`` (a permutation of the columns)."""
    a, b, c, d, e, f = names
    edges = {c: [a, b], d: [c], f: [d]}
    return {"version": 1, "name": "chain", "nodes": {
        n: ({"kind": "feature", "parents": edges[n], "column": n} if n in edges else {"kind": "source", "column": n})
        for n in "abcdef"}}


def test_the_true_graph_beats_shuffled_copies_and_a_wrong_one_does_not() -> None:
    from causal_rca.causal.graph_baseline import permutation_baseline

    frame = _chain()
    dtypes = {n: "numeric" for n in frame.columns}
    right = permutation_baseline(graph_from_dict(_chain_graph()), frame, dtypes, seed=0)
    assert right is not None and right.share == 0.0 and right.better_than_chance(), right
    assert "is better than chance" in right.message()
    wrong = permutation_baseline(graph_from_dict(_chain_graph("fdaecb")), frame, dtypes, seed=0)
    assert wrong is not None and wrong.share > 0 and not wrong.better_than_chance(), wrong
    assert len(wrong.permuted) == 49 and 0 < wrong.p_value <= 1


def test_permutations_implying_the_same_independences_are_counted() -> None:
    from causal_rca.causal.graph_baseline import _skeleton_and_colliders

    chain, backwards = {("a", "b"), ("b", "c")}, {("c", "b"), ("b", "a")}
    assert _skeleton_and_colliders(chain) == _skeleton_and_colliders(backwards)
    assert _skeleton_and_colliders({("a", "b"), ("c", "b")}) != _skeleton_and_colliders(chain)


def test_a_graph_with_nothing_to_compare_has_no_baseline() -> None:
    from causal_rca.causal.graph_baseline import permutation_baseline

    frame = _chain()[["a", "b"]]
    graph = graph_from_dict({"version": 1, "name": "two", "nodes": {
        "a": {"kind": "source", "column": "a"}, "b": {"kind": "feature", "parents": ["a"], "column": "b"}}})
    assert permutation_baseline(graph, frame, {"a": "numeric", "b": "numeric"}) is None


def test_columns_computed_from_the_parents_or_sharing_a_latent_source_are_not_candidates() -> None:
    from causal_rca.causal.graph_check import candidates_for, determined_by, latent_relatives

    graph = graph_from_dict({"version": 1, "name": "g", "nodes": {
        "x": {"kind": "source", "column": "x"}, "store": {"kind": "infra"},
        "speed": {"kind": "source"},  # unobserved: a latent common cause
        "f": {"kind": "feature", "parents": ["x", "store"], "column": "f"},
        "avg": {"kind": "feature", "parents": ["speed"], "column": "avg"},
        "m": {"kind": "model", "parents": ["f", "avg"], "column": "m"},
        "y": {"kind": "label", "parents": ["x", "speed"], "column": "y"},
        "z": {"kind": "source", "column": "z"}}})
    assert determined_by(graph, {"x"}) >= {"x", "f", "store"} and "m" not in determined_by(graph, {"x"})
    assert latent_relatives(graph, "y") == {"avg", "m", "y"}
    # y's condition: not f (computed from x), not avg or m (they share speed with y); z stays
    assert candidates_for(graph, "y", ["x"], ["x", "f", "avg", "m", "y", "z"]) == ["z"]


def test_the_public_entry_point_reads_a_graph_file(tmp_path) -> None:
    import causal_rca

    path = tmp_path / "chain.yaml"
    path.write_text(yaml.safe_dump(_chain_graph()), encoding="utf-8")
    result = causal_rca.check_graph(path, _chain(), baseline=False)
    assert result.violations == () and set(result.tested_nodes) == {"c", "d", "f"} and result.baseline is None


def test_a_feature_declared_without_parents_is_tested_against_everything_upstream() -> None:
    from causal_rca.causal.graph_check import check_graph_frame

    frame = _chain()
    graph = graph_from_dict({"version": 1, "name": "g", "nodes": {
        "a": {"kind": "source", "column": "a"}, "e": {"kind": "source", "column": "e"},
        "c": {"kind": "feature", "column": "c"}}})  # c reads a (and b), declared with no parent
    result = check_graph_frame(graph, frame[["a", "c", "e"]], {n: "numeric" for n in "ace"}, baseline=False)
    assert [(v.node, v.other) for v in result.violations] == [("c", "a")]
    assert result.violations[0].suggestion() == "c: parents: [a]"
