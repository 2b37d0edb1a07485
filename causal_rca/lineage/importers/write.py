"""Import, attach, validate, write: the one path both `causal-rca import` commands take."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

import yaml

from causal_rca.errors import InputError
from causal_rca.lineage.importers import dbt, openlineage
from causal_rca.lineage.importers.attach import attach_model, observed_from, read_attachment
from causal_rca.lineage.importers.build import to_graph
from causal_rca.lineage.importers.dbt import lineage_from_manifest, read_catalog, read_manifest
from causal_rca.lineage.importers.openlineage import lineage_from_events, read_events
from causal_rca.lineage.loader import graph_from_dict
from causal_rca.lineage.nesting import too_deep

WHAT = {"openlineage": openlineage.WHAT, "dbt": dbt.WHAT}


@dataclass
class Options:
    """What the command line may add to an import (each optional)."""

    attach: Path | None = None
    select: list[str] | None = None
    exclude: list[str] | None = None
    catalog: Path | None = None
    observed_from: str | None = None  # a CSV/Parquet file or glob: the prediction log
    name: str | None = None


def imported_graph(kind: str, path: Path, *, attach: Path | None = None, select: list[str] | None = None,
                   name: str | None = None, **more: object) -> dict:
    """The graph dict for an OpenLineage events file or a dbt manifest, validated.

    Each reader refuses files nested too deeply before parsing them; should any later step
    still run out of stack, that is reported the same way rather than as a traceback.
    """
    options = Options(attach=attach, select=select, name=name, **more)  # type: ignore[arg-type]
    try:
        return _imported_graph(kind, path, options)
    except RecursionError:
        raise too_deep(str(path), "JSON", WHAT.get(kind, "lineage")) from None


def log_columns(spec: str) -> set[str]:
    """The columns of the prediction log (a CSV or Parquet file, or a glob of them)."""
    from causal_rca.windows.tables import table_columns

    if any(ch in spec for ch in "*?[") and "://" not in spec and not glob.glob(spec):
        raise InputError(f"--observed-from: no file matches '{spec}'")
    return {str(c) for c in table_columns(spec, label="--observed-from log")}


def _imported_graph(kind: str, path: Path, o: Options) -> dict:
    attachment = read_attachment(o.attach) if o.attach is not None else None
    log = o.observed_from or (observed_from(attachment, o.attach) if attachment and o.attach else None)
    if kind == "openlineage":
        lineage = lineage_from_events(read_events(path), str(path))
        default_name = path.name.split(".")[0]
    elif kind == "dbt":
        catalog = read_catalog(o.catalog) if o.catalog is not None else None
        lineage = lineage_from_manifest(read_manifest(path), o.select, o.exclude, catalog)
        default_name = lineage.extras.get("x-dbt-project") or path.name.split(".")[0]
    else:
        raise InputError(f"unknown lineage format '{kind}' (use openlineage or dbt)")
    observed = log_columns(log) if log else None
    graph = to_graph(lineage, o.name or default_name, observed)
    if log:
        graph["x-observed-from"] = str(log)
    if attachment is not None and o.attach is not None:
        graph = attach_model(graph, {k: v for k, v in attachment.items() if k != "observed_from"},
                             where=str(o.attach))
        if o.name:
            graph["name"] = o.name
    try:
        graph_from_dict(graph, f"<imported from {path}>")
    except InputError as exc:
        raise InputError(f"the graph imported from '{path}' does not validate: {exc}") from None
    return graph


def dump(graph: dict) -> str:
    """The graph as YAML text: keys in the order built (which is sorted), the same bytes every run."""
    return yaml.safe_dump(graph, sort_keys=False, allow_unicode=True, width=120)


def write_graph(graph: dict, out: Path) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(dump(graph), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write '{out}': {exc.strerror}") from None
