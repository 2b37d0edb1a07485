"""The queries the engine sends to the data, written once as ibis expressions.

Counts, null and coercion rates and value frequencies are aggregates
computed where the data lives (DuckDB or Spark); only bounded, seeded samples
and the two columns the metric needs come back as pandas frames. Each query
covers every column of a window at once: one engine round trip per window and
kind of statistic, not one per column, because a 500-node graph would
otherwise spend its time in query overhead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd
from ibis import _

from causal_rca.windows.tables import Window

_NUMERIC_PREFIXES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL",
)
CATEGORY_LIMIT = 5000  # most frequent categories kept per column: the chi-square needs no more


def logical_dtype(type_name: str) -> str:
    """Map a column type (DuckDB's spelling, see ``tables.type_name``) to the lineage spec's dtypes."""
    t = type_name.upper()
    if t.startswith(_NUMERIC_PREFIXES):
        return "numeric"
    if t.startswith("BOOL"):
        return "boolean"
    if t.startswith(("TIMESTAMP", "DATE", "TIME")):
        return "datetime"
    return "categorical"


def typed_expression(column: str, dtype: str | None) -> ibis.Deferred:
    """``column`` read as ``dtype``; values that do not parse become null (coercion).

    ``None`` reads the column as stored. Numbers, booleans and times come back
    as floats (times as epoch seconds) so every statistic downstream is numeric.
    """
    c = _[column]
    if dtype == "numeric":
        return c.try_cast("float64")
    if dtype == "boolean":
        return c.try_cast("boolean").cast("float64")
    if dtype == "datetime":
        return c.try_cast("timestamp").epoch_seconds().cast("float64")
    if dtype is None:
        return c
    return text_expression(column)


def text_expression(column: str) -> ibis.Deferred:
    """The column's values as text, cast by the engine (categories: strings stay themselves)."""
    return _[column].cast("string")


def _slot(kind: dt.DataType) -> str:
    """How a value of this stored type travels before it becomes text: as a double, an integer,
    a boolean, or as the engine's own text (strings, decimals, times, 32-bit floats)."""
    if kind.is_float64():
        return "f"
    if kind.is_integer():
        return "i"
    if kind.is_boolean():
        return "b"
    return "s"


def text_values(window: Window, column: str) -> tuple[str, ibis.Deferred]:
    """``(slot, expression)`` reading ``column`` so that ``format_text`` can spell its values."""
    slot = _slot(window.table[column].type())
    kind = {"f": "float64", "i": "int64", "b": "boolean"}.get(slot, "string")
    return slot, _[column].cast(kind)


def format_text(values: pd.Series, slot: str) -> pd.Series:
    """Values as text, spelled the same whatever engine computed them (DuckDB's spelling).

    Engines spell numbers differently (Spark writes ``1.5E-4`` where DuckDB
    writes ``0.00015``), and a value's text is its identity in the frequency
    counts; so numbers and booleans are spelled here. Python's shortest
    round-trip ``repr`` of a double is DuckDB's ``CAST(x AS VARCHAR)``.
    """
    spell = {"f": lambda v: repr(float(v)), "i": lambda v: str(int(v)),
             "b": lambda v: "true" if bool(v) else "false"}.get(slot, str)
    # pandas cannot tell a NaN from a null once the engine's doubles reach it; both are "no value"
    return values.astype(object).map(lambda v: None if pd.isna(v) else spell(v))


@dataclass(frozen=True)
class ColumnProfile:
    """Counts that describe one column in one window, read as the node's dtype."""

    rows: int
    raw_type: str
    raw_nulls: int
    uncastable: int  # non-null raw values that do not parse as the node's dtype
    mode: str | None  # most frequent non-null value, as text
    mode_count: int

    @property
    def nulls(self) -> int:
        return self.raw_nulls + self.uncastable

    @property
    def null_rate(self) -> float:
        return self.nulls / self.rows if self.rows else float("nan")

    @property
    def mode_share(self) -> float:
        return self.mode_count / self.rows if self.rows else float("nan")


def null_counts(window: Window, columns: Mapping[str, tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """Per key ``(raw nulls, uncastable)`` for ``{key: (column, dtype)}``, in one pass over the window."""
    t = window.table
    aggs = {}
    for i, (column, dtype) in enumerate(columns.values()):
        aggs[f"n{i}"] = t[column].count()
        aggs[f"t{i}"] = typed_expression(column, dtype).resolve(t).count()
    row = window.backend.execute(t.aggregate(**aggs)).iloc[0]
    out = {}
    for i, key in enumerate(columns):
        present, typed = int(row[f"n{i}"]), int(row[f"t{i}"])
        out[key] = (window.rows - present, present - typed)
    return out


def _match(t: ibis.Table, column: str, texts: Sequence[str]) -> ibis.BooleanValue:
    """Rows whose value, as text, may be one of ``texts``: compared in the column's own type.

    Casting every row to text costs more than the scan; comparing natively
    and grouping the few matches by their text gives the same exact counts.
    A text that does not parse as the column's type cannot be any row's text.
    """
    col = t[column]
    kind = col.type()
    if kind.is_numeric():
        values = []
        for text in texts:
            try:
                values.append(float(text))
            except ValueError:
                continue
        values = [v for v in values if np.isfinite(v)]
        return col.isin(values) if values else ibis.literal(False)
    if kind.is_boolean():
        values = [s == "true" for s in {x.lower() for x in texts} if s in ("true", "false")]
        return col.isin(values) if values else ibis.literal(False)
    if kind.is_string():
        return col.isin(list(texts))
    return col.cast("string").isin(list(texts))


def value_counts(
    window: Window,
    tables: Mapping[str, str],
    lookups: Mapping[str, tuple[str, Sequence[str]]],
    limit: int = CATEGORY_LIMIT,
) -> dict[str, dict[str, int]]:
    """Exact frequencies of values as text, in one query per window.

    ``tables`` (``{key: column}``): the ``limit`` most frequent values, most
    frequent first (ties by text); rows are grouped by their stored value and
    only the groups are cast to text. ``lookups`` (``{key: (column, texts)}``):
    how often each listed text occurs (texts that never occur are absent).
    """
    t = window.table
    branches, slots = [], {}
    for i, column in enumerate(tables.values()):
        slot, g = text_values(window, column)
        g = g.resolve(t)
        grouped = t.filter(t[column].notnull()).group_by(g=g).aggregate(n=_.count())
        branches.append(_branch(grouped, slot, f"c{i}").order_by([ibis.desc("n"), "v_f", "v_i", "v_b", "v_s"])
                        .limit(limit))
        slots[f"c{i}"] = slot
    for i, (column, texts) in enumerate(lookups.values()):
        if not texts:
            continue
        slot, g = text_values(window, column)
        g = g.resolve(t)
        matched = t.filter(_match(t, column, texts)).group_by(g=g).aggregate(n=_.count())
        branches.append(_branch(matched, slot, f"l{i}"))
        slots[f"l{i}"] = slot
    out: dict[str, dict[str, int]] = {key: {} for key in (*tables, *lookups)}
    if not branches:
        return out
    frame = window.backend.to_pandas(ibis.union(*branches, distinct=False))
    names = {f"c{i}": key for i, key in enumerate(tables)} | {f"l{i}": key for i, key in enumerate(lookups)}
    for k, group in frame.groupby("k", sort=False):
        slot = slots[k]
        texts = format_text(group[f"v_{slot}"], slot)
        pairs = sorted(zip(texts, group["n"].astype(int)), key=lambda kv: (-kv[1], kv[0]))
        out[names[k]] = dict(pairs)
    return out


def _branch(grouped: ibis.Table, slot: str, key: str) -> ibis.Table:
    """One union branch: the value in the column of its slot (others null), its count, the branch key."""
    cols = {f"v_{s}": (grouped["g"] if s == slot else ibis.null()).cast(kind)
            for s, kind in (("f", "float64"), ("i", "int64"), ("b", "boolean"), ("s", "string"))}
    return grouped.select(**cols, n=grouped["n"].cast("int64"), k=ibis.literal(key))


def count_text(window: Window, column: str, text: str) -> int:
    """Rows whose value, as text, is ``text``: the exact fallback for a value no batch listed."""
    return value_counts(window, {}, {"x": (column, [text])})["x"].get(text, 0)


def time_span_seconds(window: Window, time_column: str) -> float | None:
    t = window.table
    e = typed_expression(time_column, "datetime").resolve(t)
    row = window.backend.execute(t.aggregate(lo=e.min(), hi=e.max())).iloc[0]
    if pd.isna(row["lo"]) or pd.isna(row["hi"]):
        return None
    return float(row["hi"] - row["lo"])


def _sample_indices(rows: int, n: int, seed: int) -> np.ndarray | None:
    if rows <= n:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(rows, size=n, replace=False))


def sample_frame(window: Window, expressions: Mapping[str, ibis.Deferred], n: int, seed: int) -> pd.DataFrame:
    """A seeded sample of at most ``n`` rows, one column per expression.

    Rows are picked by position (file order: DuckDB keeps insertion order, and
    Spark reads one file in order), so the same file and seed give the same
    sample whatever the thread count. Only the picked rows leave the engine.
    """
    t = window.table
    idx = _sample_indices(window.rows, n, seed)
    if idx is None:
        return window.backend.to_pandas(t.select(**expressions))
    numbered = t.mutate(__rn=ibis.row_number())
    picked = ibis.memtable(pd.DataFrame({"i": idx.astype("int64")}))
    chosen = numbered.filter(numbered["__rn"].isin(picked["i"]))
    frame = window.backend.to_pandas(chosen.select("__rn", **expressions))
    return frame.sort_values("__rn", kind="stable").drop(columns="__rn").reset_index(drop=True)


def fetch_all(window: Window, expressions: Mapping[str, ibis.Deferred]) -> pd.DataFrame:
    """All rows of a few columns (the metric needs every prediction and label)."""
    return window.backend.to_pandas(window.table.select(**expressions))
