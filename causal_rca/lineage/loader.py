"""Turn a lineage YAML file into a validated ``LineageGraph``.

This is the only door into the engine for a user's graph, so it is strict:
every broken rule of ``spec/lineage.md`` becomes an ``InputError`` whose
message names the file, the node and the key, and suggests the closest valid
spelling. Nothing else (pydantic dumps, yaml tracebacks) may escape.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx
import yaml
from pydantic import ValidationError

from causal_rca.errors import InputError
from causal_rca.lineage.graph import (
    CLASSIFICATION_METRICS,
    DEFAULT_CATEGORY,
    KINDS,
    REGRESSION_METRICS,
    Contract,
    LineageGraph,
    Node,
)
from causal_rca.lineage.nesting import MAX_DEPTH, too_deep
from causal_rca.metrics.inputs import needs_scores_message
from causal_rca.metrics.values import class_key
from causal_rca.metrics.spec import MULTICLASS_ONLY, MetricSpec, format_value, metric_key_problems
from causal_rca.lineage.schema import (
    ID_PATTERN,
    ContractModel,
    GraphModel,
    NodeModel,
    clip,
    is_scalar,
    describe,
    parse_duration,
    suggest,
)

__all__ = ["load_graph", "graph_from_yaml", "graph_from_dict", "check_columns", "parse_duration", "parse_yaml"]

MAX_LISTED_PROBLEMS = 20
# (field, key as written): ``class`` is the field ``target_class``
METRIC_ONLY_KEYS = (("metric", "metric"), ("prediction", "prediction"), ("label", "label"),
                    ("threshold", "threshold"), ("positive", "positive"), ("target_class", "class"),
                    ("average", "average"), ("k", "k"))
MODEL_ONLY_KEYS = ("version_column", "artifact", "scores")
LABEL_ONLY_KEYS = ("classes",)
OBSERVED_ONLY_KEYS = ("freshness", "contract")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
# What YAML 1.1 makes of a plain scalar that is not text: `1`, `true`, `on`, `~`, `2026-01-01`.
_IMPLICIT_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float", "null", "timestamp"))

# (node id or None, key or None, message): one problem, located.
Problem = tuple[Any, "str | None", str]


# --------------------------------------------------------------------- YAML


class _DuplicateKey(Exception):
    """Raised from inside the constructor; turned into an InputError by the caller."""

    def __init__(self, key: Any, mark: Any, first: Any, is_node_id: bool) -> None:
        super().__init__(key)
        self.key, self.mark, self.first, self.is_node_id = key, mark, first, is_node_id


class _TooDeep(Exception):
    """Raised from inside the parser at MAX_DEPTH + 1 levels; turned into an InputError by the caller."""


class _UniqueKeySafeLoader(yaml.SafeLoader):
    """SafeLoader that reads keys as text, rejects duplicate keys and stops at MAX_DEPTH levels.

    Keys are ids and names, so a plain key is the text written: YAML 1.1 would
    read ``1``, ``true`` and ``on`` as 1, True and True, which are equal in
    Python, so two distinct ids would become one duplicate. Values keep their
    YAML types.

    PyYAML silently keeps the last of two equal keys, which would hide a
    copy-pasted node. Keys merged in with ``<<: *anchor`` may still be
    overridden, as YAML intends: only keys written in the mapping itself count,
    so those are snapshotted at compose time (before merges are flattened).

    The composer recurses once per level, so depth is counted on the parser's
    events (which come without recursion) and refused before the stack runs out.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._explicit_keys: dict[int, list[Any]] = {}
        self._node_ids_mapping: Any = None
        self._depth = 0

    def get_event(self) -> Any:
        event = super().get_event()
        if isinstance(event, yaml.CollectionStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _TooDeep
        elif isinstance(event, yaml.CollectionEndEvent):
            self._depth -= 1
        return event

    def compose_mapping_node(self, anchor: Any) -> Any:
        node = super().compose_mapping_node(anchor)
        node.value = [(_as_text(key), value) for key, value in node.value]
        self._explicit_keys[id(node)] = [key for key, _ in node.value]
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node in self._explicit_keys.get(id(node), ()):
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
                    ) from None
                if key in seen:
                    raise _DuplicateKey(key, key_node.start_mark, seen[key], node is self._node_ids_mapping)
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def load_document(self) -> Any:
        """Like ``get_single_data`` but remembers which mapping holds the node ids."""
        root = self.get_single_node()
        if root is None:
            return None
        if isinstance(root, yaml.MappingNode):
            for key_node, value_node in root.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == "nodes":
                    self._node_ids_mapping = value_node
        return self.construct_document(root)


def _as_text(key: Any) -> Any:
    """A key YAML 1.1 would read as a number, boolean, null or date, as the string written.

    A copy, not the node itself: an anchored scalar used as a key may also be a value elsewhere.
    """
    if isinstance(key, yaml.ScalarNode) and key.tag in _IMPLICIT_TAGS:
        return yaml.ScalarNode(_STR_TAG, key.value, key.start_mark, key.end_mark, key.style)
    return key


def _mark(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def parse_yaml(text: str | bytes, path: str, what: str = "a lineage graph") -> Any:
    """Parse with the safe loader only (keys as text, no duplicates, at most MAX_DEPTH levels).

    Every YAML failure becomes an InputError naming ``path``; ``what`` the file should be is
    named when it nests too deeply.
    """
    loader: _UniqueKeySafeLoader | None = None
    try:
        loader = _UniqueKeySafeLoader(text)
        return loader.load_document()
    except _DuplicateKey as dup:
        what = f"duplicate node id '{dup.key}'" if dup.is_node_id else f"duplicate key '{clip(str(dup.key))}'"
        raise InputError(f"{path}: {_mark(dup.mark)}: {what} (first defined at line {dup.first.line + 1})") from None
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "invalid YAML"
        where = f"{_mark(exc.problem_mark)}: " if exc.problem_mark is not None else ""
        tag = re.search(r"could not determine a constructor for the tag '([^']*)'", problem)
        if tag:
            name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            raise InputError(
                f"{path}: {where}custom YAML tag '{name}' is not allowed; "
                "only plain YAML is read (anchors and aliases are fine)"
            ) from None
        at = f" at {where}" if where else ": "
        raise InputError(f"{path}: YAML syntax error{at}{problem}") from None
    except yaml.reader.ReaderError as exc:
        if exc.encoding == "unicode" and isinstance(exc.character, int):
            problem = f"control character #x{exc.character:04x} is not allowed in YAML"
        else:
            problem = f"not valid {exc.encoding} text ({exc.reason})"
        raise InputError(f"{path}: cannot read YAML at position {exc.position}: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: cannot read YAML: {' '.join(str(exc).split())}") from None
    except (_TooDeep, RecursionError):
        raise too_deep(path, "YAML", what) from None
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. a timestamp-looking value with an impossible date
        raise InputError(f"{path}: cannot read YAML value: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()


# ------------------------------------------------------------ public entry


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
        _raise(path, _translate(exc))
    except RecursionError:
        raise InputError(f"{path}: the lineage graph is nested too deeply (or refers to itself)") from None
    _raise(path, _check_nodes(model))
    graph = _build(model, path)
    _raise(path, _check_cycle(graph))
    tasks, problems = _check_metrics(graph, model)
    _raise(path, problems)
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
    _raise(graph.path, problems)


# -------------------------------------------------------------- messages


def _locate(path: str, node_id: Any, key: str | None, message: str) -> str:
    where = [f"node '{node_id}'"] if node_id is not None else []
    if key is not None:
        where.append(f"key '{key}'")
    return f"{path}: {', '.join(where)}: {message}" if where else f"{path}: {message}"


def _raise(path: str, problems: list[Problem]) -> None:
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


def _translate(exc: ValidationError) -> list[Problem]:
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


# ------------------------------------------------------------------ rules


def _check_nodes(model: GraphModel) -> list[Problem]:
    """Per-node rules that need the set of all node ids."""
    problems: list[Problem] = []
    ids = list(model.nodes)
    column_owner: dict[str, str] = {}
    for node_id, nm in model.nodes.items():
        given = nm.model_fields_set
        if not ID_PATTERN.match(node_id):
            problems.append(
                (None, "nodes", f"node id '{clip(node_id)}' is invalid: use only letters, digits, '_', '.' and '-'")
            )
        for field, key in METRIC_ONLY_KEYS:
            if field in given and nm.kind != "metric":
                problems.append((node_id, key, f"only allowed on metric nodes (this node is kind '{nm.kind}')"))
        for kind, keys in (("model", MODEL_ONLY_KEYS), ("label", LABEL_ONLY_KEYS)):
            for key in keys:
                if key in given and nm.kind != kind:
                    problems.append((node_id, key, f"only allowed on {kind} nodes (this node is kind '{nm.kind}')"))
        if nm.scores and nm.column in nm.scores.values():
            problems.append((node_id, "scores", f"column '{nm.column}' is the model's predicted class ('column'); "
                                                "scores must name the probability columns"))
        for key in OBSERVED_ONLY_KEYS:
            if key in given and getattr(nm, key) is not None and nm.column is None:
                problems.append((node_id, key, "only allowed on observed nodes: add 'column' to this node"))
        if nm.kind == "metric" and nm.metric is None:
            problems.append((node_id, "metric", "a metric node must name its metric (e.g. metric: recall)"))
        parents = nm.parents or []
        if nm.kind in ("metric", "model") and not parents:
            problems.append((node_id, "parents", f"a {nm.kind} node needs at least one parent"))
        seen: set[str] = set()
        for parent in parents:
            if parent == node_id:
                problems.append((node_id, "parents", "a node cannot be its own parent"))
            elif parent not in model.nodes:
                problems.append((node_id, "parents", f"unknown parent '{clip(parent)}'{suggest(parent, ids)}"))
            elif parent in seen:
                problems.append((node_id, "parents", f"parent '{parent}' is listed twice"))
            seen.add(parent)
        if nm.column is not None:
            if nm.column in column_owner:
                problems.append(
                    (
                        node_id,
                        "column",
                        f"column '{nm.column}' is already the column of node '{column_owner[nm.column]}'; "
                        "two observed nodes may not share a column",
                    )
                )
            else:
                column_owner[nm.column] = node_id
    return problems


def _check_cycle(graph: LineageGraph) -> list[Problem]:
    try:
        cycle = nx.find_cycle(graph.dag)
    except nx.NetworkXNoCycle:
        return []
    path = [u for u, _ in cycle] + [cycle[0][0]]
    return [(path[0], "parents", f"cycle {' -> '.join(path)}; a lineage graph must be acyclic")]


def _check_metrics(graph: LineageGraph, model: GraphModel) -> tuple[dict[str, str | None], list[Problem]]:
    """Metrics must be computable: the scores and labels they read must exist and be observed.

    Returns each metric's task as the graph declares it (``_metric_task``) and the problems.
    """
    problems: list[Problem] = []
    tasks: dict[str, str | None] = {}
    for node_id in graph.metric_nodes():
        node = graph.nodes[node_id]
        bad_explicit = False
        for key, kind in (("prediction", "model"), ("label", "label")):
            ref = getattr(node, key)
            if ref is None:
                continue
            if ref not in graph.nodes:
                problems.append((node_id, key, f"unknown node '{clip(ref)}'{suggest(ref, list(graph.nodes))}"))
                bad_explicit = True
            elif graph.nodes[ref].kind != kind:
                problems.append((node_id, key, f"'{ref}' is a {graph.nodes[ref].kind} node, expected a {kind} node"))
                bad_explicit = True
        if node.metric == "mean":
            tasks[node_id] = "mean"
            if node.column is None:
                problems.append((node_id, "column", "a 'mean' metric is the mean of its own column: add 'column'"))
            problems += [(node_id, key, message) for key, message in _key_problems(node, multiclass=False)]
            continue
        if node.metric not in CLASSIFICATION_METRICS + REGRESSION_METRICS or bad_explicit:
            continue
        prediction, label = graph.metric_inputs(node_id)
        for key, kind, found in (("prediction", "model", prediction), ("label", "label", label)):
            where = key if getattr(node, key) else "parents"
            if found is None:
                problems.append(
                    (
                        node_id,
                        "parents",
                        f"metric '{node.metric}' needs a {kind} node upstream: "
                        f"add one to 'parents' (or set '{key}')",
                    )
                )
            elif not graph.nodes[found].observed:
                problems.append(
                    (
                        node_id,
                        where,
                        f"{kind} node '{found}' has no column, so metric '{node.metric}' cannot be computed; "
                        f"add 'column' to '{found}'",
                    )
                )
        if prediction is not None and label is not None:
            given = model.nodes[node_id].model_fields_set
            tasks[node_id], found_problems = _metric_task(graph, node_id, prediction, label, given)
            problems += found_problems
    return tasks, problems


def _key_problems(node: Node, multiclass: bool | None) -> list[tuple[str, str]]:
    return metric_key_problems(str(node.metric), average=node.average, target_class=node.target_class, k=node.k,
                               multiclass=multiclass)


def _metric_task(graph: LineageGraph, node_id: str, prediction: str, label: str,
                 given: set[str]) -> tuple[str | None, list[Problem]]:
    """What the graph says the metric's model is, and the keys that contradict it.

    regression (mae, rmse, mape, r2); multi-class when the label declares more
    than two classes, the model declares ``scores``, or the metric sets
    ``class``, ``average`` or ``k`` (or is top_k_accuracy); binary when the
    label declares two classes or the metric sets ``threshold`` or
    ``positive``; None when the graph leaves it open (the reference window's
    labels decide: more than two classes is multi-class).
    """
    node, model, truth = graph.nodes[node_id], graph.nodes[prediction], graph.nodes[label]
    out: list[Problem] = []
    if node.metric in REGRESSION_METRICS:
        for holder, key, what in ((truth, "classes", "classes"), (model, "scores", "class probabilities")):
            if getattr(holder, key) is not None:
                out.append((node_id, "metric", f"'{node.metric}' is a regression metric, but {holder.kind} node "
                                               f"'{holder.id}' declares {what} ('{key}'): use a classification "
                                               f"metric, or remove '{key}'"))
        out += [(node_id, key, message) for key, message in _key_problems(node, multiclass=False)]
        return "regression", out
    binary_keys = [key for key in ("threshold", "positive") if key in given]
    if truth.classes is not None and len(truth.classes) == 2 and model.scores is None:
        out += [(node_id, key, message) for key, message in _key_problems(node, multiclass=False)]
        if class_key(node.positive) not in {class_key(c) for c in truth.classes}:
            shown = ", ".join(format_value(c) for c in truth.classes)
            out.append((node_id, "positive", f"positive class {format_value(node.positive)} is not among the "
                                             f"classes of label '{label}' ({shown}): set 'positive' to one of them"))
        return "binary", out
    out += [(node_id, key, message) for key, message in _key_problems(node, multiclass=None)]
    reasons = []
    if truth.classes is not None and len(truth.classes) > 2:
        reasons.append(f"label '{label}' declares {len(truth.classes)} classes")
    if model.scores is not None:
        reasons.append(f"model '{prediction}' declares 'scores'")
    keys = [key for key, value in (("class", node.target_class), ("average", node.average), ("k", node.k))
            if value is not None]
    if node.metric in MULTICLASS_ONLY:
        reasons.append(f"metric '{node.metric}' is multi-class")
    elif keys:
        reasons.append(f"the metric sets '{keys[0]}'")
    if not reasons:
        return ("binary" if binary_keys else None), out
    for key in binary_keys:
        out.append((node_id, key, f"applies to binary models only, and this metric is multi-class ({reasons[0]}); "
                                  f"for one class against the rest use 'class'"))
    return "multiclass", out + _class_problems(graph, node_id, prediction, label)


def _class_problems(graph: LineageGraph, node_id: str, prediction: str, label: str) -> list[Problem]:
    """A multi-class metric's classes must agree: the label's, the model's probabilities, `class` and `k`."""
    node, model, truth = graph.nodes[node_id], graph.nodes[prediction], graph.nodes[label]
    out: list[Problem] = []
    declared = truth.classes if truth.classes is not None else (tuple(model.scores) if model.scores else None)
    if truth.classes is not None and model.scores is not None:
        label_keys = {class_key(c): c for c in truth.classes}
        score_keys = {class_key(c): c for c in model.scores}
        missing = [format_value(c) for k, c in label_keys.items() if k not in score_keys]
        extra = [format_value(c) for k, c in score_keys.items() if k not in label_keys]
        if missing or extra:
            said = "; ".join(filter(None, [f"no probability column for {', '.join(missing)}" if missing else "",
                                           f"{', '.join(extra)} not among the label's classes" if extra else ""]))
            out.append((prediction, "scores", f"scores must name the classes of label '{label}' ({said})"))
    if declared is not None and node.target_class is not None:
        if class_key(node.target_class) not in {class_key(c) for c in declared}:
            whose = f"label '{label}'" if truth.classes is not None else f"model '{prediction}' ('scores')"
            out.append((node_id, "class", f"class {format_value(node.target_class)} is not among the classes of "
                                          f"{whose}: {', '.join(format_value(c) for c in declared)}"))
    if declared is not None and isinstance(node.k, int) and node.k > len(declared):
        out.append((node_id, "k", f"k ({node.k}) is larger than the number of classes ({len(declared)})"))
    if model.scores is None and node.metric in ("log_loss", "top_k_accuracy", "roc_auc"):
        try:
            spec = MetricSpec(str(node.metric), multiclass=True, target_class=node.target_class,
                              average=node.average)
        except InputError:  # a key that does not fit the metric: reported above
            return out
        if spec.needs_class_scores or node.metric == "roc_auc":  # one class's roc_auc reads its probability
            out.append((node_id, "metric", needs_scores_message(spec)))
    return out


# ------------------------------------------------------------------ build


def _build(model: GraphModel, path: str) -> LineageGraph:
    nodes = {node_id: _build_node(node_id, nm) for node_id, nm in model.nodes.items()}
    return LineageGraph(
        name=model.name,
        nodes=nodes,
        description=model.description,
        time_column=model.time_column,
        key_column=model.key_column,
        segments=tuple(model.segments or ()),
        path=path,
        extras=dict(model.extras),
    )


def _build_node(node_id: str, nm: NodeModel) -> Node:
    contract = None
    if nm.contract is not None:
        c = nm.contract
        contract = Contract(
            dtype=c.dtype,
            min=c.min,
            max=c.max,
            max_null_rate=c.max_null_rate,
            allowed=tuple(c.allowed) if c.allowed is not None else None,
            max_staleness_seconds=c.max_staleness_seconds,
        )
    return Node(
        id=node_id,
        kind=nm.kind,
        parents=tuple(nm.parents or ()),
        column=nm.column,
        dtype=nm.dtype,
        category=nm.category if nm.category is not None else DEFAULT_CATEGORY[nm.kind],
        owner=nm.owner,
        description=nm.description,
        contract=contract,
        freshness=nm.freshness,
        version_column=nm.version_column,
        artifact=nm.artifact,
        metric=nm.metric,
        prediction=nm.prediction,
        label=nm.label,
        threshold=float(nm.threshold),
        positive=nm.positive,
        classes=tuple(nm.classes) if nm.classes is not None else None,
        scores=dict(nm.scores) if nm.scores is not None else None,
        target_class=nm.target_class,
        average=nm.average,
        k=nm.k,
        task={"mean": "mean"}.get(str(nm.metric)) if nm.kind == "metric" else None,
        extras=dict(nm.extras),
    )
