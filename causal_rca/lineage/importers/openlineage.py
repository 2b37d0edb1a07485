"""OpenLineage run events (a JSON array or JSON lines) → imported lineage.

We read the published event shape directly (``job``, ``inputs``/``outputs`` datasets with
``namespace``/``name``, the ``schema`` facet's ``fields`` and the ``columnLineage`` facet's
``fields.<column>.inputFields``). The official ``openlineage-python`` client models are
made for emitting events and have no validating parser, so they would add a dependency
without checking more than this does; every malformed part is one clear error instead.
Events of one run (START, RUNNING, COMPLETE) are merged.
"""

from __future__ import annotations

import json
from pathlib import Path

from causal_rca.errors import InputError
from causal_rca.lineage.importers.columns import Column, ImportedLineage, dtype_of
from causal_rca.lineage.nesting import load_json

WHAT = "OpenLineage events"


def read_events(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read OpenLineage events '{path}': {exc}") from None
    text = text.strip()
    if not text:
        raise InputError(f"'{path}' is empty: expected OpenLineage run events (a JSON array or JSON lines)")
    try:
        if text.startswith("["):
            events = load_json(text, str(path), WHAT)
        else:
            events = [load_json(line, str(path), WHAT) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise InputError(f"'{path}' is not JSON or JSON lines: {exc}") from None
    if isinstance(events, dict):
        events = [events]
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise InputError(f"'{path}': expected a list of OpenLineage run events (JSON objects)")
    return events


def _dataset_key(ds: dict, where: str) -> tuple[str, str]:
    if not isinstance(ds, dict) or not isinstance(ds.get("namespace"), str) or not isinstance(ds.get("name"), str):
        raise InputError(f"{where}: a dataset needs string 'namespace' and 'name'")
    return f"{ds['namespace']}/{ds['name']}", ds["name"].rsplit("/", 1)[-1].rsplit(".", 1)[-1]


def lineage_from_events(events: list[dict], source_name: str = "events") -> ImportedLineage:
    out = ImportedLineage("openlineage")
    jobs = 0
    for i, event in enumerate(events):
        where = f"{source_name}: event {i + 1}"
        job = event.get("job")
        if not isinstance(job, dict) or "name" not in job:
            raise InputError(f"{where}: not an OpenLineage run event (no 'job' with a 'name')")
        inputs, outputs = event.get("inputs", []), event.get("outputs", [])
        if not isinstance(inputs, list) or not isinstance(outputs, list):
            raise InputError(f"{where}: 'inputs' and 'outputs' must be lists of datasets")
        jobs += 1
        keys_in = [_add_dataset(out, ds, f"{where} input") for ds in inputs]
        for ds in outputs:
            key = _add_dataset(out, ds, f"{where} output")
            for k in keys_in:
                if k != key:
                    out.job_edges.add((k, key))
            lineage = (ds.get("facets") or {}).get("columnLineage")
            if lineage is None:
                continue
            fields = lineage.get("fields") if isinstance(lineage, dict) else None
            if not isinstance(fields, dict):
                raise InputError(f"{where}: the columnLineage facet of '{key}' has no 'fields' mapping")
            for column, spec in fields.items():
                out.datasets[key].columns.setdefault(column, Column(column))
                for src in (spec or {}).get("inputFields", []):
                    src_key, label = _dataset_key(src, f"{where} columnLineage of {key}.{column}")
                    if not isinstance(src.get("field"), str):
                        raise InputError(f"{where}: an inputField of {key}.{column} has no 'field'")
                    out.dataset(src_key, label).columns.setdefault(src["field"], Column(src["field"]))
                    out.column_edges.add(((src_key, src["field"]), (key, column)))
                    if src_key != key:
                        out.job_edges.add((src_key, key))
    if not jobs or not out.datasets:
        raise InputError(f"{source_name}: the events name no datasets (no inputs or outputs)")
    return out


def _add_dataset(out: ImportedLineage, ds: dict, where: str) -> str:
    key, label = _dataset_key(ds, where)
    dataset = out.dataset(key, label)
    facets = ds.get("facets") or {}
    schema = facets.get("schema")
    if schema is not None:
        fields = schema.get("fields") if isinstance(schema, dict) else None
        if not isinstance(fields, list):
            raise InputError(f"{where}: the schema facet of '{key}' has no 'fields' list")
        for f in fields:
            if not isinstance(f, dict) or not isinstance(f.get("name"), str):
                raise InputError(f"{where}: a schema field of '{key}' has no 'name'")
            col = dataset.columns.setdefault(f["name"], Column(f["name"]))
            col.dtype = col.dtype or dtype_of(f.get("type"))
            col.description = col.description or f.get("description")
    doc = facets.get("documentation")
    if isinstance(doc, dict) and doc.get("description"):
        dataset.description = doc["description"]
    owners = (facets.get("ownership") or {}).get("owners") if isinstance(facets.get("ownership"), dict) else None
    if owners and isinstance(owners[0], dict) and owners[0].get("name"):
        dataset.owner = str(owners[0]["name"])
    return key
