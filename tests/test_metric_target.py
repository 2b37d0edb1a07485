"""The metric node resolved once (``metrics/target.py``): the spec, its inputs and its kind."""

from __future__ import annotations

import numpy as np
import pytest

from causal_rca.errors import InputError
from causal_rca.lineage.loader import graph_from_yaml
from causal_rca.metrics.target import resolve_metric
from causal_rca.windows.tables import open_windows
from tests.conftest import TINY_GRAPH, tiny_frame

MEAN = TINY_GRAPH + """\
  avg_basket:
    kind: metric
    parents: [x]
    metric: mean
    column: basket
"""


def test_a_binary_classification_metric() -> None:
    t = resolve_metric(graph_from_yaml(TINY_GRAPH), "recall")
    assert (t.kind, t.prediction, t.label, t.model) == ("classification", "model", "y", "model")
    assert not t.spec.multiclass and t.input_nodes == {"prediction": "model"}


def test_a_business_mean_reads_no_model() -> None:
    t = resolve_metric(graph_from_yaml(MEAN), "avg_basket")
    assert (t.kind, t.prediction, t.label, t.model) == ("mean", None, None, None)
    assert t.input_nodes == {"value": "avg_basket"}


def test_labels_with_three_classes_make_an_open_metric_multiclass() -> None:
    graph = graph_from_yaml(TINY_GRAPH)
    ref, cur = tiny_frame(300, 1), tiny_frame(300, 2)
    assert not resolve_metric(graph, "recall", open_windows(graph, ref, cur)[0]).spec.multiclass
    ref["y"] = np.resize(["a", "b", "c"], len(ref))
    assert resolve_metric(graph, "recall", open_windows(graph, ref, cur)[0]).spec.multiclass


def test_not_a_metric_node() -> None:
    with pytest.raises(InputError, match="'fx' is not a metric node of graph 'tiny' \\(metric nodes: recall\\)"):
        resolve_metric(graph_from_yaml(TINY_GRAPH), "fx")
