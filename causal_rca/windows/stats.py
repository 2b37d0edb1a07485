"""Every per-column statistic the engine needs, computed where the data lives.

This is the one interface between the engine and the query engine: counts,
null and coercion rates, modes, category frequencies are SQL aggregates;
only bounded, seeded samples come back as pandas frames. Moving to another
backend (ibis on DuckDB or Spark) means rewriting this module only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from causal_rca.windows.tables import Window, quote_ident

_NUMERIC_PREFIXES = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
    "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL",
)


def logical_dtype(duckdb_type: str) -> str:
    """Map a DuckDB column type to the lineage spec's dtype vocabulary."""
    t = duckdb_type.upper()
    if t.startswith(_NUMERIC_PREFIXES):
        return "numeric"
    if t.startswith("BOOL"):
        return "boolean"
    if t.startswith(("TIMESTAMP", "DATE", "TIME")):
        return "datetime"
    return "categorical"


def typed_expression(column: str, dtype: str) -> str:
    """SQL that reads ``column`` as ``dtype``; values that do not parse become NULL (coercion)."""
    c = quote_ident(column)
    if dtype == "numeric":
        return f"TRY_CAST({c} AS DOUBLE)"
    if dtype == "boolean":
        return f"CAST(TRY_CAST({c} AS BOOLEAN) AS DOUBLE)"
    if dtype == "datetime":
        return f"epoch(TRY_CAST({c} AS TIMESTAMP))"
    return f"CAST({c} AS VARCHAR)"


@dataclass(frozen=True)
class ColumnProfile:
    """Counts that describe one column in one window, read as the node's dtype."""

    rows: int
    raw_type: str
    raw_nulls: int
    uncastable: int  # non-null raw values that do not parse as the node's dtype
    distinct: int
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


def profile_column(window: Window, column: str, dtype: str) -> ColumnProfile:
    c = quote_ident(column)
    typed = typed_expression(column, dtype)
    rows, raw_nulls, uncastable, distinct = window.con.execute(
        f"SELECT count(*), count(*) - count({c}), count({c}) - count({typed}), "
        f"approx_count_distinct({c}) FROM {window.quoted()}"
    ).fetchall()[0]
    mode_rows = window.con.execute(
        f"SELECT CAST({c} AS VARCHAR) AS v, count(*) AS n FROM {window.quoted()} WHERE {c} IS NOT NULL "
        f"GROUP BY v ORDER BY n DESC, v LIMIT 1"
    ).fetchall()
    mode_row = mode_rows[0] if mode_rows else None
    mode, mode_count = (mode_row[0], int(mode_row[1])) if mode_row else (None, 0)
    return ColumnProfile(
        rows=int(rows),
        raw_type=window.column_types[column],
        raw_nulls=int(raw_nulls),
        uncastable=int(uncastable),
        distinct=int(distinct),
        mode=mode,
        mode_count=mode_count,
    )


def category_counts(window: Window, column: str, limit: int = 5000) -> dict[str, int]:
    """Frequencies of the non-null values as text, most frequent first."""
    c = quote_ident(column)
    rows = window.con.execute(
        f"SELECT CAST({c} AS VARCHAR) AS v, count(*) AS n FROM {window.quoted()} WHERE {c} IS NOT NULL "
        f"GROUP BY v ORDER BY n DESC, v LIMIT {int(limit)}"
    ).fetchall()
    return {str(v): int(n) for v, n in rows}


def value_share(window: Window, column: str, dtype: str, value: str) -> float:
    """Share of all rows whose value (read as text) equals ``value``."""
    c = quote_ident(column)
    n = window.con.execute(
        f"SELECT count(*) FILTER (WHERE CAST({c} AS VARCHAR) = ?) FROM {window.quoted()}", [value]
    ).fetchall()[0][0]
    return int(n) / window.rows


def time_span_seconds(window: Window, time_column: str) -> float | None:
    t = typed_expression(time_column, "datetime")
    lo, hi = window.con.execute(f"SELECT min({t}), max({t}) FROM {window.quoted()}").fetchall()[0]
    if lo is None or hi is None:
        return None
    return float(hi - lo)


def _sample_indices(rows: int, n: int, seed: int) -> np.ndarray | None:
    if rows <= n:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(rows, size=n, replace=False))


def sample_frame(window: Window, expressions: dict[str, str], n: int, seed: int) -> pd.DataFrame:
    """A seeded sample of at most ``n`` rows, one column per SQL expression.

    Rows are picked by position (DuckDB keeps insertion order), so the same
    file and seed give the same sample whatever the thread count.
    """
    select = ", ".join(f"{expr} AS {quote_ident(name)}" for name, expr in expressions.items())
    idx = _sample_indices(window.rows, n, seed)
    if idx is None:
        return window.con.execute(f"SELECT {select} FROM {window.quoted()}").df()
    con = window.con
    con.register("__idx", pd.DataFrame({"i": idx}))
    try:
        return con.execute(
            f"SELECT {select} FROM (SELECT *, row_number() OVER () - 1 AS __rn FROM {window.quoted()}) "
            f"WHERE __rn IN (SELECT i FROM __idx) ORDER BY __rn"
        ).df()
    finally:
        con.unregister("__idx")


def fetch_all(window: Window, expressions: dict[str, str]) -> pd.DataFrame:
    """All rows of a few columns (the metric needs every prediction and label)."""
    select = ", ".join(f"{expr} AS {quote_ident(name)}" for name, expr in expressions.items())
    return window.con.execute(f"SELECT {select} FROM {window.quoted()}").df()
