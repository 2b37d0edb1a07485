"""Exact value frequencies per node and window, at a cost that does not grow with distinct values.

The signals need, per node, the null and coercion counts, the most frequent
values (a fallback default shows up as one value gaining share) and their
shares in both windows, and for categories every category's frequency.
Grouping a continuous column of ten million rows by value costs DuckDB seconds
per column against a tenth of a second to read it, while grouping a column of
few distinct values is as cheap as reading it. So:

- categorical nodes, and nodes whose seeded samples repeat values (at most
  ``DISCRETE_SHARE`` of the sampled values distinct, in both windows), get
  their full frequency table from the engine (up to ``CATEGORY_LIMIT`` values);
- other nodes (continuous values) get exact counts of *candidates* only: the
  ``CANDIDATES`` most frequent values of each window's sample, the same list
  looked up in both windows. A value holding a share ``s`` of a window appears
  about ``s · sample_rows`` times in its sample, so every value whose share
  could make a signal (the smallest default-rate effect is 3% of rows, 600 of
  a 20,000-row sample) is counted exactly.

When a window fits in its sample, the candidates are its true most frequent
values and every count equals a full group-by. When a window is larger than
its sample (``repeated_only``), only values seen at least twice in a sample are
candidates: a continuous column's sample holds each value once, and looking
those up costs one engine branch per node for counts of one row in millions,
while a value with the smallest share a signal reads (3%) appears hundreds of
times. Numbers are then counted from their typed sample, not from text the
engine would have to cast for every sampled row (see ``frames.node_samples``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from causal_rca.windows.stats import (
    CATEGORY_LIMIT, ColumnProfile, count_text, null_counts, spell_number, value_counts,
)
from causal_rca.windows.tables import Window

CANDIDATES = 10  # most frequent sample values per window whose exact counts are looked up
DISCRETE_SHARE = 0.9  # a sample with at most this share of distinct values repeats values: group it fully


@dataclass(frozen=True)
class ColumnCounts:
    """One node's exact counts in one window."""

    profile: ColumnProfile
    values: dict[str, int]  # exact count per value (text), most frequent first, ties by text
    complete: bool  # ``values`` lists every value the column holds
    window: Window
    column: str
    looked_up: frozenset[str] = frozenset()  # texts counted exactly: absent from ``values`` means none

    def top(self, k: int) -> dict[str, int]:
        """The ``k`` most frequent values with their counts."""
        return dict(list(self.values.items())[:k])

    def share(self, text: str) -> float:
        """Share of all rows whose value, as text, is ``text`` (exact; one query if not counted yet)."""
        if text in self.values:
            return self.values[text] / self.profile.rows
        if self.complete or text in self.looked_up:
            return 0.0
        return count_text(self.window, self.column, text) / self.profile.rows

    @property
    def categories(self) -> dict[str, int]:
        """The frequency table of a categorical node (its ``CATEGORY_LIMIT`` most frequent values)."""
        return self.values


def sample_candidates(texts: pd.Series, k: int = CANDIDATES, min_count: int = 1) -> list[str]:
    """The ``k`` most frequent non-null texts of a sample (seen at least ``min_count`` times),
    ties broken by text (as the engine does).

    Counted and ordered by Arrow (byte order of UTF-8 is code-point order,
    the engine's string order): 20,000 texts per node must not cost a Python sort.
    """
    present = pc.drop_null(pa.array(texts, type=pa.string(), from_pandas=True))
    if len(present) == 0:
        return []
    counts = pc.value_counts(present)
    counted = pa.table({"v": counts.field("values"), "n": counts.field("counts")})
    if min_count > 1:
        counted = counted.filter(pc.greater_equal(counted["n"], min_count))
    ranked = counted.sort_by([("n", "descending"), ("v", "ascending")]).slice(0, k)
    return ranked.column("v").to_pylist()


def _ordered(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def repeats_values(texts: pd.Series) -> bool:
    """Whether a sample holds few distinct values (a count, a bucket, a code): cheap to group fully."""
    present, distinct = _shape(texts)
    return present > 0 and distinct <= DISCRETE_SHARE * present


def _shape(sample: pd.Series) -> tuple[int, int]:
    """(non-null values, distinct non-null values) of a sample."""
    present = sample.dropna()
    return len(present), present.nunique()


def window_counts(
    window: Window,
    columns: Mapping[str, tuple[str, str]],
    candidates: Mapping[str, list[str]],
) -> dict[str, ColumnCounts]:
    """Counts for every node ``{node: (column, dtype)}`` of one window: two engine queries in all.

    Nodes listed in ``candidates`` get exact counts of those texts only (the
    same list in both windows, so a value's share in the other window is exact
    too); the others get their full frequency table.
    """
    nulls = null_counts(window, columns)
    tables = {key: column for key, (column, _dtype) in columns.items() if key not in candidates}
    lookups = {key: (columns[key][0], texts) for key, texts in candidates.items()}
    counted = value_counts(window, tables, lookups)
    out: dict[str, ColumnCounts] = {}
    for key, (column, _dtype) in columns.items():
        values = _ordered(counted[key])
        complete = key in tables and len(values) < CATEGORY_LIMIT
        mode, mode_count = next(iter(values.items()), (None, 0))
        raw_nulls, uncastable = nulls[key]
        profile = ColumnProfile(rows=window.rows, raw_type=window.column_types[column], raw_nulls=raw_nulls,
                                uncastable=uncastable, mode=mode, mode_count=int(mode_count))
        out[key] = ColumnCounts(profile, values, complete, window, column, frozenset(candidates.get(key, ())))
    return out


def number_candidates(window: Window, column: str, values: pd.Series, k: int = CANDIDATES,
                      min_count: int = 2) -> list[str]:
    """``sample_candidates`` for a column stored as numbers, from its typed sample: the ``k`` values
    seen at least ``min_count`` times, most frequent first (ties by value), spelled as the engine would."""
    counts = values.dropna().value_counts()
    counts = counts[counts >= min_count]
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return [spell_number(window, column, value) for value, _n in ranked]


# What a node's counts in one window depend on besides the window: the node, its column and type,
# and the texts looked up (None: its full frequency table).
CountsKey = tuple[str, str, str, "tuple[str, ...] | None"]
FittedCounts = dict[CountsKey, ColumnCounts]
Sampled = tuple[Window, pd.DataFrame, "pd.DataFrame | None"]  # a window, its sample as text, its typed sample


def count_candidates(columns: Mapping[str, tuple[str, str]], samples: tuple[Sampled, Sampled],
                     min_count: int) -> dict[str, list[str]]:
    """The texts each non-categorical node looks up in both windows; a node absent is grouped fully.

    ``samples``: each window's sample as text, and typed (a node missing from the texts is a
    column stored as numbers, counted from its typed sample)."""
    candidates = {}
    for key, (column, dtype) in columns.items():
        if dtype == "categorical":
            continue
        sampled = [texts[key] if key in texts else values[key] for _w, texts, values in samples]
        shapes = [_shape(s) for s in sampled]
        if all(present > 0 and distinct <= DISCRETE_SHARE * present for present, distinct in shapes):
            continue  # repeats_values in both windows: grouped fully
        # A sample whose values are all distinct has none seen twice: no candidates to count (the
        # common case beyond the sample, a continuous column), so none are looked for.
        both = [[] if min_count > 1 and distinct == present
                else sample_candidates(texts[key], min_count=min_count) if key in texts
                else number_candidates(window, column, values[key], min_count=min_count)
                for (window, texts, values), (present, distinct) in zip(samples, shapes)]
        candidates[key] = list(dict.fromkeys(both[0] + both[1]))
    return candidates


def _counts_key(node: str, columns: Mapping[str, tuple[str, str]], candidates: Mapping[str, list[str]]) -> CountsKey:
    return (node, *columns[node], tuple(candidates[node]) if node in candidates else None)


def fit_counts(reference: Sampled, columns: Mapping[str, tuple[str, str]], repeated_only: bool) -> FittedCounts:
    """The reference window's counts as a diagnosis asks them when the current sample adds no candidate
    and repeats values where the reference's does (the usual case), keyed for ``counts_with``."""
    candidates = count_candidates(columns, (reference, reference), 2 if repeated_only else 1)
    counted = window_counts(reference[0], columns, candidates)
    return {_counts_key(node, columns, candidates): counts for node, counts in counted.items()}


def counts_with(window: Window, columns: Mapping[str, tuple[str, str]], candidates: Mapping[str, list[str]],
                fitted: FittedCounts) -> dict[str, ColumnCounts]:
    """``window_counts``, taking each node counted under the same key from ``fitted`` (the counts are
    exact integers of that node alone: the same whichever other nodes a query counts beside it)."""
    known = {node: fitted.get(_counts_key(node, columns, candidates)) for node in columns}
    rest = {node: column for node, column in columns.items() if known[node] is None}
    counted = window_counts(window, rest, {n: t for n, t in candidates.items() if n in rest}) if rest else {}
    return {node: counted[node] if known[node] is None else known[node] for node in columns}


def measure_counts(
    reference: Window,
    current: Window,
    columns: Mapping[str, tuple[str, str]],
    ref_texts: pd.DataFrame,
    cur_texts: pd.DataFrame,
    ref_values: pd.DataFrame | None = None,
    cur_values: pd.DataFrame | None = None,
    repeated_only: bool = False,
    fitted: FittedCounts | None = None,
) -> tuple[dict[str, ColumnCounts], dict[str, ColumnCounts]]:
    """Both windows' counts. ``*_texts``: the samples' values as text for the non-categorical nodes;
    a node missing there is counted from its typed sample ``*_values`` (a column stored as numbers).
    ``fitted``: the reference's counts learnt by ``CausalRCA.fit`` (``fit_counts``)."""
    min_count = 2 if repeated_only else 1
    candidates = count_candidates(columns, ((reference, ref_texts, ref_values), (current, cur_texts, cur_values)),
                                  min_count)
    return counts_with(reference, columns, candidates, fitted or {}), window_counts(current, columns, candidates)
