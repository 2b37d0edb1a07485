"""What every importer produces: datasets, their columns, and the edges between them.

Both importers (OpenLineage events, dbt manifests) fill the same ``ImportedLineage`` so that
one rule set (``build.to_graph``) turns lineage into graph nodes, whatever tool it came from.
Everything here is plain data; ordering is never taken from a ``set`` (the graph must be the
same bytes under every ``PYTHONHASHSEED``), so consumers sort.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NUMERIC = ("int", "integer", "bigint", "smallint", "tinyint", "long", "short", "double", "float", "real",
           "decimal", "numeric", "number", "hugeint", "int2", "int4", "int8", "float4", "float8", "float64",
           "int64", "double precision")
BOOLEAN = ("bool", "boolean")
DATETIME = ("timestamp", "timestamp_ntz", "timestamp_tz", "timestamp_ltz", "datetime", "date", "time",
            "timestamptz")
TEXTUAL = ("string", "varchar", "char", "text", "character varying", "nvarchar", "character", "bpchar")


def dtype_of(type_name: object) -> str | None:
    """A warehouse or Spark type name as a graph dtype (None when unknown)."""
    if not type_name or not isinstance(type_name, str):
        return None
    t = type_name.strip().lower()
    base = re.split(r"[\s(<]", t, maxsplit=1)[0]
    if base in NUMERIC or t in NUMERIC:
        return "numeric"
    if base in BOOLEAN:
        return "boolean"
    if base in DATETIME or base.startswith("timestamp") or t.startswith("timestamp"):
        return "datetime"
    if base in TEXTUAL or t in TEXTUAL:
        return "categorical"
    return None


@dataclass
class Check:
    """One test or assertion on a column: the contract keys it gives, or why it gives none."""

    test: str  # the tool's name for it: a dbt test's unique id, an OpenLineage assertion name
    contract: dict = field(default_factory=dict)
    skipped: str | None = None  # the reason it cannot be a contract (then ``contract`` is empty)
    severity: str | None = None
    where: str | None = None


@dataclass
class Column:
    name: str
    dtype: str | None = None
    description: str | None = None
    checks: list[Check] = field(default_factory=list)


@dataclass
class Dataset:
    key: str  # qualified name, e.g. "postgres://db/raw.transactions" or "model.shop.orders"
    label: str  # short name for ids: "transactions"
    long_label: str | None = None  # used for the id when two datasets share ``label`` (a seed and a source)
    columns: dict[str, Column] = field(default_factory=dict)
    description: str | None = None
    owner: str | None = None
    aliases: list[str] = field(default_factory=list)  # other names of the same data (symlinks, relations)
    lineage: str | None = None  # how its columns' parents were found (written as ``x-lineage``)
    extra: dict = field(default_factory=dict)  # ``x-`` keys for the dataset's node

    def column(self, name: str) -> Column:
        if name not in self.columns:
            self.columns[name] = Column(name)
        return self.columns[name]


ColumnRef = tuple[str, str]  # (dataset key, column name)
DATASET_COLUMN = ""  # the pseudo-column standing for a dataset as a whole (its rows; its unobserved columns)


@dataclass
class ImportedLineage:
    source: str  # "openlineage" or "dbt"
    datasets: dict[str, Dataset] = field(default_factory=dict)
    job_edges: set[tuple[str, str]] = field(default_factory=set)  # (input dataset, output dataset)
    column_edges: set[tuple[ColumnRef, ColumnRef]] = field(default_factory=set)
    # the column edges whose output is the input's value unchanged (a pass-through copy: OpenLineage's
    # IDENTITY transformation, a bare column in SQL)
    identity_edges: set[tuple[ColumnRef, ColumnRef]] = field(default_factory=set)
    # a column that shapes a dataset's rows (join key, filter, group-by): it affects all its columns
    indirect_edges: set[tuple[ColumnRef, str]] = field(default_factory=set)
    # datasets whose column edges are complete (from the tool or from SQL): no fallback rule for them
    exact: set[str] = field(default_factory=set)
    skipped: list[dict] = field(default_factory=list)  # checks that name nothing imported
    # ML models the tool knows (dbt exposures of type ml): id, parents (dataset keys), owner, description, key
    models: list[dict] = field(default_factory=list)
    extras: dict = field(default_factory=dict)  # graph-level ``x-`` keys

    def dataset(self, key: str, label: str) -> Dataset:
        if key not in self.datasets:
            self.datasets[key] = Dataset(key, label)
        return self.datasets[key]
