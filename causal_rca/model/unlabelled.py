"""Label-free early warning: a current window whose labels have not arrived yet.

Fraud is confirmed weeks later, churn a month later: the first days of an
incident have scores but no labels. The metric of such a window is estimated
(``estimate.py``) and the diagnosis runs on everything else, saying plainly
that it is an estimate.
"""

from __future__ import annotations

import math

import pandas as pd

from causal_rca.lineage import LineageGraph
from causal_rca.metrics import MetricComparison, MetricEstimate, MetricSpec, estimate_metric
from causal_rca.metrics.intervals import Z95
from causal_rca.model import estimate
from causal_rca.windows.stats import null_counts
from causal_rca.windows.tables import Window

WARNING = ("the current window has no labels yet: its {metric} is estimated from the model's scores calibrated on "
           "the reference (confidence-based performance estimation), so this diagnosis is an estimate; it cannot "
           "see concept drift or a label change, and causes are ranked by the strength of their change only")


def unlabelled_label(graph: LineageGraph, metric_id: str, spec: MetricSpec, current: Window) -> str | None:
    """The label node when the metric is estimable and its column is entirely null in ``current``, else None."""
    if spec.name not in estimate.ESTIMABLE:
        return None
    _prediction, label = graph.metric_inputs(metric_id)
    if label is None:
        return None
    raw_nulls, _uncastable = null_counts(current, {label: (graph.nodes[label].column, None)})[label]
    return label if raw_nulls == current.rows else None


def estimated_comparison(spec: MetricSpec, reference_frame: pd.DataFrame, current_frame: pd.DataFrame,
                         seed: int) -> MetricComparison:
    """Reference (measured) against current (estimated from reference-calibrated scores)."""
    ref = estimate_metric(spec, reference_frame, seed, window="reference")
    est = estimate.estimate_window(spec, reference_frame, current_frame, seed)
    cur = MetricEstimate(est["value"], (est["ci"][0], est["ci"][1]), int(len(current_frame)), int(len(current_frame)))
    change = cur.value - ref.value
    se = math.hypot((ref.ci[1] - ref.ci[0]) / (2 * Z95), (cur.ci[1] - cur.ci[0]) / (2 * Z95))
    change_ci = (change - Z95 * se, change + Z95 * se) if se > 0 else (change, change)
    p_value = math.erfc(abs(change / se) / math.sqrt(2.0)) if se > 0 else float(change == 0)
    return MetricComparison(reference=ref, current=cur, change=float(change),
                            change_ci=(float(change_ci[0]), float(change_ci[1])), p_value=float(p_value),
                            significant=bool(change_ci[0] > 0 or change_ci[1] < 0))
