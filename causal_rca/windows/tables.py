"""Open the reference and current windows as DuckDB views.

Only the columns the graph names are exposed; files are read by DuckDB so a
later engine (ibis on DuckDB or Spark) replaces this module and ``stats.py``
without touching the rest of the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

import duckdb
import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.lineage.graph import LineageGraph
from causal_rca.lineage.loader import check_columns

TableLike = Union[str, Path, pd.DataFrame]
MIN_ROWS = 30


@dataclass(frozen=True)
class Window:
    """One window of prediction logs, queryable as ``view`` on ``con``."""

    name: str
    con: duckdb.DuckDBPyConnection
    view: str
    rows: int
    column_types: dict[str, str]

    def quoted(self) -> str:
        return quote_ident(self.view)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _normalise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Make object columns DuckDB-registrable: mixed numbers and strings become text.

    Mixed columns are exactly what an upstream type change looks like in logs,
    so they must survive as text rather than fail to load.
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object:
            values = series.dropna()
            kinds = {type(v) for v in values}
            if kinds and not kinds <= {int, float, bool, np.integer, np.floating, np.bool_}:
                out[col] = series.map(lambda v: v if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
                out[col] = out[col].astype("string")
            elif kinds:
                out[col] = pd.to_numeric(series, errors="coerce")
    return out


def _register(con: duckdb.DuckDBPyConnection, table: TableLike, raw_view: str, label: str) -> None:
    if isinstance(table, pd.DataFrame):
        con.register(raw_view, _normalise_frame(table))
        return
    path = Path(table)
    if not path.exists():
        raise InputError(f"{label} table '{path}' does not exist")
    if path.is_dir():
        raise InputError(f"{label} table '{path}' is a directory, expected a CSV or Parquet file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            rel = con.read_parquet(str(path))
        elif suffix in (".csv", ".tsv", ".txt"):
            # sample_size=-1: a column whose type changes late in the file must be seen as text.
            rel = con.read_csv(str(path), sample_size=-1)
        else:
            raise InputError(f"{label} table '{path}': unsupported file type '{suffix}' (use .csv or .parquet)")
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{label} table '{path}' could not be read: {first}") from None
    rel.create_view(raw_view)


def _describe(con: duckdb.DuckDBPyConnection, view: str) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE {quote_ident(view)}").fetchall()
    return {r[0]: str(r[1]) for r in rows}


def table_columns(table: TableLike, label: str = "data") -> list[str]:
    """Column names of a table, read the way ``open_windows`` reads it."""
    con = duckdb.connect(":memory:")
    _register(con, table, "__probe", label)
    return list(_describe(con, "__probe"))


def _named_view(
    con: duckdb.DuckDBPyConnection, graph: LineageGraph, raw_view: str, view: str, label: str, where: str = ""
) -> Window:
    types = _describe(con, raw_view)
    check_columns(graph, list(types), table=label)
    cols = graph.columns()
    select = ", ".join(quote_ident(c) for c in cols)
    con.execute(f"CREATE OR REPLACE VIEW {quote_ident(view)} AS SELECT {select} FROM {quote_ident(raw_view)} {where}")
    rows = con.execute(f"SELECT count(*) FROM {quote_ident(view)}").fetchall()[0][0]
    if rows == 0:
        raise InputError(f"the {label} window is empty: no rows to compare")
    if rows < MIN_ROWS:
        raise InputError(
            f"the {label} window has {rows} rows; at least {MIN_ROWS} are needed for any test to mean something"
        )
    return Window(label, con, view, int(rows), {c: types[c] for c in cols})


def open_table(graph: LineageGraph, data: TableLike, label: str = "data") -> Window:
    """The whole of one time-stamped table as a window (for watching a metric over time)."""
    con = duckdb.connect(":memory:")
    _register(con, data, "__table_raw", label)
    return _named_view(con, graph, "__table_raw", "whole", label)


def open_windows(
    graph: LineageGraph,
    reference: TableLike | None = None,
    current: TableLike | None = None,
    *,
    data: TableLike | None = None,
    split: str | None = None,
) -> tuple[Window, Window]:
    """Reference and current windows, from two tables or one table and a split time."""
    con = duckdb.connect(":memory:")
    if data is not None:
        if reference is not None or current is not None:
            raise InputError("give either --data with --split, or --reference and --current, not both")
        if not split:
            raise InputError("--data needs --split TIMESTAMP (or --split auto)")
        if not graph.time_column:
            raise InputError(f"{graph.path}: --split needs the graph's top-level key 'time_column'")
        if split == "auto":  # resolved to a time by api.diagnose (timeline/changepoint.py) before this
            raise InputError("--split auto is resolved by diagnose(); give open_windows a timestamp")
        try:
            pd.Timestamp(split)
        except (ValueError, TypeError):
            raise InputError(f"--split '{split}' is not a timestamp (expected e.g. 2026-11-01 or 2026-11-01T12:00)")
        _register(con, data, "__data_raw", "data")
        types = _describe(con, "__data_raw")
        check_columns(graph, list(types), table="data")
        t = quote_ident(graph.time_column)
        lit = "'" + split.replace("'", "''") + "'"
        try:
            ref = _named_view(con, graph, "__data_raw", "ref", "reference", f"WHERE TRY_CAST({t} AS TIMESTAMP) < CAST({lit} AS TIMESTAMP)")
            cur = _named_view(con, graph, "__data_raw", "cur", "current", f"WHERE TRY_CAST({t} AS TIMESTAMP) >= CAST({lit} AS TIMESTAMP)")
        except duckdb.Error as exc:
            raise InputError(f"could not split on '{graph.time_column}' at {split}: {str(exc).splitlines()[0]}") from None
        return ref, cur
    if reference is None or current is None:
        raise InputError("give both --reference and --current tables (or --data with --split)")
    _register(con, reference, "__ref_raw", "reference")
    _register(con, current, "__cur_raw", "current")
    return (
        _named_view(con, graph, "__ref_raw", "ref", "reference"),
        _named_view(con, graph, "__cur_raw", "cur", "current"),
    )
