"""Per-node signals over time: null rate, mean and spread of each observed column per time bucket.

Computed as one grouped aggregate where the data lives (the window's engine), so a long log is not
pulled into Python to follow its columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import ruptures as rpt

from causal_rca.timeline.series import Timeline
from causal_rca.windows.frames import resolve_dtypes
from causal_rca.windows.stats import Read

MIN_SHIFT_Z = 6.0  # a node's change point is reported when its shift is this many standard errors


@dataclass(frozen=True)
class NodeSeries:
    """Bucket index → per-node statistics (columns ``<node>:null_rate``, ``:mean``, ``:sd``)."""

    frame: pd.DataFrame  # indexed by bucket, with a "rows" column

    def statistics(self) -> list[str]:
        return [c for c in self.frame.columns if c != "rows"]


def node_series(timeline: Timeline, origin: float, width: float) -> NodeSeries:
    """Null rate (and mean and sd, for numeric nodes) of every observed column per bucket of ``width`` seconds."""
    graph, window = timeline.graph, timeline.window
    dtypes = resolve_dtypes(graph, window)
    t = window.table.filter(Read(graph.time_column, "datetime").on(window.table).notnull())
    when = Read(graph.time_column, "datetime").on(t)
    aggregates = {"rows": t.count()}
    for node_id in graph.observed_nodes():
        node = graph.nodes[node_id]
        if not node.column or node.kind == "metric" or node_id not in dtypes:
            continue
        numeric = dtypes[node_id] in ("numeric", "boolean")
        value = Read(node.column, "numeric" if numeric else "categorical").on(t)
        aggregates[f"{node_id}:null_rate"] = value.isnull().cast("float64").mean()
        if numeric:
            aggregates[f"{node_id}:mean"] = value.mean()
            aggregates[f"{node_id}:sd"] = value.std()
    bucket = ((when - origin) / width).floor().cast("int64")
    expr = t.group_by(bucket=bucket).aggregate(**aggregates).order_by("bucket")
    return NodeSeries(window.backend.to_pandas(expr).set_index("bucket"))


@dataclass(frozen=True)
class NodeChange:
    node: str
    statistic: str  # "null_rate", "mean" or "sd"
    time: pd.Timestamp
    before: float
    after: float
    z: float

    def to_dict(self) -> dict:
        return {"node": self.node, "statistic": self.statistic, "time": self.time.isoformat(),
                "before": self.before, "after": self.after, "z": self.z}


def node_change_points(timeline: Timeline, bins: int = 60) -> list[NodeChange]:
    """For each node statistic, its most likely step (ruptures Dynp) when the shift is clear, earliest first."""
    start, end = float(timeline.seconds[0]), float(timeline.seconds[-1])
    width = (end - start) / bins * (1 + 1e-9)
    series = node_series(timeline, start, width)
    out = []
    for column in series.statistics():
        y = series.frame[column].to_numpy(dtype=float)
        ok = np.isfinite(y)
        if ok.sum() < 10 or np.ptp(y[ok]) == 0:
            continue
        idx = series.frame.index.to_numpy()[ok]
        v = y[ok]
        k = rpt.Dynp(model="l2", min_size=3, jump=1).fit(v).predict(n_bkps=1)[0]
        a, b = v[:k], v[k:]
        noise = np.sqrt((a.var() * len(a) + b.var() * len(b)) / max(len(v) - 2, 1))
        se = noise * np.sqrt(1 / len(a) + 1 / len(b))
        z = abs(b.mean() - a.mean()) / se if se > 0 else np.inf
        if z >= MIN_SHIFT_Z:
            node, statistic = column.rsplit(":", 1)
            when = pd.Timestamp(start + idx[k] * width, unit="s").round("s")
            out.append(NodeChange(node, statistic, when, float(a.mean()), float(b.mean()), float(min(z, 1e6))))
    return sorted(out, key=lambda c: (c.time, -c.z, c.node))
