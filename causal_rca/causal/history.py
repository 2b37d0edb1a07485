"""Features computed over an entity's history: is the child still its parent's history, computed the same way?

A rolling mean over an entity's last N events, a lag, a sum or count over the last 24 hours:
such a child is not a function of its parent's value on the same row, so a surrogate fitted
on the same-row parent is noisy, a changed window (last 5 → last 2, or the current event now
included) hides in that noise, and a parent that broke moves the child in ways the same-row
test blames on the child. With the graph's ``key_column`` and ``time_column`` the history is at
hand: the reference says which computation over the entity's rows reproduces the child, and
the current window either still reproduces it or does not.

Only rows whose computation reads rows of the same window can be checked (an entity's first
events in a window have history before it): a last-10 mean from the 10th event on, a 24-hour
sum from 24 hours after the window opens. Among those rows the share reproduced is compared
between windows with a two-proportion test whose variance counts entities
(``clustered_rows.clustered_two_proportion``). A computation is learnt only when it
reproduces the child beyond chance (the same computation against the child's values
shuffled over the rows) and better than the parent's same-row value does; windows larger than
their sample have broken histories and are not tested (``history_checks``' caller decides).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from causal_rca.causal.clustered_rows import clustered_share_above
from causal_rca.causal.encoding import effective_parents
from causal_rca.causal.fitting import MIN_ROWS
from causal_rca.causal.history_nulls import null_measures
from causal_rca.causal.mechanism_result import MIN_EFFECT, SIGNIFICANCE, MechanismResult
from causal_rca.causal.rescaling import holdout, rescaling_measures
from causal_rca.lineage.graph import LineageGraph
from causal_rca.signals import statistics as st
from causal_rca.windows.frames import KEY, TIME

LAGS = (1, 2, 3)
ROW_WINDOWS = (2, 3, 4, 5, 7, 10, 14, 15, 20, 25, 30, 50, 100)
HOURS = 3600.0
TIME_WINDOWS = {"1h": HOURS, "6h": 6 * HOURS, "24h": 24 * HOURS, "7d": 168 * HOURS, "30d": 720 * HOURS}
TIME_UNITS = {"seconds": 1.0, "minutes": 60.0, "hours": HOURS, "days": 24 * HOURS}


@dataclass(frozen=True)
class Computation:
    """One way to compute a value from an entity's earlier rows."""

    parent: str | None  # None: counts rows, reads no value
    statistic: str  # "lag", "mean", "sum", "count", or "elapsed" (time since the previous row)
    span: str  # "3" rows, a time window ("24h"), or the unit of an elapsed time
    with_current: bool  # the window ends at the row itself, or just before it

    def describe(self, key: str) -> str:
        unit = " rows" if self.span.isdigit() else ""
        rows = f"the {'last' if self.with_current else 'previous'} {self.span}{unit}"
        if self.statistic == "lag":
            return f"'{self.parent}' {self.span} rows earlier per '{key}'"
        if self.statistic == "elapsed":
            return f"the {self.span} since the previous row per '{key}'"
        if self.statistic == "count":
            return f"the count of {rows} per '{key}'"
        return f"the {self.statistic} of '{self.parent}' over {rows} per '{key}'"


@dataclass(frozen=True)
class _Ordered:
    """A window's rows sorted by entity and time: where each entity's rows start, and each row's place."""

    order: np.ndarray  # sorted position -> original row
    group: np.ndarray
    position: np.ndarray  # how many earlier rows of the same entity
    start: np.ndarray  # sorted index of the entity's first row
    time: np.ndarray  # seconds
    opened: float  # the window's first time


def _ordered(frame: pd.DataFrame) -> _Ordered:
    keys, times = pd.factorize(frame[KEY])[0], frame[TIME].to_numpy(dtype=float)
    order = np.lexsort((times, keys))
    group, time = keys[order], times[order]
    first = np.r_[True, group[1:] != group[:-1]]
    starts = np.flatnonzero(first)
    start = starts[np.cumsum(first) - 1]
    return _Ordered(order, group, np.arange(len(order)) - start, start, time, float(np.nanmin(times)))


class HistoryWindow:
    """One window's rows in entity and time order, with the bounds and running sums every
    candidate computation shares (computed once each: ~150 candidates read them)."""

    def __init__(self, frame: pd.DataFrame):
        self.frame, self.rows = frame, _ordered(frame)
        self._bounds: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._sums: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def column(self, name: str) -> np.ndarray:
        return self.frame[name].to_numpy(dtype=float)[self.rows.order]

    def bounds(self, span: str, with_current: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(first row, row after the last, evaluable) of each row's window, in sorted order."""
        if (span, with_current) not in self._bounds:
            rows = self.rows
            idx = np.arange(len(rows.order))
            if span.isdigit():
                length = int(span)
                upper = idx + 1 if with_current else idx
                lower = np.maximum(upper - length, rows.start)
                evaluable = rows.position >= (length - 1 if with_current else length)
            else:
                width = TIME_WINDOWS[span]
                # Entity and time in one sortable number: searchsorted finds each window's first row.
                composite = rows.group.astype(float) * (np.nanmax(rows.time) - rows.opened + 2 * width + 1) + (
                    rows.time - rows.opened)
                lower = np.searchsorted(composite, composite - width, side="right" if with_current else "left")
                upper = idx + 1 if with_current else np.searchsorted(composite, composite, side="left")
                evaluable = rows.time - width >= rows.opened
            self._bounds[span, with_current] = lower, upper, evaluable
        return self._bounds[span, with_current]

    def sums(self, parent: str) -> tuple[np.ndarray, np.ndarray]:
        """Running sums of the parent's values and of how many it has, from 0."""
        if parent not in self._sums:
            values = self.column(parent)
            ok = ~np.isnan(values)
            self._sums[parent] = np.r_[0.0, np.cumsum(np.where(ok, values, 0.0))], np.r_[0, np.cumsum(ok)]
        return self._sums[parent]

    def computed(self, c: Computation) -> tuple[np.ndarray, np.ndarray]:
        """(computed values, rows whose computation reads only this window), both in sorted order."""
        rows = self.rows
        n = len(rows.order)
        if c.statistic in ("elapsed", "lag"):
            k = 1 if c.statistic == "elapsed" else int(c.span)
            evaluable = rows.position >= k
            earlier = np.flatnonzero(evaluable)
            out = np.full(n, np.nan)
            if c.statistic == "elapsed":
                out[earlier] = (rows.time[earlier] - rows.time[earlier - 1]) / TIME_UNITS[c.span]
            else:
                out[earlier] = self.column(c.parent)[earlier - k]
            return out, evaluable
        lower, upper, evaluable = self.bounds(c.span, c.with_current)
        if c.statistic == "count":
            return (upper - lower).astype(float), evaluable
        sums, counts = self.sums(c.parent)
        total, valid = sums[upper] - sums[lower], counts[upper] - counts[lower]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = total if c.statistic == "sum" else total / valid
        return np.where(valid > 0, out, np.nan), evaluable


def _candidates(parents: tuple[str, ...]) -> list[Computation]:
    out = [Computation(None, "count", span, current) for span in TIME_WINDOWS for current in (True, False)]
    out += [Computation(None, "elapsed", unit, False) for unit in TIME_UNITS]
    for parent in parents:
        out += [Computation(parent, "lag", str(k), False) for k in LAGS]
        for span in (*map(str, ROW_WINDOWS), *TIME_WINDOWS):
            out += [Computation(parent, s, span, current) for s in ("mean", "sum") for current in (True, False)]
    return out


def _tolerance(child: np.ndarray) -> float:
    """Half the finest decimal the log writes the child with: a rounded log still matches."""
    finite = child[np.isfinite(child)][:2000]
    for decimals in range(0, 10):
        scaled = finite * 10.0 ** decimals
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return 0.5 * 10.0 ** -decimals + 1e-9
    return 1e-9


def _matches(child: np.ndarray, computed: np.ndarray, tolerance: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.isfinite(child) & np.isfinite(computed) & (
            np.abs(child - computed) <= tolerance + 1e-9 * np.abs(child))


@dataclass(frozen=True)
class _Checked:
    matches: np.ndarray  # sorted order
    evaluable: np.ndarray
    rows: _Ordered


def _check(c: Computation, window: HistoryWindow, child: np.ndarray, tolerance: float) -> _Checked:
    computed, evaluable = window.computed(c)
    return _Checked(_matches(child, computed, tolerance), evaluable, window.rows)


def learn_computation(reference: pd.DataFrame | HistoryWindow, child: str, parents: tuple[str, ...],
                      seed: int) -> Computation | None:
    """The computation over the entity's earlier rows that reproduces ``child`` in the reference, if one does."""
    window = reference if isinstance(reference, HistoryWindow) else HistoryWindow(reference)
    values = window.column(child)
    tolerance = _tolerance(values)
    best, best_k, best_n = None, 0, 0
    for c in _candidates(parents):
        checked = _check(c, window, values, tolerance)
        n = int(checked.evaluable.sum())
        k = int(checked.matches[checked.evaluable].sum())
        if n >= MIN_ROWS and (best is None or k * best_n > best_k * n):
            best, best_k, best_n = c, k, n
    if best is None or best_k == 0:
        return None
    computed, ev = window.computed(best)
    # Beyond chance: the same computation against the child's values in shuffled rows.
    shuffled = np.random.default_rng(seed).permutation(values[ev])
    chance = int(_matches(shuffled, computed[ev], tolerance).sum())
    # Better than the same-row value: a copy of a parent that repeats per entity matches its own lag.
    same_row = max((int(_matches(values[ev], window.column(p)[ev], tolerance).sum()) for p in parents), default=0)
    if best_k <= chance or best_k <= same_row or st.two_proportion(chance, best_n, best_k, best_n) >= SIGNIFICANCE:
        return None
    return best


@dataclass(frozen=True)
class HistoryCheck:
    """A history feature's rows, checked against the reference's computation in both windows.

    Current rows are in the window's own order, so that the mechanism test can count only the
    rows it tests (inside the parents' support, below no broken node): a new segment whose
    features were computed from events the log does not hold is the segment's change, not
    the feature's."""

    computation: Computation
    key_name: str
    reference_misses: np.ndarray  # evaluable reference rows that the computation does not reproduce
    reference_keys: np.ndarray
    current_matches: np.ndarray  # every current row, in the window's order
    current_evaluable: np.ndarray
    current_keys: np.ndarray
    null_measures: tuple[tuple[str, float], ...] = ()  # ``history_nulls.null_measures`` of the current window
    rescale_measures: tuple[tuple[str, float], ...] = ()  # ``_rescaled_history`` of the current window

    def result(self, node_id: str, parents: tuple[str, ...], rows: np.ndarray | None = None) -> MechanismResult:
        """Does the current window, on ``rows`` (None: all), reproduce the child on as many rows?"""
        tested = self.current_evaluable if rows is None else self.current_evaluable & rows
        miss_ref, miss_cur = self.reference_misses, ~self.current_matches[tested]
        share_ref = 1.0 - float(miss_ref.mean()) if len(miss_ref) else float("nan")
        share_cur = 1.0 - float(miss_cur.mean()) if len(miss_cur) else float("nan")
        # Rows that cannot be checked are not held against it downstream.
        consistent = self.current_matches | ~self.current_evaluable
        measures = {"history_share_reference": share_ref, "history_share_current": share_cur,
                    "history_rows_reference": float(len(miss_ref)), "history_rows_current": float(len(miss_cur)),
                    **dict(self.null_measures), **dict(self.rescale_measures)}
        if len(miss_cur) < MIN_ROWS:
            return MechanismResult(node_id, parents, "skipped", 1.0, 0.0,
                                   "too few current rows whose history lies in the window", measures,
                                   consistent=consistent)
        # Only fewer rows reproduced is a change of the computation; more is the reference's own noise.
        p = clustered_share_above(miss_ref, self.reference_keys, miss_cur, self.current_keys[tested])
        effect = min(1.0, max(0.0, 3.0 * (share_ref - share_cur)))
        detail = (f"computed as {self.computation.describe(self.key_name)} on {share_ref:.0%} of reference rows "
                  f"and {share_cur:.0%} of current rows whose history lies in the window")
        return MechanismResult(node_id, parents, "history", p, effect, detail, measures, consistent=consistent)


def history_check(node_id: str, computation: Computation, reference: pd.DataFrame | HistoryWindow,
                  current: pd.DataFrame | HistoryWindow, key_name: str) -> HistoryCheck:
    """Both windows' rows checked against ``computation``."""
    ref_w, cur_w = (w if isinstance(w, HistoryWindow) else HistoryWindow(w) for w in (reference, current))
    tolerance = _tolerance(ref_w.column(node_id))
    ref, cur = (_check(computation, w, w.column(node_id), tolerance) for w in (ref_w, cur_w))
    codes = pd.factorize(pd.concat([ref_w.frame[KEY], cur_w.frame[KEY]], ignore_index=True))[0]
    keys_ref, keys_cur = codes[:len(ref_w.frame)], codes[len(ref_w.frame):]
    matches, evaluable = (np.zeros(len(cur_w.frame), dtype=bool) for _ in range(2))
    matches[cur.rows.order], evaluable[cur.rows.order] = cur.matches, cur.evaluable
    misses_ref, misses_keys = ~ref.matches[ref.evaluable], keys_ref[ref.rows.order][ref.evaluable]
    return HistoryCheck(computation, key_name, misses_ref, misses_keys, matches, evaluable, keys_cur,
                        null_measures(cur_w.computed(computation), cur_w, node_id, (misses_ref, misses_keys),
                                      keys_cur[cur.rows.order]),
                        _rescaled_history(computation, ref_w, cur_w, node_id))


def _rescaled_history(computation: Computation, reference: HistoryWindow, current: HistoryWindow,
                      node_id: str) -> tuple[tuple[str, float], ...]:
    """Are the current values the reference computation over the parent's history, rescaled?

    A rescaling of the served feature (a rolling mean now in cents, a 24-hour count ×12 on one
    serving version) keeps every row's value proportional to what the reference computation
    gives it from the current window's own history; a changed window or statistic does not. The
    computation's values play the surrogate's part in ``rescaling_measures`` (evaluable rows
    with a value on both sides; the reference rows are its holdout), so classify.py reads a
    history feature's rescaling exactly as a same-row feature's. A parent rescaled before the
    aggregation leaves the feature reproduced: it is the parent's change, not this one."""
    def pairs(window: HistoryWindow) -> tuple[np.ndarray, np.ndarray]:
        computed, evaluable = window.computed(computation)
        child = window.column(node_id)
        rows = evaluable & np.isfinite(computed) & np.isfinite(child)
        return computed[rows], child[rows]

    (computed_ref, child_ref), (computed_cur, child_cur) = pairs(reference), pairs(current)
    if len(computed_ref) < MIN_ROWS:
        return ()
    return tuple(rescaling_measures(computed_cur, child_cur, holdout(computed_ref, child_ref)).items())


def history_checks(graph: LineageGraph, reference: pd.DataFrame, current: pd.DataFrame, dtypes: dict[str, str],
                   seed: int) -> dict[str, HistoryCheck]:
    """Node -> its history check, for computed numeric features the reference shows to be history features.

    Needs the graph's key and time columns in both samples, and samples that hold their whole windows
    (a thinned sample breaks every entity's history)."""
    if KEY not in reference or TIME not in reference or KEY not in current or TIME not in current:
        return {}
    out = {}
    windows = HistoryWindow(reference), HistoryWindow(current)  # shared: every node reads the same bounds
    for node_id in dtypes:
        parents = effective_parents(graph, node_id)
        numeric = tuple(p for p in parents if dtypes.get(p) == "numeric")
        if graph.nodes[node_id].kind != "feature" or dtypes.get(node_id) != "numeric" or not numeric:
            continue
        computation = learn_computation(windows[0], node_id, numeric, seed)
        if computation is not None:
            out[node_id] = history_check(node_id, computation, *windows, graph.key_column)
    return out


def one_broken_history(checks: dict[str, HistoryCheck], key_name: str) -> tuple[dict[str, HistoryCheck], list[str]]:
    """The checks to use, and a warning when several history features stopped reproducing at once.

    One feature computed differently (a shorter window, the current event included) stops
    reproducing alone. When two or more do at once, one cause explains them better than a
    changed computation each: the log no longer holds the entities' whole history (events
    not logged, rows dropped or replaced) or the store that serves them all changed. Their
    rows can then not tell a computation from a log, and they are tested on their same-row
    values like any feature."""
    broken = sorted(n for n, c in checks.items()
                    if (r := c.result(n, ())).p_value < SIGNIFICANCE and r.effect >= MIN_EFFECT)
    if len(broken) < 2:
        return checks, []
    return {}, [f"{len(broken)} features over each '{key_name}'s history stopped reproducing from the log's own "
                f"history at once ({', '.join(broken)}): the log may miss events of the current window, or their "
                f"store changed; they were tested on their same-row values"]
