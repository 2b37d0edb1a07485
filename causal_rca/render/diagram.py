"""The causal diagram: the lineage graph left to right, coloured by what the diagnosis found.

Columns follow the data flow (sources → features → model → labels →
metrics), so the picture reads like the pipeline. Every label is a
Graphviz HTML-like label of text made safe by ``dot_text``, and
nodes are named ``n0, n1, …`` in the DOT source: a node id is never DOT
syntax nor markup.
"""

from __future__ import annotations

import graphviz

from causal_rca.diagnosis.model import Diagnosis
from causal_rca.lineage.graph import LineageGraph
from causal_rca.render.dot_text import NAME_LIMIT, label_text, quoted_text
from causal_rca.render.findings import (
    CAUSE_COLOR, CLEAR_COLOR, MUTED_COLOR, NodeView, clip, fill_of, node_views, root_path,
)

# Column order of the kinds; infra services sit with the sources they resemble.
KIND_COLUMN = {"source": 0, "infra": 0, "feature": 1, "model": 2, "label": 3, "metric": 4}
SHAPE = {"source": "box", "infra": "box3d", "feature": "box", "model": "component", "label": "note",
         "metric": "doubleoctagon"}
FONT = "Helvetica"


def dot_ids(graph: LineageGraph) -> dict[str, str]:
    """Safe DOT names, in declaration order (the real ids go into escaped labels)."""
    return {node_id: f"n{i}" for i, node_id in enumerate(graph.nodes)}


def layers(graph: LineageGraph) -> dict[str, int]:
    """A column per node: after its parents, and never before the columns of earlier kinds.

    Longest-path layering alone would put a label (computed from sources)
    left of the model; a post-mortem reader expects the pipeline's order.
    """
    order = graph.topological_order()
    layer: dict[str, int] = {}
    floor = 0
    for column in sorted(set(KIND_COLUMN.values())):
        for node_id in order:
            node = graph.nodes[node_id]
            if KIND_COLUMN[node.kind] != column:
                continue
            parents = [layer[p] + 1 for p in node.parents if p in layer]
            start = floor if column in (2, 3, 4) or parents else 0
            layer[node_id] = max([start, *parents])
        floor = max(layer.values(), default=-1) + 1
    for node_id in order:  # parents of a later kind (a model feeding a feature): keep edges left to right
        parents = [layer[p] + 1 for p in graph.nodes[node_id].parents]
        layer[node_id] = max([layer[node_id], *parents])
    return layer


def _label(graph: LineageGraph, view: NodeView) -> str:
    node = graph.nodes[view.node]
    rows = [f"<b>{label_text(view.node, NAME_LIMIT)}</b>"]
    sub = node.kind if node.observed or node.kind == "metric" else f"{node.kind}, unobserved"
    if view.rank is not None:
        sub = f"#{view.rank} {view.failure_mode} ({view.score:.2f})"
    rows.append(f'<font point-size="9">{label_text(sub, 60)}</font>')
    if view.note and view.status != "unobserved":
        color = CLEAR_COLOR if view.status == "clear" else "#333333"
        rows.append(f'<font point-size="9" color="{color}">{label_text(view.note, 40)}</font>')
    return "<" + "<br/>".join(rows) + ">"


def _tooltip(graph: LineageGraph, node_id: str) -> str:
    """Id, kind, description and owner: the node's own words, which the box has no room for."""
    node = graph.nodes[node_id]
    parts = [node_id, node.kind]
    if node.description:
        parts.append(node.description)
    if node.owner:
        parts.append(f"owner: {node.owner}")
    return quoted_text(" · ".join(parts), 200)


def lineage_dot(graph: LineageGraph, diagnosis: Diagnosis | None = None) -> graphviz.Digraph:
    """The lineage graph as DOT; with a diagnosis, coloured by anomaly strength, the root path bold.

    >>> from causal_rca.lineage import load_graph                    # doctest: +SKIP
    >>> print(lineage_dot(load_graph("graphs/fraud.yaml")).source)   # doctest: +SKIP
    """
    ids = dot_ids(graph)
    views = node_views(graph, diagnosis)
    path = root_path(diagnosis)
    path_edges = set(zip(path, path[1:]))
    g = graphviz.Digraph("lineage", engine="dot")
    g.attr(rankdir="LR", nodesep="0.25", ranksep="0.7", fontname=FONT, fontsize="10", labeljust="l",
           bgcolor="white", pad="0.2")
    g.attr("node", fontname=FONT, fontsize="11", style="filled,rounded", shape="box", penwidth="1",
           color="#555555", margin="0.12,0.06")
    g.attr("edge", color="#9e9e9e", arrowsize="0.7")
    by_layer: dict[int, list[str]] = {}
    for node_id, layer in layers(graph).items():
        by_layer.setdefault(layer, []).append(node_id)
    for layer in sorted(by_layer):
        with g.subgraph() as column:
            column.attr(rank="min" if layer == 0 else "same")
            for node_id in by_layer[layer]:
                view = views[node_id]
                node = graph.nodes[node_id]
                attrs = {"label": _label(graph, view), "fillcolor": fill_of(view),
                         "shape": SHAPE.get(node.kind, "box"), "tooltip": _tooltip(graph, node_id)}
                styles = ["filled"]
                if node.kind in ("source", "feature", "infra"):
                    styles.append("rounded")
                if not node.observed and node.kind != "metric":  # a metric is computed, not missing
                    styles.append("dashed")
                if node_id in path:
                    attrs.update(color=CAUSE_COLOR, penwidth="3" if view.status == "cause" else "2")
                    styles.append("bold")
                elif view.status == "cause":
                    attrs.update(color=CAUSE_COLOR, penwidth="2")
                elif view.status == "clear":
                    attrs.update(color=CLEAR_COLOR)
                attrs["style"] = ",".join(styles)
                column.node(ids[node_id], **attrs)
    columns = [by_layer[k][0] for k in sorted(by_layer)]
    for left, right in zip(columns, columns[1:]):  # rank=same groups alone may share a column: order them
        g.edge(ids[left], ids[right], style="invis", weight="0")
    for node_id, node in graph.nodes.items():
        for parent in node.parents:
            if (parent, node_id) in path_edges:
                g.edge(ids[parent], ids[node_id], color=CAUSE_COLOR, penwidth="3", style="bold", arrowsize="0.9")
            elif not graph.nodes[parent].observed and graph.nodes[parent].kind != "metric":
                g.edge(ids[parent], ids[node_id], style="dashed")
            else:
                g.edge(ids[parent], ids[node_id])
    g.attr(label=_legend(graph, diagnosis), labelloc="b", fontcolor=MUTED_COLOR)
    return g


def _legend(graph: LineageGraph, d: Diagnosis | None) -> str:
    name = clip(graph.name, NAME_LIMIT)
    title = f"{name}: lineage" if d is None else f"{name}: {d.summary}"
    lines = [f"<b>{label_text(title, 120)}</b>"]
    if d is not None:
        lines.append(label_text("fill: how strongly a node moved (pale = weak, orange = strong); green: checked, "
                                "clear; red bold: the top cause and its path to the metric; dashed: unobserved", 200))
    else:
        lines.append(label_text("dashed: unobserved (no column)", 200))
    return "<" + "<br/>".join(lines) + ">"
