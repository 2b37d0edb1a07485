"""How the cases of tests/test_errors_catalogue.py are built: graphs, tables, histories, model artifacts,
imports and exports that fail on purpose (the cases themselves are in tests/errors_cases.py).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Callable

import numpy as np

from tests.conftest import TINY_GRAPH, tiny_frame


Case = Callable[[Path, dict], list]
G = "version: 1\nname: x\nnodes:\n"


def graph(text: str) -> Callable[[Path, dict], list]:
    """A `validate` case on a graph given as text."""
    def case(tmp: Path, files: dict) -> list:
        path = tmp / "g.yaml"
        path.write_text(text, encoding="utf-8")
        return ["validate", path]
    return case


def write_frame(tmp: Path, name: str, n: int = 500, edit: Callable | None = None, seed: int = 3) -> Path:
    frame = tiny_frame(n, seed)
    if edit is not None:
        edited = edit(frame)  # edits in place, or returns a new frame
        frame = frame if edited is None else edited
    path = tmp / name
    frame.to_csv(path, index=False)
    return path


def why(current: Callable[[Path], Path] | None = None, graph_text: str | None = None, metric: str = "recall",
        extra: tuple = (), reference: Callable[[Path], Path] | None = None) -> Case:
    """A `why` case on the tiny graph (or a variant) with an edited current (or reference) window."""
    def case(tmp: Path, files: dict) -> list:
        g = files["graph"]
        if graph_text is not None:
            g = tmp / "variant.yaml"
            g.write_text(graph_text)
        cur = current(tmp) if current is not None else files["current"]
        ref = reference(tmp) if reference is not None else files["reference"]
        return ["why", metric, "--graph", g, "--reference", ref, "--current", cur, *extra]
    return case


MC = G + ("  a: {kind: source, column: a}\n"
          "  m: {kind: model, parents: [a], column: pred, scores: {x: px, y: py, z: pz}}\n"
          "  y: {kind: label, column: t, classes: [x, y, z]}\n")
TWO_CLASSES = G + ("  a: {kind: source, column: a}\n  m: {kind: model, parents: [a], column: pred}\n"
                   "  y: {kind: label, column: t, classes: [ham, spam]}\n")


def mc_metric(keys: str, base: str = MC) -> Case:
    """A `validate` case: a metric with ``keys`` on the multi-class graph ``base``."""
    return graph(base + f"  r: {{kind: metric, parents: [m, y], {keys}}}\n")


def multiclass_why(metric: str, edit: Callable | None = None) -> Case:
    """A `why` case on graphs/multiclass_example.yaml with synthetic logs (the current window edited)."""
    def case(tmp: Path, files: dict) -> list:
        from tests.model_logs import document_log

        ref, cur = tmp / "doc_ref.csv", tmp / "doc_cur.csv"
        document_log(400, 1).to_csv(ref, index=False)
        frame = document_log(400, 2, start="2026-02-01")
        (edit(frame) if edit else frame).to_csv(cur, index=False)
        return ["why", metric, "--graph", Path(__file__).resolve().parents[1] / "graphs" / "multiclass_example.yaml",
                "--reference", ref, "--current", cur]
    return case


def continuous_labels(tmp: Path) -> Path:
    def edit(frame):
        frame["y"] = np.random.default_rng(0).normal(size=len(frame))
    return write_frame(tmp, "many.csv", n=10_500, edit=edit)


def rename_score(frame) -> None:
    frame.columns = ["scores" if c == "score" else c for c in frame.columns]


def positives_first(frame) -> None:
    """Positive labels in the first 8 of 20 time bins only: recall is undefined in the others."""
    frame["y"] = ((frame.index % 20 == 0) & (frame.index < 160)).astype(int)


def all_null(frame) -> None:
    for col in ("x", "cat", "fx", "score", "y"):
        frame[col] = None


def drop_rows(frame):
    return frame.iloc[:0]


def set_col(col: str, value) -> Callable[[object], None]:
    def edit(frame) -> None:
        frame[col] = value
    return edit


def tiny_variant(old: str, new: str) -> str:
    assert old in TINY_GRAPH
    return TINY_GRAPH.replace(old, new)


def diag_file(tmp: Path, payload) -> Path:
    path = tmp / "d.json"
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return path


def render_with(payload) -> Case:
    return lambda tmp, files: ["render", files["graph"], "--out", tmp / "o.dot", "--diagnosis", diag_file(tmp, payload)]


def text_file(name: str, text: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_text(text, encoding="utf-8")
        return path
    return make


def watch(every: str = "1d", data: Callable[[Path], Path] | None = None, graph_text: str = TINY_GRAPH,
          extra: tuple = ()) -> Case:
    def case(tmp: Path, files: dict) -> list:
        g = tmp / "w.yaml"
        g.write_text(graph_text)
        table = data(tmp) if data is not None else files["reference"]
        return ["watch", g, "--data", table, "--metric", "recall", "--every", every, *extra]
    return case


def history_file(tmp: Path) -> Path:
    from causal_rca.history.store import record

    path = tmp / "h.sqlite"
    record(path, {"graph": "tiny", "target": "recall", "causes": [], "anomalies": []}, "why")
    return path


def edited_history(tmp: Path, sql: str, fresh: bool = False) -> Path:
    """A history file (or, fresh, a new SQLite file) after one SQL statement."""
    path = tmp / "e.sqlite" if fresh else history_file(tmp)
    with closing(sqlite3.connect(path)) as con, con:
        con.execute(sql)
    return path


HELD: list[sqlite3.Connection] = []  # connections holding a history's write lock during a case


def locked_history(tmp: Path) -> Path:
    path = history_file(tmp)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    HELD.append(con)
    return path


def with_artifact(artifact: str, make: Callable[[Path], None] | None = None, graph_text: str = TINY_GRAPH,
                  extra: tuple = ()) -> Case:
    """A `why` case on the tiny graph whose model node declares ``artifact`` (``make`` writes it)."""
    def case(tmp: Path, files: dict) -> list:
        if make is not None:
            make(tmp)
        text = graph_text.replace("    column: score\n", f"    column: score\n    artifact: {artifact}\n")
        return why(graph_text=text, extra=extra)(tmp, files)
    return case


def pickled(tmp: Path) -> None:
    import pickle

    (tmp / "m.pkl").write_bytes(pickle.dumps({"not": "a model"}))


def mlflow_folder(tmp: Path) -> None:
    (tmp / "mlmodel").mkdir()
    (tmp / "mlmodel" / "MLmodel").write_text("flavors: {}\n")


def skops_in_wrong_order(tmp: Path) -> None:
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from causal_rca.model.save import save_skops

    frame = pd.DataFrame({"cat": [0.0, 1.0, 0.0, 1.0], "fx": [0.1, 0.9, 0.2, 0.8]})
    save_skops(LogisticRegression().fit(frame, [0, 1, 0, 1]), tmp / "m.skops")


def skops_with_a_call(tmp: Path) -> None:
    """A skops file whose schema calls a function at load time (the crafted files of tests/test_skops_security.py)."""
    from tests.test_skops_security import call, json_node, tamper

    skops_in_wrong_order(tmp)
    tamper(tmp / "m.skops", lambda schema: {**call("os", "system", json_node("true")), "protocol": schema["protocol"]})


def skops_with_a_broken_tree(tmp: Path) -> None:
    import pandas as pd
    from sklearn.tree import DecisionTreeClassifier

    from causal_rca.model.save import save_skops
    from tests.test_skops_security import corrupt_first_tree

    frame = pd.DataFrame({"fx": [0.1, 0.9, 0.2, 0.8], "cat": [0.0, 1.0, 0.0, 1.0]})
    save_skops(DecisionTreeClassifier().fit(frame, [0, 1, 0, 1]), tmp / "m.skops")
    corrupt_first_tree(tmp / "m.skops", "left_child")


def drop_fx(frame):
    return frame.drop(columns=["fx"])


MANIFEST_V = "https://schemas.getdbt.com/dbt/manifest/v{}.json"


def dbt(manifest, extra: tuple = ()) -> Case:
    def case(tmp: Path, files: dict) -> list:
        path = tmp / "manifest.json"
        path.write_text(manifest if isinstance(manifest, str) else json.dumps(manifest))
        return ["import", "dbt", path, "--out", tmp / "out.yaml", *extra]
    return case


def openlineage(text: str, extra: Callable[[Path], list] | None = None) -> Case:
    def case(tmp: Path, files: dict) -> list:
        path = tmp / "events.jsonl"
        path.write_text(text)
        return ["import", "openlineage", path, "--out", tmp / "out.yaml", *(extra(tmp) if extra else [])]
    return case


def openlineage_bytes(data: bytes) -> Case:
    def case(tmp: Path, files: dict) -> list:
        path = tmp / "events.json.gz"
        path.write_bytes(data)
        return ["import", "openlineage", path, "--out", tmp / "out.yaml"]
    return case


CATALOG_V = "https://schemas.getdbt.com/dbt/catalog/v1.json"
OL_EVENT = json.dumps({"eventType": "COMPLETE", "job": {"namespace": "n", "name": "j"},
                       "inputs": [{"namespace": "db", "name": "raw"}], "outputs": [{"namespace": "db", "name": "feat"}]})
DBT_OK = {"metadata": {"dbt_schema_version": MANIFEST_V.format(12)},
          "nodes": {"model.p.m": {"resource_type": "model", "name": "m", "columns": {}}}}


def parquet_garbage(tmp: Path) -> Path:
    path = tmp / "broken.parquet"
    path.write_bytes(b"not a parquet file at all")
    return path


def named_pipe(tmp: Path) -> Path:
    """A FIFO nobody writes to: opened, it would block forever (so it must be refused first)."""
    import os

    os.mkfifo(tmp / "pipe.csv")
    return tmp / "pipe.csv"


def parts_without_score(tmp: Path) -> str:
    """Two files of one glob, the second without the model's score column."""
    write_frame(tmp, "part0.csv")
    write_frame(tmp, "part1.csv", edit=lambda frame: frame.drop(columns=["score"]))
    return str(tmp / "part*.csv")


def blocked_out(tmp: Path) -> Path:
    blocker = tmp / "file"
    blocker.write_text("x")
    return blocker / "sub" / "out.json"
