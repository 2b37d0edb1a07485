"""Reference vs current distribution summaries of the nodes a report plots.

A post-mortem reader believes a cause faster when they see its values move.
The diagnosis carries a small summary per plotted node (a histogram on bin
edges shared by both windows, or category shares) rather than the rows, so a
``why --format json`` file is enough to draw the plots again later and stays
small and byte-stable for a seed.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

BINS = 20
TOP_CATEGORIES = 10
FEW_VALUES = 10  # a numeric node with at most this many distinct values is shown as categories
OTHER = "(other)"


def _finite(series: pd.Series) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").to_numpy(float)
    return values[np.isfinite(values)]


def _window_shares(values: pd.Series, labels: list[str], other: bool) -> dict[str, Any]:
    rows = len(values)
    present = _labels(values)
    counts = present.value_counts()
    shares = [float(counts.get(k, 0)) / rows if rows else 0.0 for k in labels]
    if other:
        shares.append(float(counts[~counts.index.isin(labels)].sum()) / rows if rows else 0.0)
    return {"rows": rows, "null": float(values.isna().mean()) if rows else 0.0, "shares": shares}


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _labels(values: pd.Series) -> pd.Series:
    """``_label`` of each present value. A float column's labels are made once per distinct value (a
    sample of 20,000 rows repeats its few levels): the label is a function of the number alone."""
    present = values.dropna()
    if present.dtype != np.float64:
        return present.map(_label)
    return present.map({value: _label(value) for value in present.unique()})


def _categorical(ref: pd.Series, cur: pd.Series) -> dict[str, Any]:
    both = pd.concat([_labels(ref), _labels(cur)], ignore_index=True)
    counts = both.value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    labels = [k for k, _ in ordered[:TOP_CATEGORIES]]
    other = len(ordered) > TOP_CATEGORIES
    return {"kind": "categorical", "categories": labels + ([OTHER] if other else []),
            "reference": _window_shares(ref, labels, other), "current": _window_shares(cur, labels, other)}


def _histogram(ref: pd.Series, cur: pd.Series) -> dict[str, Any]:
    # Values near the float limit would overflow the bin width: the plot clips them as the
    # causal encoding does.
    r, c = np.clip(_finite(ref), -1e100, 1e100), np.clip(_finite(cur), -1e100, 1e100)
    pooled = np.concatenate([r, c])
    lo, hi = (np.quantile(pooled, [0.005, 0.995]) if len(pooled) else (0.0, 1.0))
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, BINS + 1)

    def window(values: pd.Series, finite: np.ndarray) -> dict[str, Any]:
        rows = len(values)
        # Values beyond the shared range land in the end bins, so no row disappears from the plot.
        counts, _ = np.histogram(np.clip(finite, lo, hi), bins=edges)
        return {"rows": rows, "null": float(values.isna().mean()) if rows else 0.0,
                "shares": [float(k) / rows if rows else 0.0 for k in counts]}

    return {"kind": "numeric", "edges": [float(e) for e in edges],
            "reference": window(ref, r), "current": window(cur, c)}


def distribution_summary(ref: pd.Series, cur: pd.Series, dtype: str) -> dict[str, Any]:
    """One node's values in both windows: shares of all rows (nulls counted apart).

    >>> s = distribution_summary(pd.Series([1.0, 2.0, None]), pd.Series([2.0, 2.0, 2.0]), "numeric")
    >>> s["kind"], s["categories"], s["reference"]["shares"]
    ('categorical', ['2', '1'], [0.3333333333333333, 0.3333333333333333])
    """
    if dtype in ("numeric", "boolean", "datetime"):
        distinct = pd.concat([ref, cur], ignore_index=True).dropna().nunique()
        if distinct > FEW_VALUES:
            return _histogram(ref, cur)
    return _categorical(ref, cur)


def distribution_summaries(ref: pd.DataFrame, cur: pd.DataFrame, dtypes: dict[str, str],
                           nodes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Summaries of the observed ``nodes`` (others are skipped), keyed by node id, in the given order."""
    out: dict[str, dict[str, Any]] = {}
    for node in nodes:
        if node in dtypes and node in ref and node in cur and node not in out:
            out[node] = distribution_summary(ref[node], cur[node], dtypes[node])
    return out


def plotted_nodes(causes: list[Any], top: int = 3) -> list[str]:
    """The nodes a report plots: each top cause, or for an unobserved cause the children that changed."""
    nodes: list[str] = []
    for cause in causes[:top]:
        nodes.extend(cause.children[:3] if cause.children else [cause.node])
    return list(dict.fromkeys(nodes))
