"""Loading lineage graphs (spec/lineage.md): valid graphs, YAML, and check_columns against a table's columns."""

from __future__ import annotations

import copy

import pytest
import yaml

from causal_rca.errors import InputError
from causal_rca.lineage import Contract, LineageGraph, Node, check_columns, graph_from_dict, graph_from_yaml, load_graph
from tests.lineage_helpers import BASE, FRAUD, ROOT, error, graph, yaml_error


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
