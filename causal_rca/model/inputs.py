"""Which columns the model takes, in which order: the graph says so.

The model node's ``parents`` are its inputs in the order the model was
trained on; each must be observed (a column in the logs), because replaying
the model needs every value it reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.lineage import LineageGraph


def model_inputs(graph: LineageGraph, model_node: str) -> tuple[str, ...]:
    """The model's input nodes in the graph's order; every one must have a column."""
    node = graph.nodes[model_node]
    hidden = [p for p in node.parents if not graph.nodes[p].observed]
    if hidden:
        raise InputError(f"model node '{model_node}' has unobserved parent(s) {', '.join(hidden)}: replaying its "
                         f"artifact needs a column for every input the model reads")
    return tuple(node.parents)


def check_feature_names(graph: LineageGraph, inputs: tuple[str, ...], estimator: Any, source: str) -> None:
    """A model that knows its feature names must be fed exactly the graph's columns, in order."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return
    expected = [graph.nodes[n].column for n in inputs]
    if list(names) != expected:
        raise InputError(f"model artifact '{source}' was trained on columns {', '.join(map(str, names))}, but the "
                         f"graph gives it {', '.join(expected)}: list the model node's parents in the model's order")


def input_frame(graph: LineageGraph, inputs: tuple[str, ...], values: pd.DataFrame) -> pd.DataFrame:
    """The model's input matrix: node-keyed values renamed to the data columns the model knows.

    Numbers go in as floats, categories as Python objects (what an encoder fitted on a
    pandas frame accepts), a category column of numeric codes as numbers.
    """
    out = {}
    for node_id in inputs:
        col = values[node_id]
        if pd.api.types.is_numeric_dtype(col):
            out[graph.nodes[node_id].column] = col.to_numpy(dtype=float)
            continue
        numeric = pd.to_numeric(col, errors="coerce")
        if numeric.notna().sum() == col.notna().sum():
            out[graph.nodes[node_id].column] = numeric.to_numpy(dtype=float)
        else:
            out[graph.nodes[node_id].column] = col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
    return pd.DataFrame(out, index=values.index)


def model_node_of(graph: LineageGraph, metric_id: str) -> str | None:
    """The model node whose scores the metric reads (None for a business ``mean`` metric)."""
    if graph.nodes[metric_id].metric == "mean":
        return None
    prediction, _label = graph.metric_inputs(metric_id)
    return prediction


def scores_of(artifact_score, graph: LineageGraph, inputs: tuple[str, ...], values: pd.DataFrame) -> np.ndarray:
    """The artifact's scores for node-keyed rows (an empty frame gives an empty array)."""
    if len(values) == 0:
        return np.zeros(0)
    return artifact_score(input_frame(graph, inputs, values))
