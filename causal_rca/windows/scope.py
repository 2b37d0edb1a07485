"""What a query leaves in the engine, dropped when it is done: a fitted model serves many diagnoses.

Opening a window loads a CSV (or small Parquet) file into a DuckDB temporary
table (``tables._load_once``), reading a file makes a view, and every pandas
or Arrow table a query sends (a window given as a DataFrame, the sampled row
numbers, the values counted) is registered with DuckDB, which keeps its data
alive; ibis 12 drops none of them before the process exits. A diagnosis of a
fitted model runs on the reference's backend, so without this each one left
a copy of its current window behind (``watch`` grew with every episode).
``released`` drops the temporary tables and views a block made, and nothing
that was there before it (the reference's table stays with the fit).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ibis.backends import BaseBackend

# The names this package and ibis give what they create: objects of other names are the caller's.
OWNED_PREFIXES = ("causal_rca_window_", "ibis_")
_LISTED = ("SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE temporary "
           "UNION ALL SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary AND NOT internal")


def temporary_objects(backend: BaseBackend) -> set[tuple[str, str]]:
    """The engine's temporary tables and views as (name, kind) (DuckDB only: others list none)."""
    if backend.name != "duckdb":
        return set()
    return {(name, kind) for name, kind in backend.con.execute(_LISTED).fetchall()}


@contextmanager
def released(backend: BaseBackend) -> Iterator[None]:
    """Drop the temporary tables and views the block created on ``backend``, whatever its outcome."""
    before = temporary_objects(backend)
    try:
        yield
    finally:
        made = [(name, kind) for name, kind in temporary_objects(backend) - before if name.startswith(OWNED_PREFIXES)]
        for name, kind in sorted(made):
            quoted = '"' + name.replace('"', '""') + '"'
            if kind == "VIEW":
                backend.con.unregister(name)  # a registered DataFrame or Arrow table: its data is freed
            backend.con.execute(f"DROP {kind} IF EXISTS temp.main.{quoted}")
