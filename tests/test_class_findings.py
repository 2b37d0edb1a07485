"""Class-level findings of multi-class metrics (diagnosis/classes.py, class_confidence.py) and their rendering."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from causal_rca.diagnosis.class_confidence import confidence_profile
from causal_rca.diagnosis.classes import class_findings
from causal_rca.diagnosis.model import Diagnosis
from causal_rca.metrics import MetricSpec
from causal_rca.render import render
from tests.model_logs import DOC_CLASSES, document_log
from tests.test_metrics_models import DOCS

CLASSES = ("a", "b", "c", "d")


def _frame(n: int, seed: int, confuse: float = 0.1, new: float = 0.0) -> pd.DataFrame:
    """Labels over four classes; the model confuses class c with b at rate ``confuse``."""
    rng = np.random.default_rng(seed)
    y = rng.choice(CLASSES, n, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    pred = y.copy()
    noise = rng.random(n) < 0.05
    pred[noise] = rng.choice(CLASSES, int(noise.sum()))
    pred[(y == "c") & (rng.random(n) < confuse)] = "b"
    if new:
        y[rng.random(n) < new] = "e"
    return pd.DataFrame({"prediction": pred, "label": y})


@pytest.mark.parametrize("name,average", [("f1", "macro"), ("recall", "weighted"), ("accuracy", None)])
def test_per_class_values_and_shares_equal_scikit_learn(name, average):
    ref, cur = _frame(3000, 1), _frame(3000, 2, confuse=0.6)
    spec = MetricSpec(name, multiclass=True, average=average, classes=CLASSES)
    f = class_findings(spec, [ref, cur], seed=0)
    per_class = {"f1": skm.f1_score, "recall": skm.recall_score, "accuracy": skm.recall_score}[name]
    for window, frame in (("reference", ref), ("current", cur)):
        expected = per_class(frame.label, frame.prediction, labels=list(CLASSES), average=None)
        for row, value in zip(f["classes"], expected):
            assert row[window]["metric"]["value"] == pytest.approx(value, abs=1e-9)
            lo, hi = row[window]["metric"]["ci"]
            assert lo <= value <= hi
            assert row[window]["share"] == pytest.approx(np.mean(frame.label == row["class"]))
    c = next(r for r in f["classes"] if r["class"] == "c")
    assert c["significant"] and c["change"] < -0.3
    assert not next(r for r in f["classes"] if r["class"] == "a")["significant"]
    assert f["average"] == average and f["target_class"] is None


def test_confusion_change_names_where_the_errors_went():
    ref, cur = _frame(3000, 1), _frame(3000, 2, confuse=0.6)
    cc = class_findings(MetricSpec("f1", multiclass=True, classes=CLASSES), [ref, cur], seed=0)["confusion_change"]
    top = cc["moves"][0]
    assert (top["true"], top["predicted"]) == ("c", "b") and top["change"] > 0.4 and top["p_value"] < 1e-6
    assert all(m["true"] != m["predicted"] for m in cc["moves"])
    for window, frame in (("reference", ref), ("current", cur)):
        expected = skm.confusion_matrix(frame.label, frame.prediction, labels=list(CLASSES), normalize="true")
        assert np.allclose(np.array(cc[window])[:, :4], expected)
    assert np.allclose(np.array(cc["change"]), np.array(cc["current"]) - np.array(cc["reference"]))


def test_control_windows_have_no_moves():
    cc = class_findings(MetricSpec("accuracy", multiclass=True), [_frame(3000, 1), _frame(3000, 2)],
                        seed=0)["confusion_change"]
    assert cc["moves"] == []


def test_a_class_new_in_the_current_window_is_flagged_new():
    ref, cur = _frame(2000, 1), _frame(2000, 2, new=0.1)
    f = class_findings(MetricSpec("recall", multiclass=True, target_class="c"), [ref, cur], seed=0)
    new = [r for r in f["classes"] if r["new"]]
    assert [r["class"] for r in new] == ["e"]
    assert new[0]["reference"]["share"] == 0 and new[0]["current"]["share"] == pytest.approx(0.1, abs=0.02)
    assert new[0]["change"] is None and new[0]["current"]["metric"]["value"] == 0  # never predicted
    assert f["target_class"] == "c" and f["class_metric"] == "recall"


def test_many_classes_are_capped_in_the_table_and_the_matrices():
    rng = np.random.default_rng(0)
    frames = []
    for seed in (1, 2):
        y = rng.integers(0, 400, 20000).astype(float)
        frames.append(pd.DataFrame({"prediction": np.where(rng.random(20000) < 0.8, y, y + 1), "label": y}))
    frames[1].loc[:99, "label"] = 1000.0  # one new class
    f = class_findings(MetricSpec("f1", multiclass=True), frames, seed=0)
    assert len(f["classes"]) == 50 and f["classes_left_out"] == 402 - 50  # 0-400 (400 only predicted) and 1000
    assert [c["class"] for c in f["classes"] if c["new"]] == ["1000"]
    assert "change" not in f["confusion_change"] and isinstance(f["confusion_change"]["moves"], list)  # > 30: moves only


def test_confidence_profile_sees_a_less_certain_model():
    ref, cur = document_log(2000, 1), document_log(2000, 2, fault="svd_scale")
    scores = [f[[f"p_{c}" for c in DOC_CLASSES]].set_axis([f"scores[{i}]" for i in range(4)], axis=1)
              for f in (ref, cur)]
    p = confidence_profile(scores)
    assert p["mean_max_probability"]["change"] < -0.2 and p["mean_max_probability"]["p_value"] < 1e-6
    assert p["near_boundary_share"]["change"] > 0 and p["mean_entropy"]["change"] > 0
    q = confidence_profile([scores[0], document_log(2000, 3)[[f"p_{c}" for c in DOC_CLASSES]].set_axis(
        [f"scores[{i}]" for i in range(4)], axis=1)])
    assert abs(q["mean_max_probability"]["change"]) < 0.02
    assert confidence_profile([ref[["n_pages"]], cur[["n_pages"]]]) is None


@pytest.fixture(scope="module")
def doc_diagnosis() -> dict:
    from causal_rca import diagnose

    ref, cur = document_log(1500, 1), document_log(1500, 3, fault="new_type", start="2026-02-01")
    return json.loads(diagnose(DOCS, ref, cur, "macro_f1", seed=0).to_json())


def test_json_has_the_spec_fields_of_a_multi_class_target(doc_diagnosis):
    d = doc_diagnosis
    assert d["target"] == "macro_f1" and d["average"] == "macro" and d["target_class"] is None
    names = [c["class"] for c in d["classes"]]
    assert names[:4] == list(DOC_CLASSES) and names[4] == "purchase_order"
    assert [c["class"] for c in d["classes"] if c["new"]] == ["purchase_order"]
    assert set(d["confidence_profile"]) >= {"mean_max_probability", "near_boundary_share", "mean_entropy"}
    assert "purchase_order" in d["confusion_change"]["true"]


def test_every_report_shows_the_classes_and_round_trips(doc_diagnosis):
    d = Diagnosis.from_dict(doc_diagnosis)
    assert d.to_json() == json.dumps(doc_diagnosis, indent=2, ensure_ascii=False)  # byte for byte, key order too
    text, markdown, html = (render(d, fmt) for fmt in ("text", "markdown", "html"))
    assert "Classes (f1 of the class against the rest" in text and "purchase_order" in text
    assert "## Classes" in markdown and "new in the current window" in markdown
    assert 'id="classes"' in html and 'id="confusion-change"' in html and "<svg" in html


def test_a_binary_diagnosis_has_no_class_fields():
    from tests.conftest import TINY_GRAPH, tiny_frame
    from causal_rca import diagnose
    from causal_rca.lineage import graph_from_yaml

    d = diagnose(graph_from_yaml(TINY_GRAPH), tiny_frame(800, 1), tiny_frame(800, 2), "recall", seed=0).to_dict()
    assert not {"classes", "target_class", "average", "confusion_change"} & set(d)
