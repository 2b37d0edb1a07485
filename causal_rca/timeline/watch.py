"""Watch a metric over time: per bucket its value and interval, control limits, and alerts.

An alert needs two things, so that daily noise does not page anyone: the metric leaves
its control limits in the worse direction, and a second, independent signal agrees in
the same bucket — the model's score distribution moved, the share of scores near the
threshold moved, another metric of the graph left its limits, a node's null rate, mean
or spread left its (wider) limits, or the metric was already outside in the previous
bucket (a change only the labels show, such as a concept drift, persists). Each alert
episode is then diagnosed: the baseline buckets against the episode's rows.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy import stats

from causal_rca.errors import InputError, ParameterError
from causal_rca.fitted import CausalRCA
from causal_rca.lineage.graph import LineageGraph
from causal_rca.metrics import estimate_metric
from causal_rca.timeline.changepoint import ChangePoint, find_change_point
from causal_rca.timeline.control import Limits, control_limits
from causal_rca.timeline.nodes import node_series
from causal_rca.timeline.series import Timeline, load_timeline
from causal_rca.windows.stats import Read
from causal_rca.windows.tables import TableLike

MIN_BUCKET_ROWS = 30
MIN_BASELINE = 5
METRIC_WIDTH = 3.0  # sigma of the metric's limits
NODE_WIDTH = 4.0  # node statistics are many: wider limits keep them from agreeing by chance
SCORE_P = 1e-3  # score / confidence distribution tests
SCORE_MIN_D = 0.05
NEAR_THRESHOLD = 0.1
MAX_EPISODE_BUCKETS = 3  # rows diagnosed per alert: the first buckets of the episode
WATCH_STEPS = 6  # progress steps: reading, checking, up to three diagnoses, change point


@dataclass
class Bucket:
    index: int
    start: pd.Timestamp
    rows: int
    value: float
    ci: tuple[float, float]
    baseline: bool
    outside: int = 0  # -1 / 0 / +1 against the metric's limits
    signals: list[str] = field(default_factory=list)  # the second signals that agree
    alert: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"type": "bucket", "bucket": self.index, "start": self.start.isoformat(), "rows": self.rows,
                "value": _num(self.value), "ci": [_num(self.ci[0]), _num(self.ci[1])], "baseline": self.baseline,
                "outside": self.outside, "signals": self.signals, "alert": self.alert}


@dataclass
class Alert:
    first: int  # bucket index where the episode starts
    last: int
    start: pd.Timestamp
    signals: list[str]
    diagnosis: Any = None  # causal_rca.diagnosis.model.Diagnosis, when diagnosed

    def to_dict(self) -> dict[str, Any]:
        top = self.diagnosis.causes[0] if self.diagnosis is not None and self.diagnosis.causes else None
        return {"type": "alert", "first_bucket": self.first, "last_bucket": self.last, "start": self.start.isoformat(),
                "signals": self.signals, "top_cause": top.node if top else None,
                "failure_mode": top.failure_mode if top else None,
                "diagnosis": self.diagnosis.to_dict() if self.diagnosis is not None else None}


@dataclass
class WatchReport:
    graph: str
    metric: str
    every: str
    limits: Limits
    baseline_buckets: int
    buckets: list[Bucket]
    alerts: list[Alert]
    change_point: ChangePoint | None
    higher_is_better: bool

    def header(self) -> dict[str, Any]:
        return {"type": "watch", "graph": self.graph, "metric": self.metric, "every": self.every,
                "baseline_buckets": self.baseline_buckets, "centre": _num(self.limits.centre),
                "lower": _num(self.limits.lower), "upper": _num(self.limits.upper),
                "change_point": self.change_point.to_dict() if self.change_point else None,
                "alerts": len(self.alerts)}

    def to_jsonl(self) -> str:
        lines = [self.header(), *(b.to_dict() for b in self.buckets), *(a.to_dict() for a in self.alerts)]
        return "\n".join(json.dumps(_clean(x), ensure_ascii=False, allow_nan=False) for x in lines) + "\n"


def parse_every(every: str) -> pd.Timedelta:
    text = re.sub(r"(?<=\d)\s*([dw])$", lambda m: m.group(1).upper(), every.strip())  # 1d, 1w as people write them
    try:
        step = pd.Timedelta(text)
    except (ValueError, TypeError):
        raise InputError(f"--every '{every}' is not a duration (e.g. 1d, 6h, 7d, 30min)") from None
    if pd.isna(step):  # "nan", "NaT": pandas reads them as a missing duration
        raise InputError(f"--every '{every}' is not a duration (e.g. 1d, 6h, 7d, 30min)")
    if step <= pd.Timedelta(0):
        raise InputError(f"--every '{every}' must be a positive duration")
    return step


def watch(graph: LineageGraph, data: TableLike, metric: str, every: str = "1d", *, baseline: int | None = None,
          seed: int = 0, diagnose_alerts: bool = True, max_diagnoses: int = 3,
          progress: Callable[[str], None] | None = None) -> WatchReport:
    say = progress or (lambda _m: None)
    step = parse_every(every)
    say("reading the log")
    timeline = load_timeline(graph, data, metric)
    width = step.total_seconds()
    origin = float(pd.Timestamp(timeline.start).floor("D").timestamp()) if width >= 3600 else float(timeline.seconds[0])
    ids = np.floor((timeline.seconds - origin) / width).astype(int)
    buckets = _metric_buckets(timeline, ids, origin, width, seed)
    n_base = baseline if baseline is not None else min(28, max(7, len(buckets) // 3))
    if n_base < MIN_BASELINE or len(buckets) < n_base + 1:
        message = (f"watching needs at least {MIN_BASELINE} baseline buckets and one more after them; "
                   f"the log has {len(buckets)} buckets of {every} with ≥ {MIN_BUCKET_ROWS} rows")
        if baseline is not None:  # the given number is what to change: name it (it read as the log's fault)
            raise ParameterError(f"{{baseline={baseline}}}: {message}")
        raise InputError(message)
    for b in buckets[:n_base]:
        b.baseline = True
    limits = control_limits(np.array([b.value for b in buckets[:n_base]]), METRIC_WIDTH)
    better = timeline.spec.higher_is_better
    say("checking buckets")
    second = _second_signals(timeline, graph, buckets, ids, n_base, origin, width, seed)
    previous_out = False
    for b in buckets[n_base:]:
        se = (b.ci[1] - b.ci[0]) / 3.92 if all(map(math.isfinite, b.ci)) else 0.0
        b.outside = limits.outside(b.value, floor_sigma=se)
        worse = b.outside == (-1 if better else 1)
        b.signals = second.get(b.index, []) + (["metric outside its limits in the previous bucket"] if previous_out else [])
        b.alert = worse and bool(b.signals)
        previous_out = worse
    alerts = _episodes(buckets)
    if diagnose_alerts and alerts:
        # Every episode is diagnosed against the same baseline buckets: fitted once, asked per episode.
        rows = _rows_between(timeline)
        rca = CausalRCA(graph, metric, seed=seed).fit(rows(origin + buckets[0].index * width,
                                                           origin + (buckets[n_base - 1].index + 1) * width))
        for alert in alerts[:max_diagnoses]:
            say(f"diagnosing the alert of {alert.start.date()}")
            last = min(alert.last, alert.first + MAX_EPISODE_BUCKETS - 1)
            alert.diagnosis = rca.diagnose(rows(origin + alert.first * width, origin + (last + 1) * width))
    try:
        change_point = find_change_point(timeline, seed)
    except ValueError:
        change_point = None
    return WatchReport(graph.name, metric, every, limits, n_base, buckets, alerts, change_point, better)


def _metric_buckets(timeline: Timeline, ids: np.ndarray, origin: float, width: float, seed: int) -> list[Bucket]:
    out = []
    for k in np.unique(ids):
        rows = np.flatnonzero(ids == k)
        if len(rows) < MIN_BUCKET_ROWS:
            continue
        try:
            est = estimate_metric(timeline.spec, timeline.frame.iloc[rows], seed + int(k))
            value, ci = est.value, est.ci
        except InputError:  # e.g. no positives in the bucket: the metric is undefined there
            value, ci = float("nan"), (float("nan"), float("nan"))
        out.append(Bucket(int(k), pd.Timestamp(origin + k * width, unit="s"), len(rows), float(value),
                          (float(ci[0]), float(ci[1])), False))
    return out


def _second_signals(timeline: Timeline, graph: LineageGraph, buckets: list[Bucket], ids: np.ndarray, n_base: int,
                    origin: float, width: float, seed: int) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    base_ids = {b.index for b in buckets[:n_base]}
    base_rows = np.isin(ids, list(base_ids))
    if timeline.scores is not None:
        s = timeline.scores
        ref = s[base_rows & np.isfinite(s)]
        threshold = graph.nodes[timeline.metric].threshold
        near_ref = float(np.mean(np.abs(ref - threshold) < NEAR_THRESHOLD)) if len(ref) else 0.0
        for b in buckets[n_base:]:
            cur = s[(ids == b.index) & np.isfinite(s)]
            if len(cur) < MIN_BUCKET_ROWS or len(ref) < MIN_BUCKET_ROWS:
                continue
            d, p = stats.ks_2samp(ref, cur)
            if p < SCORE_P and d >= SCORE_MIN_D:
                found.setdefault(b.index, []).append(f"model score distribution moved (KS D={d:.2f})")
            near = float(np.mean(np.abs(cur - threshold) < NEAR_THRESHOLD))
            k_ref, k_cur = near_ref * len(ref), near * len(cur)
            pooled = (k_ref + k_cur) / (len(ref) + len(cur))
            se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / len(ref) + 1 / len(cur)))
            if abs(near - near_ref) / se > stats.norm.isf(SCORE_P / 2):
                found.setdefault(b.index, []).append(
                    f"scores near the threshold {near_ref:.0%} → {near:.0%} of rows")
    for other in graph.metric_nodes():
        if other == timeline.metric:
            continue
        try:
            other_tl = load_timeline(graph, None, other, window=timeline.window)
        except InputError:
            continue
        other_ids = np.floor((other_tl.seconds - origin) / width).astype(int)
        other_buckets = {b.index: b for b in _metric_buckets(other_tl, other_ids, origin, width, seed)}
        base = [other_buckets[i].value for i in base_ids if i in other_buckets]
        lim = control_limits(np.array(base), METRIC_WIDTH)
        for b in buckets[n_base:]:
            ob = other_buckets.get(b.index)
            if ob is not None and lim.outside(ob.value):
                found.setdefault(b.index, []).append(f"metric {other} left its limits ({ob.value:.3g})")
    series = node_series(timeline, origin, width).frame
    for column in [c for c in series.columns if c != "rows"]:
        col = series[column]
        base = col[col.index.isin(base_ids)].to_numpy(dtype=float)
        floor = 0.0
        if column.endswith(":null_rate"):
            p = float(np.nanmean(base)) if len(base) else 0.0
            floor = math.sqrt(max(p * (1 - p), 1e-4) / max(float(series["rows"].median()), 1.0))
        lim = control_limits(base, NODE_WIDTH, floor_sigma=floor)
        for b in buckets[n_base:]:
            if b.index in col.index and lim.outside(float(col[b.index])):
                node, statistic = column.rsplit(":", 1)
                found.setdefault(b.index, []).append(
                    f"{node}: {statistic.replace('_', ' ')} {lim.centre:.3g} → {float(col[b.index]):.3g}")
    return found


def _episodes(buckets: list[Bucket]) -> list[Alert]:
    alerts: list[Alert] = []
    for b in buckets:
        if not b.alert:
            continue
        if alerts and alerts[-1].last == b.index - 1:
            alerts[-1].last = b.index
            alerts[-1].signals = sorted(set(alerts[-1].signals) | set(b.signals))
        else:
            alerts.append(Alert(b.index, b.index, b.start, list(b.signals)))
    return alerts


def _rows_between(timeline: Timeline) -> Callable[[float, float], pd.DataFrame]:
    """The log's rows with lo <= time < hi (epoch seconds), as a table to diagnose."""
    w = timeline.window
    t = w.table
    when = Read(timeline.graph.time_column, "datetime").on(t)

    def rows(lo: float, hi: float) -> pd.DataFrame:
        chosen = t.filter((when >= lo) & (when < hi)).select(*w.column_types)
        return w.backend.to_pandas(chosen)

    return rows


def _num(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _clean(value: Any) -> Any:
    from causal_rca.diagnosis.records import json_safe as clean_json

    return clean_json(value)
