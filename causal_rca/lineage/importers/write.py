"""Import, attach, validate, write: the one path both `causal-rca import` commands take."""

from __future__ import annotations

from pathlib import Path

import yaml

from causal_rca.errors import InputError
from causal_rca.lineage.importers import dbt, openlineage
from causal_rca.lineage.importers.attach import attach_model, read_attachment
from causal_rca.lineage.importers.columns import to_graph
from causal_rca.lineage.importers.dbt import lineage_from_manifest, read_manifest
from causal_rca.lineage.importers.openlineage import lineage_from_events, read_events
from causal_rca.lineage.loader import graph_from_dict
from causal_rca.lineage.nesting import too_deep

WHAT = {"openlineage": openlineage.WHAT, "dbt": dbt.WHAT}


def imported_graph(kind: str, path: Path, *, attach: Path | None = None, select: list[str] | None = None,
                   name: str | None = None) -> dict:
    """The graph dict for an OpenLineage events file or a dbt manifest, validated.

    Each reader refuses files nested too deeply before parsing them; should any later step
    still run out of stack, that is reported the same way rather than as a traceback.
    """
    try:
        return _imported_graph(kind, path, attach, select, name)
    except RecursionError:
        raise too_deep(str(path), "JSON", WHAT[kind]) from None


def _imported_graph(kind: str, path: Path, attach: Path | None, select: list[str] | None, name: str | None) -> dict:
    if kind == "openlineage":
        lineage, extras = lineage_from_events(read_events(path), str(path)), {}
        default_name = path.stem
    elif kind == "dbt":
        lineage, extras = lineage_from_manifest(read_manifest(path), select)
        default_name = extras.get("x-dbt-project") or path.stem
    else:
        raise InputError(f"unknown lineage format '{kind}' (use openlineage or dbt)")
    graph = {**to_graph(lineage, name or default_name), **extras}
    if attach is not None:
        graph = attach_model(graph, read_attachment(attach), where=str(attach))
        if name:
            graph["name"] = name
    try:
        graph_from_dict(graph, f"<imported from {path}>")
    except InputError as exc:
        raise InputError(f"the graph imported from '{path}' does not validate: {exc}") from None
    return graph


def write_graph(graph: dict, out: Path) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(yaml.safe_dump(graph, sort_keys=False, allow_unicode=True), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write '{out}': {exc.strerror}") from None
