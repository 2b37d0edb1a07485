"""Metrics of a window, their intervals, the change between windows, and the per-row encoding."""

from causal_rca.metrics.compute import (
    BOOTSTRAP_RESAMPLES,
    MetricComparison,
    MetricEstimate,
    compare_windows,
    compute_metric,
    encode_rows,
    estimate_metric,
    is_positive,
    metric_frame,
    metric_from_encoded,
    metric_from_weighted,
)
from causal_rca.metrics.spec import METRIC_NAMES, MetricSpec, row_outcome_description

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
