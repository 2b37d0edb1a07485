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

from causal_rca.windows.tables import Window

_NUMERIC_PREFIXES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL",
)
CATEGORY_LIMIT = 5000  # most frequent categories kept per column: the chi-square needs no more
# Columns per query of the statistics that read every column (null counts, the sample). A query over
# all 2,000 columns of a wide window made the engine hold them all at once (4.8 GiB at 2,000 nodes ×
# 100k rows, measured); in batches each column is still read once, and memory is bounded by the batch.
COLUMN_BATCH = 250


def _batches(items: Sequence, size: int = COLUMN_BATCH) -> list[Sequence]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [items]


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


def stored(t: ibis.Table, column: str) -> ibis.Value:
    """``t[column]`` with NaN read as null in floating columns.

    NumPy and Spark pipelines write a lost float as NaN, which engines count as a
    value (``count(x)`` includes it) while pandas, the samples and every test
    downstream treat it as missing: read alike, a served NaN is a null rate, not
    a value that became frequent.
    """
    c = t[column]
    if c.type().is_floating():
        return c.isnan().ifelse(ibis.null(c.type()), c)
    return c


@dataclass(frozen=True)
class Read:
    """How to read one column: as stored (``dtype=None``), as a node's dtype, or as text.

    A plain description, turned into an ibis expression on whichever table
    it is applied to (``on``): the same read runs on either window and engine.
    """

    column: str
    dtype: str | None = None
    text: bool = False

    def on(self, t: ibis.Table) -> ibis.Value:
        c = stored(t, self.column)
        if self.text or self.dtype == "categorical":
            return c.cast("string")
        if self.dtype == "numeric":
            return c.try_cast("float64")
        if self.dtype == "boolean":
            return c.try_cast("boolean").cast("float64")
        if self.dtype == "datetime":
            return c.try_cast("timestamp").epoch_seconds().cast("float64")
        return c


def typed_expression(column: str, dtype: str | None) -> Read:
    """``column`` read as ``dtype``; values that do not parse become null (coercion).

    ``None`` reads the column as stored. Numbers, booleans and times come back
    as floats (times as epoch seconds) so every statistic downstream is numeric.
    """
    return Read(column, dtype)


def text_expression(column: str) -> Read:
    """The column's values as text, cast by the engine (see ``canonical_text``)."""
    return Read(column, text=True)


def _slot(kind: dt.DataType) -> str:
    """How a stored type is spelled as text: as a double, an integer, a boolean, or as the engine casts it."""
    if kind.is_float64():
        return "f"
    if kind.is_integer():
        return "i"
    if kind.is_boolean():
        return "b"
    return "s"


# Engines whose CAST(x AS VARCHAR) already spells values as ``_respell`` does (measured: Python's shortest
# round-trip repr of a double is DuckDB's text of it), so their texts need no second pass in Python.
_CANONICAL_TEXT = ("duckdb",)


def _respell(text: str, slot: str) -> str:
    if slot == "f":
        return repr(float(text))
    if slot == "i":
        return str(int(text))
    if slot == "b":
        return text.lower()
    return text


def spelled_as_stored(window: Window, column: str) -> bool:
    """Whether a column's values can be spelled from their numeric reading (numbers and booleans):
    their text need not be read from the engine (see ``spell_number``)."""
    return _slot(window.table[column].type()) != "s"


def spell_number(window: Window, column: str, value: float) -> str:
    """The text the engine gives a stored number or boolean read as the float ``value``."""
    slot = _slot(window.table[column].type())
    if slot == "b":
        return "true" if value else "false"
    return _respell(str(int(value)) if slot == "i" else repr(float(value)), slot)


def canonical_text(window: Window, column: str, texts: pd.Series) -> pd.Series:
    """The engine's texts of ``column``'s values, spelled the same whatever engine made them.

    A value's text is its identity in the frequency counts, and engines spell
    numbers differently (Spark writes ``1.5E-4`` where DuckDB writes
    ``0.00015``); numbers and booleans from other engines are respelled the way
    DuckDB writes them.
    """
    slot = _slot(window.table[column].type())
    if window.backend.name in _CANONICAL_TEXT or slot == "s":
        return texts
    return texts.astype(object).map(lambda v: None if pd.isna(v) else _respell(v, slot))


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
    row: dict = {}
    for batch in _batches(list(enumerate(columns.values()))):  # one pass per batch of columns (``COLUMN_BATCH``)
        aggs = {}
        for i, (column, dtype) in batch:
            aggs[f"n{i}"] = stored(t, column).count()
            if not _reads_as_stored(t[column].type(), dtype):  # else every present value parses
                aggs[f"t{i}"] = Read(column, dtype).on(t).count()
        row |= window.backend.execute(t.aggregate(**aggs)).iloc[0].to_dict()
    out = {}
    for i, key in enumerate(columns):
        present = int(row[f"n{i}"])
        typed = int(row[f"t{i}"]) if f"t{i}" in row else present
        out[key] = (window.rows - present, present - typed)
    return out


def varying_integers(window: Window, columns: Mapping[str, str]) -> set[str]:
    """Keys of ``{key: column}`` whose column is stored as integers holding more than one value.

    Samples read numbers as float64, which rounds integers beyond 2**53 (ids, hashes,
    nanosecond times) to shared values: only the stored integers, compared by the engine,
    tell whether such a column varies.
    """
    t = window.table
    integers = {key: column for key, column in columns.items() if t[column].type().is_integer()}
    if not integers:
        return set()
    row = window.backend.execute(t.aggregate(**{f"v{i}": t[column].max() != t[column].min()
                                                for i, column in enumerate(integers.values())})).iloc[0]
    return {key for i, key in enumerate(integers) if pd.notna(row[f"v{i}"]) and bool(row[f"v{i}"])}


def _reads_as_stored(kind: dt.DataType, dtype: str) -> bool:
    """Whether reading a stored type as ``dtype`` can turn no present value into a null."""
    return (dtype == "numeric" and kind.is_numeric()) or (dtype == "categorical" and kind.is_string())


def _comparable(kind: dt.DataType, texts: Sequence[str]) -> list:
    """The listed texts as values of a stored type, compared natively (``_candidates``).

    Casting every row to text costs more than the scan; comparing in the column's own type
    and grouping the few matches by their text gives the same exact counts. A text that
    does not parse as the column's type cannot be any row's text, and is left out.
    """
    if kind.is_numeric():
        values = []
        for text in texts:
            try:
                values.append(float(text))
            except ValueError:
                continue
        return [v for v in values if np.isfinite(v)]
    if kind.is_boolean():
        return [s == "true" for s in sorted({x.lower() for x in texts}) if s in ("true", "false")]
    return list(texts)  # strings as they are; other types are compared by their text


def _type_groups(t: ibis.Table, columns: Mapping[str, str]) -> dict[dt.DataType, list[tuple[str, str]]]:
    """``{branch: column}`` grouped by the column's stored type: columns of one type unpivot together.

    Columns stored with the null type (a CSV column with no value at all) hold nothing to
    count, and the engine cannot unpivot them: they are left out (their counts are empty)."""
    groups: dict[dt.DataType, list[tuple[str, str]]] = {}
    for branch, column in columns.items():
        kind = t[column].type()
        if not kind.is_null():
            groups.setdefault(kind, []).append((branch, column))
    return groups


def _long(t: ibis.Table, group: Sequence[tuple[str, str]]) -> ibis.Table:
    """``(k, g)``: every non-null stored value of the group's columns, keyed by branch (one scan of them all).

    Built from the columns of one stored type, so the values keep that type: numbers are
    grouped and compared as numbers, and only groups are cast to text (see ``_frequencies``).
    """
    wide = t.select(**{branch: stored(t, column) for branch, column in group})
    long = wide.pivot_longer(list(wide.columns), names_to="k", values_to="g")
    return long.filter(long["g"].notnull())


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

    Columns are unpivoted by stored type, one branch per type and kind (at most a
    handful, whatever the number of columns): a branch per column cost the query
    compiler and the engine's planner time in proportion to the columns, and read a
    CSV window once per column.
    """
    t = window.table
    names = {f"c{i}": key for i, key in enumerate(tables)} | {f"l{i}": key for i, key in enumerate(lookups)}
    columns = {f"c{i}": column for i, column in enumerate(tables.values())}
    wanted = {f"l{i}": (column, texts) for i, (column, texts) in enumerate(lookups.values()) if texts}
    columns |= {branch: column for branch, (column, _texts) in wanted.items()}
    branches = []
    for group in _type_groups(t, {b: c for b, c in columns.items() if b.startswith("c")}).values():
        counted = _frequencies(_long(t, group))
        ranked = counted.mutate(r=ibis.row_number().over(group_by=counted["k"],
                                                         order_by=[ibis.desc(counted["n"]), counted["v"]]))
        branches.append(ranked.filter(ranked["r"] < limit).select("v", "n", "k"))
    for kind, group in _type_groups(t, {b: wanted[b][0] for b in wanted}).items():
        pairs = [(branch, value) for branch, _column in group for value in _comparable(kind, wanted[branch][1])]
        if not pairs:
            continue
        long = _long(t, group)
        native = kind.is_numeric() or kind.is_boolean() or kind.is_string()
        x_type = dt.float64 if kind.is_numeric() else (kind if native else dt.string)
        asked = ibis.memtable({"key": [b for b, _v in pairs], "x": [v for _b, v in pairs]},
                              schema=ibis.schema({"key": dt.string, "x": x_type}))
        value = long["g"] if native else long["g"].cast("string")
        branches.append(_frequencies(long.semi_join(asked, [long["k"] == asked["key"], value == asked["x"]])))
    out: dict[str, dict[str, int]] = {key: {} for key in (*tables, *lookups)}
    if not branches:
        return out
    frame = window.backend.to_pandas(ibis.union(*branches, distinct=False))
    for k, group in frame.groupby("k", sort=False):
        texts = canonical_text(window, columns[k], group["v"])
        pairs = sorted(zip(texts, group["n"].astype(int)), key=lambda kv: (-kv[1], kv[0]))
        out[names[k]] = dict(pairs)
    return out


def _frequencies(rows: ibis.Table) -> ibis.Table:
    """``(v, n, k)``: each stored value ``g`` of each branch ``k`` as text, and its count.

    Grouped by the stored value and cast afterwards: casting a double to text
    costs more than reading it, so only the groups are cast.
    """
    grouped = rows.group_by(["k", "g"]).aggregate(n=rows.count())
    return grouped.select(v=grouped["g"].cast("string"), n=grouped["n"].cast("int64"), k=grouped["k"])


def count_text(window: Window, column: str, text: str) -> int:
    """Rows whose value, as text, is ``text``: the exact fallback for a value no batch listed."""
    return value_counts(window, {}, {"x": (column, [text])})["x"].get(text, 0)


def time_span_seconds(window: Window, time_column: str) -> float | None:
    t = window.table
    e = Read(time_column, "datetime").on(t)
    row = window.backend.execute(t.aggregate(lo=e.min(), hi=e.max())).iloc[0]
    if pd.isna(row["lo"]) or pd.isna(row["hi"]):
        return None
    return float(row["hi"] - row["lo"])


def _sample_indices(rows: int, n: int, seed: int) -> np.ndarray | None:
    if rows <= n:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(rows, size=n, replace=False))


def sample_frame(window: Window, expressions: Mapping[str, Read], n: int, seed: int) -> pd.DataFrame:
    """A seeded sample of at most ``n`` rows, one column per expression.

    Rows are picked by position (file order: DuckDB keeps insertion order, and
    Spark reads one file in order), so the same file and seed give the same
    sample whatever the thread count. Only the picked rows leave the engine.
    Wide windows are read ``COLUMN_BATCH`` columns per query: the same rows for
    every batch, side by side.
    """
    names = list(expressions)
    parts = [_sample_part(window, {name: expressions[name] for name in batch}, n, seed) for batch in _batches(names)]
    return parts[0] if len(parts) == 1 else pd.concat(parts, axis=1)


def _sample_part(window: Window, expressions: Mapping[str, Read], n: int, seed: int) -> pd.DataFrame:
    t = window.table
    idx = _sample_indices(window.rows, n, seed)
    if idx is None:
        return window.backend.to_pandas(t.select(**{name: r.on(t) for name, r in expressions.items()}))
    numbered = t.mutate(__rn=ibis.row_number())
    picked = ibis.memtable(pd.DataFrame({"i": idx.astype("int64")}))
    chosen = numbered.filter(numbered["__rn"].isin(picked["i"]))
    frame = window.backend.to_pandas(chosen.select("__rn", **{name: r.on(chosen) for name, r in expressions.items()}))
    return frame.sort_values("__rn", kind="stable").drop(columns="__rn").reset_index(drop=True)


def fetch_all(window: Window, expressions: Mapping[str, Read]) -> pd.DataFrame:
    """All rows of a few columns (the metric needs every prediction and label)."""
    t = window.table
    return window.backend.to_pandas(t.select(**{name: r.on(t) for name, r in expressions.items()}))
