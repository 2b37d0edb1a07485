"""Rows that repeat an entity are not independent: tests count entities, not rows, where values cluster.

A log scored per event holds many rows per customer or card (the graph's
``key_column``). A customer's age, tier or income repeats on each of their
rows, so 2,500 rows may carry the information of 200 customers, and two
windows with different customers differ by far more than row-level tests
expect: every entity-level column then looks changed. The design effect of a
column (Kish: 1 + (m - 1) · ICC, m the size-weighted mean rows per entity, ICC
the share of its variance between entities) says how many rows count as one;
test statistics that grow as the square root of the sample size shrink by its
square root. A column that varies freely within an entity has ICC near 0 and
keeps its row-level test; a log with one row per key has no clustering at all.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from causal_rca.signals import statistics as st
from causal_rca.signals.detect import Signal
from causal_rca.windows.frames import KEY


def design_effects(reference: pd.DataFrame, current: pd.DataFrame, nodes: Iterable[str]) -> dict[str, float]:
    """Node -> design effect (>= 1) from both windows' samples (the larger); empty without a key column."""
    if KEY not in reference or KEY not in current:
        return {}
    out = {}
    for node in nodes:
        deff = max(_design_effect(reference[node], reference[KEY]), _design_effect(current[node], current[KEY]))
        if deff > 1.0:
            out[node] = deff
    return out


def _design_effect(values: pd.Series, keys: pd.Series) -> float:
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().sum() < values.notna().sum():  # categories: their codes (constancy is what matters)
        numbers = pd.Series(pd.factorize(values)[0], index=values.index, dtype=float).where(values.notna())
    return row_design_effect(numbers.to_numpy(dtype=float), pd.factorize(keys)[0])


def row_design_effect(values: np.ndarray, keys: np.ndarray) -> float:
    """Kish's design effect of ``values`` (floats, NaN: none) over rows of the entities ``keys`` (codes, -1: none).

    A test compares some quantity row by row (a value, a residual, "this row deviates"); how
    strongly *that* quantity clusters by entity is what shrinks the test's sample, whatever
    the node's values do: a computed feature whose parent repeats per customer deviates
    wherever its parent was null, and that may or may not be a customer's trait."""
    values = np.asarray(values, dtype=float)
    keep = ~np.isnan(values) & (keys >= 0)
    x, k = values[keep], keys[keep]
    if len(x) < 3:
        return 1.0
    _, groups = np.unique(k, return_inverse=True)
    sizes = np.bincount(groups).astype(float)
    n, m = sizes.sum(), len(sizes)
    if m < 2 or m == n:
        return 1.0
    means = np.bincount(groups, weights=x) / sizes
    grand = x.mean()
    ss_between = float((sizes * (means - grand) ** 2).sum())
    ss_within = float(((x - means[groups]) ** 2).sum())
    ms_between, ms_within = ss_between / (m - 1), ss_within / (n - m)
    m0 = (n - (sizes ** 2).sum() / n) / (m - 1)
    denominator = ms_between + (m0 - 1) * ms_within
    icc = min(max((ms_between - ms_within) / denominator, 0.0), 1.0) if denominator > 0 else 1.0
    m_weighted = float((sizes ** 2).sum() / n)
    return 1.0 + (m_weighted - 1.0) * icc


def deflated_p(p: float, design_effect: float, z: float | None = None) -> float:
    """The two-sided p-value of the same statistic on ``1 / design_effect`` of the sample.

    ``z``, when the test kept it, is used as is: a p that underflowed to 0 says only that z is
    beyond 38, and a clear change (77% of rows in a new category, z = 70) deflated from 38 by
    a design effect of 130 would look like noise."""
    if design_effect <= 1.0 or p >= 1.0:
        return p
    if z is None:
        z = stats.norm.isf(p / 2) if p > 0.0 else 38.0  # p = 0 is an underflow: a z beyond what floats resolve
    return float(2 * stats.norm.sf(z / math.sqrt(design_effect)))


#: Signals about how rows were served (how late, which model version), not about the entity's values:
#: they vary row by row whatever the entity, so they keep their row-level tests.
ROW_PROCESS_SIGNALS = frozenset({"staleness", "version"})


def clustered_signals(signals: list[Signal], effects: dict[str, float]) -> list[Signal]:
    """Signals with p-values at the effective sample size, adjusted together again (BH)."""
    if not effects:
        return signals
    signals = [s if s.signal in ROW_PROCESS_SIGNALS or "staler than" in s.detail
               else replace(s, p_value=deflated_p(s.p_value, effects.get(s.node, 1.0), s.z)) for s in signals]
    adjusted = st.benjamini_hochberg([s.p_value for s in signals])
    return [replace(s, p_adjusted=a) for s, a in zip(signals, adjusted)]
