"""The validated lineage graph the rest of the engine reads.

The loader (``loader.py``, which builds them in ``build.py``) is the only
place that turns YAML into these objects, so everything downstream may
assume every rule of ``spec/lineage.md`` already holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx

from causal_rca.metrics.spec import CLASSIFICATION, METRIC_NAMES, REGRESSION

KINDS = ("source", "feature", "model", "label", "metric", "infra")
DTYPES = ("numeric", "categorical", "boolean", "datetime", "text")
CATEGORIES = ("Data", "Features", "Model", "Labels", "Pipeline", "Infrastructure")
DEFAULT_CATEGORY = {
    "source": "Data",
    "feature": "Features",
    "model": "Model",
    "label": "Labels",
    "infra": "Infrastructure",
    "metric": None,
}
# One list of metric names for the whole engine (metrics/spec.py), in the order users read them.
CLASSIFICATION_METRICS = tuple(n for n in METRIC_NAMES if n in CLASSIFICATION)
REGRESSION_METRICS = tuple(n for n in METRIC_NAMES if n in REGRESSION)
METRICS = METRIC_NAMES
TASKS = ("binary", "multiclass", "regression", "mean")


@dataclass(frozen=True)
class Contract:
    """Expectations a node's values must meet in every window."""

    dtype: str | None = None
    min: float | None = None
    max: float | None = None
    max_null_rate: float | None = None
    allowed: tuple[Any, ...] | None = None
    max_staleness_seconds: float | None = None


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    parents: tuple[str, ...] = ()
    column: str | None = None
    dtype: str | None = None
    category: str | None = None
    owner: str | None = None
    description: str | None = None
    contract: Contract | None = None
    freshness: str | None = None
    version_column: str | None = None
    artifact: str | None = None
    metric: str | None = None
    prediction: str | None = None
    label: str | None = None
    threshold: float = 0.5
    positive: Any = 1
    # multi-class and regression models (spec/lineage.md, "Multi-class and regression models")
    classes: tuple[Any, ...] | None = None  # label: its classes, in order
    scores: dict[Any, str] | None = None  # model: class -> column holding its probability
    target_class: Any = None  # metric (`class:`): one class against the rest
    average: str | None = None  # metric: macro, weighted or micro
    k: int | None = None  # metric: top_k_accuracy's number of guesses
    # metric: binary, multiclass, regression or mean as the graph declares it; None for a
    # classification metric the graph leaves open (decided by the reference window's labels)
    task: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def observed(self) -> bool:
        return self.column is not None


@dataclass(frozen=True)
class LineageGraph:
    name: str
    nodes: dict[str, Node]
    description: str | None = None
    time_column: str | None = None
    key_column: str | None = None
    segments: tuple[str, ...] = ()
    path: str = "<memory>"
    extras: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def dag(self) -> nx.DiGraph:
        """Edges point from parent to child, in declaration order."""
        g = nx.DiGraph()
        for node_id, node in self.nodes.items():
            g.add_node(node_id)
        for node_id, node in self.nodes.items():
            for parent in node.parents:
                g.add_edge(parent, node_id)
        return g

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def parents(self, node_id: str) -> tuple[str, ...]:
        return self.nodes[node_id].parents

    def children(self, node_id: str) -> list[str]:
        return sorted(self.dag.successors(node_id))

    def observed_parents(self, node_id: str) -> tuple[str, ...]:
        return tuple(p for p in self.nodes[node_id].parents if self.nodes[p].observed)

    def ancestors(self, node_id: str) -> set[str]:
        return nx.ancestors(self.dag, node_id)

    def descendants(self, node_id: str) -> set[str]:
        return nx.descendants(self.dag, node_id)

    def topological_order(self) -> list[str]:
        """Deterministic: ties broken by node id."""
        return list(nx.lexicographical_topological_sort(self.dag))

    def metric_nodes(self) -> list[str]:
        return [n for n, node in self.nodes.items() if node.kind == "metric"]

    def observed_nodes(self) -> list[str]:
        return [n for n in self.topological_order() if self.nodes[n].observed]

    def columns(self) -> list[str]:
        """Every data column the graph names (node columns, freshness, version, class probabilities, time)."""
        cols: list[str] = []
        for node in self.nodes.values():
            for col in (node.column, node.freshness, node.version_column, *(node.scores or {}).values()):
                if col and col not in cols:
                    cols.append(col)
        for col in (self.time_column, self.key_column, *self.segments):
            if col and col not in cols:
                cols.append(col)
        return cols

    def metric_inputs(self, metric_id: str) -> tuple[str | None, str | None]:
        """(prediction node, label node) a metric is computed from.

        Explicit ``prediction``/``label`` win; otherwise the nearest model and
        label ancestors (direct parents first).
        """
        node = self.nodes[metric_id]
        prediction = node.prediction or self._nearest_ancestor_of_kind(metric_id, "model")
        label = node.label or self._nearest_ancestor_of_kind(metric_id, "label")
        return prediction, label

    def _nearest_ancestor_of_kind(self, node_id: str, kind: str) -> str | None:
        frontier = list(self.nodes[node_id].parents)
        seen: set[str] = set()
        while frontier:
            hits = sorted(p for p in frontier if self.nodes[p].kind == kind)
            if hits:
                return hits[0]
            seen.update(frontier)
            frontier = [gp for p in frontier for gp in self.nodes[p].parents if gp not in seen]
        return None

    def path_to(self, source: str, target: str) -> list[str]:
        """Shortest directed path source → target (empty when none)."""
        try:
            return nx.shortest_path(self.dag, source, target)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return []


def node_label(graph: LineageGraph, node_id: str) -> str:
    """A node as messages name it: its id and the column it reads."""
    return f"node '{node_id}' (column '{graph.nodes[node_id].column}')"
