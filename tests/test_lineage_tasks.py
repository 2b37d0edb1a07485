"""Lineage graphs of multi-class and regression models: tasks, metric names, class and score declarations."""

from __future__ import annotations

import pytest

from causal_rca.errors import InputError
from causal_rca.lineage import check_columns, graph_from_dict, graph_from_yaml, load_graph
from tests.lineage_helpers import BASE, DROP, FRAUD, ROOT, _changed, error, graph


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
