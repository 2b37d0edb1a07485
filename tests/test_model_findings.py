"""Model-aware findings as pure functions, in the reports, and in scenario export."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from causal_rca.diagnosis.model import Diagnosis
from causal_rca.metrics import MetricSpec, metric_frame
from causal_rca.model.confidence import class_report, score_profile
from causal_rca.model.segments import drill_down
from causal_rca.render import render
from causal_rca.scenarios import list_scenarios

RECALL = MetricSpec(name="recall", threshold=0.5, positive=1)


def test_confusion_matrix_and_per_class_metrics() -> None:
    scores = np.array([0.9, 0.8, 0.2, 0.6, 0.1, 0.4])
    labels = pd.Series([1, 1, 1, 0, 0, 0])
    report = class_report(scores, labels, RECALL)
    assert report["confusion"] == {"tn": 2, "fp": 1, "fn": 1, "tp": 2}
    assert report["classes"]["positive"]["recall"] == 2 / 3
    assert report["classes"]["negative"]["precision"] == 2 / 3
    profile = score_profile(scores, 0.5)
    assert profile["share_near_threshold"] == 2 / 6 and profile["share_above_threshold"] == 0.5


def test_drill_down_names_the_only_slice_that_broke() -> None:
    rng = np.random.default_rng(0)
    n = 6000
    device = rng.choice(["ios", "android", "web"], n)
    y = (rng.random(n) < 0.3).astype(int)
    good = np.where(y == 1, rng.uniform(0.55, 1, n), rng.uniform(0, 0.45, n))
    bad = np.where(device == "android", 1 - good, good)  # android scores inverted: its recall collapses
    ref = metric_frame(RECALL, pd.Series(good), pd.Series(y)).assign(device=device)
    cur = metric_frame(RECALL, pd.Series(bad), pd.Series(y)).assign(device=device)
    change = 1.0 * (cur["prediction"][cur["label"] == 1] >= 0.5).mean() - 1.0
    slices = drill_down(RECALL, ref, cur, ("device",), change)
    assert slices[0]["value"] == "android" and slices[0]["explained_share"] > 0.95
    assert all(s["explained_share"] < 0.05 for s in slices[1:])


def test_reports_show_the_model_findings(model_diagnoses) -> None:
    d = model_diagnoses.diagnosis("card_wrong_model_artifact")
    text, markdown, html = (render(d, f) for f in ("text", "markdown", "html"))
    for out in (text, markdown, html):
        assert "golden set" in out and "replay: fixing" in out
    assert "## The model" in markdown and "<h2>The model</h2>" in html
    again = Diagnosis.from_dict(json.loads(d.to_json()))
    assert again.model_aware.golden.dropped
    assert again.causes[0].replay.to_dict() == json.loads(d.to_json())["causes"][0]["replay"]


def test_export_writes_the_model_and_golden_set(tmp_path, capsys) -> None:
    from tests.conftest import run_cli

    code, out, err = run_cli(["scenarios", "export", "schema_change_coerced_nulls", "--out", tmp_path, "--with-model"],
                             capsys)
    assert code == 0, err
    paths = {p.stem: p for p in tmp_path.iterdir()}
    assert {"model", "golden", "graph"} <= set(paths)
    assert "artifact: model.skops" in paths["graph"].read_text()
    code, out, err = run_cli(["why", "recall", "--graph", paths["graph"], "--reference", paths["reference"],
                              "--current", paths["current"], "--golden", paths["golden"], "--format", "json",
                              "--quiet"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["causes"][0]["node"] == "merchant_category" and d["model_aware"]["golden"]["cleared"]


@pytest.mark.parametrize("scenario", list_scenarios(), ids=lambda s: s.name)
def test_without_an_artifact_the_json_has_no_model_layer(scenario, scenario_diagnoses) -> None:
    """No artifact, no --training, labels present: the diagnosis is what the engine alone gives."""
    out = json.loads(scenario_diagnoses.scenario(scenario).to_json())  # shared with the tests of truth
    assert "model_aware" not in out
    assert all("replay" not in c for c in out["causes"])


def test_training_alone_reports_the_logs_and_keeps_the_ranking(tmp_path) -> None:
    from causal_rca.api import diagnose
    from tests.conftest import TINY_GRAPH, tiny_frame

    graph = tmp_path / "tiny.yaml"
    graph.write_text(TINY_GRAPH)
    ref, cur = tiny_frame(3000, 1), tiny_frame(3000, 4, fault="fx_scale", start="2026-02-01")
    plain = diagnose(graph, ref, cur, "recall", seed=0)
    aware = diagnose(graph, ref, cur, "recall", seed=0, training=tiny_frame(3000, 9))
    assert not plain.model_aware and plain.causes
    assert aware.model_aware.support["support"] == "training table"
    assert aware.model_aware.confidence is not None
    assert [c.to_dict() for c in aware.causes] == [c.to_dict() for c in plain.causes]
