"""The cases of tests/test_errors_catalogue.py, one per entry of docs/errors.md: command-line arguments
(CASES), a separate process (PROCESS_CASES), or a call of the Python API (API_CASES).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from tests.conftest import TINY_GRAPH
from tests.errors_case_builders import (
    CATALOG_V,
    DBT_OK,
    G,
    MANIFEST_V,
    MC,
    OL_EVENT,
    TWO_CLASSES,
    Case,
    all_null,
    blocked_out,
    continuous_labels,
    dbt,
    diag_file,
    drop_fx,
    drop_rows,
    edited_history,
    graph,
    history_file,
    locked_history,
    mc_metric,
    mlflow_folder,
    multiclass_why,
    named_pipe,
    openlineage,
    openlineage_bytes,
    parquet_garbage,
    parts_without_score,
    pickled,
    positives_first,
    rename_score,
    render_with,
    set_col,
    skops_in_wrong_order,
    skops_with_a_broken_tree,
    skops_with_a_call,
    text_file,
    tiny_variant,
    watch,
    why,
    with_artifact,
    write_frame,
)


CASES: dict[str, Case] = {
    # graph files and YAML
    "graph-not-found": lambda tmp, files: ["validate", tmp / "nope.yaml"],
    "graph-is-directory": lambda tmp, files: ["validate", tmp],
    "graph-empty": graph(""),
    "yaml-syntax": graph(G + "  a: {kind: source, column: a\n"),
    "yaml-custom-tag": graph(G + "  a: !!python/object:os.system {kind: source}\n"),
    "yaml-duplicate-node": graph(G + "  a: {kind: source, column: a}\n  a: {kind: source, column: b}\n"),
    "yaml-duplicate-key": graph(G + "  a: {kind: source, column: a, column: b}\n"),
    "yaml-control-character": graph(G + "  a: {kind: source, column: \"a\x07\"}\n"),
    "yaml-too-deep": graph(G + "  a: " + "[" * 5000 + "]" * 5000 + "\n"),
    "graph-not-mapping": graph("- a\n- b\n"),
    "graph-missing-key": graph("name: x\nnodes:\n  a: {kind: source, column: a}\n"),
    "graph-unknown-key": graph(G + "  a: {kind: source, colum: a}\n"),
    "graph-wrong-type": graph(G + "  a: {kind: source, column: a}\n  b: {kind: feature, parents: 7, column: b}\n"),
    "graph-column-no-value": graph(G + "  a: {kind: source, column: }\n"),
    "node-id-invalid": graph(G + "  'a b': {kind: source, column: a}\n"),
    "unknown-parent": graph(G + "  a: {kind: source, column: a}\n  b: {kind: feature, parents: [c], column: b}\n"),
    "own-parent": graph(G + "  a: {kind: feature, parents: [a], column: a}\n"),
    "parent-twice": graph(G + "  a: {kind: source, column: a}\n  b: {kind: feature, parents: [a, a], column: b}\n"),
    "shared-column": graph(G + "  a: {kind: source, column: c}\n  b: {kind: source, column: c}\n"),
    "needs-parent": graph(G + "  m: {kind: model, column: s}\n"),
    "metric-unnamed": graph(G + "  a: {kind: source, column: a}\n  m: {kind: metric, parents: [a]}\n"),
    "metric-unknown": graph(tiny_variant("metric: recall", "metric: recal")),
    "metric-only-key": graph(G + "  a: {kind: source, column: a, threshold: 0.3}\n"),
    "model-only-key": graph(G + "  a: {kind: source, column: a, version_column: v}\n"),
    "observed-only-key": graph(G + "  a: {kind: infra, contract: {min: 0}}\n"),
    "cycle": graph(G + "  a: {kind: feature, parents: [b], column: a}\n  b: {kind: feature, parents: [a], column: b}\n"),
    "metric-needs-upstream": graph(G + "  a: {kind: source, column: a}\n  mdl: {kind: model, parents: [a], column: s}\n"
                                   "  r: {kind: metric, parents: [mdl], metric: recall}\n"),
    "metric-input-unobserved": graph(tiny_variant("    column: score\n", "")),
    "mean-needs-column": graph(G + "  a: {kind: source, column: a}\n  m: {kind: metric, parents: [a], metric: mean}\n"),
    "metric-input-wrong-kind": graph(tiny_variant("metric: recall", "metric: recall\n    prediction: x")),
    "bad-duration": graph(G + "  a: {kind: source, column: a, contract: {max_staleness: soon}}\n"),
    "bad-threshold": graph(tiny_variant("metric: recall", "metric: recall\n    threshold: .inf")),
    # multi-class and regression models
    "label-only-key": graph(G + "  a: {kind: source, column: a, classes: [x, y]}\n"),
    "classes-invalid": mc_metric("metric: accuracy", TWO_CLASSES.replace("[ham, spam]", "[ham, ' ham']")),
    "scores-invalid": mc_metric("metric: accuracy", MC.replace("{x: px, y: py, z: pz}", "{x: px}")),
    "scores-is-prediction": mc_metric("metric: accuracy", MC.replace("z: pz", "z: pred")),
    "scores-classes-mismatch": mc_metric("metric: accuracy", MC.replace("z: pz", "w: pw")),
    "metric-needs-scores": mc_metric("metric: log_loss", MC.replace(", scores: {x: px, y: py, z: pz}", "")),
    "metric-key-does-not-apply": mc_metric("metric: accuracy, average: macro"),
    "class-and-average": mc_metric("metric: recall, class: x, average: macro"),
    "unknown-average": mc_metric("metric: f1, average: mean"),
    "k-not-positive": mc_metric("metric: top_k_accuracy, k: 0"),
    "k-too-large": mc_metric("metric: top_k_accuracy, k: 4"),
    "class-not-declared": mc_metric("metric: recall, class: w"),
    "binary-key-on-multiclass": mc_metric("metric: recall, threshold: 0.3"),
    "multiclass-key-on-binary": mc_metric("metric: recall, class: spam, positive: spam", TWO_CLASSES),
    "positive-not-a-class": mc_metric("metric: recall", TWO_CLASSES),
    "regression-with-classes": mc_metric("metric: mae"),
    # columns
    "column-not-found": lambda tmp, files: ["validate", files["graph"], "--data",
                                            write_frame(tmp, "d.csv", edit=rename_score)],
    # tables and windows
    "table-not-found": why(lambda tmp: tmp / "nope.csv"),
    "table-is-directory": why(lambda tmp: tmp),
    "table-unsupported": why(text_file("cur.xlsx", "x")),
    "table-unreadable": why(parquet_garbage),
    "window-empty": why(lambda tmp: write_frame(tmp, "e.csv", edit=drop_rows)),
    "window-too-few-rows": why(lambda tmp: write_frame(tmp, "t.csv", n=12)),
    "windows-both-ways": lambda tmp, files: ["why", "recall", "--graph", files["graph"], "--data", files["reference"],
                                             "--split", "2026-01-01", "--current", files["current"]],
    "windows-missing": lambda tmp, files: ["why", "recall", "--graph", files["graph"], "--reference", files["reference"]],
    "data-needs-split": lambda tmp, files: ["why", "recall", "--graph", files["graph"], "--data", files["reference"]],
    "split-needs-time-column": lambda tmp, files: [
        "why", "recall", "--graph", text_file("nt.yaml", tiny_variant("time_column: ts\n", ""))(tmp),
        "--data", files["reference"], "--split", "2026-01-01"],
    "split-not-timestamp": lambda tmp, files: ["why", "recall", "--graph", files["graph"], "--data", files["reference"],
                                               "--split", "yesterday-ish"],
    "timeline-too-few-rows": lambda tmp, files: ["why", "recall", "--graph", files["graph"],
                                                 "--data", write_frame(tmp, "short.csv", n=40), "--split", "auto"],
    "split-auto-too-short": lambda tmp, files: ["why", "recall", "--graph", files["graph"], "--split", "auto",
                                                "--data", write_frame(tmp, "few.csv", n=400, edit=positives_first)],
    "window-all-null": why(lambda tmp: write_frame(tmp, "n.csv", edit=all_null)),
    "node-entirely-null": why(lambda tmp: write_frame(tmp, "n.csv", edit=set_col("score", None))),
    "table-not-regular-file": why(named_pipe),
    "table-glob-no-match": why(lambda tmp: tmp / "part*.csv"),
    "table-glob-column-missing": why(parts_without_score),
    # metrics
    "not-a-metric-node": why(metric="precision"),
    "no-positive-labels": why(lambda tmp: write_frame(tmp, "n.csv", edit=set_col("y", 0))),
    "no-predicted-positives": why(reference=lambda tmp: write_frame(tmp, "n.csv", edit=set_col("score", 0.1)),
                                  graph_text=tiny_variant("metric: recall", "metric: precision"), metric="recall"),
    "log-loss-range": why(lambda tmp: write_frame(tmp, "n.csv", edit=set_col("score", 3.0)),
                          graph_text=tiny_variant("metric: recall", "metric: log_loss")),
    "roc-auc-one-class": why(lambda tmp: write_frame(tmp, "n.csv", edit=set_col("y", 1)),
                             graph_text=tiny_variant("metric: recall", "metric: roc_auc")),
    "r2-constant-label": why(lambda tmp: write_frame(tmp, "n.csv", edit=set_col("y", 1)),
                             graph_text=tiny_variant("metric: recall", "metric: r2")),
    "mape-zero-label": why(lambda tmp: write_frame(tmp, "n.csv", edit=set_col("y", 0)),
                           graph_text=tiny_variant("metric: recall", "metric: mape")),
    "multiclass-no-scored-rows": multiclass_why("log_loss", lambda f: f.assign(p_letter=np.nan)),
    "too-many-classes": lambda tmp, files: ["why", "recall", "--graph", files["graph"],
                                            "--reference", continuous_labels(tmp), "--current", continuous_labels(tmp)],
    # CLI options and outputs
    "usage-error": lambda tmp, files: ["why", "recall", "--grahp", files["graph"]],
    "out-not-writable": why(extra=("--format", "json", "--quiet")),
    "render-bad-suffix": lambda tmp, files: ["render", files["graph"], "--out", tmp / "o.txt"],
    "diagnosis-not-json": render_with("{not json"),
    "diagnosis-wrong-format": render_with({"format": "something/else"}),
    "diagnosis-incomplete": render_with({"format": "causal-rca/diagnosis/v1", "graph": "tiny"}),
    "diagnosis-other-graph": "filled in below",
    "scenarios-run-what": lambda tmp, files: ["scenarios", "run"],
    "scenarios-run-format": lambda tmp, files: ["scenarios", "run", "--all", "--format", "xml"],
    "unknown-scenario": lambda tmp, files: ["scenarios", "run", "no_such_scenario"],
    # watch and history
    "watch-needs-time-column": watch(graph_text=tiny_variant("time_column: ts\n", "")),
    "watch-every-not-duration": watch(every="soon"),
    "watch-every-not-positive": watch(every="0h"),
    "watch-too-few-buckets": watch(),
    "watch-one-time": watch(data=lambda tmp: write_frame(tmp, "same.csv", edit=set_col("ts", "2026-01-01"))),
    "watch-chart-suffix": watch(every="1h", extra=("--chart", "chart.txt")),
    "history-not-found": lambda tmp, files: ["history", tmp / "none.sqlite"],
    "history-unreadable": lambda tmp, files: ["history", text_file("h.sqlite", "not a database" * 100)(tmp)],
    "history-no-record": lambda tmp, files: ["history", history_file(tmp), "--show", "99"],
    "history-locked": lambda tmp, files: [*why()(tmp, files), "--quiet", "--record", locked_history(tmp)],
    "history-other-version": lambda tmp, files: ["history", edited_history(tmp, "PRAGMA user_version = 7")],
    "history-other-shape": lambda tmp, files: [
        "history", edited_history(tmp, "CREATE TABLE diagnoses (id INTEGER, payload BLOB)", fresh=True)],
    "history-damaged-record": lambda tmp, files: [
        "history", edited_history(tmp, "UPDATE diagnoses SET diagnosis = '{not json'"), "--show", "1"],
    # import
    "openlineage-empty": openlineage(""),
    "openlineage-not-json": openlineage("{nope"),
    "openlineage-not-event": openlineage(json.dumps({"eventType": "COMPLETE"})),
    "openlineage-no-datasets": openlineage(json.dumps({"eventType": "START", "run": {"runId": "r"}})),
    "openlineage-given-manifest": openlineage(json.dumps(DBT_OK)),
    "openlineage-given-catalog": openlineage(json.dumps({"metadata": {"dbt_schema_version": CATALOG_V}, "nodes": {}})),
    "openlineage-template": openlineage(json.dumps({"job": {"namespace": "n", "name": "j"}, "inputs": [
        {"namespace": "file", "name": "${json-unit.any-string}"}]})),
    "openlineage-wrong-type": openlineage(json.dumps({"job": {"namespace": "n", "name": "j"}, "inputs": 5})),
    "openlineage-event-not-object": openlineage("[1, 2]"),
    "import-bad-gzip": openlineage_bytes(b"\x1f\x8b\x08\x00broken"),
    "import-not-utf8": openlineage_bytes(b"\xff\xfe\x00{"),
    "dbt-given-events": dbt(OL_EVENT),
    "dbt-given-catalog": dbt({"metadata": {"dbt_schema_version": CATALOG_V}, "nodes": {}}),
    "dbt-catalog-not-catalog": lambda tmp, files: [*dbt(DBT_OK)(tmp, files), "--catalog",
                                                   text_file("catalog.json", json.dumps(DBT_OK))(tmp)],
    "dbt-wrong-type": dbt({**DBT_OK, "exposures": {"exposure.p.e": {"name": 5, "type": "ml"}}}),
    "dbt-select-method": dbt(DBT_OK, ("--select", "color:red")),
    "observed-from-no-match": dbt(DBT_OK, ("--observed-from", "/nonexistent-dir-for-test/*.csv")),
    "attach-not-mapping": openlineage(OL_EVENT, lambda tmp: ["--attach-model", text_file("m.yaml", "- a\n")(tmp)]),
    "dbt-not-json": dbt("{nope"),
    "dbt-not-manifest": dbt({"metadata": {}}),
    "dbt-no-version": dbt({"nodes": {}, "metadata": {}}),
    "dbt-unsupported-version": dbt({"nodes": {}, "metadata": {"dbt_schema_version": MANIFEST_V.format(1)}}),
    "dbt-select-unknown": dbt(DBT_OK, ("--select", "nosuchmodel")),
    "openlineage-too-deep": openlineage("[" * 200_000),
    "dbt-too-deep": dbt('{"a":' * 200_000),
    "attach-too-deep": openlineage(OL_EVENT, lambda tmp: ["--attach-model", text_file("m.yaml", "[" * 200_000)(tmp)]),
    # model artifacts, golden and training tables
    "artifact-pickle-untrusted": with_artifact("m.pkl", pickled),
    "artifact-mlflow-untrusted": with_artifact("mlmodel", mlflow_folder),
    "artifact-not-found": with_artifact("missing.skops"),
    "artifact-folder-without-mlmodel": with_artifact("sub", lambda tmp: (tmp / "sub").mkdir()),
    "artifact-unsupported": with_artifact("m.onnx", lambda tmp: (tmp / "m.onnx").write_bytes(b"\x00")),
    "artifact-not-skops": with_artifact("m.skops", lambda tmp: (tmp / "m.skops").write_text("hello")),
    "artifact-skops-untrusted": with_artifact("m.skops", skops_with_a_call),
    "artifact-tree-out-of-bounds": with_artifact("m.skops", skops_with_a_broken_tree),
    "artifact-column-order": with_artifact("m.skops", skops_in_wrong_order),
    "artifact-input-unobserved": with_artifact("m.skops", graph_text=tiny_variant(
        "    parents: [fx, cat]\n", "    parents: [fx, cat, svc]\n") + "  svc:\n    kind: infra\n"),
    "golden-needs-artifact": why(extra=("--golden", "cur.csv")),
    "node-table-missing-column": lambda tmp, files: [*why()(tmp, files), "--training",
                                                     write_frame(tmp, "train.csv", edit=drop_fx)],
}


def _folder_with_graph(tmp: Path) -> Path:
    (tmp / "qs").mkdir()
    return text_file("qs/graph.yaml", "x")(tmp).parent


def init_cmd(*extra, data: Callable[[Path], Path] | None = None) -> Case:
    """An `init` case on the tiny reference log (or another table)."""
    def case(tmp: Path, files: dict) -> list:
        log = data(tmp) if data is not None else files["reference"]
        return ["init", "--data", log, *[e(tmp) if callable(e) else e for e in extra]]
    return case


def _skops_model(columns: list[str] | None) -> Callable[[Path], Path]:
    """A small fitted model saved with skops: on a DataFrame with ``columns``, or on an array (no names)."""
    def make(tmp: Path) -> Path:
        import numpy as np
        import pandas as pd
        from sklearn.linear_model import LogisticRegression

        from causal_rca.model.save import save_skops

        X = np.random.default_rng(0).normal(size=(60, len(columns or ["a"])))
        y = (X[:, 0] > 0).astype(int)
        fitted = LogisticRegression().fit(pd.DataFrame(X, columns=columns) if columns else X, y)
        return save_skops(fitted, tmp / "m.skops")
    return make


CASES.update({
    "check-graph-needs-data": lambda tmp, files: ["validate", files["graph"], "--check-graph"],
    "import-check-needs-log": openlineage(OL_EVENT, lambda tmp: ["--check-graph"]),
    "split-outside-log": lambda tmp, files: ["why", "recall", "--graph", files["graph"], "--data", files["reference"],
                                             "--split", "2030-01-01"],
    "quickstart-folder-is-file": lambda tmp, files: ["quickstart", text_file("taken", "x")(tmp)],
    "quickstart-folder-not-empty": lambda tmp, files: ["quickstart", _folder_with_graph(tmp)],
    "quickstart-cannot-create": lambda tmp, files: ["quickstart", text_file("file", "x")(tmp) / "sub"],
    "init-column-unknown": init_cmd("--label", "yy", "--prediction", "score"),
    "init-label-and-prediction": init_cmd("--label", "y"),
    "init-same-column": init_cmd("--label", "y", "--prediction", "y"),
    "init-too-few-rows": init_cmd(data=lambda tmp: write_frame(tmp, "short.csv", n=12)),
    "init-metric-unknown": init_cmd("--label", "y", "--prediction", "score", "--metric", "recal"),
    "init-out-exists": init_cmd("--out", lambda tmp: text_file("draft.yaml", "x")(tmp)),
    "init-model-needs-label": init_cmd("--model", "m.skops"),
    "init-model-not-found": init_cmd("--label", "y", "--prediction", "score", "--model",
                                     lambda tmp: tmp / "none.skops"),
    "init-model-untrusted": init_cmd("--label", "y", "--prediction", "score", "--model",
                                     lambda tmp: text_file("m.pkl", "x")(tmp)),
    "init-model-no-names": init_cmd("--label", "y", "--prediction", "score", "--model", _skops_model(None)),
    "init-model-columns-missing": init_cmd("--label", "y", "--prediction", "score", "--model",
                                           _skops_model(["fx", "zz"])),
})


def _other_graph(tmp: Path, files: dict) -> list:
    from causal_rca.diagnosis.model import FORMAT

    payload = {"format": FORMAT, "graph": "another", "target": "recall", "metric": "recall",
               "reference": {"value": 0.5, "ci": [0.4, 0.6], "rows": 100},
               "current": {"value": 0.5, "ci": [0.4, 0.6], "rows": 100},
               "change": 0.0, "significant": False, "causes": [], "anomalies": [], "summary": "s"}
    return render_with(payload)(tmp, files)


def _out_not_writable(tmp: Path, files: dict) -> list:
    return [*why(extra=("--format", "json", "--quiet"))(tmp, files), "--out", blocked_out(tmp)]


def drill(*options: str, graph_text: str = TINY_GRAPH, edit: Callable | None = None, command: str = "drill") -> Case:
    """`drill` (or `risk`, with ``command``) on the tiny graph and a reference of 500 rows."""
    def case(tmp: Path, files: dict) -> list:
        path = tmp / "g.yaml"
        path.write_text(graph_text, encoding="utf-8")
        ref = write_frame(tmp, "ref.csv", edit=edit)
        args = [command, path, "--reference", ref]
        return args + (["--out", tmp / "d.csv"] if command == "drill" else []) + list(options)
    return case


CASES.update({
    "prevention-strength": drill("--node", "fx", "--mode", "missing_values", "--strength", "2"),
    "prevention-no-injector": drill("--node", "cat", "--mode", "scale_change"),
    "prevention-unknown-node": drill("--node", "nope", "--mode", "missing_values"),
    "prevention-one-class-label": drill("--node", "y", "--mode", "label_shift", edit=set_col("y", 0)),
    "prevention-rows": drill("--rows", "50", command="risk"),
    "prevention-model-metric": drill("--metric", "avg_x", command="risk", graph_text=TINY_GRAPH
                                     + "  avg_x:\n    kind: metric\n    parents: [x]\n    metric: mean\n    column: ts\n"),
    "prevention-needs-scores": drill(command="risk", edit=set_col("score", "high")),
    "prevention-which-metric": drill(command="risk", graph_text=TINY_GRAPH
                                     + "  precision:\n    kind: metric\n    parents: [model, y]\n    metric: precision\n"),
})
CASES["diagnosis-other-graph"] = _other_graph
CASES["out-not-writable"] = _out_not_writable
CASES.update({
    "split-needs-data": why(extra=("--split", "2026-01-15")),
    "seed-negative": why(extra=("--seed", "-1")),
    "render-needs-out": lambda tmp, files: ["render", files["graph"]],
    "render-report-options": lambda tmp, files: ["render", diag_file(tmp, {}), "--view", "fishbone"],
    "render-graph-option": lambda tmp, files: ["render", files["graph"], "--graph", files["graph"], "--out",
                                               tmp / "o.dot"],
})


def _stdout_closed(tmp: Path, files: dict) -> tuple[int, str]:
    """`why` with its standard output closed by the shell (``>&-``): only a real process has that."""
    args = why(extra=("--quiet",))(tmp, files)
    command = " ".join(f"'{a}'" for a in [sys.executable, "-m", "causal_rca", *map(str, args)])
    proc = subprocess.run(["bash", "-c", command + " >&-"], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[1])
    return proc.returncode, proc.stderr


def _duplicate_dataframe_columns(tmp: Path, files: dict) -> None:
    import pandas as pd

    from causal_rca.api import diagnose

    frame = pd.read_csv(files["reference"])
    diagnose(files["graph"], frame, pd.concat([frame, frame[["fx"]]], axis=1), "recall")


#: Entries a command line cannot reach in-process: run as a separate process, (exit status, stderr).
PROCESS_CASES: dict[str, Callable[[Path, dict], tuple[int, str]]] = {
    "stdout-closed": _stdout_closed,
}
def _diagnose_with(**arguments) -> Callable[[Path, dict], None]:
    """``diagnose`` on the tiny files with one argument changed."""
    def case(tmp: Path, files: dict) -> None:
        from causal_rca.api import diagnose

        given = {"graph": files["graph"], "reference": files["reference"], "current": files["current"],
                 "metric": "recall", **arguments}
        diagnose(given.pop("graph"), given.pop("reference"), given.pop("current"), given.pop("metric"), **given)
    return case


def _diagnosis_from_a_dict(tmp: Path, files: dict) -> None:
    from causal_rca import Diagnosis

    Diagnosis.from_json({"format": "causal-rca/diagnosis/v1"})


def _unfitted(tmp: Path, files: dict) -> None:
    from causal_rca import CausalRCA

    CausalRCA(files["graph"]).diagnose(files["current"])


def _save_memory_graph(tmp: Path, files: dict) -> None:
    from causal_rca import CausalRCA
    from causal_rca.lineage.loader import graph_from_yaml

    graph = graph_from_yaml(Path(files["graph"]).read_text())
    CausalRCA(graph, "recall").fit(files["reference"]).save(tmp / "model")


def _load_not_saved(tmp: Path, files: dict) -> None:
    from causal_rca import CausalRCA

    CausalRCA.load(tmp)


def _load_other_format(tmp: Path, files: dict) -> None:
    from causal_rca import CausalRCA

    folder = CausalRCA(files["graph"], "recall").fit(files["reference"]).save(tmp / "model")
    meta = json.loads((folder / "fitted.json").read_text())
    (folder / "fitted.json").write_text(json.dumps({**meta, "format": "causal-rca-fitted/0"}))
    CausalRCA.load(folder)


def _complex_dataframe_column(tmp: Path, files: dict) -> None:
    import pandas as pd

    from causal_rca.api import diagnose

    frame = pd.read_csv(files["reference"])
    diagnose(files["graph"], frame, frame.assign(fx=frame["fx"] + 1j), "recall")


def _split_p_value_above_one(tmp: Path, files: dict) -> None:
    from causal_rca import CausalRCA

    CausalRCA(files["graph"], "recall").fit(files["reference"]).diagnose(files["current"], split_p_value=2.0)


def _save_onto_a_file(tmp: Path, files: dict) -> None:
    from causal_rca import CausalRCA

    CausalRCA(files["graph"], "recall").fit(files["reference"]).save(files["graph"])


#: Entries only the Python API can reach: the call must raise InputError with the message.
API_CASES: dict[str, Callable[[Path, dict], None]] = {
    "api-duplicate-columns": _duplicate_dataframe_columns,
    "api-graph-type": _diagnose_with(graph={"nodes": {}}),
    "api-metric-type": _diagnose_with(metric=1),
    "api-table-type": _diagnose_with(golden=[1, 2, 3]),
    "api-split-type": _diagnose_with(reference=None, current=None, data="log.csv", split=20260101),
    "api-sample-rows": _diagnose_with(sample_rows=10),
    "api-jobs": _diagnose_with(jobs=0),
    "api-progress-type": _diagnose_with(progress="verbose"),
    "api-flag-type": _diagnose_with(estimate="yes"),
    "api-engine": _diagnose_with(engine="postgres"),
    "api-diagnosis-source": _diagnosis_from_a_dict,
    "api-not-fitted": _unfitted,
    "api-save-memory-graph": _save_memory_graph,
    "api-load-not-saved": _load_not_saved,
    "api-load-format": _load_other_format,
    "api-dataframe-dtype": _complex_dataframe_column,
    "api-p-value": _split_p_value_above_one,
    "api-folder": _save_onto_a_file,
}
