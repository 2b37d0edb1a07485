"""Property tests: the loader accepts every valid DAG, rejects every cycle, and only ever raises InputError."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from causal_rca.errors import InputError
from causal_rca.lineage import graph_from_dict, graph_from_yaml, load_graph

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

node_ids = st.from_regex(r"[A-Za-z0-9_.-]{1,10}", fullmatch=True)
PLAIN_KINDS = ("source", "feature", "label", "infra")


@st.composite
def dag_graphs(draw: st.DrawFn) -> dict:
    """A valid graph: random DAG over plain kinds, optionally a model and metrics on top."""
    ids = draw(st.lists(node_ids, min_size=1, max_size=10, unique=True))
    nodes: dict[str, dict] = {}
    for i, node_id in enumerate(ids):
        node: dict = {"kind": draw(st.sampled_from(PLAIN_KINDS))}
        parents = [p for p in ids[:i] if draw(st.booleans())]
        if parents or draw(st.booleans()):
            node["parents"] = parents
        if draw(st.booleans()):
            node["column"] = f"col_{i}"
        nodes[node_id] = node
    if draw(st.booleans()):
        # ids longer than the 10 characters node_ids draws, so they never collide
        model_id, label_id, metric_id, mean_id = (f"the_{name}_node" for name in ("model", "label", "metric", "mean"))
        model_parents = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True))
        nodes[model_id] = {"kind": "model", "parents": model_parents, "column": "score"}
        nodes[label_id] = {"kind": "label", "parents": draw(st.lists(st.sampled_from(ids), unique=True)), "column": "y"}
        metric = draw(st.sampled_from(["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "mae", "rmse"]))
        nodes[metric_id] = {"kind": "metric", "parents": [model_id, label_id], "metric": metric}
        if draw(st.booleans()):
            nodes[mean_id] = {"kind": "metric", "parents": [metric_id, ids[0]], "metric": "mean", "column": "m"}
    order = draw(st.permutations(list(nodes)))
    return {"version": 1, "name": "prop", "nodes": {k: nodes[k] for k in order}}


def expected_edges(data: dict) -> set[tuple[str, str]]:
    return {(p, child) for child, node in data["nodes"].items() for p in node.get("parents", [])}


@FAST
@given(dag_graphs())
def test_valid_dags_load_and_round_trip(data):
    g = graph_from_dict(data, "p.yaml")
    assert list(g.nodes) == list(data["nodes"])
    assert set(g.dag.edges) == expected_edges(data)
    for node_id, node in data["nodes"].items():
        assert g.nodes[node_id].parents == tuple(node.get("parents", []))
        assert g.nodes[node_id].kind == node["kind"]
    again = graph_from_yaml(yaml.safe_dump(data, sort_keys=False), "p.yaml")
    assert again.nodes == g.nodes
    assert set(again.dag.edges) == set(g.dag.edges)
    assert len(g.topological_order()) == len(g.nodes)


@settings(max_examples=20, deadline=None)
@given(dag_graphs())
def test_valid_dags_load_from_file(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        g = load_graph(path)
    assert g.path == str(path)
    assert set(g.dag.edges) == expected_edges(data)


YAML_1_1_WORDS = ["1", "0", "-1", "1.5", "1e3", "0x1F", "0o17", "1_000", "true", "True", "TRUE", "false", "yes",
                  "no", "on", "Off", "null", "Null", ".inf", "-.inf", ".nan", "2026-01-01"]


@FAST
@given(st.lists(st.one_of(st.sampled_from(YAML_1_1_WORDS), node_ids), min_size=1, max_size=8, unique=True))
def test_plain_node_ids_are_read_as_written(ids):
    """Unquoted ids that YAML 1.1 reads as numbers, booleans, null or dates stay the text written, all distinct."""
    text = "version: 1\nname: p\nnodes:\n" + "".join(f"  {i}: {{kind: source}}\n" for i in ids)
    assert list(graph_from_yaml(text, "p.yaml").nodes) == ids


@st.composite
def cyclic_graphs(draw: st.DrawFn) -> dict:
    """A valid DAG plus parent links closing a cycle through ≥ 2 distinct nodes."""
    data = draw(dag_graphs())
    ids = list(data["nodes"])
    if len(ids) < 2:
        extra = "extra_node" if ids[0] != "extra_node" else "extra_node2"
        data["nodes"][extra] = {"kind": "feature"}
        ids.append(extra)
    ring = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=len(ids), unique=True))
    for parent, child in zip(ring, ring[1:] + ring[:1]):
        parents = data["nodes"][child].setdefault("parents", [])
        if parent not in parents:
            parents.append(parent)
    return data


@FAST
@given(cyclic_graphs())
def test_cycles_always_rejected_with_path(data):
    try:
        graph_from_dict(data, "c.yaml")
    except InputError as exc:
        msg = str(exc)
    else:
        raise AssertionError("a cyclic graph loaded")
    match = re.search(r"cycle (.+?); a lineage graph must be acyclic", msg)
    assert match, msg
    assert msg.startswith("c.yaml: node '")
    path = match.group(1).split(" -> ")
    assert len(path) >= 3 and path[0] == path[-1]
    assert len(set(path[:-1])) == len(path) - 1
    edges = expected_edges(data)
    assert all((a, b) in edges for a, b in zip(path, path[1:])), (path, msg)


KEYS = [
    "version", "name", "nodes", "kind", "parents", "column", "dtype", "category", "contract", "metric",
    "prediction", "label", "threshold", "positive", "min", "max", "max_null_rate", "allowed", "max_staleness",
    "freshness", "version_column", "artifact", "segments", "time_column", "x-a", "extras", "source", "model",
]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["source", "metric", "model", "label", "1", "2h", "recall", "mean", "numeric", "Data"]),
    st.dates(),
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6), st.integers(0, 3)), inner, max_size=5),
    ),
    max_leaves=25,
)


def only_input_error(call, *args) -> None:
    try:
        call(*args)
    except InputError as exc:
        assert str(exc)
        assert "pydantic" not in str(exc).lower() and "Traceback" not in str(exc)


@FAST
@given(junk)
def test_junk_dicts_only_raise_input_error(data):
    only_input_error(graph_from_dict, data, "j.yaml")


@FAST
@given(dag_graphs(), st.data())
def test_corrupted_valid_graphs_only_raise_input_error(data, draw):
    """Corrupt one key of a valid graph so deep validation paths are exercised."""
    node_id = draw.draw(st.sampled_from(list(data["nodes"])))
    target = draw.draw(st.sampled_from([data, data["nodes"][node_id]]))
    target[draw.draw(st.sampled_from(KEYS))] = draw.draw(junk)
    only_input_error(graph_from_dict, data, "j.yaml")


@FAST
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200), junk.map(lambda v: yaml.safe_dump(v))))
def test_junk_yaml_only_raises_input_error(text):
    only_input_error(graph_from_yaml, text, "j.yaml")


@FAST
@given(dag_graphs(), st.data())
def test_mangled_yaml_text_only_raises_input_error(data, draw):
    text = yaml.safe_dump(data, sort_keys=False)
    pos = draw.draw(st.integers(0, len(text)))
    insert = draw.draw(st.sampled_from(["!", "&a ", "*a", "{", "[", ":", "\t", "- ", "<<: *a", "!!set ", "\x00", "'"]))
    only_input_error(graph_from_yaml, text[:pos] + insert + text[pos:], "j.yaml")
