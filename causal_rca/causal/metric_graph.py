"""The causal graph of a metric: what the attribution is computed on, built without DoWhy.

Every diagnosis needs this graph (its nodes decide which candidates are
relevant); only a significant change with candidates needs the attribution
itself (``attribution.py``), and with it DoWhy, whose import costs more than a
small diagnosis. Keeping the graph here lets the pipeline import DoWhy on that path only.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from causal_rca.causal.encoding import effective_parents
from causal_rca.lineage.graph import LineageGraph
from causal_rca.metrics import MetricSpec

ROWS_NODE = "__metric_rows__"


def attribution_graph(parents_of: dict[str, tuple[str, ...]], target: str, target_parents: tuple[str, ...]) -> nx.DiGraph:
    """Observed ancestors of the target (through effective parents) plus the target itself."""
    g = nx.DiGraph()
    for child, parents in parents_of.items():
        g.add_node(child)
        for p in parents:
            g.add_edge(p, child)
    for p in target_parents:
        g.add_edge(p, target)
    keep = nx.ancestors(g, target) | {target}
    return g.subgraph(keep).copy()


@dataclass(frozen=True)
class MetricGraph:
    """The causal graph of a metric and its target: the metric node (a business ``mean``), or the
    row-level metric ``ROWS_NODE`` read from the model's output and the label (``rows_target``)."""

    graph: nx.DiGraph
    target: str
    target_parents: tuple[str, ...]
    rows_target: bool

    @property
    def relevant(self) -> set[str]:
        """The nodes a candidate cause must be among."""
        return set(self.graph.nodes) - {ROWS_NODE}


def metric_causal_graph(graph: LineageGraph, metric: str, spec: MetricSpec, dtypes: dict[str, str],
                        labelled: bool) -> MetricGraph:
    """The observed ancestors of the metric through effective parents; without labels (an estimate),
    the row-level metric reads the model's output only."""
    parents_of = {n: effective_parents(graph, n) for n in dtypes}
    if spec.name == "mean":
        target, target_parents, rows_target = metric, (), False
        if graph.nodes[metric].observed:
            parents_of[metric] = effective_parents(graph, metric)
    else:
        target, target_parents, rows_target = ROWS_NODE, tuple(graph.metric_inputs(metric)), True
        if not labelled:
            target_parents = target_parents[:1]
    return MetricGraph(attribution_graph(parents_of, target, target_parents), target, target_parents, rows_target)
