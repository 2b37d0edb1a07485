"""Open the reference and current windows as ibis tables of the named columns only.

Files (CSV, Parquet, globs of them, object-store URLs) are read by the engine
itself (DuckDB by default, Spark on request), so a 10-million-row window is
never loaded into Python: later steps ask the engine for aggregates and
bounded samples (``stats.py``, ``frames.py``). Columns the graph does not name
are dropped here, before any query, so they are never read.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, Union

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend
from ibis.backends.sql.datatypes import DuckDBType

from causal_rca.errors import InputError, first_line
from causal_rca.lineage.graph import LineageGraph
from causal_rca.lineage.loader import check_columns
from causal_rca.lineage.schema import suggest
from causal_rca.windows.engines import Engine, connect

TableLike = Union[str, Path, pd.DataFrame]
MIN_ROWS = 30
_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".tsv", ".txt")


@dataclass(frozen=True)
class Window:
    """One window of prediction logs: ``table``, executed on ``backend``.

    Queries name only the graph's columns (``column_types``), so the engine
    reads no other column; ``table`` itself is left unprojected because a
    projection under every statistic makes ibis's compiler slower, not the engine.
    """

    name: str
    backend: BaseBackend
    table: ibis.Table
    rows: int
    column_types: dict[str, str]


def type_name(dtype: dt.DataType) -> str:
    """A column type in DuckDB's spelling, whatever the engine: the evidence quotes it
    ("column type changed from DOUBLE to VARCHAR"), so both engines must say it alike."""
    name = DuckDBType.to_string(dtype)
    if dtype.is_timestamp():
        if dtype.timezone:
            return "TIMESTAMP WITH TIME ZONE"
        return {9: "TIMESTAMP_NS", 3: "TIMESTAMP_MS", 0: "TIMESTAMP_S"}.get(dtype.scale, "TIMESTAMP")
    return {"TEXT": "VARCHAR", "INT": "INTEGER"}.get(name, name)


def _normalise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Make object columns loadable: mixed numbers and strings become text.

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


def _check_path(text: str, label: str) -> str:
    """The file type of a path, URL or glob, or one clear error."""
    if "://" not in text:
        if any(ch in text for ch in "*?["):
            if not glob.glob(text):
                raise InputError(f"{label} table '{text}': no file matches this pattern")
        else:
            path = Path(text)
            if not path.exists():
                raise InputError(f"{label} table '{path}' does not exist")
            if path.is_dir():
                raise InputError(f"{label} table '{path}' is a directory, expected a CSV or Parquet file "
                                 f"(or a glob such as '{path}/*.parquet')")
    suffix = Path(text.split("?")[0]).suffix.lower()
    if suffix not in _PARQUET + _CSV:
        raise InputError(f"{label} table '{text}': unsupported file type '{suffix}' (use .csv or .parquet)")
    return suffix


def _read(backend: BaseBackend, table: TableLike, label: str, keep: list[str] | None = None) -> ibis.Table:
    """The table as the engine sees it; a DataFrame is handed over with only the ``keep`` columns."""
    if isinstance(table, pd.DataFrame):
        if keep is not None:
            table = table[[c for c in table.columns if c in set(keep)]]
        return ibis.memtable(_normalise_frame(table))
    text = str(table)
    suffix = _check_path(text, label)
    try:
        if suffix in _PARQUET:
            t = backend.read_parquet(text)
        elif backend.name == "duckdb":
            # sample_size=-1: a column whose type changes late in the file must be seen as text.
            t = backend.read_csv(text, sample_size=-1)
        else:
            t = backend.read_csv(text)
        t.schema()
    except InputError:
        raise
    except Exception as exc:  # each engine has its own error types; any read failure is the file's
        raise InputError(f"{label} table '{text}' could not be read: {first_line(exc)}") from None
    return t


def table_columns(table: TableLike, label: str = "data", engine: Engine = "duckdb") -> list[str]:
    """Column names of a table, read the way ``open_windows`` reads it."""
    return list(_read(connect(engine), table, label).columns)


def _read_named(backend: BaseBackend, graph: LineageGraph, table: TableLike, label: str) -> ibis.Table:
    """The table, checked to hold every column the graph names (a missing one names its closest match)."""
    if isinstance(table, pd.DataFrame):
        check_columns(graph, [str(c) for c in table.columns], table=label)
        return _read(backend, table, label, keep=graph.columns())
    raw = _read(backend, table, label)
    check_columns(graph, list(raw.columns), table=label)
    return raw


def _rows(backend: BaseBackend, table: ibis.Table, label: str, noun: str = "window") -> int:
    """The table's row count, refused when too few for any test."""
    try:
        rows = int(backend.execute(table.count()))
    except Exception as exc:
        raise InputError(f"the {label} {noun} could not be read: {first_line(exc)}") from None
    if rows == 0:
        raise InputError(f"the {label} {noun} is empty: no rows to compare")
    if rows < MIN_ROWS:
        raise InputError(
            f"the {label} {noun} has {rows} rows; at least {MIN_ROWS} are needed for any test to mean something"
        )
    return rows


def _named_window(backend: BaseBackend, graph: LineageGraph, raw: ibis.Table, label: str,
                  where: ibis.Value | None = None) -> Window:
    cols = graph.columns()
    schema = raw.schema()
    table = raw if where is None else raw.filter(where)
    rows = _rows(backend, table, label)
    return Window(label, backend, table, rows, {c: type_name(schema[c]) for c in cols})


def open_node_table(backend: BaseBackend, graph: LineageGraph, table: TableLike, label: str,
                    nodes: Sequence[str]) -> Window:
    """A table that holds only some nodes' columns, as a window on ``backend``.

    A golden or training set holds a model's inputs and its label, not a
    prediction log, so only the columns of ``nodes`` must be there.
    """
    columns = [graph.nodes[n].column for n in nodes]
    raw = _read(backend, table, label, keep=columns)
    present = list(raw.columns)
    name = "DataFrame" if isinstance(table, pd.DataFrame) else str(table)
    for node_id, column in zip(nodes, columns):
        if column not in present:
            raise InputError(f"{label} table '{name}' has no column '{column}' (node '{node_id}')"
                             f"{suggest(column, present)}")
    schema = raw.schema()
    return Window(label, backend, raw, _rows(backend, raw, label, "table"),
                  {c: type_name(schema[c]) for c in columns})


def open_table(graph: LineageGraph, data: TableLike, label: str = "data", engine: Engine = "duckdb",
               spark_master: str | None = None) -> Window:
    """The whole of one time-stamped table as a window (for watching a metric over time)."""
    backend = connect(engine, spark_master)
    return _named_window(backend, graph, _read_named(backend, graph, data, label), label)


def open_windows(
    graph: LineageGraph,
    reference: TableLike | None = None,
    current: TableLike | None = None,
    *,
    data: TableLike | None = None,
    split: str | None = None,
    engine: Engine = "duckdb",
    spark_master: str | None = None,
) -> tuple[Window, Window]:
    """Reference and current windows, from two tables or one table and a split time."""
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
            at = pd.Timestamp(split)
        except (ValueError, TypeError):
            raise InputError(f"--split '{split}' is not a timestamp (expected e.g. 2026-11-01 or 2026-11-01T12:00)")
        backend = connect(engine, spark_master)
        raw = _read_named(backend, graph, data, "data")
        t = raw[graph.time_column].try_cast("timestamp")
        boundary = ibis.literal(at.tz_localize(None) if at.tzinfo else at, type="timestamp")
        return (_named_window(backend, graph, raw, "reference", t < boundary),
                _named_window(backend, graph, raw, "current", t >= boundary))
    if reference is None or current is None:
        raise InputError("give both --reference and --current tables (or --data with --split)")
    backend = connect(engine, spark_master)
    return (_named_window(backend, graph, _read_named(backend, graph, reference, "reference"), "reference"),
            _named_window(backend, graph, _read_named(backend, graph, current, "current"), "current"))
