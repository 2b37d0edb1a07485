"""OpenLineage events → imported lineage.

We read the published event shapes directly: run events and job events (``job``,
``inputs``/``outputs``), dataset events (``dataset``), each dataset's facets: ``schema``
(nested struct fields become ``parent.child`` columns), ``columnLineage`` (``fields`` for
values, ``dataset`` for what shapes the rows: joins, filters, group-bys), ``symlinks`` (other
names of the same data: a Spark path and the Hive table it backs join into one dataset),
``documentation``, ``ownership``, and the input facets ``dataQualityAssertions`` (contracts)
and ``dataQualityMetrics`` (kept as evidence). A facet sent as ``{"_deleted": true}`` is
absent; ``null`` lists are empty. The official ``openlineage-python`` client models are made
for emitting events and have no validating parser, so each malformed part is one clear error
here instead. Events of one run (START, RUNNING, COMPLETE) are merged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from causal_rca.errors import InputError
from causal_rca.lineage.importers.columns import Check, ImportedLineage, dtype_of
from causal_rca.lineage.importers.dbt_tests import NO_CONTRACT
from causal_rca.lineage.importers.jsonfile import (
    json_type,
    json_values,
    looks_like_catalog,
    looks_like_manifest,
    read_text,
)

WHAT = "OpenLineage events"
PLACEHOLDER = re.compile(r"\$\{[^}]*\}")
#: assertion names that say what a contract key says (others are kept, as skipped, with the reason)
ASSERTIONS = {"not_null": {"max_null_rate": 0.0}, "notnull": {"max_null_rate": 0.0},
              "is_not_null": {"max_null_rate": 0.0}}


def read_events(path: Path) -> list[dict]:
    """The events in the file: a JSON array, JSON lines, pretty-printed objects one after another, gzip or not."""
    text = read_text(path, WHAT).strip()
    if not text:
        raise InputError(f"'{path}' is empty: expected OpenLineage run events (a JSON array or JSON lines)")
    try:
        values = json_values(text, path, WHAT)
    except json.JSONDecodeError as exc:
        raise InputError(f"'{path}' is not JSON or JSON lines ({exc.msg} at line {exc.lineno} "
                         f"column {exc.colno})") from None
    if values and looks_like_manifest(values[0]):
        raise InputError(f"'{path}' is a dbt manifest, not OpenLineage events: import it with "
                         f"`causal-rca import dbt {path}`")
    if values and looks_like_catalog(values[0]):
        raise InputError(f"'{path}' is a dbt catalog, not OpenLineage events: give it to "
                         f"`causal-rca import dbt MANIFEST --catalog {path}`")
    events = [e for v in values for e in (v if isinstance(v, list) else [v])]
    for i, e in enumerate(events):
        if not isinstance(e, dict):
            raise InputError(f"'{path}': event {i + 1} is a JSON {type(e).__name__}, not an OpenLineage event "
                             f"(an object)")
    return events


def _facet(facets: dict, name: str) -> Any:
    """A facet, or None when absent, null, or deleted (``{"_deleted": true}``)."""
    value = facets.get(name)
    if isinstance(value, dict) and value.get("_deleted") is True:
        return None
    return value


def _mapping(value: Any, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected an object, found a JSON {json_type(value)}")
    return value


def _list(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{where}: expected a list, found a JSON {json_type(value)}")
    return value


def _name(ds: Any, where: str) -> tuple[str, str]:
    """(namespace, name) of a dataset; the namespace may be missing (test expectations leave it out)."""
    if not isinstance(ds, dict) or not isinstance(ds.get("name"), str) or not ds["name"] or \
            not isinstance(ds.get("namespace", ""), str):
        raise InputError(f"{where}: a dataset needs string 'namespace' and 'name'")
    namespace = ds.get("namespace", "")
    for part in (namespace, ds["name"]):
        m = PLACEHOLDER.search(part)
        if m:
            raise InputError(f"{where}: dataset '{namespace}/{ds['name']}' holds the placeholder "
                             f"'{m.group(0)}': this is a test template, not events a producer sent")
    return namespace, ds["name"]


def _key(namespace: str, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def _label(name: str) -> str:
    return name.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[-1] or name


class _Aliases:
    """Symlinks: every name a dataset is known by, joined into one (union-find, canonical = smallest
    table name, so the result does not depend on the order events come in)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.tables: set[str] = set()
        self.names: dict[str, str] = {}  # key → the dataset's name (its label comes from it)

    def add(self, namespace: str, name: str) -> str:
        key = _key(namespace, name)
        self.names[key] = name
        self.find(key)
        return key

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def canonical(self) -> dict[str, str]:
        groups: dict[str, list[str]] = {}
        for key in sorted(self.parent):
            groups.setdefault(self.find(key), []).append(key)
        out = {}
        for members in groups.values():
            tables = [m for m in members if m in self.tables]
            chosen = min(tables) if tables else min(members)
            out.update({m: chosen for m in members})
        return out


def _datasets(event: dict, where: str) -> list[tuple[str, dict]]:
    """(role, dataset) for every dataset the event names: inputs, outputs, or a dataset event's one."""
    if "dataset" in event:
        return [("dataset", _mapping(event["dataset"], f"{where}: 'dataset'"))]
    out = [("input", d) for d in _list(event.get("inputs"), f"{where}: 'inputs'")]
    return out + [("output", d) for d in _list(event.get("outputs"), f"{where}: 'outputs'")]


def lineage_from_events(events: list[dict], source_name: str = "events") -> ImportedLineage:
    """The lineage the events describe, merged over events and runs."""
    aliases = _Aliases()
    for i, event in enumerate(events):
        where = f"{source_name}: event {i + 1}"
        if not any(k in event for k in ("job", "dataset", "inputs", "outputs", "run")):
            raise InputError(f"{where}: not an OpenLineage run event (no 'job', 'run', 'dataset', 'inputs' or "
                             f"'outputs')")
        if "job" in event and not isinstance(event["job"], dict):
            raise InputError(f"{where}: not an OpenLineage run event ('job' is not an object)")
        for role, ds in _datasets(event, where):
            key = aliases.add(*_name(ds, f"{where} {role}"))
            links = _mapping(_facet(_mapping(ds.get("facets"), f"{where} {role} facets"), "symlinks"),
                             f"{where}: the symlinks facet of '{key}'")
            for ident in _list(links.get("identifiers"), f"{where}: symlinks of '{key}'"):
                other = aliases.add(*_name(ident, f"{where}: a symlink of '{key}'"))
                if ident.get("type") in (None, "TABLE", "table"):
                    aliases.tables.add(other)
                aliases.join(key, other)
    canonical = aliases.canonical()
    out = ImportedLineage("openlineage")
    for key, chosen in sorted(canonical.items()):
        d = out.dataset(chosen, _label(aliases.names[chosen]))
        if key != chosen:
            d.aliases.append(key)
    for i, event in enumerate(events):
        where = f"{source_name}: event {i + 1}"
        datasets = _datasets(event, where)
        inputs = [_read_dataset(out, canonical, ds, f"{where} {role}") for role, ds in datasets if role == "input"]
        for role, ds in datasets:
            if role == "output" and _is_test_job(event):
                continue  # a test's output is its failures table (dbt store_failures), not pipeline data
            key = _read_dataset(out, canonical, ds, f"{where} {role}")
            if role != "output":
                continue
            for k in inputs:
                if k != key:
                    out.job_edges.add((k, key))
            _column_lineage(out, canonical, ds, key, where)
    if not out.datasets:
        _jobs_only(out, events, source_name)
    return out


def _jobs_only(out: ImportedLineage, events: list[dict], source_name: str) -> None:
    """Events that name no dataset (a START with nothing resolved yet, an application-level event) still
    say a job ran: each job is one unobserved node, so the file imports as what it knows."""
    for event in events:
        job = event.get("job") if isinstance(event.get("job"), dict) else {}
        namespace = job.get("namespace") if isinstance(job.get("namespace"), str) else ""
        name = job.get("name") if isinstance(job.get("name"), str) else ""
        if name or namespace:
            key = _key(namespace, name) if name else namespace
            out.dataset(f"job:{key}", _label(name or namespace)).extra["x-job"] = True
    if not out.datasets:
        raise InputError(f"{source_name}: the events name no datasets and no jobs (no inputs, outputs or job name)")


def _read_dataset(out: ImportedLineage, canonical: dict[str, str], ds: dict, where: str) -> str:
    key = canonical[_key(*_name(ds, where))]
    dataset = out.datasets[key]
    facets = _mapping(ds.get("facets"), f"{where}: facets of '{key}'")
    schema = _mapping(_facet(facets, "schema"), f"{where}: the schema facet of '{key}'")
    if "fields" in schema and not isinstance(schema["fields"], (list, type(None))):
        raise InputError(f"{where}: the schema facet of '{key}' has no 'fields' list")
    for name, type_name, description in _fields(_list(schema.get("fields"), where), "", f"{where}: '{key}'"):
        col = dataset.column(name)
        col.dtype = col.dtype or dtype_of(type_name)
        col.description = col.description or description
    doc = _facet(facets, "documentation")
    if isinstance(doc, dict) and isinstance(doc.get("description"), str) and doc["description"]:
        dataset.description = doc["description"]
    ownership = _facet(facets, "ownership")
    owners = ownership.get("owners") if isinstance(ownership, dict) else None
    if isinstance(owners, list) and owners and isinstance(owners[0], dict) and owners[0].get("name"):
        dataset.owner = str(owners[0]["name"])
    input_facets = _mapping(ds.get("inputFacets"), f"{where}: inputFacets of '{key}'")
    for where_from in (input_facets, facets):  # the spec says input facets; dbt's integration sends dataset facets
        _quality(dataset, key, _facet(where_from, "dataQualityAssertions"), _facet(where_from, "dataQualityMetrics"),
                 where)
    return key


def _is_test_job(event: dict) -> bool:
    job = event.get("job") if isinstance(event.get("job"), dict) else {}
    facets = job.get("facets") if isinstance(job.get("facets"), dict) else {}
    job_type = _facet(facets, "jobType")
    return isinstance(job_type, dict) and str(job_type.get("jobType", "")).upper() == "TEST"


def _fields(fields: list, prefix: str, where: str) -> list[tuple[str, Any, str | None]]:
    """(column name, type, description) of schema fields; a struct's fields as ``parent.child`` too."""
    out = []
    for f in fields:
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            raise InputError(f"{where}: a schema field has no 'name'")
        name = prefix + f["name"]
        description = f.get("description") if isinstance(f.get("description"), str) else None
        out.append((name, f.get("type"), description))
        out.extend(_fields(_list(f.get("fields"), f"{where}: fields of '{name}'"), name + ".", where))
    return out


def _column_lineage(out: ImportedLineage, canonical: dict[str, str], ds: dict, key: str, where: str) -> None:
    facets = _mapping(ds.get("facets"), where)
    lineage = _facet(facets, "columnLineage")
    if lineage is None:
        return
    lineage = _mapping(lineage, f"{where}: the columnLineage facet of '{key}'")
    fields = lineage.get("fields")
    if fields is not None and not isinstance(fields, dict):
        raise InputError(f"{where}: the columnLineage facet of '{key}' has no 'fields' mapping")
    for column in sorted(fields or {}):
        spec = _mapping(fields[column], f"{where}: columnLineage of '{key}' column '{column}'")
        out.datasets[key].column(column)
        for src in _list(spec.get("inputFields"), f"{where}: inputFields of '{key}' column '{column}'"):
            src_ref = _input_field(out, canonical, src, f"{where}: an inputField of '{key}' column '{column}'")
            if _indirect(src):
                out.indirect_edges.add((src_ref, key))
            else:
                out.column_edges.add((src_ref, (key, column)))
                if _identity(src, spec):
                    out.identity_edges.add((src_ref, (key, column)))
            if src_ref[0] != key:
                out.job_edges.add((src_ref[0], key))
    for src in _list(lineage.get("dataset"), f"{where}: columnLineage.dataset of '{key}'"):
        src_ref = _input_field(out, canonical, src, f"{where}: columnLineage.dataset of '{key}'")
        out.indirect_edges.add((src_ref, key))
        if src_ref[0] != key:
            out.job_edges.add((src_ref[0], key))
    if fields:
        out.exact.add(key)


def _input_field(out: ImportedLineage, canonical: dict[str, str], src: Any, where: str) -> tuple[str, str]:
    raw = _key(*_name(src, where))
    key = canonical.get(raw, raw)
    if key not in out.datasets:
        name = src["name"]
        out.dataset(key, _label(name))
    if not isinstance(src.get("field"), str):
        raise InputError(f"{where} has no 'field'")
    out.datasets[key].column(src["field"])
    return key, src["field"]


def _indirect(src: dict) -> bool:
    """An input field whose every transformation is INDIRECT (it filters or joins, it is not the value)."""
    transformations = src.get("transformations")
    return (isinstance(transformations, list) and bool(transformations)
            and all(isinstance(t, dict) and t.get("type") == "INDIRECT" for t in transformations))


def _identity(src: dict, spec: dict) -> bool:
    """An input field passed on unchanged: every transformation DIRECT/IDENTITY and not masking (or, in
    facets before 1-1-0, the output field's ``transformationType`` IDENTITY)."""
    transformations = src.get("transformations")
    if isinstance(transformations, list) and transformations:
        return all(isinstance(t, dict) and t.get("type") == "DIRECT" and t.get("subtype") == "IDENTITY"
                   and t.get("masking") is not True for t in transformations)
    return transformations is None and spec.get("transformationType") == "IDENTITY"


def _quality(dataset: Any, key: str, assertions: Any, metrics: Any, where: str) -> None:
    """``dataQualityAssertions`` → checks (a contract where the vocabulary has one); ``dataQualityMetrics`` →
    ``x-data-quality`` evidence on the dataset."""
    for a in _list(_mapping(assertions, f"{where}: dataQualityAssertions of '{key}'").get("assertions"),
                   f"{where}: dataQualityAssertions of '{key}'"):
        if not isinstance(a, dict) or not isinstance(a.get("assertion"), str):
            raise InputError(f"{where}: a data-quality assertion of '{key}' has no 'assertion' name")
        column = a.get("column") if isinstance(a.get("column"), str) else None
        name = a["assertion"]
        test = f"{name}({column})" if column else name
        contract = ASSERTIONS.get(name.lower())
        reason = NO_CONTRACT.get(name.lower(), f"assertion '{name}' has no contract key (contracts: dtype, min, max, "
                                               f"max_null_rate, allowed)")
        check = Check(test, dict(contract) if contract and column else {},
                      None if contract and column else reason if column
                      else "a dataset-level assertion: contracts are per column")
        if column:
            checks = dataset.column(column).checks
            if all(c.test != test for c in checks):  # START and COMPLETE events repeat them
                checks.append(check)
        else:
            _add_once(dataset.extra, "x-assertions", {"assertion": name, "success": a.get("success")})
        if a.get("success") is False:
            _add_once(dataset.extra, "x-failed-assertions", test)
    m = _mapping(metrics, f"{where}: dataQualityMetrics of '{key}'")
    if m:
        evidence = {k: m[k] for k in ("rowCount", "bytes", "fileCount") if isinstance(m.get(k), (int, float))}
        cols = _mapping(m.get("columnMetrics"), f"{where}: columnMetrics of '{key}'")
        if cols:
            evidence["columnMetrics"] = {c: {k: v for k, v in sorted(_mapping(cols[c], where).items())
                                             if isinstance(v, (int, float))} for c in sorted(cols)}
        dataset.extra["x-data-quality"] = evidence


def _add_once(extra: dict, key: str, item: Any) -> None:
    items = extra.setdefault(key, [])
    if item not in items:
        items.append(item)
