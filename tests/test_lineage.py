"""One or more tests per rule of spec/lineage.md, checking the message names file, node and key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from causal_rca.errors import InputError
from causal_rca.lineage import (
    Contract,
    LineageGraph,
    Node,
    check_columns,
    graph_from_dict,
    graph_from_yaml,
    load_graph,
    parse_duration,
)

ROOT = Path(__file__).resolve().parents[1]
FRAUD = ROOT / "graphs" / "fraud.yaml"

BASE = {
    "version": 1,
    "name": "t",
    "nodes": {
        "amount": {"kind": "source", "column": "amount"},
        "amount_z": {"kind": "feature", "parents": ["amount"], "column": "amount_z"},
        "model": {"kind": "model", "parents": ["amount_z"], "column": "score"},
        "y": {"kind": "label", "parents": ["amount"], "column": "y"},
        "acc": {"kind": "metric", "parents": ["model", "y"], "metric": "accuracy"},
    },
}


DROP = object()


def graph(**changes: object) -> dict:
    """BASE with dotted-path overrides: graph(**{"nodes.model.parents": []}); DROP deletes the key."""
    return _changed(BASE, changes)


def _changed(base: dict, changes: dict[str, object]) -> dict:
    data = copy.deepcopy(base)
    for dotted, value in changes.items():
        *head, last = dotted.split(".")
        target = data
        for part in head:
            target = target[part]
        if value is DROP:
            del target[last]
        else:
            target[last] = value
    return data


def error(data: object, path: str = "g.yaml") -> str:
    with pytest.raises(InputError) as info:
        graph_from_dict(data, path)  # type: ignore[arg-type]
    return str(info.value)


def yaml_error(text: str, path: str = "g.yaml") -> str:
    with pytest.raises(InputError) as info:
        graph_from_yaml(text, path)
    return str(info.value)


# ------------------------------------------------------------------ valid


def test_fraud_example_loads():
    g = load_graph(FRAUD)
    assert isinstance(g, LineageGraph)
    assert g.name == "card-fraud"
    assert g.path == str(FRAUD)
    assert g.time_column == "event_time" and g.key_column == "transaction_id"
    assert g.nodes["fraud_model"].parents == ("amount_7d_avg", "amount_z", "merchant_category")
    assert g.nodes["amount_7d_avg"].contract == Contract(max_staleness_seconds=7200.0)
    assert g.nodes["amount"].contract == Contract(dtype="numeric", min=0.0, max_null_rate=0.01)
    assert g.nodes["feature_store"].observed is False
    assert g.metric_inputs("recall") == ("fraud_model", "is_fraud")
    assert g.nodes["recall"].threshold == 0.5 and g.nodes["recall"].positive == 1
    assert g.topological_order()[0] == "amount"


def test_path_is_kept_as_given(tmp_path, monkeypatch):
    (tmp_path / "g.yaml").write_text(yaml.safe_dump(BASE))
    monkeypatch.chdir(tmp_path)
    assert load_graph("g.yaml").path == "g.yaml"
    assert graph_from_dict(BASE).path == "<memory>"


@pytest.mark.parametrize("scenario", sorted((ROOT / "scenarios").glob("*/graph.yaml")), ids=lambda p: p.parent.name)
def test_scenario_graphs_load(scenario):
    assert load_graph(scenario).metric_nodes()


def test_defaults_and_categories():
    g = graph_from_dict(BASE)
    assert g.nodes["amount"].category == "Data"
    assert g.nodes["amount_z"].category == "Features"
    assert g.nodes["model"].category == "Model"
    assert g.nodes["y"].category == "Labels"
    assert g.nodes["acc"].category is None
    assert g.nodes["amount"].parents == ()
    assert g.nodes["acc"].threshold == 0.5 and g.nodes["acc"].positive == 1
    assert isinstance(g.nodes["acc"], Node)
    g2 = graph_from_dict(graph(**{"nodes.amount.category": "Pipeline"}))
    assert g2.nodes["amount"].category == "Pipeline"


def test_parents_keep_declared_order():
    g = graph_from_dict(graph(**{"nodes.model.parents": ["y", "amount_z", "amount"]}))
    assert g.nodes["model"].parents == ("y", "amount_z", "amount")


def test_null_parents_mean_none():
    g = graph_from_dict(graph(**{"nodes.amount.parents": None}))
    assert g.nodes["amount"].parents == ()
    assert graph_from_yaml(yaml.safe_dump(BASE).replace("column: amount\n", "column: amount\n    parents:\n", 1))


def test_x_keys_are_kept_in_extras():
    data = graph(**{"x-team": "fraud", "nodes.amount.x-pii": True})
    g = graph_from_dict(data)
    assert g.extras == {"x-team": "fraud"}
    assert g.nodes["amount"].extras == {"x-pii": True}
    assert g.nodes["model"].extras == {}


def test_x_keys_tolerated_in_contract():
    g = graph_from_dict(graph(**{"nodes.amount.contract": {"min": 0, "x-note": "cents"}}))
    assert g.nodes["amount"].contract == Contract(min=0.0)


def test_input_dict_not_mutated():
    data = graph(**{"x-a": 1})
    before = copy.deepcopy(data)
    graph_from_dict(data)
    assert data == before


def test_anchors_and_aliases_allowed():
    text = """
version: 1
name: t
x-defaults: &src {kind: source, owner: ingest}
nodes:
  a: {<<: *src, column: a}
  b: {<<: *src, column: b, owner: other}
  m: {kind: model, parents: [a, b], column: s}
"""
    g = graph_from_yaml(text)
    assert g.nodes["a"].owner == "ingest" and g.nodes["b"].owner == "other"


def test_tuples_accepted_from_python():
    g = graph_from_dict(graph(**{"nodes.model.parents": ("amount_z", "amount"), "segments": ("country",)}))
    assert g.nodes["model"].parents == ("amount_z", "amount")
    assert g.segments == ("country",)


# ------------------------------------------------------------------- YAML


def test_yaml_syntax_error_reports_line_and_column():
    msg = yaml_error("version: 1\nname: t\nnodes: {a: [1,\n")
    assert msg.startswith("g.yaml: YAML syntax error at line ")
    assert "column" in msg


def test_empty_file(tmp_path):
    p = tmp_path / "empty.yaml"
    p.write_text("# nothing here\n")
    with pytest.raises(InputError, match=r"empty\.yaml: the lineage graph is empty"):
        load_graph(p)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_graph(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="is a directory"):
        load_graph(tmp_path)


def test_top_level_not_a_mapping():
    assert "top level must be a mapping" in yaml_error("- 1\n- 2\n")
    assert "top level must be a mapping" in error("just text")


def test_custom_tags_rejected():
    msg = yaml_error("version: 1\nname: t\nnodes: !include other.yaml\n")
    assert "custom YAML tag '!include' is not allowed" in msg and "line 3" in msg
    msg = yaml_error("version: !!python/object/apply:os.system ['echo hi']\n")
    assert "!!python/object/apply:os.system" in msg


def test_duplicate_node_ids_detected():
    text = yaml.safe_dump(BASE, sort_keys=False) + "  amount:\n    kind: source\n    column: other\n"
    msg = yaml_error(text)
    assert "duplicate node id 'amount'" in msg and msg.startswith("g.yaml: line ")


def test_duplicate_top_level_key_detected():
    msg = yaml_error("version: 1\nname: a\nname: b\nnodes: {a: {kind: source}}\n")
    assert "duplicate key 'name'" in msg and "line 3" in msg


def test_node_ids_are_the_text_written():
    """YAML 1.1 reads `1`, `true`, `on` as an int or a bool (and True == 1): ids stay the text, all distinct."""
    ids = ["1", "true", "True", "on", "yes", "1.0", "null", "2026-01-01"]
    text = "version: 1\nname: t\nnodes:\n" + "".join(f"  {i}: {{kind: source}}\n" for i in ids)
    assert list(graph_from_yaml(text).nodes) == ids


def test_plain_and_quoted_id_are_one_id():
    msg = yaml_error("version: 1\nname: t\nnodes:\n  1: {kind: source}\n  '1': {kind: source}\n")
    assert "duplicate node id '1'" in msg


def test_id_outside_the_grammar_is_invalid_not_a_duplicate():
    msg = yaml_error("version: 1\nname: t\nnodes:\n  ~: {kind: source}\n  null: {kind: source}\n")
    assert "node id '~' is invalid" in msg and "duplicate" not in msg


def test_values_keep_their_yaml_types():
    """Only keys are read as text: `positive: 1` is still the integer class 1."""
    text = yaml.safe_dump(graph(**{"nodes.acc.positive": 1}), sort_keys=False)
    assert graph_from_yaml(text).nodes["acc"].positive == 1


def test_invalid_utf8(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_bytes(b"version: 1\nname: \xff\xfe\x00\n")
    with pytest.raises(InputError, match="bad.yaml"):
        load_graph(p)


def test_impossible_timestamp_is_input_error():
    assert "g.yaml" in yaml_error("version: 1\nname: t\nx-when: !!timestamp 2020-13-45\nnodes: {a: {kind: source}}\n")


def test_deep_nesting_is_input_error():
    assert "g.yaml" in yaml_error("[" * 5000)


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


# ----------------------------------------------------------- check_columns


def test_check_columns_ok():
    g = load_graph(FRAUD)
    check_columns(g, g.columns())


def test_check_columns_suggests_closest():
    g = load_graph(FRAUD)
    cols = [c for c in g.columns() if c != "amount_z"] + ["amount_zz"]
    with pytest.raises(InputError) as info:
        check_columns(g, cols, table="reference")
    msg = str(info.value)
    assert "node 'amount_z', key 'column': column 'amount_z' not found in reference" in msg
    assert "closest: 'amount_zz'" in msg and str(FRAUD) in msg


@pytest.mark.parametrize("key", ["freshness", "version_column"])
def test_check_columns_freshness_and_version(key):
    g = load_graph(FRAUD)
    missing = {"freshness": "amount_7d_avg_at", "version_column": "model_version"}[key]
    with pytest.raises(InputError, match=f"key '{key}': column '{missing}'"):
        check_columns(g, [c for c in g.columns() if c != missing])


def test_check_columns_top_level_and_segments():
    g = graph_from_dict(graph(time_column="ts", key_column="id", segments=["country"]))
    base = g.columns()
    for col, key in (("ts", "time_column"), ("id", "key_column"), ("country", "segments")):
        with pytest.raises(InputError, match=f"<memory>: key '{key}': column '{col}' not found"):
            check_columns(g, [c for c in base if c != col])


def test_check_columns_falls_back_to_available_list():
    g = graph_from_dict(BASE)
    with pytest.raises(InputError, match=r"available: 'q', 'r'"):
        check_columns(g, ["q", "r"])


# --------------------------------------------------------------------------- multi-class and regression models

MULTICLASS = {
    "version": 1,
    "name": "docs",
    "nodes": {
        "svd": {"kind": "source", "column": "svd"},
        "m": {"kind": "model", "parents": ["svd"], "column": "pred",
              "scores": {"invoice": "p_invoice", "contract": "p_contract", "letter": "p_letter"}},
        "y": {"kind": "label", "parents": ["svd"], "column": "truth", "classes": ["invoice", "contract", "letter"]},
        "r": {"kind": "metric", "parents": ["m", "y"], "metric": "recall", "class": "contract"},
    },
}


def multiclass(**changes: object) -> dict:
    """MULTICLASS with dotted-path overrides, as ``graph``."""
    return _changed(MULTICLASS, changes)


def test_example_graphs_load_with_their_tasks():
    g = load_graph(ROOT / "graphs" / "multiclass_example.yaml")
    assert {g.nodes[m].task for m in g.metric_nodes()} == {"multiclass"}
    assert g.nodes["doc_type"].classes == ("invoice", "contract", "letter", "receipt")
    assert g.nodes["doc_model"].scores["letter"] == "p_letter"
    assert g.nodes["contract_recall"].target_class == "contract"
    assert g.nodes["top2_accuracy"].k == 2 and g.nodes["macro_f1"].average == "macro"
    assert {"p_invoice", "p_receipt"} <= set(g.columns())
    g = load_graph(ROOT / "graphs" / "regression_example.yaml")
    assert {g.nodes[m].metric for m in g.metric_nodes()} == {"mae", "rmse", "mape", "r2"}
    assert {g.nodes[m].task for m in g.metric_nodes()} == {"regression"}


def test_binary_graphs_keep_their_nodes_and_tasks():
    g = load_graph(FRAUD)
    node = g.nodes["recall"]
    assert (node.task, node.classes, node.scores, node.target_class, node.average, node.k) == \
        ("binary", None, None, None, None, None)
    assert graph_from_dict(BASE).nodes["acc"].task is None  # left open: the reference labels decide


@pytest.mark.parametrize("metric", ["balanced_accuracy", "mape", "r2", "top_k_accuracy", "log_loss", "roc_auc"])
def test_new_metric_names_validate(metric):
    data = multiclass(**{"nodes.r.metric": metric, "nodes.r.class": DROP})
    if metric in ("mape", "r2"):
        data = graph(**{"nodes.acc.metric": metric})
    graph_from_dict(data)


@pytest.mark.parametrize("changes, key, fragment", [
    ({"nodes.r.class": "memo"}, "class", "class 'memo' is not among the classes of label 'y'"),
    ({"nodes.r.average": "macro"}, "class", "not both"),
    ({"nodes.r.threshold": 0.3}, "threshold", "applies to binary models only"),
    ({"nodes.r.positive": "invoice"}, "positive", "applies to binary models only"),
    ({"nodes.r.metric": "accuracy", "nodes.r.class": DROP, "nodes.r.average": "macro"}, "average",
     "does not apply to metric 'accuracy'"),
    ({"nodes.r.metric": "log_loss"}, "class", "does not apply to metric 'log_loss'"),
    ({"nodes.r.metric": "top_k_accuracy", "nodes.r.class": DROP, "nodes.r.k": 4}, "k",
     "k (4) is larger than the number of classes (3)"),
    ({"nodes.r.metric": "top_k_accuracy", "nodes.r.class": DROP, "nodes.r.k": 0}, "k", "at least 1"),
    ({"nodes.r.k": 2}, "k", "does not apply to metric 'recall'"),
    ({"nodes.r.class": DROP, "nodes.r.average": "mean"}, "average", "unknown average 'mean'"),
    ({"nodes.r.metric": "log_loss", "nodes.r.class": DROP, "nodes.m.scores": DROP}, "metric", "add 'scores'"),
    ({"nodes.r.metric": "roc_auc", "nodes.m.scores": DROP}, "metric", "add 'scores'"),
    ({"nodes.m.scores.memo": "p_memo"}, "scores", "'memo' not among the label's classes"),
    ({"nodes.m.scores": {"invoice": "p_invoice"}}, "scores", "at least two classes"),
    ({"nodes.m.scores.letter": "p_invoice"}, "scores", "its own column"),
    ({"nodes.m.scores.letter": "pred"}, "scores", "predicted class"),
    ({"nodes.y.classes": ["invoice", "invoice "]}, "classes", "each class once"),
    ({"nodes.y.classes": ["invoice"]}, "classes", "at least two classes"),
    ({"nodes.y.classes": ["invoice", [1]]}, "classes", "class values"),
    ({"nodes.svd.classes": ["a", "b"]}, "classes", "only allowed on label nodes"),
    ({"nodes.y.scores": {"a": "x", "b": "z"}}, "scores", "only allowed on model nodes"),
    ({"nodes.y.class": "a"}, "class", "only allowed on metric nodes"),
    ({"nodes.r.metric": "mae", "nodes.r.class": DROP}, "metric", "'mae' is a regression metric"),
    ({"nodes.r.metric": "r2"}, "class", "does not apply to metric 'r2'"),
    ({"nodes.r.clas": "contract", "nodes.r.class": DROP}, "clas", "did you mean 'class'"),
])
def test_multiclass_declarations_are_checked(changes, key, fragment):
    msg = error(multiclass(**changes))
    assert f"key '{key}'" in msg and fragment in msg, msg
    assert msg.startswith("g.yaml: node '")


def test_a_two_class_label_declares_a_binary_model():
    two = {"nodes.m.scores": DROP, "nodes.y.classes": ["ham", "spam"], "nodes.r.class": DROP}
    g = graph_from_dict(multiclass(**two, **{"nodes.r.positive": "spam"}))
    assert g.nodes["r"].task == "binary"
    msg = error(multiclass(**{**two, "nodes.r.class": "spam"}))
    assert "'class' applies to multi-class models only" in msg
    assert "positive class 1 is not among the classes of label 'y'" in msg
    assert "applies to multi-class models only" in error(multiclass(**two, **{"nodes.r.metric": "top_k_accuracy",
                                                                              "nodes.r.positive": "spam"}))


def test_class_values_compare_loosely_and_yaml_keys_are_text():
    text = """
version: 1
name: digits
nodes:
  x: {kind: source, column: x}
  m: {kind: model, parents: [x], column: pred, scores: {0: p0, 1: p1, 2: p2}}
  y: {kind: label, column: y, classes: [0, 1, 2]}
  r: {kind: metric, parents: [m, y], metric: recall, class: 2}
"""
    g = graph_from_yaml(text)
    assert g.nodes["m"].scores == {"0": "p0", "1": "p1", "2": "p2"}
    assert g.nodes["r"].task == "multiclass"


def test_score_columns_are_checked_against_the_data():
    g = graph_from_dict(MULTICLASS)
    with pytest.raises(InputError, match="node 'm', key 'scores': column 'p_letter' not found"):
        check_columns(g, ["svd", "pred", "truth", "p_invoice", "p_contract", "p_lettre"])
