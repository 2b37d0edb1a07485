"""Metrics of a window, their intervals, the change between windows, and the per-row encoding.

The names below are imported when first used (``lazy_loader``): the lineage
needs only ``metrics.spec`` to validate a graph, and importing the package must
not bring in the intervals' statistics (``scipy.stats``, pandas) with it.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "bootstrap": ["BOOTSTRAP_RESAMPLES"],
    "checks": ["compute_metric"],
    "encoding": ["encode_rows", "metric_from_encoded", "metric_from_weighted"],
    "inputs": ["metric_frame"],
    "intervals": ["MetricComparison", "MetricEstimate", "compare_windows", "estimate_metric"],
    "spec": ["METRIC_NAMES", "MetricSpec", "row_outcome_description"],
    "values": ["is_positive"],
})
