"""Typed, node-keyed frames the statistical layers work on.

Columns are named by node id (not data column) and typed by the node's
dtype, read the same way in both windows: a value that no longer parses as
the reference type shows up as missing here and as coercion in the profile.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.lineage.graph import LineageGraph
from causal_rca.windows.stats import logical_dtype, sample_frame, typed_expression
from causal_rca.windows.tables import Window

TIME = "__time"


def freshness_key(node_id: str) -> str:
    return f"__fresh__{node_id}"


def version_key(node_id: str) -> str:
    return f"__version__{node_id}"


def resolve_dtypes(graph: LineageGraph, reference: Window) -> dict[str, str]:
    """Declared dtype, else the contract's, else what the reference window holds."""
    out: dict[str, str] = {}
    for node_id in graph.observed_nodes():
        node = graph.nodes[node_id]
        declared = node.dtype or (node.contract.dtype if node.contract else None)
        if declared == "text":
            declared = "categorical"
        out[node_id] = declared or logical_dtype(reference.column_types[node.column])
    return out


def node_expressions(graph: LineageGraph, dtypes: dict[str, str]) -> dict[str, str]:
    exprs = {node_id: typed_expression(graph.nodes[node_id].column, dtypes[node_id]) for node_id in dtypes}
    if graph.time_column:
        exprs[TIME] = typed_expression(graph.time_column, "datetime")
    for node_id in dtypes:
        node = graph.nodes[node_id]
        if node.freshness:
            exprs[freshness_key(node_id)] = typed_expression(node.freshness, "datetime")
        if node.version_column:
            exprs[version_key(node_id)] = typed_expression(node.version_column, "categorical")
    return exprs


def node_sample(window: Window, graph: LineageGraph, dtypes: dict[str, str], n: int, seed: int) -> pd.DataFrame:
    """At most ``n`` seeded rows, one typed column per observed node."""
    frame = sample_frame(window, node_expressions(graph, dtypes), n, seed)
    for node_id, dtype in dtypes.items():
        if dtype in ("numeric", "boolean", "datetime"):
            frame[node_id] = pd.to_numeric(frame[node_id], errors="coerce").astype(float)
        else:
            frame[node_id] = frame[node_id].astype(object).where(frame[node_id].notna(), None)
    return frame
