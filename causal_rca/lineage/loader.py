"""Turn a lineage YAML file into a validated ``LineageGraph``.

This is the only door into the engine for a user's graph, so it is strict:
every broken rule of ``spec/lineage.md`` becomes an ``InputError`` whose
message names the file, the node and the key, and suggests the closest valid
spelling. Nothing else (pydantic dumps, yaml tracebacks) may escape.

The steps live in their own modules: ``safe_yaml`` parses the text,
``schema`` checks each key's type, ``rules`` the rules that need the whole
graph, ``problems`` turns what they find into messages, ``build`` makes the
``LineageGraph``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from causal_rca.errors import InputError
from causal_rca.lineage.build import build_graph
from causal_rca.lineage.graph import LineageGraph
from causal_rca.lineage.problems import Problem, raise_problems, validation_problems
from causal_rca.lineage.rules import check_cycle, check_metrics, check_nodes
from causal_rca.lineage.safe_yaml import parse_yaml
from causal_rca.lineage.schema import GraphModel, describe

__all__ = ["load_graph", "graph_from_yaml", "graph_from_dict", "check_columns"]


def load_graph(path: str | Path) -> LineageGraph:
    """Read and validate a lineage graph file (safe YAML loader only).

    Parameters
    ----------
    path : str or Path
        The graph's YAML file (format: docs/lineage-format.md).

    Returns
    -------
    LineageGraph
        The nodes, their parents, columns, contracts and metrics, checked.

    Raises
    ------
    InputError
        The file is missing or is not a valid graph; every problem found is listed.

    Examples
    --------
    >>> from causal_rca.scenarios import get_scenario
    >>> g = load_graph(get_scenario("schema_change_coerced_nulls").graph_path)
    >>> g.name, g.metric_nodes()
    ('card-fraud', ['recall', 'precision'])
    """
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{shown}: lineage graph file not found") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a directory, expected a lineage graph YAML file") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot read lineage graph: {exc.strerror or exc}") from None
    return graph_from_yaml(raw, shown)


def graph_from_yaml(text: str | bytes, path: str = "<memory>") -> LineageGraph:
    """Validate a graph given as YAML text; ``path`` is only used in messages."""
    return graph_from_dict(parse_yaml(text, path), path)


def graph_from_dict(data: dict, path: str = "<memory>") -> LineageGraph:
    """Validate an already-parsed graph (as YAML would give it)."""
    if data is None:
        raise InputError(f"{path}: the lineage graph is empty; expected keys version, name and nodes")
    if not isinstance(data, dict):
        raise InputError(
            f"{path}: the top level must be a mapping with keys version, name and nodes, got {describe(data)}"
        )
    try:
        model = GraphModel.model_validate(data)
    except ValidationError as exc:
        raise_problems(path, validation_problems(exc))
    except RecursionError:
        raise InputError(f"{path}: the lineage graph is nested too deeply (or refers to itself)") from None
    raise_problems(path, check_nodes(model))
    graph = build_graph(model, path)
    raise_problems(path, check_cycle(graph))
    tasks, problems = check_metrics(graph, model)
    raise_problems(path, problems)
    for node_id, task in tasks.items():
        graph.nodes[node_id] = replace(graph.nodes[node_id], task=task)
    return graph


def check_columns(graph: LineageGraph, columns: Sequence[str], table: str = "data") -> None:
    """Fail early, with the closest names, when a column the graph names is absent.

    Otherwise a typo in the graph would surface later as an obscure SQL or
    pandas error far from its cause.
    """
    available = [str(c) for c in columns]
    present = set(available)
    problems: list[Problem] = []

    def need(node_id: Any, key: str, column: str | None) -> None:
        if column is None or column in present:
            return
        close = difflib.get_close_matches(column, available, n=3, cutoff=0.6)
        if close:
            hint = "closest: " + ", ".join(f"'{c}'" for c in close)
        elif available:
            shown = ", ".join(f"'{c}'" for c in available[:8])
            more = f" and {len(available) - 8} more" if len(available) > 8 else ""
            hint = f"available: {shown}{more}"
        else:
            hint = "the table has no columns"
        problems.append((node_id, key, f"column '{column}' not found in {table} ({hint})"))

    for node_id, node in graph.nodes.items():
        need(node_id, "column", node.column)
        need(node_id, "freshness", node.freshness)
        need(node_id, "version_column", node.version_column)
        for column in (node.scores or {}).values():
            need(node_id, "scores", column)
    need(None, "time_column", graph.time_column)
    need(None, "key_column", graph.key_column)
    for segment in graph.segments:
        need(None, "segments", segment)
    raise_problems(graph.path, problems)
