"""dbt's node selection syntax, for ``import dbt --select`` and ``--exclude``.

A selector is a model name (or unique id), ``tag:NAME``, ``package:NAME``, ``source:NAME`` or
``path:PREFIX``, with ``+`` before it for its ancestors and after it for its descendants, as in
dbt. One departure, because a graph without its upstream is no lineage: ``--select`` always
keeps the ancestors of what it selects (``model`` and ``+model`` are the same). ``--exclude``
follows dbt exactly. Several selectors are a union.
"""

from __future__ import annotations

import re

from causal_rca.errors import InputError

SELECTOR = re.compile(r"^(?P<up>\+?)(?P<body>[^+]+?)(?P<down>\+?)$")


def _matches(body: str, data: dict[str, dict]) -> set[str]:
    method, _, value = body.partition(":") if ":" in body else ("", "", body)
    if method == "tag":
        return {k for k, v in data.items() if value in _tags(v)}
    if method == "package":
        return {k for k, v in data.items() if v.get("package_name") == value}
    if method == "source":
        source, _, table = value.partition(".")
        return {k for k, v in data.items() if v.get("resource_type") == "source" and v.get("source_name") == source
                and (not table or v.get("name") == table)}
    if method == "path":
        return {k for k, v in data.items() if str(v.get("original_file_path") or v.get("path") or "").startswith(value)}
    if method:
        raise InputError(f"--select/--exclude: unknown selector method '{method}:' (use a name, tag:, package:, "
                         f"source: or path:)")
    return {k for k, v in data.items() if k == body or v.get("name") == body}


def _tags(node: dict) -> list[str]:
    tags = node.get("tags")
    config = node.get("config") if isinstance(node.get("config"), dict) else {}
    out = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
    ctags = config.get("tags")
    return out + ([t for t in ctags if isinstance(t, str)] if isinstance(ctags, list) else [])


def _walk(start: set[str], step: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = sorted(start)
    while stack:
        k = stack.pop()
        if k not in seen:
            seen.add(k)
            stack.extend(p for p in step.get(k, []) if p not in seen)
    return seen


def _expand(selectors: list[str], data: dict[str, dict], parents: dict[str, list[str]],
            children: dict[str, list[str]], always_up: bool) -> set[str]:
    chosen: set[str] = set()
    unknown = []
    for raw in selectors:
        m = SELECTOR.match(raw.strip())
        if not m:
            raise InputError(f"--select/--exclude: cannot read selector '{raw}'")
        hits = _matches(m.group("body"), data)
        if not hits:
            unknown.append(raw)
            continue
        chosen |= hits
        if m.group("up") or always_up:
            chosen |= _walk(hits, parents)
        if m.group("down"):
            chosen |= _walk(hits, children)
    if unknown:
        raise InputError(f"--select: no model named {', '.join(unknown)} in the manifest" if always_up else
                         f"--exclude: no model named {', '.join(unknown)} in the manifest")
    return chosen


def select_nodes(data: dict[str, dict], parent_map: dict, select: list[str] | None,
                 exclude: list[str] | None) -> set[str]:
    """The data nodes to import."""
    parents = {k: [p for p in (parent_map.get(k) or []) if isinstance(p, str) and p in data] for k in data}
    children: dict[str, list[str]] = {}
    for k, ps in parents.items():
        for p in ps:
            children.setdefault(p, []).append(k)
    keep = _expand(select, data, parents, children, always_up=True) if select else set(data)
    if exclude:
        keep -= _expand(exclude, data, parents, children, always_up=False)
    return keep
