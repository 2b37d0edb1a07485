"""Which rows of a feature over an entity's history became null, and what chose them?

Three readings of new nulls at such a feature, each a measure for classify.py:

- lost values (an outage, a failed join) are null whatever the row should have held and
  whatever its history: ``missing_values``;
- a serving computation that handles nulls or windows differently nulls rows *by* what the
  reference computation gives them (``null_selectivity``) or by how far back the entity's
  history lies (``null_by_history``: a decay or window with no event recent enough to fill it,
  which no outage chooses): ``pipeline_skew``;
- a parser that rejects one format nulls every value written in it, one end of the range cut
  clean: what the reference computation gives the null rows then lies beyond the values that
  survived. Null rows whose computed value lies *among* the survivors (``null_inside_share``
  beyond the computation's own misses, ``null_inside_p``) were not chosen by a cut of their
  value, so the empty tail is no coercion (``schema_change`` needs one).

Tests count rows of the current window; the inside test counts entities as the independent
units, as the history check does (``clustered_rows``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from causal_rca.causal.clustered_rows import clustered_share_above
from causal_rca.causal.fitting import MIN_ROWS
from causal_rca.signals import statistics as st

if TYPE_CHECKING:
    from causal_rca.causal.history import HistoryWindow

Measures = tuple[tuple[str, float], ...]


def null_measures(computed: tuple[np.ndarray, np.ndarray], window: HistoryWindow, node_id: str,
                  reference_misses: tuple[np.ndarray, np.ndarray], keys: np.ndarray) -> Measures:
    """The three measures of the current window's nulls (sorted order throughout).

    ``computed``: the reference computation's (values, evaluable rows) on this window;
    ``reference_misses``: (evaluable reference rows it does not reproduce, their entities);
    ``keys``: this window's entity codes."""
    child = window.column(node_id)
    return (null_selectivity(computed, child) + null_inside(computed, child, reference_misses, keys)
            + null_by_history(window, child))


def null_selectivity(computed: tuple[np.ndarray, np.ndarray], child: np.ndarray) -> Measures:
    """Two-sample KS between what the reference computation gives the null rows and the rows
    that kept a value (evaluable rows only): its distance and p at the windows' counts."""
    values, evaluable = computed
    known = evaluable & np.isfinite(values)
    null, kept = known & np.isnan(child), known & ~np.isnan(child)
    if null.sum() < MIN_ROWS or kept.sum() < MIN_ROWS:
        return ()
    d, p = st.ks_two_sample(values[null], values[kept])
    return ("null_selectivity", d), ("null_selectivity_p", p)


def null_inside(computed: tuple[np.ndarray, np.ndarray], child: np.ndarray,
                reference_misses: tuple[np.ndarray, np.ndarray], keys: np.ndarray) -> Measures:
    """Share of null rows whose computed value lies within the surviving values' range, and the
    one-sided p that it exceeds the share of reference rows the computation does not reproduce.

    Under a cut at one end (every value past it null) a null row's computed value can lie among
    the survivors only where the computation misses the row, as often as it misses reference
    rows; a computation that nulls by some other property of the row (a gap crossing midnight,
    not only a long one) leaves null rows throughout the range."""
    values, evaluable = computed
    survivors = child[np.isfinite(child)]
    null = evaluable & np.isfinite(values) & np.isnan(child)
    if null.sum() < MIN_ROWS or len(survivors) < MIN_ROWS or len(reference_misses[0]) < MIN_ROWS:
        return ()
    inside = (values[null] >= survivors.min()) & (values[null] <= survivors.max())
    misses, miss_keys = reference_misses
    p = clustered_share_above(misses, miss_keys, inside, keys[null])
    return ("null_inside_share", float(inside.mean())), ("null_inside_p", p)


def null_by_history(window: HistoryWindow, child: np.ndarray) -> Measures:
    """Two-sample KS between the time since the entity's previous row for the null rows and for
    the rows that kept a value (rows with a previous row in the window): whatever the feature
    computes, a computation that runs out of history nulls the rows whose history lies far back."""
    rows = window.rows
    earlier = rows.position >= 1
    elapsed = np.full(len(child), np.nan)
    where = np.flatnonzero(earlier)
    elapsed[where] = rows.time[where] - rows.time[where - 1]
    null, kept = earlier & np.isnan(child), earlier & ~np.isnan(child)
    if null.sum() < MIN_ROWS or kept.sum() < MIN_ROWS:
        return ()
    d, p = st.ks_two_sample(elapsed[null], elapsed[kept])
    return ("null_by_history", d), ("null_by_history_p", p)
