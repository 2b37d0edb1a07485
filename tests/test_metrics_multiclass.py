"""Metrics of multi-class and regression models: known values against sklearn, intervals, class rules."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from causal_rca.errors import InputError
from causal_rca.metrics import MetricSpec, compare_windows, compute_metric, encode_rows, estimate_metric, metric_frame
from tests.metrics_frames import CLASSES, classified, frame_for


# --------------------------------------------------------------------------- multi-class and regression models


@pytest.mark.parametrize("name, kw, reference", [
    ("accuracy", {}, lambda y, p, proba: skm.accuracy_score(y, p)),
    ("balanced_accuracy", {}, lambda y, p, proba: skm.balanced_accuracy_score(y, p)),
    ("f1", {}, lambda y, p, proba: skm.f1_score(y, p, average="macro")),
    ("f1", {"average": "weighted"}, lambda y, p, proba: skm.f1_score(y, p, average="weighted")),
    ("precision", {"average": "micro"}, lambda y, p, proba: skm.precision_score(y, p, average="micro")),
    ("recall", {"target_class": "contract"}, lambda y, p, proba: skm.recall_score(y == "contract", p == "contract")),
    ("log_loss", {}, lambda y, p, proba: skm.log_loss(y, proba[:, np.argsort(CLASSES)], labels=sorted(CLASSES))),
    ("top_k_accuracy", {"k": 2}, lambda y, p, proba: skm.top_k_accuracy_score(
        y, proba[:, np.argsort(CLASSES)], k=2, labels=sorted(CLASSES))),
    ("roc_auc", {}, lambda y, p, proba: skm.roc_auc_score(
        y, proba[:, np.argsort(CLASSES)], multi_class="ovr", labels=sorted(CLASSES))),
    ("roc_auc", {"average": "weighted"}, lambda y, p, proba: skm.roc_auc_score(
        y, proba[:, np.argsort(CLASSES)], multi_class="ovr", average="weighted", labels=sorted(CLASSES))),
])
def test_multiclass_known_values_match_sklearn(name, kw, reference):
    y, pred, proba = classified(4000, seed=11)
    spec, frame = frame_for(name, 4000, seed=11, multiclass=True, **kw)
    assert compute_metric(spec, frame) == pytest.approx(reference(y, pred, proba), abs=1e-9)


def test_regression_known_values_match_sklearn():
    rng = np.random.default_rng(3)
    y = rng.gamma(3.0, 10.0, 5000)
    p = y + rng.normal(0, 4, 5000)
    for name, expected in (("mape", skm.mean_absolute_percentage_error(y, p)), ("r2", skm.r2_score(y, p))):
        spec = MetricSpec(name)
        assert compute_metric(spec, metric_frame(spec, pd.Series(p), pd.Series(y))) == pytest.approx(expected, abs=1e-9)


def test_multiclass_bootstrap_intervals_match_theory():
    """Macro recall over four classes of known size: the bootstrap interval's width is that of the mean
    of four independent proportions; r2's is the delta-method width of 1 - mse / var."""
    rng = np.random.default_rng(4)
    n = 20_000
    y = rng.choice(4, n)
    hit = rng.random(n) < 0.8
    pred = np.where(hit, y, (y + 1) % 4)
    spec = MetricSpec("recall", multiclass=True)
    est = estimate_metric(spec, metric_frame(spec, pd.Series(pred), pd.Series(y)), seed=0)
    sizes = np.bincount(y)
    se = math.sqrt(sum(0.8 * 0.2 / s for s in sizes)) / 4
    assert (est.ci[1] - est.ci[0]) / (2 * 1.96 * se) == pytest.approx(1.0, abs=0.15)

    x = rng.normal(size=n)
    p = x + rng.normal(0, 0.5, n)
    spec = MetricSpec("r2")
    est = estimate_metric(spec, metric_frame(spec, pd.Series(p), pd.Series(x)), seed=0)
    e2 = (x - p) ** 2
    v = np.var(x)
    grad = np.stack([np.full(n, -1 / v), np.mean(e2) / v ** 2 * np.ones(n)])  # d r2 / d (mse, var)
    terms = np.stack([e2, (x - x.mean()) ** 2])
    se = math.sqrt(np.var((grad * terms).sum(axis=0)) / n)
    assert (est.ci[1] - est.ci[0]) / (2 * 1.96 * se) == pytest.approx(1.0, abs=0.15)


def test_large_multiclass_windows_stay_fast():
    import time

    rng = np.random.default_rng(5)
    n = 300_000
    y = rng.choice(4, n)
    proba = rng.dirichlet(np.ones(4), n)
    proba[np.arange(n), y] += 0.3
    proba /= proba.sum(axis=1, keepdims=True)
    spec = MetricSpec("roc_auc", multiclass=True, classes=(0, 1, 2, 3))
    frame = metric_frame(spec, pd.Series(proba.argmax(axis=1)), pd.Series(y), scores=pd.DataFrame(proba))
    start = time.perf_counter()
    est = estimate_metric(spec, frame, seed=0)
    assert time.perf_counter() - start < 60
    assert est.value == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr"), abs=1e-9)
    assert est.ci[0] < est.value < est.ci[1] and est.ci[1] - est.ci[0] < 0.01


def test_new_class_in_the_current_window_is_counted_not_an_error():
    spec, ref = frame_for("f1", 2000, seed=1, multiclass=True)
    _, cur = frame_for("f1", 2000, seed=2, multiclass=True)
    cur = cur.assign(label=np.where(np.arange(len(cur)) % 5 == 0, "purchase_order", cur["label"]))
    value = compute_metric(spec, cur)
    # a new class counts as a class of its own, as in scikit-learn: recall 0 (never predicted)
    assert value == pytest.approx(skm.f1_score(cur["label"], cur["prediction"], average="macro"), abs=1e-9)
    cmp = compare_windows(spec, ref, cur, seed=0)
    assert cmp.change < 0 and cmp.significant
    for name in ("log_loss", "top_k_accuracy"):
        spec, frame = frame_for(name, 500, seed=1, multiclass=True)
        frame = frame.assign(label=np.where(np.arange(len(frame)) % 5 == 0, "purchase_order", frame["label"]))
        enc = encode_rows(spec, frame)
        new = frame["label"].to_numpy() == "purchase_order"
        # no probability for the true class: a full loss (probability 0, clipped), a miss
        expected = -math.log(1e-15) if name == "log_loss" else 0.0
        np.testing.assert_allclose(enc[new], expected)


def test_multiclass_classes_compare_loosely_and_missing_predictions_are_wrong():
    spec = MetricSpec("accuracy", multiclass=True)
    pred = pd.Series([1, "2", 3.0, None, "x"], dtype=object)
    label = pd.Series(["1", 2, 3, 3, "x "], dtype=object)
    assert compute_metric(spec, metric_frame(spec, pred, label)) == pytest.approx(4 / 5)
    spec = MetricSpec("recall", multiclass=True, average="macro")
    enc = encode_rows(spec, metric_frame(spec, pred, label))
    assert np.isfinite(enc).all()
    assert compute_metric(spec, metric_frame(spec, pred, label)) == pytest.approx((1 + 1 + 0.5 + 1) / 4)


def test_multiclass_spec_rules():
    assert MetricSpec("f1", multiclass=True).average == "macro"
    assert MetricSpec("recall", target_class="contract").positive == "contract"
    assert MetricSpec("top_k_accuracy").k == 3 and MetricSpec("top_k_accuracy").multiclass
    assert MetricSpec("balanced_accuracy").form == "confusion"
    assert MetricSpec("f1", multiclass=True, average="micro").form == "proportion"
    for kw, pattern in (({"average": "mean"}, "unknown average"), ({"k": 2}, "does not apply"),
                        ({"target_class": "a", "average": "macro"}, "not both"),
                        ({"classes": ("a",)}, "at least two classes")):
        with pytest.raises(InputError, match=pattern):
            MetricSpec("recall", **kw)
    with pytest.raises(InputError, match="larger than the number of classes"):
        MetricSpec("top_k_accuracy", k=5, classes=("a", "b", "c"))
    with pytest.raises(InputError, match="not a classification metric"):
        MetricSpec("mae", multiclass=True)
    with pytest.raises(InputError, match="add 'scores'"):
        metric_frame(MetricSpec("log_loss", multiclass=True), pd.Series(["a"]), pd.Series(["a"]))


@pytest.mark.parametrize("name, frame, pattern", [
    ("r2", pd.DataFrame({"prediction": [1.0, 2.0, 3.0], "label": [5.0, 5.0, 5.0]}), "label is constant"),
    ("roc_auc", None, "needs both classes"),
    ("log_loss", None, r"probabilities in \[0, 1\]"),
])
def test_undefined_multiclass_and_regression_metrics_raise(name, frame, pattern):
    if frame is None:
        spec = MetricSpec(name, multiclass=True, classes=("a", "b", "c"))
        proba = pd.DataFrame([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]) * (3 if name == "log_loss" else 1)
        labels = pd.Series(["a", "a"]) if name == "roc_auc" else pd.Series(["a", "b"])
        frame = metric_frame(spec, pd.Series(["a", "c"]), labels, scores=proba)
    else:
        spec = MetricSpec(name)
    with pytest.raises(InputError, match=pattern):
        compute_metric(spec, frame, window="current")
