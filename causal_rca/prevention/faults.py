"""Fault injectors: one failure mode of the vocabulary, applied to real rows of one node.

They break real reference rows the way the scenario library breaks its
simulated worlds (``benchmarks/cases/random_family.py``: nulls on a share of rows, a
number spelled as text, a change of units, values beyond the training range,
a frozen cache, a serving path that computes a feature differently, a service
that falls back to defaults on the rows its calls failed, a model or label
that changed). The library draws its faults while it simulates a world; here
the world is the user's own window, so each injector takes the table as it is
and changes only what the fault changes. Carrying the change down to the
model's score is ``window.py``'s job.

``strength`` is in (0, 1]: the share of rows hit for a fault that hits rows,
the size of the change for one that moves every row (documented per mode in
docs/prevention.md). Every injector is a pure function of the table, the
strength and a ``numpy`` generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.lineage import LineageGraph

#: The strength ``risk`` injects every fault at, and ``drill``'s default.
STANDARD_STRENGTH = 0.3
BLOCK = 50  # rows (in time order) that share one frozen cache value
STALE_HOURS = 24.0  # a stale value's freshness lags this many more hours at strength 1

#: Failure modes by node kind (numeric-only modes are dropped for a categorical node).
MODES_BY_KIND: dict[str, tuple[str, ...]] = {
    "source": ("missing_values", "schema_change", "scale_change", "out_of_distribution", "distribution_shift",
               "stale_values"),
    "feature": ("missing_values", "scale_change", "pipeline_skew", "stale_values"),
    "infra": ("infrastructure",),
    "model": ("model_change",),
    "label": ("concept_drift", "label_shift"),
}
NUMERIC_ONLY = frozenset({"scale_change", "pipeline_skew", "model_change"})


@dataclass(frozen=True)
class Injected:
    """A faulty copy of the rows and what changed: the columns whose node must be carried down."""

    frame: pd.DataFrame
    changed: tuple[str, ...]  # nodes whose values the fault set (their descendants are recomputed)
    rows: np.ndarray  # rows the fault hit
    note: str  # what was done, in words


def applicable_modes(graph: LineageGraph, node_id: str, dtype: str | None) -> tuple[str, ...]:
    """The failure modes an injector exists for at this node (its kind, its dtype, a freshness column)."""
    node = graph.nodes[node_id]
    modes = MODES_BY_KIND.get(node.kind, ())
    if node.kind in ("source", "feature") and not node.observed:
        return ()
    if node.kind == "infra" and not [c for c in graph.children(node_id) if graph.nodes[c].observed]:
        return ()
    numeric = dtype in ("numeric", "boolean")
    return tuple(m for m in modes if numeric or node.kind == "infra" or m not in NUMERIC_ONLY)


def _share_rows(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    return rng.random(n) < share


def _block_rows(n: int, share: float, rng: np.random.Generator) -> np.ndarray:
    """One contiguous stretch of the (time-ordered) rows: an outage or a bad deploy has a start and an end."""
    k = max(1, int(round(share * n)))
    start = int(rng.integers(0, max(1, n - k + 1)))
    rows = np.zeros(n, dtype=bool)
    rows[start:start + k] = True
    return rows


def _numbers(col: pd.Series) -> np.ndarray:
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


def _with_nulls(col: pd.Series, rows: np.ndarray) -> pd.Series:
    out = col.astype(object) if not pd.api.types.is_float_dtype(col) else col.copy()
    out[rows] = None if out.dtype == object else np.nan
    return out


def _fallback(col: pd.Series) -> object:
    """What a client falls back to when its call fails: the reference's most common value (or median)."""
    if pd.api.types.is_numeric_dtype(col):
        return float(np.nanmedian(col.to_numpy(dtype=float)))
    mode = col.dropna().mode()
    return mode.iloc[0] if len(mode) else None


def check_strength(strength: float) -> None:
    if not 0 < strength <= 1:
        raise InputError(f"--strength must be in (0, 1], not {strength:g}")


def inject(graph: LineageGraph, frame: pd.DataFrame, node_id: str, mode: str, strength: float,
           rng: np.random.Generator, dtype: str | None) -> Injected:
    """``frame`` (column-keyed, time-ordered rows) with ``mode`` injected at ``node_id``."""
    check_strength(strength)
    if mode not in applicable_modes(graph, node_id, dtype):
        kinds = ", ".join(applicable_modes(graph, node_id, dtype)) or "none"
        raise InputError(f"no injector for failure mode '{mode}' at {graph.nodes[node_id].kind} node '{node_id}' "
                         f"(modes for it: {kinds})")
    out = frame.copy()
    n = len(out)
    node = graph.nodes[node_id]
    col = node.column
    if mode == "infrastructure":
        rows = _block_rows(n, strength, rng)
        children = [c for c in graph.children(node_id) if graph.nodes[c].observed]
        for child in children:
            c = graph.nodes[child].column
            fallback = _fallback(frame[c])
            values = out[c].astype(object) if fallback is not None and not isinstance(fallback, float) else out[c]
            values = values.copy()
            values[rows] = fallback
            out[c] = values
        return Injected(out, tuple(children), rows, f"{rows.mean():.0%} of rows in one stretch: "
                                                    f"{', '.join(children)} fell back to defaults")
    if mode == "distribution_shift":
        x = frame[col]
        if pd.api.types.is_numeric_dtype(x):
            ranks = x.rank(pct=True).fillna(0.5).to_numpy()
            weights = np.exp(4.0 * strength * (ranks - 0.5))
            how = "rows resampled towards high values"
        else:
            freq = x.map(x.value_counts(normalize=True)).fillna(0.0).to_numpy(dtype=float)
            weights = np.exp(-8.0 * strength * freq)
            how = "rows resampled towards the rarer categories"
        picked = np.sort(rng.choice(n, size=n, replace=True, p=weights / weights.sum()))
        shifted = frame.iloc[picked].reset_index(drop=True)
        if graph.time_column and graph.time_column in frame:
            shifted[graph.time_column] = frame[graph.time_column].to_numpy()  # the same stretch of time
        return Injected(shifted, (), np.ones(n, dtype=bool), how)
    if mode == "scale_change":
        factor = 10 ** (3 * strength)
        out[col] = _numbers(frame[col]) * factor
        return Injected(out, (node_id,), np.ones(n, dtype=bool), f"every value multiplied by {factor:.3g}")
    rows = _block_rows(n, strength, rng) if mode in ("model_change",) else _share_rows(rng, n, strength)
    if mode == "missing_values":
        out[col] = _with_nulls(frame[col], rows)
        return Injected(out, (node_id,), rows, f"{rows.mean():.0%} of values set to null")
    if mode == "schema_change":
        x = frame[col]
        if dtype in ("numeric", "boolean"):
            text = x.astype(object).map(lambda v: v if pd.isna(v) else f"{float(v):.2f}".replace(".", ","))
            how = "values spelled with a decimal comma (text)"
        else:
            text = x.astype(object).map(lambda v: v if pd.isna(v) else f"v2_{v}")
            how = "category codes renamed (v2_ prefix)"
        values = x.astype(object).copy()
        values[rows] = text[rows]
        out[col] = values
        return Injected(out, (node_id,), rows, f"{rows.mean():.0%} of rows: {how}")
    if mode == "out_of_distribution":
        x = frame[col]
        if dtype in ("numeric", "boolean"):
            v = _numbers(x)
            lo, hi = np.nanmin(v), np.nanmax(v)
            far = hi + rng.uniform(1.0, 3.0, n) * max(hi - lo, abs(hi), 1.0)
            values = v.copy()
            values[rows & np.isfinite(v)] = far[rows & np.isfinite(v)]
            out[col] = values
            how = "values beyond the reference's largest"
        else:
            values = x.astype(object).copy()
            values[rows] = [f"unseen_{i % 5}" for i in range(int(rows.sum()))]
            out[col] = values
            how = "categories the reference never had"
        return Injected(out, (node_id,), rows, f"{rows.mean():.0%} of rows: {how}")
    if mode == "stale_values":
        x = frame[col]
        block_first = (np.arange(n) // BLOCK) * BLOCK
        values = x.copy() if pd.api.types.is_float_dtype(x) else x.astype(object).copy()
        values[rows] = x.to_numpy()[block_first][rows]
        out[col] = values
        if node.freshness and node.freshness in frame:
            lag = pd.to_timedelta(np.round(STALE_HOURS * strength * 3600 * rng.uniform(0.7, 1.3, n)), unit="s")
            times = pd.to_datetime(frame[node.freshness], errors="coerce")
            out[node.freshness] = times.where(~rows, times - lag).astype(times.dtype)
        return Injected(out, (node_id,), rows, f"{rows.mean():.0%} of rows hold a value frozen per block of "
                                                f"{BLOCK} rows" + (" with a lagging freshness" if node.freshness else ""))
    if mode == "pipeline_skew":
        v = _numbers(frame[col])
        q1, q3 = np.nanquantile(v, [0.25, 0.75])
        values = v.copy()
        values[rows] = np.clip(v[rows], q1, q3)
        out[col] = values
        return Injected(out, (node_id,), rows, f"{rows.mean():.0%} of rows computed with a serving-only clip at "
                                                f"the reference quartiles")
    if mode == "model_change":
        v = _numbers(frame[col])
        values = v.copy()
        values[rows] = rng.permutation(v[rows])
        out[col] = values
        return Injected(out, (), rows, f"{rows.mean():.0%} of rows in one stretch scored by a model that lost "
                                       f"its signal (scores shuffled)")
    if mode == "concept_drift":
        values = frame[col].copy()
        values[rows] = rng.permutation(frame[col].to_numpy()[rows])
        out[col] = values
        return Injected(out, (), rows, f"{rows.mean():.0%} of labels no longer follow the inputs (shuffled)")
    # label_shift
    x = frame[col]
    if dtype == "numeric" and x.nunique(dropna=True) > 2:
        v = _numbers(x)
        out[col] = v + strength * np.nanstd(v)
        return Injected(out, (), np.ones(n, dtype=bool), f"every label shifted by {strength:.2g} standard deviations")
    counts = x.value_counts()
    if len(counts) < 2:
        raise InputError(f"label '{node_id}' holds one class in the reference: no label shift to inject")
    rare, common = counts.index[-1], counts.index[0]
    flip = rows & (x == common).to_numpy()
    values = x.copy()
    values[flip] = rare
    out[col] = values
    return Injected(out, (), flip, f"{flip.mean():.0%} of labels moved from {common!r} to {rare!r} (a new label "
                                   f"definition)")
