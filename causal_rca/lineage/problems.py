"""Problems found in a lineage graph, as located, human sentences: one ``InputError`` lists them all.

A problem is (node id or None, key or None, message); pydantic's validation
errors are translated into the same shape, so the user never sees a pydantic
dump.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from causal_rca.errors import InputError
from causal_rca.lineage.graph import KINDS
from causal_rca.lineage.schema import ContractModel, GraphModel, NodeModel, clip, describe, is_scalar, suggest

MAX_LISTED_PROBLEMS = 20

# (node id or None, key or None, message): one problem, located.
Problem = tuple[Any, "str | None", str]


def _locate(path: str, node_id: Any, key: str | None, message: str) -> str:
    where = [f"node '{node_id}'"] if node_id is not None else []
    if key is not None:
        where.append(f"key '{key}'")
    return f"{path}: {', '.join(where)}: {message}" if where else f"{path}: {message}"


def raise_problems(path: str, problems: list[Problem]) -> None:
    """One line per problem, the most important (top level first) on the first line."""
    if not problems:
        return
    ordered = sorted(problems, key=lambda p: p[0] is not None)
    lines = [_locate(path, *p) for p in ordered[:MAX_LISTED_PROBLEMS]]
    if len(ordered) > MAX_LISTED_PROBLEMS:
        lines.append(f"{path}: ... and {len(ordered) - MAX_LISTED_PROBLEMS} more problems")
    raise InputError("\n".join(lines))


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _key_path(parts: Sequence[Any]) -> str | None:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or None


def _model_at(loc: Sequence[Any]) -> type | None:
    """Which model a location (without the offending key) points into."""
    if len(loc) == 0:
        return GraphModel
    if len(loc) == 2 and loc[0] == "nodes":
        return NodeModel
    if len(loc) == 3 and loc[0] == "nodes" and loc[2] == "contract":
        return ContractModel
    return None


def validation_problems(exc: ValidationError) -> list[Problem]:
    """Pydantic errors → located, human sentences (never the raw dump)."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        kind, value = err.get("type", ""), err.get("input")
        node_id = None
        if len(loc) >= 2 and loc[0] == "nodes":
            node_id, rest = loc[1], loc[2:]
        else:
            rest = loc
        if kind == "extra_forbidden":
            model = _model_at(loc[:-1])
            valid = model.valid_keys() if model else []
            hint = suggest(loc[-1], valid) or (f"; valid keys: {', '.join(valid)}" if valid else "")
            key = ".".join(filter(None, [_key_path(rest[:-1]), str(loc[-1])]))
            problems.append((node_id, key, f"unknown key{hint}"))
            continue
        if kind == "invalid_key":
            where = _key_path(rest[:-1])
            inside = f" in '{where}'" if where else ""
            problems.append((node_id, None, f"key {describe(value)}{inside} is not a string (quote it in YAML)"))
            continue
        if node_id is not None and rest == ("[key]",):
            problems.append((None, "nodes", f"node id {describe(loc[1])} must be a string (quote it in YAML)"))
            continue
        key = _key_path(rest)
        if kind == "missing":
            hint = {
                "version": " (add 'version: 1')",
                "name": " (e.g. name: card-fraud)",
                "nodes": " (a mapping from node id to node)",
                "kind": f" (one of {', '.join(KINDS)})",
            }.get(str(key), "")
            problems.append((node_id, key, f"required key is missing{hint}"))
        elif kind in _EXPECTED:
            expected = _EXPECTED[kind]
            if key == "nodes":
                expected = "a mapping from node id to node"
            elif node_id is not None and key is None:
                expected = "a mapping of node keys (kind, parents, column, ...)"
            elif key == "version":
                expected = "the integer 1"
            elif kind == "list_type" and isinstance(value, str):
                expected += f" such as [{clip(value)}]"
            hint = " (quote it to make it text)" if kind == "string_type" and is_scalar(value) else ""
            problems.append((node_id, key, f"expected {expected}, got {describe(value)}{hint}"))
        elif kind == "finite_number":
            problems.append((node_id, key, f"expected a finite number, got {describe(value)}"))
        else:
            msg = str(err.get("msg", "invalid value"))
            msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
            problems.append((node_id, key, msg[:1].lower() + msg[1:]))
    return problems
