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
import sqlglot as sg
import sqlglot.expressions as sge
from ibis.backends import BaseBackend
from ibis.backends.sql.datatypes import DuckDBType

from causal_rca.arguments import check_windows, split_time
from causal_rca.errors import InputError, ParameterError, first_line
from causal_rca.lineage.graph import LineageGraph
from causal_rca.lineage.loader import check_columns
from causal_rca.lineage.schema import suggest
from causal_rca.windows.engines import Engine, connect

TableLike = Union[str, Path, pd.DataFrame]
MIN_ROWS = 30
# Parquet files up to this size (all files of a pattern together) are loaded into memory once, like every
# CSV; larger ones are scanned where they lie: a Parquet scan reads only the columns a query names, from
# compressed pages, and costs no parsing, so loading a 1M-row file would only add its copy to memory.
LOAD_PARQUET_BYTES = 64 * 2 ** 20
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
    warnings: tuple[str, ...] = ()  # what the diagnosis must say about how the window was read


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
    so they must survive as text rather than fail to load. Times with nanoseconds
    (pandas' default unit, e.g. a float of seconds turned into a time) are cut to
    microseconds, the engine's unit, which refuses to drop the digits itself.
    """
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            out[col] = series.dt.floor("us")
            continue
        if series.dtype == object:
            values = series.dropna()
            kinds = {type(v) for v in values}
            if kinds and not kinds <= {int, float, bool, np.integer, np.floating, np.bool_}:
                out[col] = series.map(lambda v: v if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
                out[col] = out[col].astype("string")
            elif kinds:
                out[col] = pd.to_numeric(series, errors="coerce")
    return out


def _refuse_unreadable_dtypes(frame: pd.DataFrame, label: str) -> None:
    """Complex numbers and durations: the query engine cannot load the one and fails deep inside on the
    other, and neither is a number, a category or a time the checks compare. One message instead."""
    for col in frame.columns:
        dtype = frame[col].dtype
        if pd.api.types.is_complex_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            raise InputError(f"{label} DataFrame: column '{col}' has dtype {dtype}, which causal-rca cannot "
                             f"compare: convert it to numbers first (a duration: .dt.total_seconds())")


def _is_url(text: str) -> bool:
    return "://" in text


def _local_files(text: str, label: str) -> list[Path]:
    """The regular files a local path names: itself when it exists, else a glob's matches (sorted:
    samples pick rows by position, so the file order must not depend on the directory listing).

    The literal name comes first because ``*?[`` are legal in file names (``ref[1].csv``). Pipes and
    devices are refused before anything opens them: reading one never ends (``/dev/zero``) or
    waits for a writer that may never come (a named pipe).
    """
    path = Path(text)
    if path.exists():
        files = [path]
    elif any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True))
        if not files:
            raise InputError(f"{label} table '{text}': no file matches this pattern")
    else:
        raise InputError(f"{label} table '{path}' does not exist")
    for file in files:
        if file.is_dir():
            raise InputError(f"{label} table '{file}' is a directory, expected a CSV or Parquet file "
                             f"(or a glob such as '{file}/*.parquet')")
        if not file.is_file():
            raise InputError(f"{label} table '{file}' is not a regular file (a named pipe or a device?): "
                             f"give a CSV or Parquet file")
    return files


def _suffix(text: str, label: str) -> str:
    """The file type of a path, glob or URL (a URL's ``?query`` is not part of its name; a path's ``?`` is)."""
    name = text.split("?")[0] if _is_url(text) else text
    suffix = Path(name).suffix.lower()
    if suffix not in _PARQUET + _CSV:
        raise InputError(f"{label} table '{text}': unsupported file type '{suffix}' (use .csv or .parquet)")
    return suffix


def _literal(path: Path) -> str:
    """``path`` spelled so that DuckDB, which expands globs in every path it reads, reads that file only."""
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in str(path))


def _file_columns(backend: BaseBackend, files: list[Path], suffix: str) -> dict[Path, list[str]]:
    """Each file's column names (the header, or the Parquet schema: no rows are read)."""
    reader = backend.read_parquet if suffix in _PARQUET else backend.read_csv
    return {file: list(reader(_literal(file)).columns) for file in files}


def _union_by_name(backend: BaseBackend, files: list[Path], suffix: str, text: str, label: str,
                   needed: Sequence[str]) -> bool:
    """Whether the files must be read column by name: true when their columns come in different orders.

    Otherwise DuckDB types each column from the first file's layout, so a file whose columns
    come in another order gets types of its neighbours (measured on DuckDB 2.0.1: a score read
    as text, attribution silently off). A needed column that some files lack is refused, naming
    them: their rows would read it as null.
    """
    columns = _file_columns(backend, files, suffix)
    for column in needed:
        lacking = [str(file) for file, names in columns.items() if column not in names]
        if lacking and len(lacking) < len(files):  # absent from every file: check_columns says so
            shown = ", ".join(lacking[:5]) + (f" and {len(lacking) - 5} more" if len(lacking) > 5 else "")
            raise InputError(f"{label} table '{text}': column '{column}' is missing from {shown} "
                             f"(the other files of the pattern have it)")
    return len({tuple(names) for names in columns.values()}) > 1


def read_table(backend: BaseBackend, table: TableLike, label: str, keep: list[str] | None = None) -> ibis.Table:
    """The table as the engine sees it; a DataFrame is handed over with only the ``keep`` columns.

    ``keep``: the columns the caller needs, which every file of a glob must hold.
    """
    if isinstance(table, pd.DataFrame):
        if keep is not None:
            table = table[[c for c in table.columns if c in set(keep)]]
        _refuse_unreadable_dtypes(table, label)
        return ibis.memtable(_normalise_frame(table))
    text = str(table)
    files = None if _is_url(text) else _local_files(text, label)
    suffix = _suffix(text, label)
    try:
        if backend.name != "duckdb" or files is None:
            source, options = text, {}
        else:
            source = [_literal(f) for f in files]
            by_name = len(files) > 1 and _union_by_name(backend, files, suffix, text, label, keep or ())
            options = {"union_by_name": True} if by_name else {}
        if suffix in _PARQUET:
            t = backend.read_parquet(source, **options)
        elif backend.name == "duckdb":
            # sample_size=-1: a column whose type changes late in the file must be seen as text.
            t = backend.read_csv(source, sample_size=-1, **options)
        else:
            t = backend.read_csv(source)
        t.schema()
    except InputError:
        raise
    except Exception as exc:  # each engine has its own error types; any read failure is the file's
        raise InputError(f"{label} table '{text}' could not be read: {first_line(exc)}") from None
    return t


_loaded_tables = iter(range(1, 1 << 62))


def _load_once(backend: BaseBackend, raw: ibis.Table, table: TableLike, label: str,
               columns: Sequence[str]) -> ibis.Table:
    """The ``columns`` of a file read once into a DuckDB table: no later query re-reads or re-parses it.

    A query on ``read_csv`` parses the file again, and with ``sample_size=-1`` sniffs every row for
    its types first: the statistics, the sample and the metric's columns were each paying that
    (measured: 2,000-row windows spent most of their time binding CSV scans). The table keeps the
    file's row order (DuckDB preserves insertion order), so seeded samples pick the same rows.
    Parquet is loaded only when small (``LOAD_PARQUET_BYTES``); DataFrames, Spark and URLs of Parquet
    are left as they are. Only the named columns are loaded: the others are never parsed into memory.
    """
    if backend.name != "duckdb" or isinstance(table, pd.DataFrame):
        return raw
    text = str(table)
    if _suffix(text, label) in _PARQUET:
        if _is_url(text) or sum(f.stat().st_size for f in _local_files(text, label)) > LOAD_PARQUET_BYTES:
            return raw
    name = f"causal_rca_window_{next(_loaded_tables)}"
    present = set(raw.columns)  # a column checked nowhere else fails where it is used, as before
    kept = [c for c in dict.fromkeys(columns) if c in present]
    try:
        backend.raw_sql(f'CREATE TEMP TABLE "{name}" AS {backend.compile(raw.select(*kept))}')
    except Exception as exc:  # a row the sniffer did not see coming: the file's fault, said as for any read
        raise InputError(f"{label} table '{text}' could not be read: {first_line(exc)}") from None
    return backend.table(name)


def _load_csv(backend: BaseBackend, table: TableLike, columns: Sequence[str]) -> ibis.Table | None:
    """One local CSV file on DuckDB holding every column the graph names, loaded in one statement;
    ``None`` for anything else (the general path then reads it, and says what is wrong with it).

    The general path opens the file as a view, which DuckDB binds (sniffing every row's types with
    ``sample_size=-1``), asks the view for its columns (a second bind), then loads the named
    columns (a third, and the parse): three sniffs of the file where one is enough, about 0.1 s of
    CPU per 2,000-row window (docs/scale.md, "Imports"). The statement is the one the general path
    ends with, with the same ``read_csv`` options, so the table is the same: same types, same rows
    in the same order.
    """
    text = str(table)
    if (backend.name != "duckdb" or isinstance(table, pd.DataFrame) or _is_url(text)
            or Path(text).suffix.lower() not in _CSV or not Path(text).is_file()):
        return None
    named = list(dict.fromkeys(columns))
    select = ", ".join(sg.to_identifier(c, quoted=True).sql("duckdb") for c in named)
    source = sge.convert(_literal(Path(text))).sql("duckdb")
    name = f"causal_rca_window_{next(_loaded_tables)}"
    try:
        backend.raw_sql(f'CREATE TEMP TABLE "{name}" AS SELECT {select} '
                        f"FROM read_csv([{source}], sample_size=-1, header=true, auto_detect=true)")
    except Exception:  # a column absent, a row the sniffer did not see coming: the general path says which
        return None
    loaded = backend.table(name)
    if list(loaded.columns) != named:  # DuckDB matches names regardless of case; the graph's check does not
        backend.raw_sql(f'DROP TABLE "{name}"')
        return None
    return loaded


def table_columns(table: TableLike, label: str = "data", engine: Engine = "duckdb") -> list[str]:
    """Column names of a table, read the way ``open_windows`` reads it."""
    return list(read_table(connect(engine), table, label).columns)


def _read_named(backend: BaseBackend, graph: LineageGraph, table: TableLike, label: str) -> ibis.Table:
    """The table, checked to hold every column the graph names (a missing one names its closest match)."""
    if isinstance(table, pd.DataFrame):
        check_columns(graph, [str(c) for c in table.columns], table=label)
        return read_table(backend, table, label, keep=graph.columns())
    loaded = _load_csv(backend, table, graph.columns())
    if loaded is not None:
        return loaded
    raw = read_table(backend, table, label, keep=graph.columns())
    check_columns(graph, list(raw.columns), table=label)
    return _load_once(backend, raw, table, label, graph.columns())


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
                  where: ibis.Value | None = None, warnings: tuple[str, ...] = ()) -> Window:
    cols = graph.columns()
    schema = raw.schema()
    table = raw if where is None else raw.filter(where)
    rows = _rows(backend, table, label)
    return Window(label, backend, table, rows, {c: type_name(schema[c]) for c in cols}, warnings)


def open_node_table(backend: BaseBackend, graph: LineageGraph, table: TableLike, label: str,
                    nodes: Sequence[str]) -> Window:
    """A table that holds only some nodes' columns, as a window on ``backend``.

    A golden or training set holds a model's inputs and its label, not a
    prediction log, so only the columns of ``nodes`` must be there.
    """
    columns = [graph.nodes[n].column for n in nodes]
    raw = read_table(backend, table, label, keep=columns)
    present = list(raw.columns)
    name = "DataFrame" if isinstance(table, pd.DataFrame) else str(table)
    for node_id, column in zip(nodes, columns):
        if column not in present:
            raise InputError(f"{label} table '{name}' has no column '{column}' (node '{node_id}')"
                             f"{suggest(column, present)}")
    raw = _load_once(backend, raw, table, label, columns)
    schema = raw.schema()
    return Window(label, backend, raw, _rows(backend, raw, label, "table"),
                  {c: type_name(schema[c]) for c in columns})


def open_table(graph: LineageGraph, data: TableLike, label: str = "data", engine: Engine = "duckdb",
               spark_master: str | None = None) -> Window:
    """The whole of one time-stamped table as a window (for watching a metric over time)."""
    backend = connect(engine, spark_master)
    return _named_window(backend, graph, _read_named(backend, graph, data, label), label)


def _split_at(column: ibis.Column, at: pd.Timestamp,
              split: str) -> tuple[ibis.Value, ibis.Value, tuple[str, ...]]:
    """The log's times and the split, comparable as instants, and a warning when that needed an assumption.

    A split written with an offset is an instant: ``05:00+02:00`` and ``03:00Z`` must split alike.
    Times stored with a zone are compared as instants (a split without one is read as UTC, the
    engine's session zone). Times stored without one are taken to be UTC: the split is converted
    to UTC wall time, and the diagnosis says so, since a log written in local time is split elsewhere.
    """
    kind = column.type()
    if kind.is_timestamp() and kind.timezone:
        instant = at.tz_convert("UTC") if at.tzinfo else at.tz_localize("UTC")
        return column, ibis.literal(instant, type=dt.Timestamp(timezone="UTC")), ()
    times = column.try_cast("timestamp")
    if at.tzinfo is None:
        return times, ibis.literal(at, type="timestamp"), ()
    utc = at.tz_convert("UTC").tz_localize(None)
    return times, ibis.literal(utc, type="timestamp"), (
        f"--split {split}: the log's times have no time zone; they were assumed to be UTC "
        f"(the split is {utc.isoformat()} UTC)",)


def _time_range(backend: BaseBackend, raw: ibis.Table, times: ibis.Value, column: str, split: str) -> str:
    """Where a split must fall: the log's first and last time."""
    try:
        row = backend.execute(raw.aggregate(first=times.min(), last=times.max(), n=times.count())).iloc[0]
    except Exception:  # the range is help, not the error: never hide the error behind another
        return f"{{split={str(split)!r}}}: choose a time inside the log"
    if not int(row["n"]):
        return f"{{split={str(split)!r}}}: no value of '{column}' reads as a time"
    first, last = (pd.Timestamp(row[k]).isoformat(sep=" ") for k in ("first", "last"))
    return (f"{{split={str(split)!r}}}: the log's times run from {first} to {last} (column '{column}'); "
            f"choose a split inside that range, or {{split='auto'}}")


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
    check_windows(reference, current, data, split)
    if data is not None:
        if not graph.time_column:
            raise ParameterError(f"{graph.path}: {{split}} needs the graph's top-level key 'time_column'")
        if split == "auto":  # resolved to a time by api.diagnose (timeline/changepoint.py) before this
            raise ParameterError("{split='auto'} is resolved by diagnose(); give open_windows a timestamp")
        at = split_time(split)
        backend = connect(engine, spark_master)
        raw = _read_named(backend, graph, data, "data")
        t, boundary, warnings = _split_at(raw[graph.time_column], at, split)
        try:
            return (_named_window(backend, graph, raw, "reference", t < boundary, warnings),
                    _named_window(backend, graph, raw, "current", t >= boundary, warnings))
        except InputError as exc:
            if "is empty" not in str(exc):
                raise
            raise ParameterError(f"{exc} ({_time_range(backend, raw, t, graph.time_column, split)})") from None
    backend = connect(engine, spark_master)
    return open_window(backend, graph, reference, "reference"), open_window(backend, graph, current, "current")


def open_window(backend: BaseBackend, graph: LineageGraph, table: TableLike, label: str) -> Window:
    """One window read on ``backend``: a fitted reference opens each current window on its own backend,
    where the queries that read both windows find them."""
    return _named_window(backend, graph, _read_named(backend, graph, table, label), label)
