""""How much would fixing X recover?" for any node the user names, with the real model.

``diagnose`` replays its own top causes; this asks the same question of any
node (or set of nodes), for a post-mortem that wants to compare fixes.
"""

from __future__ import annotations

from pathlib import Path

from threadpoolctl import threadpool_limits

from causal_rca.errors import InputError
from causal_rca.lineage import LineageGraph, load_graph
from causal_rca.metrics import MetricSpec, estimate_metric, metric_frame
from causal_rca.model.artifact import load_artifact
from causal_rca.model.inputs import check_feature_names, model_inputs, model_node_of, scores_of
from causal_rca.model.replay import ReplayContext, ReplayResult, replay
from causal_rca.windows.frames import node_sample, resolve_dtypes
from causal_rca.windows.tables import TableLike, open_windows

SAMPLE_ROWS = 20_000


def what_if_fixed(graph: LineageGraph | str | Path, reference: TableLike, current: TableLike, metric: str,
                  nodes: tuple[str, ...], *, seed: int = 0, trust_model: bool = False,
                  sample_rows: int = SAMPLE_ROWS) -> ReplayResult:
    """The metric of the current window had ``nodes`` kept their reference behaviour (replayed with the artifact)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        g = graph if isinstance(graph, LineageGraph) else load_graph(graph)
        if metric not in g.nodes or g.nodes[metric].kind != "metric":
            raise InputError(f"'{metric}' is not a metric node of graph '{g.name}'")
        model_node = model_node_of(g, metric)
        if model_node is None:
            raise InputError(f"metric '{metric}' reads no model: there is nothing to replay")
        node = g.nodes[metric]
        spec = MetricSpec(name=node.metric, threshold=node.threshold, positive=node.positive)
        ref_w, cur_w = open_windows(g, reference, current)
        dtypes = resolve_dtypes(g, ref_w)
        unknown = [n for n in nodes if n not in dtypes]
        if unknown:
            raise InputError(f"cannot replay {', '.join(unknown)}: only observed nodes of '{g.name}' can be put back")
        ref_s = node_sample(ref_w, g, dtypes, sample_rows, seed)
        cur_s = node_sample(cur_w, g, dtypes, sample_rows, seed + 1)
        inputs = model_inputs(g, model_node)
        art = load_artifact(g, model_node, trust=trust_model)
        check_feature_names(g, inputs, art.estimator, art.source)
        _prediction, label = g.metric_inputs(metric)
        ref_metric = estimate_metric(spec, metric_frame(spec, ref_s[model_node], ref_s[label]), seed)
        ctx = ReplayContext(g, spec, dtypes, ref_s, cur_s, model_node, label, inputs,
                            lambda frame: scores_of(art.score, g, inputs, frame), ref_metric.value, ref_metric.ci,
                            seed)
        return replay(ctx, tuple(nodes))
