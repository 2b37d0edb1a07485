"""When did the metric change? One change point on the metric over time, abrupt or gradual.

The log is cut into equal-count time bins and the metric computed per bin. Two
models compete: a step (piecewise constant with one break, found by ruptures' exact
dynamic programming ``Dynp``: a deploy, an outage) and a ramp (flat, a straight
ramp, flat again: a progressive rollout or a slow drift; a segmented regression
whose two knees are searched exhaustively, its onset being the first). BIC picks the model;
the change is then tested as a difference of the metric before and after (the same
interval as ``why``), so "a change point was found" and "the change is real" are
two separate statements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.metrics import compare_windows, metric_from_encoded
from causal_rca.timeline.series import Timeline

MIN_BINS, MAX_BINS, ROWS_PER_BIN = 20, 120, 300
MIN_SEGMENT = 3  # bins per segment: a change point needs a few bins on each side
CHI2_95_1DF = 3.841  # profile-likelihood interval for the location of a step
# The split is the best of many candidate locations, so the before/after test is held to a
# stricter level than a single comparison; a location that could be anywhere is no change.
SIGNIFICANCE = 0.01
MAX_INTERVAL_SHARE = 0.25


@dataclass(frozen=True)
class ChangePoint:
    time: pd.Timestamp  # onset: the split between reference and current
    kind: str  # "abrupt" or "gradual"
    ramp_end: pd.Timestamp | None  # for a gradual change, when it stopped moving
    interval: tuple[pd.Timestamp, pd.Timestamp]  # times the location could be (95%)
    before: float  # the metric before the onset
    after: float  # the metric after the change (after the ramp, for a gradual one)
    p_value: float
    significant: bool
    bins: int

    @property
    def confidence(self) -> float:
        return float(1.0 - self.p_value)

    def to_dict(self) -> dict:
        return {
            "method": "ruptures Dynp (step vs ramp, BIC) on the metric per time bin",
            "time": self.time.isoformat(), "kind": self.kind,
            "ramp_end": self.ramp_end.isoformat() if self.ramp_end is not None else None,
            "interval": [t.isoformat() for t in self.interval],
            "before": self.before, "after": self.after, "p_value": self.p_value,
            "confidence": self.confidence, "significant": self.significant, "bins": self.bins,
        }


def _bin_value(timeline: Timeline, start: int, stop: int) -> float:
    """The metric of one bin, NaN where it is undefined (recall in a bin without positives).

    Such bins are dropped; raising there would refuse the whole log with a message
    about one bin that names no window.
    """
    try:
        return metric_from_encoded(timeline.spec, timeline.encoded[start:stop])
    except InputError:
        return float("nan")


def metric_bins(timeline: Timeline, bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(start time of each bin in epoch seconds, metric per bin) over equal-count bins."""
    n = len(timeline.seconds)
    k = bins or int(np.clip(n // ROWS_PER_BIN, MIN_BINS, MAX_BINS))
    edges = np.linspace(0, n, k + 1).astype(int)
    values = np.array([_bin_value(timeline, a, b) for a, b in zip(edges[:-1], edges[1:])])
    starts = timeline.seconds[edges[:-1]]
    ok = np.isfinite(values)
    return starts[ok], values[ok]


def _bic(sse: float, n: int, params: int) -> float:
    return n * np.log(max(sse, 1e-12) / n) + params * np.log(n)


def _step_interval(y: np.ndarray, k: int) -> tuple[int, int]:
    """Break positions whose step fits almost as well as the best (profile likelihood, 95%)."""
    n = len(y)
    sse = np.full(n, np.inf)
    for j in range(MIN_SEGMENT, n - MIN_SEGMENT + 1):
        sse[j] = ((y[:j] - y[:j].mean()) ** 2).sum() + ((y[j:] - y[j:].mean()) ** 2).sum()
    best = sse[k]
    inside = np.flatnonzero(n * np.log(np.maximum(sse, 1e-300) / max(best, 1e-300)) <= CHI2_95_1DF)
    return int(inside.min()), int(inside.max())


def _ramp_fit(y: np.ndarray) -> tuple[int, int, float]:
    """(onset, end, SSE) of the best flat–ramp–flat fit y ≈ a + b · clip((t − onset) / (end − onset), 0, 1)."""
    n = len(y)
    t = np.arange(n, dtype=float)
    yc = y - y.mean()
    best = (0, n, np.inf)
    for k1 in range(MIN_SEGMENT, n - 2 * MIN_SEGMENT + 1):
        k2 = np.arange(k1 + MIN_SEGMENT, n - MIN_SEGMENT + 1, dtype=float)
        x = np.clip((t[None, :] - k1) / (k2[:, None] - k1), 0.0, 1.0)
        xc = x - x.mean(axis=1, keepdims=True)
        sxx = (xc ** 2).sum(axis=1)
        sse = (yc ** 2).sum() - (xc @ yc) ** 2 / np.where(sxx > 0, sxx, np.inf)
        j = int(np.argmin(sse))
        if sse[j] < best[2]:
            best = (k1, int(k2[j]), float(sse[j]))
    return best


def find_change_point(timeline: Timeline, seed: int = 0, bins: int | None = None) -> ChangePoint:
    """The most likely change of the metric (see the module docstring)."""
    import ruptures as rpt  # here: the diagnosis imports this module for SIGNIFICANCE alone

    starts, y = metric_bins(timeline, bins)
    n = len(y)
    if n < 3 * MIN_SEGMENT + 1:
        raise ValueError("too few time bins for a change point")
    step = rpt.Dynp(model="l2", min_size=MIN_SEGMENT, jump=1).fit(y)
    k_step = step.predict(n_bkps=1)[0]
    sse_step = step.cost.sum_of_costs([k_step, n])
    k1, k2, sse_ramp = _ramp_fit(y)
    # step: 2 levels + 1 break; ramp: level, height + 2 knees
    gradual = _bic(sse_ramp, n, 4) < _bic(sse_step, n, 3) and k2 - k1 > MIN_SEGMENT

    def at(k: int) -> float:
        return float(starts[k]) if k < n else float(timeline.seconds[-1])

    if gradual:
        onset, end = at(k1), at(k2)
        lo = hi = k1
        after_rows = timeline.rows_between(end, np.inf)
    else:
        onset, end = at(k_step), None
        lo, hi = _step_interval(y, k_step)
        after_rows = timeline.rows_between(onset, np.inf)
    before_rows = timeline.rows_between(-np.inf, onset)
    cmp = compare_windows(timeline.spec, timeline.frame.iloc[before_rows], timeline.frame.iloc[after_rows], seed)
    wide = (at(hi) - at(lo)) > MAX_INTERVAL_SHARE * (timeline.seconds[-1] - timeline.seconds[0])
    ts = lambda s: pd.Timestamp(s, unit="s").round("s")  # noqa: E731
    return ChangePoint(
        time=ts(onset), kind="gradual" if gradual else "abrupt", ramp_end=ts(end) if end is not None else None,
        interval=(ts(at(lo)), ts(at(hi))), before=cmp.reference.value, after=cmp.current.value,
        p_value=cmp.p_value, significant=bool(cmp.p_value < SIGNIFICANCE and not wide), bins=n,
    )
