"""One time-stamped log read once: row times, per-row metric encoding, model scores.

Everything over time (change points, buckets, alerts) works from these arrays, so
the table is scanned once whatever is asked of it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.lineage.graph import LineageGraph
from causal_rca.metrics import MetricSpec, encode_rows
from causal_rca.metrics.frames import metric_frames  # one reading of the metric for all commands
from causal_rca.metrics.target import resolve_metric
from causal_rca.windows.frames import resolve_dtypes
from causal_rca.windows.stats import fetch_all, typed_expression
from causal_rca.windows.tables import TableLike, Window, open_table

MIN_ROWS = 200


@dataclass(frozen=True)
class Timeline:
    """Rows sorted by time. ``frame`` is the metric's input frame (``metric_frame`` rows)."""

    graph: LineageGraph
    metric: str
    spec: MetricSpec
    seconds: np.ndarray  # row times, epoch seconds, ascending
    frame: pd.DataFrame
    encoded: np.ndarray  # encode_rows(spec, frame): NaN for rows the metric does not use
    scores: np.ndarray | None  # the model's numeric output per row, when it is a score
    window: Window  # the whole table, for per-node aggregates and for slicing windows

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.seconds[0], unit="s")

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.seconds[-1], unit="s")

    def rows_between(self, lo: float, hi: float) -> np.ndarray:
        """Positions of rows with lo <= time < hi (epoch seconds)."""
        return np.arange(np.searchsorted(self.seconds, lo, "left"), np.searchsorted(self.seconds, hi, "left"))


def load_timeline(graph: LineageGraph, data: TableLike | None, metric: str, window: Window | None = None) -> Timeline:
    """Read the time column and the metric's inputs of every row (bad input: one clear error).

    ``window``: a table already open (another metric of the same log), instead of ``data``."""
    if not graph.time_column:
        raise InputError(f"{graph.path}: watching over time needs the graph's top-level key 'time_column'")
    resolve_metric(graph, metric)  # a wrong metric name fails before the table is read
    window = window if window is not None else open_table(graph, data)
    dtypes = resolve_dtypes(graph, window)
    spec = resolve_metric(graph, metric, window).spec
    (frame,) = metric_frames(graph, metric, spec, dtypes, (window,))
    times = fetch_all(window, {"t": typed_expression(graph.time_column, "datetime")})["t"].to_numpy(dtype=float)
    keep = np.isfinite(times)
    if keep.sum() < MIN_ROWS:
        raise InputError(f"the table has {int(keep.sum())} rows with a readable '{graph.time_column}'; "
                         f"at least {MIN_ROWS} are needed to follow a metric over time")
    order = np.argsort(times[keep], kind="stable")
    frame = frame[keep].iloc[order].reset_index(drop=True)
    seconds = times[keep][order]
    if seconds[-1] <= seconds[0]:
        raise InputError(f"every row has the same '{graph.time_column}': there is no time to follow")
    scores = None
    if spec.name != "mean" and "prediction" in frame and pd.api.types.is_numeric_dtype(frame["prediction"]):
        scores = frame["prediction"].to_numpy(dtype=float)
    return Timeline(graph, metric, spec, seconds, frame, encode_rows(spec, frame), scores, window)
