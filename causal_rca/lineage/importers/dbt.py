"""dbt ``manifest.json`` (and ``catalog.json``) → imported lineage.

Read directly as the JSON dbt publishes per schema version: v2 to v12 are accepted, and v20
(dbt Fusion, whose manifest dbt documents as identical to v12) is read as v12; others are
refused with their version named. Sources, seeds, snapshots and models are datasets; their
columns come from the documentation, ``catalog.json`` (real types; sources and seeds often
have no documented columns) and each model's compiled SQL (``sql_lineage``), which also gives
the column edges. Dataset edges are dbt's ``parent_map``, exactly. Tests become checks
(``tests.py``); exposures of ``type: ml`` become model nodes with their dependencies and
owner; other exposures and semantic-layer metrics are listed in ``x-`` keys.

A manifest is large and hand-edited JSON sometimes: a field of the wrong type is one error
naming the node and the field, never a traceback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from causal_rca.errors import InputError
from causal_rca.lineage.importers import dbt_tests
from causal_rca.lineage.importers.columns import Column, ImportedLineage, dtype_of
from causal_rca.lineage.importers.jsonfile import (
    json_type, json_values, looks_like_catalog, looks_like_events, not_json, read_text,
)
from causal_rca.lineage.importers.selectors import select_nodes
from causal_rca.lineage.importers.sql_lineage import DIALECTS, SqlLineageError, Table, query_lineage

SUPPORTED = range(2, 13)
SAME_AS_V12 = (20,)  # dbt Fusion writes v20; dbt's docs: the same layout as v12
DATA_NODES = ("model", "seed", "snapshot")
WHAT = "a dbt manifest"
CATALOG = "a dbt catalog"


def _read_json(path: Path, what: str) -> Any:
    text = read_text(path, what)
    try:
        values = json_values(text, path, what)
    except json.JSONDecodeError as exc:
        raise not_json(path, exc, what) from None
    if len(values) != 1:
        raise InputError(f"'{path}' is not JSON: expected one object, found {len(values)} values")
    return values[0]


def read_manifest(path: Path) -> dict:
    """The manifest, checked to be one whose layout is known here."""
    manifest = _read_json(path, WHAT)
    if looks_like_events(manifest):
        raise InputError(f"'{path}' holds OpenLineage events, not a dbt manifest: import it with "
                         f"`causal-rca import openlineage {path}`")
    if looks_like_catalog(manifest):
        raise InputError(f"'{path}' is a dbt catalog, not a manifest: give it with --catalog, and the "
                         f"manifest (target/manifest.json) as the argument")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("nodes"), dict):
        raise InputError(f"'{path}' is not a dbt manifest (no 'nodes' mapping)")
    metadata = manifest.get("metadata")
    version = str((metadata if isinstance(metadata, dict) else {}).get("dbt_schema_version", ""))
    m = re.search(r"manifest/v(\d+)\.json$", version)
    if not m:
        raise InputError(f"'{path}': metadata.dbt_schema_version is missing or not a manifest schema ({version!r})")
    if int(m.group(1)) not in SUPPORTED and int(m.group(1)) not in SAME_AS_V12:
        raise InputError(f"'{path}': dbt manifest schema v{m.group(1)} is not supported "
                         f"(supported: v{SUPPORTED.start}–v{SUPPORTED.stop - 1}, and v20 as v12)")
    for section in ("sources", "exposures", "metrics", "parent_map", "semantic_models"):
        if manifest.get(section) is not None and not isinstance(manifest[section], dict):
            raise InputError(f"'{path}': '{section}' must be a mapping, found a JSON {type(manifest[section]).__name__}")
    return manifest


def read_catalog(path: Path) -> dict[str, dict[str, str | None]]:
    """unique id → {column name: type} from ``catalog.json`` (``dbt docs generate``)."""
    catalog = _read_json(path, CATALOG)
    if not isinstance(catalog, dict) or not looks_like_catalog(catalog):
        hint = " (it is a manifest: give it as the argument)" if isinstance(catalog, dict) and "parent_map" in catalog \
            else ""
        raise InputError(f"'{path}' is not a dbt catalog (metadata.dbt_schema_version names no catalog schema){hint}")
    out: dict[str, dict[str, str | None]] = {}
    for section in ("nodes", "sources"):
        entries = catalog.get(section) or {}
        if not isinstance(entries, dict):
            raise InputError(f"'{path}': catalog '{section}' must be a mapping")
        for uid, entry in entries.items():
            columns = entry.get("columns") if isinstance(entry, dict) else None
            if not isinstance(columns, dict):
                raise InputError(f"'{path}': catalog entry '{uid}' has no 'columns' mapping")
            cols = {}
            for name, col in sorted(columns.items(), key=lambda kv: (_index(kv[1]), kv[0])):
                cols[str(name)] = col.get("type") if isinstance(col, dict) and isinstance(col.get("type"), str) else None
            out[uid] = cols
    return out


def _index(col: Any) -> float:
    return col.get("index") if isinstance(col, dict) and isinstance(col.get("index"), (int, float)) else 0


def _text(node: dict, key: str, where: str) -> str | None:
    value = node.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError(f"{where}: '{key}' must be text, found a JSON {json_type(value)}")
    return value


def _dict(node: dict, key: str, where: str) -> dict:
    value = node.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{where}: '{key}' must be a mapping, found a JSON {json_type(value)}")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: expected a list of unique ids (text)")
    return value


def _label(key: str, node: dict) -> tuple[str, str]:
    """(short label, long label): the long one tells a seed from a source of the same name."""
    name = node.get("name") if isinstance(node.get("name"), str) else key.rsplit(".", 1)[-1]
    kind = node.get("resource_type", "node")
    long = f"source.{node['source_name']}.{name}" if kind == "source" and isinstance(
        node.get("source_name"), str) else f"{kind}.{name}"
    return name, long


def _relation(node: dict) -> Table:
    """The table the node is in the warehouse, as its compiled SQL names it."""
    name = node.get("identifier") if node.get("resource_type") == "source" else node.get("alias")
    name = name or node.get("name") or ""
    return (str(node.get("database") or "").lower(), str(node.get("schema") or "").lower(), str(name).lower())


def lineage_from_manifest(manifest: dict, select: list[str] | None = None, exclude: list[str] | None = None,
                          catalog: dict[str, dict[str, str | None]] | None = None) -> ImportedLineage:
    """The lineage of the selected data nodes, with column edges from their SQL where it can be read."""
    out = ImportedLineage("dbt")
    nodes = {k: v for k, v in manifest["nodes"].items() if isinstance(v, dict)}
    sources = {k: v for k, v in (manifest.get("sources") or {}).items() if isinstance(v, dict)}
    data = {k: v for k, v in sorted({**nodes, **sources}.items()) if v.get("resource_type") in (*DATA_NODES, "source")}
    parent_map = _parent_map(manifest, nodes)
    keep = select_nodes(data, parent_map, select, exclude)
    for key in sorted(keep):
        node = data[key]
        where = f"dbt node '{key}'"
        label, long = _label(key, node)
        ds = out.dataset(key, label)
        ds.long_label = long
        ds.description = _text(node, "description", where)
        meta = {**_dict(node, "meta", where), **_dict(_dict(node, "config", where), "meta", where)}
        owner = meta.get("owner")
        ds.owner = str(owner) if isinstance(owner, (str, int, float)) and owner != "" else None
        ds.aliases.append(".".join(p for p in _relation(node) if p))
        for name, col in sorted(_dict(node, "columns", where).items()):
            col = col if isinstance(col, dict) else {}
            ds.columns[name] = Column(name, dtype_of(col.get("data_type")),
                                      _text(col, "description", f"{where} column '{name}'"))
        for name, type_name in (catalog or {}).get(key, {}).items():
            column = _column_named(ds.columns, name) or ds.column(name)
            column.dtype = dtype_of(type_name) or column.dtype
        for parent in _strings(parent_map.get(key), f"{where}: parent_map"):
            if parent in keep:
                out.job_edges.add((parent, key))
    _sql_lineage(out, data, keep, manifest)
    dbt_tests.attach_tests(out, nodes, data, keep)
    _exposures(out, manifest, keep)
    _graph_extras(out, manifest, data)
    if not out.datasets:
        raise InputError("the manifest has no sources, seeds or models to import (or the selection keeps none)")
    return out


def _parent_map(manifest: dict, nodes: dict) -> dict[str, list]:
    if isinstance(manifest.get("parent_map"), dict):
        return manifest["parent_map"]
    return {k: _dict(v, "depends_on", f"dbt node '{k}'").get("nodes", []) for k, v in nodes.items()}


def _column_named(columns: dict[str, Column], name: str) -> Column | None:
    """The column of that name, whatever its case (warehouses differ: Snowflake upper-cases)."""
    if name in columns:
        return columns[name]
    lower = name.lower()
    return next((c for n, c in sorted(columns.items()) if n.lower() == lower), None)


def _sql_lineage(out: ImportedLineage, data: dict, keep: set[str], manifest: dict) -> None:
    """Column edges of each model from its compiled SQL, in dependency order (a model's ``select *`` needs
    its inputs' columns); models whose SQL cannot be followed keep the fallback rule, and say why."""
    import networkx as nx

    flow = nx.DiGraph()
    flow.add_nodes_from(sorted(keep))
    flow.add_edges_from(sorted(out.job_edges))
    adapter = str(_dict(manifest, "metadata", "the manifest").get("adapter_type") or "").lower()
    dialect = DIALECTS.get(adapter)
    relations: dict[Table, str] = {_relation(data[k]): k for k in sorted(keep)}
    short: dict[tuple[str, str], list[str]] = {}
    for rel, k in relations.items():
        short.setdefault(rel[1:], []).append(k)
    order = list(nx.lexicographical_topological_sort(flow)) if nx.is_directed_acyclic_graph(flow) else sorted(keep)
    for key in order:
        node = data[key]
        if node.get("resource_type") not in ("model", "snapshot") or not out.job_edges & {(p, key) for p in keep}:
            continue
        ds = out.datasets[key]
        sql = node.get("compiled_code") or node.get("compiled_sql")
        if not isinstance(sql, str) or not sql.strip():
            ds.lineage = "fallback (no compiled SQL in the manifest: run `dbt compile`): same-named input column, " \
                         "else every input column"
            continue
        inputs = sorted(p for p, c in out.job_edges if c == key)
        schema = {_relation(data[p]): {c.lower(): "UNKNOWN" for c in out.datasets[p].columns if c} for p in inputs}
        try:
            q = query_lineage(sql, dialect, schema)
        except SqlLineageError as exc:
            ds.lineage = f"fallback ({exc}): same-named input column, else every input column"
            continue

        def resolve(table: Table) -> str | None:
            if table in relations:
                return relations[table]
            candidates = short.get(table[1:], [])
            return candidates[0] if len(candidates) == 1 else None

        for name in sorted(q.columns):
            column = _column_named(ds.columns, name) or ds.column(name)
            for table, src in sorted(q.columns[name]):
                parent = resolve(table)
                if parent is None or parent not in out.datasets:
                    continue
                src_col = _column_named(out.datasets[parent].columns, src) or out.datasets[parent].column(src)
                out.column_edges.add(((parent, src_col.name), (key, column.name)))
                if name in q.identity:
                    out.identity_edges.add(((parent, src_col.name), (key, column.name)))
        for table, src in sorted(q.shaping):
            parent = resolve(table)
            if parent is not None and parent in out.datasets:
                src_col = _column_named(out.datasets[parent].columns, src) or out.datasets[parent].column(src)
                out.indirect_edges.add(((parent, src_col.name), key))
        if q.unresolved:
            ds.lineage = ("column lineage from compiled SQL (sqlglot); fallback for "
                          + ", ".join(f"{c} ({r})" for c, r in sorted(q.unresolved.items())))
            for c in q.unresolved:
                (_column_named(ds.columns, c) or ds.column(c))
        else:
            ds.lineage = "column lineage from compiled SQL (sqlglot)"
            out.exact.add(key)


def _exposures(out: ImportedLineage, manifest: dict, keep: set[str]) -> None:
    """``type: ml`` exposures → model nodes fed by their dependencies; every exposure listed in ``x-exposures``."""
    listed = []
    for key, exposure in sorted((manifest.get("exposures") or {}).items()):
        where = f"exposure '{key}'"
        if not isinstance(exposure, dict):
            raise InputError(f"{where}: must be a mapping")
        name = _text(exposure, "name", where) or key.rsplit(".", 1)[-1]
        kind = _text(exposure, "type", where)
        owner = _dict(exposure, "owner", where)
        owner_name = owner.get("name") or owner.get("email")
        depends = [d for d in _strings(_dict(exposure, "depends_on", where).get("nodes"), f"{where}: depends_on.nodes")]
        entry = {"name": name, **({"type": kind} if kind else {}),
                 **({"owner": str(owner_name)} if owner_name else {}), "depends_on": sorted(depends)}
        listed.append(entry)
        if kind == "ml":
            out.models.append({"id": name, "parents": sorted(d for d in depends if d in keep),
                               "owner": str(owner_name) if owner_name else None,
                               "description": _text(exposure, "description", where), "key": key})
    if listed:
        out.extras["x-exposures"] = listed


def _graph_extras(out: ImportedLineage, manifest: dict, data: dict) -> None:
    metadata = _dict(manifest, "metadata", "the manifest")
    project = metadata.get("project_name") if isinstance(metadata.get("project_name"), str) else None
    project = project or next((v.get("package_name") for v in data.values()
                               if isinstance(v.get("package_name"), str)), None)
    if project:
        out.extras["x-dbt-project"] = project
    metrics = sorted(str(v.get("name") or k) for k, v in (manifest.get("metrics") or {}).items() if isinstance(v, dict))
    if metrics:
        out.extras["x-dbt-metrics"] = metrics
    semantic = sorted(str(v.get("name") or k) for k, v in (manifest.get("semantic_models") or {}).items()
                      if isinstance(v, dict))
    if semantic:
        out.extras["x-dbt-semantic-models"] = semantic
