"""Crafted ``.skops`` files must not run code without ``--trust-model`` (issue 17, D1).

Each case takes a real exported pipeline and edits its ``schema.json`` the way an
attacker would: a node whose loader calls what the file names (``runstring``,
which calls ``exec``; ``eval``; ``os.system``; ``subprocess``; ``importlib``),
or wraps a callable (``operator.methodcaller``, ``functools.partial``), either at
the top or hidden as one parameter of the real model (the "stealthy" variant, which
otherwise loads and diagnoses normally). The command must exit 2 naming the
untrusted type, and the marker file the payload would create must not exist.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, Callable

import pytest

from causal_rca.model.save import save_skops
from tests.test_model_artifact import _files, _fitted_tiny_model, _why
from tests.conftest import run_cli

Node = dict[str, Any]


def json_node(value: Any) -> Node:
    return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(value), "is_json": True}


def tuple_node(*items: Node) -> Node:
    return {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode", "content": list(items)}


def list_node(*items: Node) -> Node:
    return {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "content": list(items)}


def empty_dict_node() -> Node:
    return {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode", "content": {},
            "key_types": list_node()}


def call(module: str, name: str, *args: Node) -> Node:
    """``module.name(*args)`` at load time: skops' ConstructorFromReduceNode calls what it names."""
    return {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
            "content": tuple_node(*args)}


def function(module: str, name: str) -> Node:
    return {"__class__": name, "__module__": module, "__loader__": "FunctionNode", "content": None}


def touch(marker: Path) -> str:
    return f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')"


PAYLOADS: dict[str, Callable[[Path], Node]] = {
    "numpy-runstring": lambda m: call("numpy.testing._private.utils", "runstring", json_node(touch(m)),
                                      empty_dict_node()),
    "eval": lambda m: call("builtins", "eval", json_node(f"exec({touch(m)!r})")),
    "exec": lambda m: call("builtins", "exec", json_node(touch(m))),
    "os-system": lambda m: call("os", "system", json_node(f"touch '{m}'")),
    "subprocess-call": lambda m: call("subprocess", "call", list_node(json_node("touch"), json_node(str(m)))),
    "subprocess-popen": lambda m: call("subprocess", "Popen", list_node(json_node("touch"), json_node(str(m)))),
    "subprocess-run": lambda m: call("subprocess", "run", list_node(json_node("touch"), json_node(str(m)))),
    "importlib": lambda m: call("importlib", "import_module", json_node("evil_skops_marker")),
    "methodcaller": lambda m: {"__class__": "methodcaller", "__module__": "operator",
                               "__loader__": "OperatorFuncNode",
                               "attrs": tuple_node(json_node("system"), json_node(f"touch '{m}'"))},
    "partial-os-system": lambda m: {"__class__": "partial", "__module__": "functools", "__loader__": "PartialNode",
                                    "content": {"func": function("os", "system"),
                                                "args": tuple_node(json_node(f"touch '{m}'")),
                                                "kwds": empty_dict_node(), "namespace": json_node(None)}},
    "partial-eval-called": lambda m: call("functools", "reduce", {
        "__class__": "partial", "__module__": "functools", "__loader__": "PartialNode",
        "content": {"func": function("builtins", "eval"), "args": tuple_node(), "kwds": empty_dict_node(),
                    "namespace": json_node(None)}}, list_node(json_node(f"exec({touch(m)!r})"))),
    "function-value-eval": lambda m: function("builtins", "eval"),
    "type-builtin-exec": lambda m: {"__class__": "exec", "__module__": "builtins", "__loader__": "TypeNode"},
    "list-calls-its-type": lambda m: {"__class__": "runstring", "__module__": "numpy.testing._private.utils",
                                      "__loader__": "ListNode", "content": [json_node(touch(m))]},
}


def _schema_nodes(schema: Any):
    stack = [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def tamper(path: Path, edit: Callable[[Node], Node]) -> None:
    """Rewrite the skops zip at ``path`` with ``edit`` applied to its schema (other members kept)."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    schema = edit(json.loads(members["schema.json"]))
    members["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def stealthy(payload: Node) -> Callable[[Node], Node]:
    """Replace the logistic regression's ``C`` with the payload: the model still predicts normally."""
    def edit(schema: Node) -> Node:
        for node in _schema_nodes(schema):
            if node.get("__class__") == "LogisticRegression":
                node["content"]["content"]["C"] = payload
                return schema
        raise AssertionError("no LogisticRegression in the exported pipeline")
    return edit


def at_top(payload: Node) -> Callable[[Node], Node]:
    def edit(schema: Node) -> Node:
        return {**payload, "protocol": schema["protocol"], "_skops_version": schema["_skops_version"]}
    return edit


@pytest.fixture(scope="module")
def model():
    return _fitted_tiny_model()


@pytest.fixture
def evil_module(tmp_path, monkeypatch) -> Path:
    """A module whose import writes the marker, importable by name (for the importlib payload)."""
    marker = tmp_path / "marker"
    (tmp_path / "evil_skops_marker.py").write_text(touch(marker))
    monkeypatch.syspath_prepend(str(tmp_path))
    return marker


@pytest.mark.parametrize("where", ["stealthy", "top"])
@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_crafted_skops_runs_nothing_and_exits_2(tmp_path, capsys, model, evil_module, payload, where) -> None:
    marker = evil_module
    files = _files(tmp_path, "model.skops", model=model)
    save_skops(model, tmp_path / "model.skops")
    tamper(tmp_path / "model.skops", (stealthy if where == "stealthy" else at_top)(PAYLOADS[payload](marker)))
    code, out, err = run_cli(_why(files), capsys)
    assert not marker.exists(), f"{payload}: the file ran code"
    assert code == 2, err
    assert "not trusted without --trust-model" in err and "Traceback" not in err


def test_stealthy_runstring_is_refused_in_a_fresh_process(tmp_path, model) -> None:
    """The reported attack end to end, as a user would run it: no code runs, one line, exit 2."""
    marker = tmp_path / "marker"
    files = _files(tmp_path, "model.skops", model=model)
    save_skops(model, tmp_path / "model.skops")
    tamper(tmp_path / "model.skops", stealthy(PAYLOADS["numpy-runstring"](marker)))
    proc = subprocess.run([sys.executable, "-m", "causal_rca", *map(str, _why(files))], capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parents[1], timeout=300)
    assert not marker.exists()
    assert proc.returncode == 2, proc.stderr
    assert "numpy.testing._private.utils.runstring" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_untampered_pipeline_still_loads_without_the_flag(tmp_path, capsys, model) -> None:
    files = _files(tmp_path, "model.skops", model=model)
    save_skops(model, tmp_path / "model.skops")
    code, out, err = run_cli(_why(files), capsys)
    assert code == 0, err
    assert json.loads(out)["model_aware"]["artifact"]["kind"] == "skops"


def test_trust_model_loads_a_file_with_other_types(tmp_path, capsys, model) -> None:
    """With the flag the user vouches for the file: a harmless foreign type loads."""
    files = _files(tmp_path, "model.skops", model=model)
    save_skops(model, tmp_path / "model.skops")
    harmless = call("datetime", "timedelta", json_node(1))
    tamper(tmp_path / "model.skops", stealthy(harmless))
    code, _, err = run_cli(_why(files), capsys)
    assert code == 2 and "datetime.timedelta" in err
    code, out, err = run_cli(_why(files, "--trust-model"), capsys)
    assert code == 0, err


def _tree_model(kind: str):
    """A tree-based pipeline on the tiny world's inputs: the kinds whose internals skops leaves out."""
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.tree import DecisionTreeClassifier
    from tests.conftest import tiny_frame

    frame = tiny_frame(3000, 7)
    pre = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["cat"]), remainder="passthrough")
    last = DecisionTreeClassifier(max_depth=4) if kind == "tree" else HistGradientBoostingClassifier(max_iter=5)
    return make_pipeline(pre, last).fit(frame[["fx", "cat"]], frame["y"])


def corrupt_first_tree(path: Path, field: str) -> None:
    """Point the first tree node's ``field`` (a child index) far outside the tree, in the stored array."""
    import io

    import numpy as np

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(members["schema.json"])
    for node in _schema_nodes(schema):
        arrays = node.get("content", {}).get("content", {}) if node.get("__loader__") in ("TreeNode", "ObjectNode") \
            else {}
        stored = arrays.get("nodes") if isinstance(arrays, dict) else None
        if stored and stored.get("file") and node.get("__class__") in ("Tree", "TreePredictor"):
            nodes = np.load(io.BytesIO(members[stored["file"]]))
            nodes[field][0] = 10**6
            buffer = io.BytesIO()
            np.save(buffer, nodes)
            members[stored["file"]] = buffer.getvalue()
            break
    else:
        raise AssertionError("no stored tree nodes found")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


TREE_FIELDS = {"tree": "left_child", "boosting": "left"}


@pytest.mark.parametrize("kind", sorted(TREE_FIELDS))
def test_tree_models_load_without_the_flag(tmp_path, capsys, kind) -> None:
    model = _tree_model(kind)
    files = _files(tmp_path, "model.skops", model=model)
    save_skops(model, tmp_path / "model.skops")
    code, out, err = run_cli(_why(files), capsys)
    assert code == 0, err
    assert json.loads(out)["model_aware"]["artifact"]["reproduces_reference_scores"] == pytest.approx(1.0)


@pytest.mark.parametrize("kind", sorted(TREE_FIELDS))
def test_tree_pointing_outside_itself_is_refused_before_it_predicts(tmp_path, capsys, kind) -> None:
    model = _tree_model(kind)
    files = _files(tmp_path, "model.skops", model=model)
    save_skops(model, tmp_path / "model.skops")
    corrupt_first_tree(tmp_path / "model.skops", TREE_FIELDS[kind])
    code, _, err = run_cli(_why(files), capsys)
    assert code == 2, err
    assert "points outside" in err
