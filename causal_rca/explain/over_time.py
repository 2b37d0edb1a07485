"""The metric over time across both windows, for the report's time chart.

A drop that starts on one day, a slow slide, a single bad hour: the shape of
the change tells the on-call engineer where to look before any cause is read.
Each window is cut into equal stretches of time with enough rows each, and the
metric is computed per stretch from the same per-row encoding the comparison uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.metrics import MetricSpec, encode_rows, metric_from_encoded

MAX_BUCKETS = 12  # per window
MIN_BUCKET_ROWS = 100  # fewer rows than this make a bucket's value mostly noise


def metric_over_time(spec: MetricSpec, frames: dict[str, pd.DataFrame], seconds: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Per window (in the order given) and time bucket: start, end, rows, value (None when undefined).

    ``seconds``: each row's time as epoch seconds, aligned with ``frames`` (NaN: no readable time).
    Empty when a window has too few timed rows for two buckets.
    """
    out: list[dict[str, Any]] = []
    for window, frame in frames.items():
        t = np.asarray(seconds[window], dtype=float)
        timed = np.isfinite(t)
        buckets = min(MAX_BUCKETS, int(timed.sum()) // MIN_BUCKET_ROWS)
        if buckets < 2 or np.nanmax(t) <= np.nanmin(t):
            return []
        encoded = encode_rows(spec, frame)
        edges = np.linspace(np.nanmin(t), np.nanmax(t), buckets + 1)
        where = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, buckets - 1)
        for b in range(buckets):
            rows = np.flatnonzero(timed & (where == b))
            value = _value(spec, encoded[rows])
            out.append({"window": window, "start": _iso(edges[b]), "end": _iso(edges[b + 1]), "rows": int(len(rows)),
                        "value": float(value) if np.isfinite(value) else None})
    return out


def _value(spec: MetricSpec, encoded: np.ndarray) -> float:
    """A stretch where the metric is undefined (no positives, one class) is a gap in the line, not an error."""
    try:
        return metric_from_encoded(spec, encoded) if len(encoded) else float("nan")
    except InputError:
        return float("nan")


def _iso(seconds: float) -> str:
    return pd.Timestamp(seconds, unit="s").isoformat()
