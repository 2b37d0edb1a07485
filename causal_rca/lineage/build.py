"""The validated pydantic model of a graph turned into the engine's ``LineageGraph``, ``Node`` and ``Contract``."""

from __future__ import annotations

from causal_rca.lineage.graph import DEFAULT_CATEGORY, Contract, LineageGraph, Node
from causal_rca.lineage.schema import GraphModel, NodeModel

def build_graph(model: GraphModel, path: str) -> LineageGraph:
    """The graph with defaults filled in (a node's category from its kind); ``path`` is kept for messages."""
    nodes = {node_id: _build_node(node_id, nm) for node_id, nm in model.nodes.items()}
    return LineageGraph(
        name=model.name,
        nodes=nodes,
        description=model.description,
        time_column=model.time_column,
        key_column=model.key_column,
        segments=tuple(model.segments or ()),
        path=path,
        extras=dict(model.extras),
    )


def _build_node(node_id: str, nm: NodeModel) -> Node:
    contract = None
    if nm.contract is not None:
        c = nm.contract
        contract = Contract(
            dtype=c.dtype,
            min=c.min,
            max=c.max,
            max_null_rate=c.max_null_rate,
            allowed=tuple(c.allowed) if c.allowed is not None else None,
            max_staleness_seconds=c.max_staleness_seconds,
        )
    return Node(
        id=node_id,
        kind=nm.kind,
        parents=tuple(nm.parents or ()),
        column=nm.column,
        dtype=nm.dtype,
        category=nm.category if nm.category is not None else DEFAULT_CATEGORY[nm.kind],
        owner=nm.owner,
        description=nm.description,
        contract=contract,
        freshness=nm.freshness,
        version_column=nm.version_column,
        artifact=nm.artifact,
        metric=nm.metric,
        prediction=nm.prediction,
        label=nm.label,
        threshold=float(nm.threshold),
        positive=nm.positive,
        classes=tuple(nm.classes) if nm.classes is not None else None,
        scores=dict(nm.scores) if nm.scores is not None else None,
        target_class=nm.target_class,
        average=nm.average,
        k=nm.k,
        task={"mean": "mean"}.get(str(nm.metric)) if nm.kind == "metric" else None,
        extras=dict(nm.extras),
    )
