"""Imported datasets and columns → graph nodes (one rule set for every importer).

- Each dataset column is a node: ``source`` when its dataset is produced by no job,
  ``feature`` otherwise; its schema type becomes ``dtype``.
- A prediction log holds each column once, so a column name is *observed* (``column:``)
  only at the most downstream dataset that has it; the same name upstream is kept as an
  unobserved node (it still carries the lineage). Node ids are the column name where it
  is unique among the observed nodes, else ``dataset.column``.
- Column-level edges come from the tool when it has them (OpenLineage ``columnLineage``);
  otherwise a column depends on the same-named column of an input dataset (a pass-through)
  or, failing that, on every column of the inputs (dataset-level lineage), read from their
  pass-through copies in the same dataset when there are.
- Provenance: ``x-qualified-name`` on every node, ``x-source`` on the graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import networkx as nx

NUMERIC = ("int", "integer", "bigint", "smallint", "tinyint", "long", "short", "double", "float", "real",
           "decimal", "numeric", "number")
BOOLEAN = ("bool", "boolean")
DATETIME = ("timestamp", "timestamp_ntz", "timestamp_tz", "datetime", "date", "time")
TEXTUAL = ("string", "varchar", "char", "text", "character varying", "nvarchar")


def dtype_of(type_name: str | None) -> str | None:
    """A warehouse or Spark type name as a graph dtype (None when unknown)."""
    if not type_name:
        return None
    t = str(type_name).strip().lower()
    base = re.split(r"[\s(<]", t, maxsplit=1)[0]
    if base in NUMERIC or t in NUMERIC:
        return "numeric"
    if base in BOOLEAN:
        return "boolean"
    if base in DATETIME or base.startswith("timestamp"):
        return "datetime"
    if base in TEXTUAL or t in TEXTUAL:
        return "categorical"
    return None


@dataclass
class Column:
    name: str
    dtype: str | None = None
    description: str | None = None
    contract: dict = field(default_factory=dict)


@dataclass
class Dataset:
    key: str  # qualified name, e.g. "postgres://db/raw.transactions" or "model.shop.orders"
    label: str  # short name for ids: "transactions"
    columns: dict[str, Column] = field(default_factory=dict)
    description: str | None = None
    owner: str | None = None


@dataclass
class ImportedLineage:
    source: str  # "openlineage" or "dbt"
    datasets: dict[str, Dataset] = field(default_factory=dict)
    job_edges: set[tuple[str, str]] = field(default_factory=set)  # (input dataset, output dataset)
    column_edges: set[tuple[tuple[str, str], tuple[str, str]]] = field(default_factory=set)

    def dataset(self, key: str, label: str) -> Dataset:
        if key not in self.datasets:
            self.datasets[key] = Dataset(key, label)
        return self.datasets[key]


DATASET = ""  # the pseudo-column of a dataset whose columns the tool did not report


def _safe(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_.-")
    return s or "node"


def to_graph(lineage: ImportedLineage, name: str) -> dict:
    """The version-1 graph (as a dict) for the imported lineage."""
    flow = nx.DiGraph()
    flow.add_nodes_from(lineage.datasets)
    flow.add_edges_from(lineage.job_edges)
    depth = {k: i for i, k in enumerate(nx.topological_sort(flow))} if nx.is_directed_acyclic_graph(flow) else {}
    produced = {out for _inp, out in lineage.job_edges}
    for ds in lineage.datasets.values():
        if not ds.columns:  # dataset-level lineage only: the dataset is one unobserved node
            ds.columns[DATASET] = Column(DATASET)
    # the column name is observed at its most downstream dataset
    observed_at: dict[str, str] = {}
    for key in sorted(lineage.datasets, key=lambda k: (depth.get(k, 0), k)):
        for col in lineage.datasets[key].columns:
            if col != DATASET:
                observed_at[col] = key
    ids: dict[tuple[str, str], str] = {}
    taken: set[str] = set()
    for key, ds in sorted(lineage.datasets.items()):
        for col in ds.columns:
            if col != DATASET and observed_at[col] == key:
                ids[(key, col)] = _safe(col)
                taken.add(_safe(col))
    for key, ds in sorted(lineage.datasets.items()):
        for col in ds.columns:
            if (key, col) not in ids:
                candidate, k = _safe(f"{ds.label}.{col}" if col != DATASET else ds.label), 2
                while candidate in taken:
                    candidate, k = _safe(f"{ds.label}.{col}.{k}"), k + 1
                ids[(key, col)] = candidate
                taken.add(candidate)
    parents: dict[tuple[str, str], set[tuple[str, str]]] = {c: set() for c in ids}
    explicit = {dst for _src, dst in lineage.column_edges}
    for src, dst in lineage.column_edges:
        if src in ids and dst in ids and src != dst:
            parents[dst].add(src)
    for inp, out in lineage.job_edges:
        for col in lineage.datasets[out].columns:
            if (out, col) in explicit:
                continue
            if col != DATASET and col in lineage.datasets[inp].columns:
                parents[(out, col)].add((inp, col))
    for out in produced:
        inputs = [i for i, o in lineage.job_edges if o == out]
        for col in lineage.datasets[out].columns:
            if (out, col) not in explicit and not parents[(out, col)]:
                # an input column passed through to this dataset is the same value: depend on the copy
                parents[(out, col)] = {(out, c) if c in lineage.datasets[out].columns and c != col else (i, c)
                                       for i in inputs for c in lineage.datasets[i].columns}
    nodes: dict[str, dict] = {}
    for (key, col), node_id in sorted(ids.items(), key=lambda kv: kv[1]):
        ds, c = lineage.datasets[key], lineage.datasets[key].columns[col]
        node: dict = {"kind": "feature" if key in produced else "source"}
        ps = sorted(ids[p] for p in parents[(key, col)])
        if ps:
            node["parents"] = ps
        if col != DATASET and observed_at[col] == key:
            node["column"] = col
        if c.dtype:
            node["dtype"] = c.dtype
        if c.description or ds.description:
            node["description"] = c.description or ds.description
        if ds.owner:
            node["owner"] = ds.owner
        if c.contract and "column" in node:
            node["contract"] = dict(c.contract)
        node["x-qualified-name"] = f"{key}#{col}" if col != DATASET else key
        nodes[node_id] = node
    return {"version": 1, "name": _safe(name), "x-source": lineage.source, "nodes": nodes}
