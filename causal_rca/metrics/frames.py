"""The metric's input rows read from a window: one frame per window, as ``metric_frame`` computes on.

Owned by the metric step; the diagnosis, the timeline and the fitted
reference all read the metric through this one function, so they agree on it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from causal_rca.lineage.graph import LineageGraph
from causal_rca.metrics.inputs import metric_frame
from causal_rca.metrics.values import class_key
from causal_rca.metrics.spec import MetricSpec
from causal_rca.windows.frames import TIME
from causal_rca.windows.stats import fetch_all, typed_expression
from causal_rca.windows.tables import Window

EXTRA = "__extra__"  # prefix of the extra columns read with the metric's


def metric_frames(graph: LineageGraph, metric_id: str, spec: MetricSpec, dtypes: dict[str, str],
                  windows: tuple[Window, ...], extra: tuple[str, ...] = (),
                  with_time: bool = False) -> list[pd.DataFrame]:
    """One metric frame per window; ``extra`` columns (segments, for the model review) ride along as stored,
    and with ``with_time`` the graph's time column as epoch seconds (column ``TIME``), read in the same query.

    A multi-class model's metric reads the predicted class, or its class
    probabilities (``scores``): all of them, or one class's for that class's roc_auc.
    """
    extras = {EXTRA + c: typed_expression(c, None) for c in extra}
    if with_time:
        extras[TIME] = typed_expression(graph.time_column, "datetime")

    def with_extras(frame: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
        frame = frame.assign(**{c: raw[EXTRA + c].to_numpy() for c in extra}) if extra else frame
        return frame.assign(**{TIME: raw[TIME].to_numpy(dtype=float)}) if with_time else frame

    frames = []
    if spec.name == "mean":
        node = graph.nodes[metric_id]
        for w in windows:
            raw = fetch_all(w, {"value": typed_expression(node.column, "numeric"), **extras})
            frames.append(with_extras(metric_frame(spec, None, None, value=raw["value"]), raw))
        return frames
    prediction, label = graph.metric_inputs(metric_id)
    model = graph.nodes[prediction]
    pred_col, label_col = model.column, graph.nodes[label].column
    pred_expr = typed_expression(pred_col, "numeric" if dtypes[prediction] in ("numeric", "boolean") else None)
    scores: dict[str, Any] = {}
    if spec.multiclass and model.scores:
        by_class = {class_key(c): col for c, col in model.scores.items()}
        if spec.name == "roc_auc" and spec.target_class is not None:  # one class against the rest
            pred_expr = typed_expression(by_class[class_key(spec.target_class)], "numeric")
        elif spec.needs_class_scores:
            scores = {f"__score{i}": typed_expression(col, "numeric") for i, col in enumerate(model.scores.values())}
    label_expr = typed_expression(label_col, "numeric" if spec.is_regression else None)
    for w in windows:
        raw = fetch_all(w, {"prediction": pred_expr, "label": label_expr, **scores, **extras})
        class_scores = raw[list(scores)] if scores else None
        frames.append(with_extras(metric_frame(spec, raw["prediction"], raw["label"], scores=class_scores), raw))
    return frames
