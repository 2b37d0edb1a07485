"""Decision drivers in a diagnosis, through the command line: the ``decision_drivers`` block, its
evidence on the causes, the reports, and the path where shap is not installed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from sklearn.base import clone

from causal_rca.diagnosis.model import Cause
from causal_rca.model.drivers import INSTALL_NOTE
from causal_rca.model.driver_review import driver_evidence, review_drivers
from causal_rca.model.save import save_skops
from tests.conftest import run_cli, tiny_frame
from tests.test_model_artifact import _files, _fitted_tiny_model, _why

pytest.importorskip("shap", reason="the decision drivers need the explain extra: pip install 'causal-rca[explain]'")


def _block(logic_changed: list[str], input_moved: list[str]) -> dict:
    def change(flagged: bool) -> dict:
        return {"change": 0.1 if flagged else 0.0, "ci": [0.05, 0.15] if flagged else [-0.01, 0.01],
                "p_value": 1e-6 if flagged else 1.0, "significant": flagged}

    inputs = [{"node": n, "reference": {"mean_abs": 0.2, "ci": [0.1, 0.3]}, "current": {"mean_abs": 0.3, "ci": [0.2, 0.4]},
               "logic_change": change(n in logic_changed), "input_effect": change(n in input_moved)} for n in ("a", "b")]
    return {"same_model": not logic_changed, "inputs": inputs, "logic_changed": logic_changed,
            "input_effect_changed": input_moved}


@pytest.mark.parametrize("node, mode, logic_changed, expected", [
    ("m", "model_change", ["a"], "supports a change of the model"),
    ("y", "concept_drift", ["a"], "supports a change of the model"),
    ("a", "scale_change", ["a"], "weighs against this cause alone"),
    ("a", "scale_change", [], "supports an input fault under an unchanged model"),
    ("m", "model_change", [], "weighs against a change of the model"),
    ("y", "concept_drift", [], "the model is unchanged"),
    ("y", "label_shift", [], "the model is unchanged"),
])
def test_what_the_drivers_say_about_each_kind_of_cause(node, mode, logic_changed, expected) -> None:
    cause = Cause(rank=1, node=node, failure_mode=mode, category=None, score=0.5, contribution=None, p_value=None,
                  evidence=[], why=[], mitigation="")
    e = driver_evidence(_block(logic_changed, ["a"]), cause, "m")
    assert e.test == "decision_drivers" and expected in e.detail
    # the input named with the two means its change compares (0.1 apart: the flagged change)
    assert "a 0.2 → 0.3" in e.detail
    assert (e.reference, e.current) == pytest.approx((0.2, 0.3))
    assert e.p_value == 1e-6


def _finetune_files(tmp_path: Path) -> dict[str, Path]:
    """The reference scored by the tiny model; the current window, inputs unchanged, by a "fine-tune"
    that learned from rows whose outcome follows the category only (the artifact is the fine-tune)."""
    old = _fitted_tiny_model()
    recent = tiny_frame(3000, 9)
    recent["y"] = (recent["cat"] == "c").astype(int)
    new = clone(old).fit(recent[["fx", "cat"]], recent["y"])
    files = _files(tmp_path, "model.skops", model=old)
    current = tiny_frame(3000, 4, start="2026-02-01")
    current["score"] = new.predict_proba(current[["fx", "cat"]])[:, 1]
    current.to_csv(files["current"], index=False)
    save_skops(new, tmp_path / "model.skops")
    return files


def test_an_input_fault_under_the_same_model_keeps_the_drivers(tmp_path, capsys) -> None:
    files = _files(tmp_path, "model.skops")  # fx served x 100 in the current window, one model
    save_skops(files["model"], tmp_path / "model.skops")
    code, out, err = run_cli(_why(files), capsys)
    assert code == 0, err
    d = json.loads(out)
    b = d["decision_drivers"]
    assert b["same_model"] is True and b["models"].startswith("the artifact")
    assert b["method"] == "PermutationExplainer" and {i["node"] for i in b["inputs"]} == {"fx", "cat"}
    assert b["logic_changed"] == [] and "fx" in b["input_effect_changed"]
    top = d["causes"][0]
    assert top["node"] == "fx"
    said = [e["detail"] for e in top["evidence"] if e["test"] == "decision_drivers"]
    assert len(said) == 1 and "supports an input fault" in said[0]


def test_a_fine_tune_shifts_the_drivers_on_the_same_inputs(tmp_path, capsys) -> None:
    files = _finetune_files(tmp_path)
    code, out, err = run_cli(_why(files), capsys)
    assert code == 0, err
    d = json.loads(out)
    b = d["decision_drivers"]
    assert b["same_model"] is False and "surrogates" in b["models"]
    assert b["method"] == "TreeExplainer"  # surrogates are gradient-boosted trees
    assert "cat" in b["logic_changed"] and "fx" in b["logic_changed"]
    fx = next(i for i in b["inputs"] if i["node"] == "fx")
    assert fx["logic_change"]["change"] < 0  # the fine-tune forgot fx
    from causal_rca.diagnosis.model import Diagnosis

    assert Diagnosis.from_json(out).to_dict()["decision_drivers"] == b  # a saved diagnosis keeps the block
    for fmt, heading in (("text", "Decision drivers"), ("markdown", "## Decision drivers"),
                         ("html", 'id="decision-drivers"')):
        code, out, err = run_cli([*_why(files)[:-3], "--format", fmt, "--quiet"], capsys)
        assert code == 0 and heading in out, (fmt, err)
        assert "changed on the same inputs: " in out


def test_surrogates_of_one_model_flag_no_driver_change(tmp_path, capsys, monkeypatch) -> None:
    """The surrogate path (taken when the artifact does not reproduce a window) on one model: both
    surrogates learn the same targets on the same rows, so surrogate error alone changes nothing."""
    from causal_rca.model import driver_review

    files = _files(tmp_path, "model.skops")
    save_skops(files["model"], tmp_path / "model.skops")
    monkeypatch.setattr(driver_review, "REPRODUCED", 1.01)  # no share of rows is enough: surrogates
    code, out, err = run_cli(_why(files), capsys)
    assert code == 0, err
    b = json.loads(out)["decision_drivers"]
    assert b["same_model"] is False and "surrogates" in b["models"] and b["method"] == "TreeExplainer"
    assert b["logic_changed"] == [] and "fx" in b["input_effect_changed"]


def test_without_shap_the_diagnosis_says_how_to_install_it_and_goes_on(tmp_path, capsys, monkeypatch) -> None:
    files = _files(tmp_path, "model.skops")
    save_skops(files["model"], tmp_path / "model.skops")
    monkeypatch.setitem(sys.modules, "shap", None)  # ``import shap`` raises ImportError
    code, out, err = run_cli(_why(files), capsys)
    assert code == 0, err
    d = json.loads(out)
    assert "decision_drivers" not in d
    assert INSTALL_NOTE in d["warnings"] and "pip install 'causal-rca[explain]'" in INSTALL_NOTE
    assert d["causes"][0]["node"] == "fx"
    assert not any(e["test"] == "decision_drivers" for c in d["causes"] for e in c["evidence"])


def test_no_artifact_no_drivers(tiny_files, capsys) -> None:
    code, out, err = run_cli(["why", "recall", "--graph", tiny_files["graph"], "--reference", tiny_files["reference"],
                              "--current", tiny_files["current"], "--format", "json", "--quiet"], capsys)
    assert code == 0, err
    assert "decision_drivers" not in json.loads(out)
    from causal_rca.lineage import load_graph

    assert review_drivers(load_graph(tiny_files["graph"]), "recall", None, pd.DataFrame(), pd.DataFrame(),
                          [], 0) == (None, [], [])


def test_bad_finetune_scenario_end_to_end(tmp_path, capsys) -> None:
    """The credit scenario's refresh, exported with its model: the drivers shifted on the same inputs
    and the model_change cause carries that as evidence; the ranking is the engine's own."""
    code, _out, err = run_cli(["scenarios", "export", "credit_bad_finetune", "--out", tmp_path, "--with-model"],
                              capsys)
    assert code == 0, err
    code, out, err = run_cli(["why", "roc_auc", "--graph", tmp_path / "graph.yaml", "--reference",
                              tmp_path / "reference.csv", "--current", tmp_path / "current.csv", "--format", "json",
                              "--quiet"], capsys)
    assert code == 0, err
    d = json.loads(out)
    b = d["decision_drivers"]
    assert b["same_model"] is False and b["logic_changed"]
    assert b["rows"]["reference"] <= 400 and b["rows"]["current"] <= 400
    model = next(c for c in d["causes"] if c["node"] == "credit_model")
    assert model["failure_mode"] == "model_change"
    said = next(e["detail"] for e in model["evidence"] if e["test"] == "decision_drivers")
    assert "supports a change of the model" in said


def test_class_outputs_are_reproduced_by_the_predicted_class() -> None:
    """A multi-class model logs a class: the artifact reproduces a row when it predicts that class."""
    import numpy as np
    from sklearn.tree import DecisionTreeClassifier

    from causal_rca.model.artifact import ModelArtifact
    from causal_rca.model.driver_review import _outputs, _reproduced

    X = pd.DataFrame({"x": np.arange(40, dtype=float)})
    tree = DecisionTreeClassifier(random_state=0).fit(X, np.repeat([0, 1, 2, 3], 10))
    art = ModelArtifact("m", "skops", tree, lambda f: tree.predict_proba(f)[:, 1])
    logged = pd.Series(pd.Categorical(np.repeat([0, 1, 2, 3], 10)))
    assert _reproduced(_outputs(art, X, logged), logged) == 1.0
    logged = pd.Series(pd.Categorical(np.repeat([0, 1, 2, 2], 10)))  # another model: its last class differs
    assert _reproduced(_outputs(art, X, logged), logged) == 0.75
    scores = pd.Series(tree.predict_proba(X)[:, 1])
    assert _reproduced(_outputs(art, X, scores), scores) == 1.0
