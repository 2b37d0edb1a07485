"""One or more tests per rule of spec/lineage.md, checking the message names file, node and key."""

from __future__ import annotations

import pytest

from causal_rca.errors import InputError
from causal_rca.lineage import Contract, graph_from_dict, parse_duration
from tests.lineage_helpers import DROP, error, graph


# -------------------------------------------------------------- top level


def test_version_required_and_one():
    assert "key 'version': required key is missing" in error(graph(version=DROP))
    assert "key 'version': unsupported format version 2" in error(graph(version=2))
    assert "key 'version'" in error(graph(version="1"))
    assert "key 'version'" in error(graph(version=True))


def test_name_required_and_pattern():
    assert "key 'name': required key is missing" in error(graph(name=DROP))
    msg = error(graph(name="card fraud!"))
    assert "key 'name'" in msg and "letters, digits" in msg
    assert "key 'name'" in error(graph(name=12))


def test_nodes_required_non_empty_mapping():
    assert "key 'nodes': required key is missing" in error(graph(nodes=DROP))
    assert "key 'nodes': must declare at least one node" in error(graph(nodes={}))
    msg = error(graph(nodes=[{"kind": "source"}]))
    assert "key 'nodes': expected a mapping from node id to node, got a list" in msg


def test_unknown_top_level_key_suggests():
    msg = error(graph(time_colum="ts"))
    assert msg == "g.yaml: key 'time_colum': unknown key (did you mean 'time_column'?)"


def test_extras_is_not_a_user_key():
    assert "key 'extras': unknown key" in error(graph(extras={"a": 1}))


def test_non_string_keys():
    assert "is not a string" in error({**graph(), 1: 2})
    assert "node 'amount'" in error(graph(**{"nodes.amount": {"kind": "source", 5: 1}}))


def test_segments_list_of_strings():
    assert graph_from_dict(graph(segments=["country", "device"])).segments == ("country", "device")
    assert "key 'segments': expected a list" in error(graph(segments="country"))
    assert "key 'segments[1]': expected a string" in error(graph(segments=["a", 3]))


def test_description_and_columns_must_be_strings():
    assert "key 'time_column': expected a string" in error(graph(time_column=["a"]))
    assert "key 'description'" in error(graph(description={"a": 1}))


# ------------------------------------------------------------------ nodes


def test_node_id_pattern():
    data = graph()
    data["nodes"]["bad id!"] = {"kind": "source"}
    msg = error(data)
    assert "node id 'bad id!' is invalid" in msg


def test_node_id_must_be_string():
    data = graph()
    data["nodes"][7] = {"kind": "source"}
    assert "node id integer 7 must be a string" in error(data)


def test_node_not_a_mapping():
    msg = error(graph(**{"nodes.amount": "source"}))
    assert "node 'amount': expected a mapping of node keys" in msg


def test_kind_required_and_valid():
    assert "node 'amount', key 'kind': required key is missing" in error(graph(**{"nodes.amount.kind": DROP}))
    msg = error(graph(**{"nodes.amount.kind": "sorce"}))
    assert "node 'amount', key 'kind': unknown kind 'sorce' (did you mean 'source'?)" in msg


def test_dtype_category_metric_enums():
    assert "unknown dtype 'nummeric' (did you mean 'numeric'?)" in error(graph(**{"nodes.amount.dtype": "nummeric"}))
    msg = error(graph(**{"nodes.amount.category": "data"}))
    assert "node 'amount', key 'category': unknown category 'data' (did you mean 'Data'?)" in msg
    msg = error(graph(**{"nodes.acc.metric": "acuracy"}))
    assert "node 'acc', key 'metric': unknown metric 'acuracy' (did you mean 'accuracy'?)" in msg


def test_unknown_node_key_suggests():
    msg = error(graph(**{"nodes.model.parnets": ["amount"]}))
    assert "g.yaml: node 'model', key 'parnets': unknown key (did you mean 'parents'?)" in msg


def test_unknown_key_without_close_match_lists_valid_keys():
    msg = error(graph(**{"nodes.model.zzzzzz": 1}))
    assert "node 'model', key 'zzzzzz': unknown key; valid keys: kind, parents" in msg


def test_parents_as_string_is_clear():
    msg = error(graph(**{"nodes.model.parents": "amount_z"}))
    assert msg == "g.yaml: node 'model', key 'parents': expected a list such as [amount_z], got string 'amount_z'"


def test_parents_as_set_rejected():
    assert "key 'parents'" in error(graph(**{"nodes.model.parents": {"amount_z"}}))


def test_unknown_parent_suggests():
    msg = error(graph(**{"nodes.amount_z.parents": ["amout"]}))
    assert msg == "g.yaml: node 'amount_z', key 'parents': unknown parent 'amout' (did you mean 'amount'?)"


def test_self_parent():
    msg = error(graph(**{"nodes.amount_z.parents": ["amount", "amount_z"]}))
    assert "node 'amount_z', key 'parents': a node cannot be its own parent" in msg


def test_duplicate_parent():
    msg = error(graph(**{"nodes.amount_z.parents": ["amount", "amount"]}))
    assert "parent 'amount' is listed twice" in msg


def test_cycle_reported_with_path():
    msg = error(graph(**{"nodes.amount.parents": ["model"], "nodes.amount.kind": "feature"}))
    assert "cycle" in msg and " -> " in msg
    cycle = msg.split("cycle ")[1].split(";")[0].split(" -> ")
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"amount", "amount_z", "model"}


def test_metric_and_model_need_parents():
    assert "node 'model', key 'parents': a model node needs at least one parent" in error(
        graph(**{"nodes.model.parents": []})
    )
    msg = error(graph(**{"nodes.acc.parents": DROP}))
    assert "node 'acc', key 'parents': a metric node needs at least one parent" in msg


def test_metric_needs_metric_key():
    assert "node 'acc', key 'metric': a metric node must name its metric" in error(graph(**{"nodes.acc.metric": DROP}))


@pytest.mark.parametrize(
    "key,value", [("metric", "recall"), ("prediction", "model"), ("label", "y"), ("threshold", 0.3), ("positive", 1)]
)
def test_metric_only_keys(key, value):
    msg = error(graph(**{f"nodes.amount_z.{key}": value}))
    assert f"node 'amount_z', key '{key}': only allowed on metric nodes" in msg


@pytest.mark.parametrize("key", ["version_column", "artifact"])
def test_model_only_keys(key):
    assert graph_from_dict(graph(**{f"nodes.model.{key}": "x"}))
    assert f"node 'y', key '{key}': only allowed on model nodes" in error(graph(**{f"nodes.y.{key}": "x"}))


def test_freshness_and_contract_need_column():
    data = graph(**{"nodes.store": {"kind": "infra", "freshness": "at", "contract": {"min": 0}}})
    msg = error(data)
    assert "node 'store', key 'freshness': only allowed on observed nodes" in msg
    assert "node 'store', key 'contract': only allowed on observed nodes" in msg


def test_shared_column():
    msg = error(graph(**{"nodes.y.column": "score"}))
    assert "node 'y', key 'column': column 'score' is already the column of node 'model'" in msg


def test_wrong_scalar_types():
    assert "node 'acc', key 'threshold': expected a number, got string '0.5'" in error(
        graph(**{"nodes.acc.threshold": "0.5"})
    )
    assert "key 'threshold': expected a finite number" in error(graph(**{"nodes.acc.threshold": float("nan")}))
    assert "node 'acc', key 'positive'" in error(graph(**{"nodes.acc.positive": [1]}))
    assert "node 'amount', key 'column': expected a string" in error(graph(**{"nodes.amount.column": 3}))
    assert "node 'amount', key 'owner'" in error(graph(**{"nodes.amount.owner": ["a"]}))


def test_threshold_and_positive_values():
    g = graph_from_dict(graph(**{"nodes.acc.threshold": 1, "nodes.acc.positive": "fraud"}))
    assert g.nodes["acc"].threshold == 1.0 and isinstance(g.nodes["acc"].threshold, float)
    assert g.nodes["acc"].positive == "fraud"


# --------------------------------------------------------------- metrics


@pytest.mark.parametrize("metric", ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "mae", "rmse"])
def test_metric_needs_model_and_label(metric):
    msg = error(graph(**{"nodes.acc.metric": metric, "nodes.acc.parents": ["y"]}))
    assert f"node 'acc', key 'parents': metric '{metric}' needs a model node upstream" in msg
    msg = error(graph(**{"nodes.acc.metric": metric, "nodes.acc.parents": ["model"]}))
    assert f"metric '{metric}' needs a label node upstream" in msg


def test_metric_finds_model_further_upstream():
    risk = {"kind": "feature", "parents": ["model"], "column": "r"}
    data = graph(**{"nodes.risk": risk, "nodes.acc.parents": ["risk", "y"]})
    assert graph_from_dict(data).metric_inputs("acc") == ("model", "y")


def test_metric_inputs_must_be_observed():
    msg = error(graph(**{"nodes.y.column": DROP}))
    assert "node 'acc', key 'parents': label node 'y' has no column" in msg
    msg = error(graph(**{"nodes.model.column": DROP}))
    assert "model node 'model' has no column" in msg


def test_explicit_prediction_and_label():
    data = graph(**{"nodes.acc.prediction": "model", "nodes.acc.label": "y"})
    assert graph_from_dict(data).metric_inputs("acc") == ("model", "y")
    assert "node 'acc', key 'prediction': 'y' is a label node, expected a model node" in error(
        graph(**{"nodes.acc.prediction": "y"})
    )
    assert "node 'acc', key 'label': 'model' is a model node, expected a label node" in error(
        graph(**{"nodes.acc.label": "model"})
    )
    assert "node 'acc', key 'prediction': unknown node 'modl' (did you mean 'model'?)" in error(
        graph(**{"nodes.acc.prediction": "modl"})
    )


def test_mean_metric_needs_column():
    msg = error(graph(**{"nodes.acc.metric": "mean"}))
    assert "node 'acc', key 'column': a 'mean' metric is the mean of its own column" in msg
    g = graph_from_dict(graph(**{"nodes.acc.metric": "mean", "nodes.acc.column": "approved"}))
    assert g.nodes["acc"].observed


# -------------------------------------------------------------- contract


def test_contract_fields():
    contract = {"dtype": "categorical", "max_null_rate": 0, "allowed": ["a", "b", 3], "max_staleness": "15m"}
    g = graph_from_dict(graph(**{"nodes.amount.contract": contract}))
    assert g.nodes["amount"].contract == Contract(
        dtype="categorical", max_null_rate=0.0, allowed=("a", "b", 3), max_staleness_seconds=900.0
    )


def test_contract_unknown_key_suggests():
    msg = error(graph(**{"nodes.amount.contract": {"mn": 0}}))
    assert "node 'amount', key 'contract.mn': unknown key (did you mean 'min'?)" in msg


def test_contract_min_not_above_max():
    msg = error(graph(**{"nodes.amount.contract": {"min": 5, "max": 1}}))
    assert "node 'amount', key 'contract': min (5) is greater than max (1)" in msg


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_contract_null_rate_range(rate):
    msg = error(graph(**{"nodes.amount.contract": {"max_null_rate": rate}}))
    assert "node 'amount', key 'contract.max_null_rate': must be between 0 and 1" in msg


def test_contract_allowed_is_list():
    assert "key 'contract.allowed': expected a list" in error(graph(**{"nodes.amount.contract": {"allowed": "a"}}))
    assert "key 'contract.allowed'" in error(graph(**{"nodes.amount.contract": {"allowed": [["a"]]}}))


def test_contract_bad_staleness_and_dtype():
    msg = error(graph(**{"nodes.amount.contract": {"max_staleness": "2 hours"}}))
    assert "node 'amount', key 'contract.max_staleness': '2 hours' is not a duration" in msg
    assert "unknown dtype 'int'" in error(graph(**{"nodes.amount.contract": {"dtype": "int"}}))


def test_contract_not_a_mapping():
    assert "node 'amount', key 'contract': expected a mapping, got a list" in error(
        graph(**{"nodes.amount.contract": [1]})
    )


# --------------------------------------------------------------- duration


@pytest.mark.parametrize(
    "text,seconds",
    [
        ("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400), (90, 90),
        (1.5, 1.5), ("30", 30), ("1.5h", 5400), (" 2 H", 7200),
    ],  # fmt: skip
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "2w", "-1s", "abc", "1e3s", True, None, [1], float("inf"), -5, "9" * 400])
def test_parse_duration_bad(text):
    with pytest.raises(InputError, match="duration"):
        parse_duration(text)


# ----------------------------------------------------------- multi-problem


def test_several_problems_one_line_each_top_level_first():
    data = graph(**{"nodes.amount.kind": "sorce", "nodes.model.parnets": [], "version": 3})
    lines = error(data).splitlines()
    assert lines[0].startswith("g.yaml: key 'version'")
    assert len(lines) >= 3 and all(line.startswith("g.yaml: ") for line in lines)
    assert "pydantic" not in error(data).lower()
