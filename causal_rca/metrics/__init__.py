"""Metrics of a window, their intervals, the change between windows, and the per-row encoding."""

from causal_rca.metrics.bootstrap import BOOTSTRAP_RESAMPLES
from causal_rca.metrics.checks import compute_metric
from causal_rca.metrics.encoding import encode_rows, metric_from_encoded, metric_from_weighted
from causal_rca.metrics.inputs import metric_frame
from causal_rca.metrics.intervals import MetricComparison, MetricEstimate, compare_windows, estimate_metric
from causal_rca.metrics.spec import METRIC_NAMES, MetricSpec, row_outcome_description
from causal_rca.metrics.values import is_positive

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "METRIC_NAMES",
    "MetricComparison",
    "MetricEstimate",
    "MetricSpec",
    "compare_windows",
    "compute_metric",
    "encode_rows",
    "estimate_metric",
    "is_positive",
    "metric_frame",
    "metric_from_encoded",
    "metric_from_weighted",
    "row_outcome_description",
]
