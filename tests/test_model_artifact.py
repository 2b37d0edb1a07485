"""Loading a model node's artifact: skops safely, pickles and MLflow only when trusted."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.compose import make_column_transformer

from causal_rca.model.save import save_skops
from tests.conftest import TINY_GRAPH, run_cli, tiny_frame


def _fitted_tiny_model():
    """A real pipeline on the tiny world's model inputs (fx numeric, cat categorical), in the graph's order."""
    frame = tiny_frame(3000, 7)
    pre = make_column_transformer((StandardScaler(), ["fx"]), (OneHotEncoder(handle_unknown="ignore"), ["cat"]))
    model = make_pipeline(pre, LogisticRegression(max_iter=200))
    return model.fit(frame[["fx", "cat"]], frame["y"])


def _files(tmp_path: Path, artifact: str, model=None) -> dict[str, Path]:
    graph = tmp_path / "tiny.yaml"
    graph.write_text(TINY_GRAPH.replace("    column: score\n", f"    column: score\n    artifact: {artifact}\n"))
    model = model if model is not None else _fitted_tiny_model()
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    for path, frame in ((ref, tiny_frame(3000, 1)), (cur, tiny_frame(3000, 4, fault="fx_scale", start="2026-02-01"))):
        frame["score"] = model.predict_proba(frame[["fx", "cat"]])[:, 1]
        frame.to_csv(path, index=False)
    return {"graph": graph, "reference": ref, "current": cur, "model": model}


def _why(files, *extra) -> list:
    return ["why", "recall", "--graph", files["graph"], "--reference", files["reference"], "--current",
            files["current"], "--format", "json", "--quiet", *extra]


def test_skops_artifact_needs_no_flag(tmp_path, capsys) -> None:
    files = _files(tmp_path, "model.skops")
    save_skops(files["model"], tmp_path / "model.skops")
    code, out, err = run_cli(_why(files), capsys)
    assert code == 0, err
    d = json.loads(out)
    art = d["model_aware"]["artifact"]
    assert art["kind"] == "skops"
    # The artifact is the model that scored both windows: it reproduces every logged score.
    assert art["reproduces_reference_scores"] == pytest.approx(1.0)
    assert art["reproduces_current_scores"] == pytest.approx(1.0)
    assert d["causes"][0]["node"] == "fx" and "replay" in d["causes"][0]


@pytest.mark.parametrize("suffix", [".pkl", ".joblib"])
def test_pickle_without_trust_exits_2_saying_why(tmp_path, capsys, suffix) -> None:
    files = _files(tmp_path, f"model{suffix}")
    with open(tmp_path / f"model{suffix}", "wb") as fh:
        pickle.dump(files["model"], fh)
    code, out, err = run_cli(_why(files), capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "pickle" in err and "runs code" in err and "--trust-model" in err


def test_pickle_with_trust_is_replayed(tmp_path, capsys) -> None:
    import joblib

    files = _files(tmp_path, "model.joblib")
    joblib.dump(files["model"], tmp_path / "model.joblib")
    code, out, err = run_cli(_why(files, "--trust-model"), capsys)
    assert code == 0, err
    assert json.loads(out)["model_aware"]["artifact"]["kind"] == "pickle"


@pytest.mark.parametrize("artifact, expected", [
    ("missing.skops", "does not exist"),
    ("model.onnx", "unsupported file type"),
    ("not_a_model.skops", "not a readable skops file"),
])
def test_bad_artifacts_exit_2(tmp_path, capsys, artifact, expected) -> None:
    files = _files(tmp_path, artifact)
    (tmp_path / "model.onnx").write_bytes(b"\x00")
    (tmp_path / "not_a_model.skops").write_text("hello")
    code, _out, err = run_cli(_why(files), capsys)
    assert code == 2 and expected in err and "Traceback" not in err


def test_columns_in_the_wrong_order_exit_2(tmp_path, capsys) -> None:
    frame = tiny_frame(3000, 7)
    swapped = make_pipeline(make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["cat"]),
                                                    (StandardScaler(), ["fx"])), LogisticRegression())
    swapped.fit(frame[["cat", "fx"]], frame["y"])
    files = _files(tmp_path, "model.skops", model=_fitted_tiny_model())
    save_skops(swapped, tmp_path / "model.skops")
    code, _out, err = run_cli(_why(files), capsys)
    assert code == 2 and "trained on columns cat, fx" in err and "fx, cat" in err


def test_mlflow_folder_needs_trust(tmp_path, capsys) -> None:
    files = _files(tmp_path, "mlmodel")
    (tmp_path / "mlmodel").mkdir()
    (tmp_path / "mlmodel" / "MLmodel").write_text("flavors: {}\n")
    code, _out, err = run_cli(_why(files), capsys)
    assert code == 2 and "MLflow" in err and "--trust-model" in err


def test_mlflow_model_round_trip(tmp_path, capsys) -> None:
    mlflow_sklearn = pytest.importorskip("mlflow.sklearn")
    files = _files(tmp_path, "mlmodel")
    mlflow_sklearn.save_model(files["model"], str(tmp_path / "mlmodel"))
    code, out, err = run_cli(_why(files, "--trust-model"), capsys)
    assert code == 0, err
    art = json.loads(out)["model_aware"]["artifact"]
    assert art["kind"] == "mlflow" and art["reproduces_current_scores"] == pytest.approx(1.0)


def test_golden_without_artifact_exits_2(tiny_files, capsys) -> None:
    code, _out, err = run_cli(["why", "recall", "--graph", tiny_files["graph"], "--reference", tiny_files["reference"],
                               "--current", tiny_files["current"], "--golden", tiny_files["reference"]], capsys)
    assert code == 2 and "--golden needs the real model" in err


def test_positive_class_column_is_found_loosely() -> None:
    from causal_rca.model.artifact import _positive_column

    assert _positive_column(np.array([0, 1]), 1) == 1
    assert _positive_column(np.array(["fraud", "ok"]), "fraud") == 0
    assert _positive_column(np.array([0.0, 1.0]), True) == 1


def test_same_inputs_and_seed_give_the_same_json_with_an_artifact(tmp_path, capsys) -> None:
    files = _files(tmp_path, "model.skops")
    save_skops(files["model"], tmp_path / "model.skops")
    first = run_cli(_why(files), capsys)
    second = run_cli(_why(files), capsys)
    assert first[0] == second[0] == 0 and first[1] == second[1]
