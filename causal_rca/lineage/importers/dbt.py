"""dbt ``manifest.json`` → imported lineage: sources, seeds, snapshots and models; tests as contracts.

Read directly (the manifest is plain JSON whose schema dbt publishes per version); schema
versions v4 to v12 are accepted, others are refused with their version named, because
their layout is not known here. Column descriptions become node descriptions, ``data_type``
the dtype; ``not_null`` tests become ``max_null_rate: 0`` and ``accepted_values`` tests
``allowed``. Edges come from ``parent_map`` (or each node's ``depends_on.nodes``). Exposures
are kept as provenance of the graph (``x-exposures``): the model, label and metric come from
``--attach-model``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from causal_rca.errors import InputError
from causal_rca.lineage.importers.columns import Column, ImportedLineage, dtype_of
from causal_rca.lineage.nesting import load_json

SUPPORTED = range(4, 13)
DATA_NODES = ("model", "seed", "snapshot")
WHAT = "a dbt manifest"


def read_manifest(path: Path) -> dict:
    try:
        manifest = load_json(path.read_text(encoding="utf-8"), str(path), WHAT)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read dbt manifest '{path}': {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"'{path}' is not JSON: {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("nodes"), dict):
        raise InputError(f"'{path}' is not a dbt manifest (no 'nodes' mapping)")
    version = str((manifest.get("metadata") or {}).get("dbt_schema_version", ""))
    m = re.search(r"manifest/v(\d+)\.json$", version)
    if not m:
        raise InputError(f"'{path}': metadata.dbt_schema_version is missing or not a manifest schema ({version!r})")
    if int(m.group(1)) not in SUPPORTED:
        raise InputError(f"'{path}': dbt manifest schema v{m.group(1)} is not supported "
                         f"(supported: v{SUPPORTED.start}–v{SUPPORTED.stop - 1})")
    return manifest


def lineage_from_manifest(manifest: dict, select: list[str] | None = None) -> tuple[ImportedLineage, dict]:
    """(lineage, graph-level extras such as the project name and exposures)."""
    out = ImportedLineage("dbt")
    nodes = {k: v for k, v in manifest["nodes"].items() if isinstance(v, dict)}
    sources = {k: v for k, v in (manifest.get("sources") or {}).items() if isinstance(v, dict)}
    data = {k: v for k, v in {**nodes, **sources}.items() if v.get("resource_type") in (*DATA_NODES, "source")}
    parent_map = manifest.get("parent_map") or {k: (v.get("depends_on") or {}).get("nodes", []) for k, v in nodes.items()}
    keep = set(data)
    if select:
        by_name = {v.get("name"): k for k, v in data.items()}
        unknown = [s for s in select if s not in by_name and s not in data]
        if unknown:
            raise InputError(f"--select: no model named {', '.join(unknown)} in the manifest")
        keep = set()
        stack = [by_name.get(s, s) for s in select]
        while stack:
            k = stack.pop()
            if k in keep or k not in data:
                continue
            keep.add(k)
            stack.extend(parent_map.get(k, []))
    for key in sorted(keep):
        node = data[key]
        label = node.get("name") or key.rsplit(".", 1)[-1]
        ds = out.dataset(key, label)
        ds.description = node.get("description") or None
        owner = (node.get("meta") or {}).get("owner") or (node.get("config") or {}).get("meta", {}).get("owner")
        ds.owner = str(owner) if owner else None
        for name, col in (node.get("columns") or {}).items():
            ds.columns[name] = Column(name, dtype_of(col.get("data_type")), col.get("description") or None)
        for parent in parent_map.get(key, []):
            if parent in keep:
                out.job_edges.add((parent, key))
    for key, test in nodes.items():
        if test.get("resource_type") != "test":
            continue
        meta = test.get("test_metadata") or {}
        kwargs = meta.get("kwargs") or {}
        column = kwargs.get("column_name") or test.get("column_name")
        target = test.get("attached_node") or next(iter((test.get("depends_on") or {}).get("nodes", [])), None)
        if target not in out.datasets or not column:
            continue
        col = out.datasets[target].columns.setdefault(column, Column(column))
        if meta.get("name") == "not_null":
            col.contract["max_null_rate"] = 0.0
        elif meta.get("name") == "accepted_values" and isinstance(kwargs.get("values"), list):
            col.contract["allowed"] = [v for v in kwargs["values"]]
    extras = {"x-dbt-project": (manifest.get("metadata") or {}).get("project_name")
              or next((v.get("package_name") for v in data.values() if v.get("package_name")), None)}
    exposures = sorted(v.get("name") for v in (manifest.get("exposures") or {}).values() if isinstance(v, dict))
    if exposures:
        extras["x-exposures"] = exposures
    if not out.datasets:
        raise InputError("the manifest has no sources, seeds or models to import")
    return out, {k: v for k, v in extras.items() if v}
