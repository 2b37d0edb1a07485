"""`causal-rca why` on a multi-class and a regression model, end to end (graphs/*_example.yaml).

What is checked is that the engine reads these models and their metrics
right (the values equal scikit-learn's on the same logs) and attributes their
change, without a traceback; how well it ranks causes for them is the
scenarios' and the accuracy benchmarks' business.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn import metrics as skm

from tests.conftest import run_cli
from tests.model_logs import document_log, delivery_log

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "graphs" / "multiclass_example.yaml"
ETA = ROOT / "graphs" / "regression_example.yaml"


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("logs")
    frames = {
        "doc_ref": document_log(1000, 1), "doc_cur": document_log(1000, 2, fault="svd_scale", start="2026-02-01"),
        "doc_new": document_log(1000, 3, fault="new_type", start="2026-02-01"),
        "eta_ref": delivery_log(1000, 1), "eta_cur": delivery_log(1000, 2, fault="miles", start="2026-02-01"),
    }
    out = {}
    for name, frame in frames.items():
        out[name] = tmp / f"{name}.csv"
        frame.to_csv(out[name], index=False)
    return out


def why(graph: Path, metric: str, ref: Path, cur: Path, capsys) -> dict:
    code, out, err = run_cli(["why", metric, "--graph", graph, "--reference", ref, "--current", cur,
                              "--format", "json", "--quiet"], capsys)
    assert code == 0, err
    assert "Traceback" not in err
    return json.loads(out)


def test_macro_f1_of_a_document_classifier(logs, capsys):
    d = why(DOCS, "macro_f1", logs["doc_ref"], logs["doc_cur"], capsys)
    for window in ("reference", "current"):
        frame = pd.read_csv(logs["doc_ref" if window == "reference" else "doc_cur"])
        expected = skm.f1_score(frame.true_type, frame.predicted_type, average="macro")
        assert d[window]["value"] == pytest.approx(expected, abs=1e-6)
    assert d["significant"] and d["change"] < 0
    assert d["causes"]  # which one ranks first is the diagnosis's business, not this test's
    assert {"tfidf_svd_0", "tfidf_svd_1"} <= {a["node"] for a in d["anomalies"]}
    # A multi-class model's class output is attributed (causal/class_outputs.py): contributions, no warning.
    assert all(c["contribution"] is not None for c in d["causes"])
    assert not any("class label, not a score" in w for w in d["warnings"])


@pytest.mark.parametrize("metric", ["accuracy", "log_loss", "top2_accuracy"])
def test_a_new_document_type_is_counted_not_an_error(metric, logs, capsys):
    d = why(DOCS, metric, logs["doc_ref"], logs["doc_new"], capsys)
    assert d["significant"]
    assert (d["change"] > 0) == (metric == "log_loss")  # the new type is never predicted
    top = d["causes"][0]
    assert (top["node"], top["failure_mode"]) == ("doc_type", "label_shift")  # a new class in the labels
    assert top["contribution"] == pytest.approx(d["change"], rel=0.3)  # the model's probabilities are attributed
    assert [c["class"] for c in d["classes"] if c["new"]] == ["purchase_order"]


def test_regression_metrics_of_a_delivery_eta(logs, capsys):
    d = why(ETA, "r2", logs["eta_ref"], logs["eta_cur"], capsys)
    ref = pd.read_csv(logs["eta_ref"])
    assert d["reference"]["value"] == pytest.approx(skm.r2_score(ref.delivery_minutes, ref.eta_minutes), abs=1e-6)
    assert d["significant"] and d["change"] < 0
    assert any("not a sum over rows" in w for w in d["warnings"])
    d = why(ETA, "mape", logs["eta_ref"], logs["eta_cur"], capsys)
    assert d["reference"]["value"] == pytest.approx(
        skm.mean_absolute_percentage_error(ref.delivery_minutes, ref.eta_minutes), abs=1e-6)
    assert d["causes"] and any(c["contribution"] is not None for c in d["causes"])  # a mean over rows: attributed


def test_python_api_keeps_the_probability_columns():
    from causal_rca import diagnose

    ref, cur = document_log(800, 1), document_log(800, 2, fault="svd_scale", start="2026-02-01")
    d = diagnose(DOCS, ref, cur, "log_loss", seed=0)
    expected = skm.log_loss(ref.true_type, ref[["p_contract", "p_invoice", "p_letter", "p_receipt"]],
                            labels=["contract", "invoice", "letter", "receipt"])
    assert d.reference.value == pytest.approx(expected, abs=1e-9)
