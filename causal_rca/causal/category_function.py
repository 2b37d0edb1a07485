"""Renamed categories at a computed node: its own computation, or a mixed feed upstream?

A categorical feature computed from its parents (a passthrough, a lookup) whose values
arrive under new names is either computed differently at serving (every row of a parent
value gets the new name: ``'strong_dem'`` → ``'STRONG_DEM'`` for all of them, a
``pipeline_skew``) or fed by a re-encoded upstream on a share of the rows (old and new names
side by side for the same parent value, a ``schema_change``). What tells them apart is how
purely each parent value (each joint value of the parents) maps to one child value in the
current window, against how purely it did in the reference.

The purity is read within the windows' own cells: a row "breaks" it when its child value is
not the most common child value of its cell in that window. Only cells the parents fill in
both windows, with at least two rows in each, count: a cell of one row is pure by
construction, so a continuous parent, whose values do not repeat, leaves nothing to judge
(the measure is then absent and the renamed categories stay a ``schema_change``). The
current window's share of breaking rows is tested against the reference's by a one-sided
two-proportion test at the rows counted in each window: a mixed feed adds the smaller of the
renamed and kept shares to it, a changed computation adds nothing.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats

from causal_rca.causal.encoding import effective_parents
from causal_rca.causal.fitting import MIN_ROWS
from causal_rca.causal.mechanism_result import MechanismResult
from causal_rca.lineage.graph import LineageGraph
from causal_rca.signals.detect import Signal
from causal_rca.signals.statistics import two_proportion_z

# Signals by which a node's values arrive under new names (diagnosis/classify.py reads them as schema_change).
RENAMING_SIGNALS = frozenset({"renamed_categories", "vanished_categories"})


def _cells(frame: pd.DataFrame, parents: tuple[str, ...]) -> pd.Series:
    """Each row's joint parent value as one text key (a missing value is a value of its own)."""
    keys = frame[list(parents)].astype(object).where(frame[list(parents)].notna(), "\x00null")
    return keys.astype(str).agg("\x1f".join, axis=1)


def _breaking_rows(child: pd.Series, cells: pd.Series, kept: set[str]) -> tuple[int, int]:
    """(rows whose child value is not their cell's most common one, rows counted), over ``kept`` cells."""
    inside = cells.isin(kept).to_numpy()
    if not inside.any():
        return 0, 0
    values = child[inside].astype(object).where(child[inside].notna(), "\x00null").astype(str)
    counts = pd.crosstab(cells[inside].to_numpy(), values.to_numpy())
    n = int(counts.to_numpy().sum())
    return n - int(counts.max(axis=1).sum()), n


def category_purity(child_ref: pd.Series, parents_ref: pd.DataFrame,
                    child_cur: pd.Series, parents_cur: pd.DataFrame) -> dict[str, float]:
    """Measures of how purely the parents' values determine the child in each window.

    ``category_impurity_reference`` / ``_current``: share of counted rows that break their cell's
    purity; ``category_mixed_p``: one-sided p that the current share is the larger; ``category_rows``:
    current rows counted. Empty when fewer than ``MIN_ROWS`` rows of either window can be counted."""
    parents = tuple(parents_ref.columns)
    cells_ref, cells_cur = _cells(parents_ref, parents), _cells(parents_cur, parents)
    size_ref, size_cur = cells_ref.value_counts(), cells_cur.value_counts()
    kept = set(size_ref[size_ref >= 2].index) & set(size_cur[size_cur >= 2].index)
    k0, n0 = _breaking_rows(child_ref.reset_index(drop=True), cells_ref.reset_index(drop=True), kept)
    k1, n1 = _breaking_rows(child_cur.reset_index(drop=True), cells_cur.reset_index(drop=True), kept)
    if n0 < MIN_ROWS or n1 < MIN_ROWS:
        return {}
    z = two_proportion_z(k0, n0, k1, n1)
    larger = k1 / n1 > k0 / n0
    return {"category_impurity_reference": k0 / n0, "category_impurity_current": k1 / n1,
            "category_mixed_p": float(stats.norm.sf(z)) if larger else 1.0, "category_rows": float(n1)}


def with_category_purity(graph: LineageGraph, mechanisms: dict[str, MechanismResult], signals: list[Signal],
                         reference: pd.DataFrame, current: pd.DataFrame,
                         dtypes: dict[str, str]) -> dict[str, MechanismResult]:
    """The mechanism results, those of computed categorical nodes whose values arrived under new
    names carrying the purity measures (the samples' raw values: the encoded windows fold every
    unseen name into one code, which hides two new names for one parent value)."""
    renamed = {s.node for s in signals if s.anomalous and s.signal in RENAMING_SIGNALS}
    out = dict(mechanisms)
    for node_id in sorted(renamed):
        result = mechanisms.get(node_id)
        parents = tuple(p for p in effective_parents(graph, node_id) if p in reference.columns and p in current.columns)
        if (result is None or not parents or dtypes.get(node_id) != "categorical"
                or graph.nodes[node_id].kind == "source" or node_id not in reference.columns):
            continue
        measures = category_purity(reference[node_id], reference[list(parents)],
                                   current[node_id], current[list(parents)])
        if measures:
            out[node_id] = replace(result, measures={**result.measures, **measures})
    return out
