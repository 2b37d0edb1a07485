"""The rules of spec/lineage.md that need the whole graph: node ids, parents, cycles, metrics and classes.

Each rule returns the problems it finds (``problems.Problem``) rather than
raising, so one message can list every broken rule at once.
"""

from __future__ import annotations

import networkx as nx

from causal_rca.errors import InputError
from causal_rca.lineage.graph import CLASSIFICATION_METRICS, REGRESSION_METRICS, LineageGraph, Node
from causal_rca.lineage.problems import Problem
from causal_rca.lineage.schema import ID_PATTERN, GraphModel, clip, suggest
from causal_rca.metrics.inputs import needs_scores_message
from causal_rca.metrics.spec import MULTICLASS_ONLY, MetricSpec, format_value, metric_key_problems
from causal_rca.metrics.values import class_key

# (field, key as written): ``class`` is the field ``target_class``
METRIC_ONLY_KEYS = (("metric", "metric"), ("prediction", "prediction"), ("label", "label"),
                    ("threshold", "threshold"), ("positive", "positive"), ("target_class", "class"),
                    ("average", "average"), ("k", "k"))
MODEL_ONLY_KEYS = ("version_column", "artifact", "scores")
LABEL_ONLY_KEYS = ("classes",)
OBSERVED_ONLY_KEYS = ("freshness", "contract")


def check_nodes(model: GraphModel) -> list[Problem]:
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


def check_cycle(graph: LineageGraph) -> list[Problem]:
    """The first cycle of the graph, if any, as one problem: a lineage graph must be acyclic."""
    try:
        cycle = nx.find_cycle(graph.dag)
    except nx.NetworkXNoCycle:
        return []
    path = [u for u, _ in cycle] + [cycle[0][0]]
    return [(path[0], "parents", f"cycle {' -> '.join(path)}; a lineage graph must be acyclic")]


def check_metrics(graph: LineageGraph, model: GraphModel) -> tuple[dict[str, str | None], list[Problem]]:
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
