"""The metric node resolved once: what it measures and which nodes it reads.

Every step that needs the metric (its frames, the causal graph's target, the
label overrides, the model review, the timeline) reads this one record
instead of asking the graph again, so all of them agree on the metric.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from causal_rca.errors import InputError, ParameterError
from causal_rca.metrics.values import class_key
from causal_rca.metrics.spec import MetricSpec

if TYPE_CHECKING:
    from causal_rca.lineage import LineageGraph
    from causal_rca.windows.tables import Window

MetricKind = Literal["mean", "classification", "regression"]
CLASS_LOOKUP = 64  # label values read from the reference window to tell binary from multi-class


@dataclass(frozen=True)
class MetricTarget:
    """A metric node of the graph, resolved.

    Attributes
    ----------
    node : str
        The metric node's id.
    spec : MetricSpec
        How the metric is computed (name, classes, threshold, averaging, …).
    prediction, label : str or None
        The nodes it is computed from (``None`` for a business ``mean``).
    model : str or None
        The model node whose output the metric reads (``None`` for a ``mean``).
    kind : {"mean", "classification", "regression"}

    Examples
    --------
    >>> from causal_rca import load_graph
    >>> from causal_rca.scenarios import get_scenario
    >>> t = resolve_metric(load_graph(get_scenario("schema_change_coerced_nulls").graph_path), "recall")
    >>> t.kind, t.model, t.label, t.input_nodes
    ('classification', 'fraud_model', 'is_fraud', {'prediction': 'fraud_model'})
    """

    node: str
    spec: MetricSpec
    prediction: str | None
    label: str | None
    model: str | None
    kind: MetricKind

    @property
    def input_nodes(self) -> dict[str, str]:
        """Metric-frame column → the node it comes from (the numeric inputs only)."""
        if self.kind == "mean":
            return {"value": self.node}
        return {"prediction": self.prediction, **({"label": self.label} if self.kind == "regression" else {})}


def resolve_metric(graph: LineageGraph, metric_id: str, reference: Window | None = None) -> MetricTarget:
    """The metric node ``metric_id`` of ``graph`` as a ``MetricTarget``.

    A classification metric the graph leaves open (no ``classes``, ``scores``,
    ``class``, ``average``, ``threshold`` or ``positive``) is multi-class when
    the ``reference`` window's labels hold more than two classes
    (spec/lineage.md); without a window it is read as binary.
    """
    if metric_id not in graph.nodes or graph.nodes[metric_id].kind != "metric":
        names = ", ".join(graph.metric_nodes()) or "none"
        raise InputError(f"'{metric_id}' is not a metric node of graph '{graph.name}' (metric nodes: {names})")
    node = graph.nodes[metric_id]
    prediction, label = (None, None) if node.metric == "mean" else graph.metric_inputs(metric_id)
    classes = None
    if node.task in ("multiclass", None) and node.metric != "mean":
        scores, declared = graph.nodes[prediction].scores, graph.nodes[label].classes
        classes = tuple(scores) if scores else declared
    spec = MetricSpec(name=node.metric, threshold=node.threshold, positive=node.positive,
                      multiclass=node.task == "multiclass", average=node.average, target_class=node.target_class,
                      k=node.k, classes=classes)
    if node.task is None and reference is not None and spec.is_classification:
        from causal_rca.windows.stats import value_counts

        seen = value_counts(reference, {"label": graph.nodes[label].column}, {}, limit=CLASS_LOOKUP)["label"]
        if len({class_key(text) for text in seen} - {None}) > 2:
            spec = replace(spec, multiclass=True)
    kind: MetricKind = "mean" if spec.name == "mean" else "regression" if spec.is_regression else "classification"
    return MetricTarget(metric_id, spec, prediction, label, prediction, kind)


def metric_to_explain(graph: "LineageGraph | str | Path", metric: str | None) -> "tuple[LineageGraph, str]":
    """The loaded graph and the metric node to explain: ``metric``, or the graph's only one.

    One reading for every entry point (``diagnose``, ``what_if_fixed``, ``risk``, ``drill``), so a
    graph with several metrics gets the same request to name one, as a parameter in Python
    (``metric=ID``) and as a flag on the command line (``--metric ID``).
    """
    from causal_rca.lineage import LineageGraph, load_graph

    if not isinstance(graph, LineageGraph):
        graph = load_graph(graph)
    if metric is None:
        metrics = graph.metric_nodes()
        if len(metrics) != 1:
            raise ParameterError(f"say which metric with {{metric=ID}}: one of {', '.join(metrics)}")
        metric = metrics[0]
    return graph, metric
