"""Properties of the metrics over random windows (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from causal_rca.errors import InputError
from causal_rca.metrics import (
    METRIC_NAMES,
    MetricSpec,
    compare_windows,
    compute_metric,
    encode_rows,
    estimate_metric,
    metric_frame,
    metric_from_encoded,
    metric_from_weighted,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

unit_score = st.floats(0.0, 1.0, allow_nan=False)
# roc_auc's row encoding (2·is_positive + score) resolves scores to ~4e-16, so sklearn
# comparisons use scores on a grid coarser than that.
grid_score = st.integers(0, 10**6).map(lambda i: i / 10**6)
any_score = st.one_of(unit_score, st.floats(-1e6, 1e6, allow_nan=False), st.just(np.nan))
label = st.sampled_from([0, 1, None])
number = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(np.nan))


CLASSES = ("a", "b", "c", "d")  # sorted: scikit-learn orders probability columns by sorted class
AVERAGED = ("precision", "recall", "f1", "roc_auc")
MULTICLASS = ("accuracy", "balanced_accuracy", *AVERAGED, "log_loss", "top_k_accuracy")


@st.composite
def multiclass_windows(draw, name: str, min_rows: int = 1, max_rows: int = 60, every_class: bool = False,
                       missing: bool = True, spec: MetricSpec | None = None):
    """A multi-class metric frame: 3 or 4 classes, probabilities from small integer weights (ties likely,
    never 0 so no clipping), missing labels and predictions; every class in the labels when asked.
    ``spec``: the metric to draw a window for (else drawn too)."""
    if spec is None:
        k = draw(st.integers(3, 4))
        average = target = top = None
        if name in AVERAGED:
            choice = draw(st.sampled_from(["macro", "weighted", "micro", "class"]))
            if choice == "class":
                target = draw(st.sampled_from(CLASSES[:k]))
            else:
                average = choice
        if name == "top_k_accuracy":
            top = draw(st.integers(1, k))
        spec = MetricSpec(name, multiclass=True, classes=CLASSES[:k], average=average, target_class=target, k=top)
    classes, target = spec.classes, spec.target_class
    k = len(classes)
    n = draw(st.integers(min_rows, max_rows))
    label = st.sampled_from(classes + ((None,) if missing else ()))
    labels = draw(st.lists(label, min_size=n, max_size=n))
    if every_class:
        labels = list(draw(st.permutations(list(classes) + labels)))
    n = len(labels)
    preds = draw(st.lists(st.sampled_from(classes + ((None,) if missing else ())), min_size=n, max_size=n))
    weights = np.array(draw(st.lists(st.lists(st.integers(1, 6), min_size=k, max_size=k), min_size=n, max_size=n)),
                       dtype=float)
    proba = weights / weights.sum(axis=1, keepdims=True)
    prediction = pd.Series(preds, dtype=object)
    if target is not None and name == "roc_auc":  # one class's roc_auc reads that class's probability
        prediction = pd.Series(proba[:, classes.index(target)])
    frame = metric_frame(spec, prediction, pd.Series(labels, dtype=object),
                         scores=pd.DataFrame(proba) if spec.needs_class_scores else None)
    return spec, frame


@st.composite
def windows(draw, name: str, min_rows: int = 1, max_rows: int = 60, wide_scores: bool = True):
    """A metric frame for ``name`` with missing values and (for classification) ties."""
    if name == "top_k_accuracy":
        return draw(multiclass_windows(name, min_rows, max_rows))
    spec = MetricSpec(name, threshold=draw(st.sampled_from([0.5, 0.3, 0.8])))
    n = draw(st.integers(min_rows, max_rows))
    if name == "mean":
        return spec, metric_frame(spec, None, None, value=pd.Series(draw(st.lists(number, min_size=n, max_size=n))))
    if name in ("mae", "rmse", "mape", "r2"):
        values = number if wide_scores else st.one_of(st.floats(-1e4, 1e4, allow_nan=False), st.just(np.nan))
        pred = draw(st.lists(values, min_size=n, max_size=n))
        if name == "mape":  # a label of 0 (below the floor) makes mape undefined (refused, `mape-zero-label`)
            values = values.map(lambda v: 1.0 if abs(v) < 1e-6 else v)
        lab = draw(st.lists(values, min_size=n, max_size=n))
        return spec, metric_frame(spec, pd.Series(pred), pd.Series(lab))
    if wide_scores:
        scores = any_score if name != "log_loss" else st.one_of(unit_score, st.just(np.nan))
    else:
        scores = st.one_of(grid_score, st.just(np.nan))
    if draw(st.booleans()):  # few distinct values: many ties
        scores = st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0, np.nan])
    pred = draw(st.lists(scores, min_size=n, max_size=n))
    lab = draw(st.lists(label, min_size=n, max_size=n))
    return spec, metric_frame(spec, pd.Series(pred, dtype=float), pd.Series(lab, dtype=object))


def defined(fn, *args, **kwargs):
    """Call ``fn``; skip the example when the metric is undefined on it (a documented InputError)."""
    try:
        return fn(*args, **kwargs)
    except InputError:
        assume(False)


@pytest.mark.parametrize("name", METRIC_NAMES)
@SETTINGS
@given(data=st.data())
def test_metric_from_encoding_equals_compute_metric(name, data):
    spec, frame = data.draw(windows(name))
    value = defined(compute_metric, spec, frame)
    encoded = encode_rows(spec, frame)
    assert encoded.shape[0] == len(frame)
    assert metric_from_encoded(spec, encoded) == pytest.approx(value, abs=1e-9, rel=1e-9)


@pytest.mark.parametrize("name", METRIC_NAMES)
@SETTINGS
@given(data=st.data())
def test_metric_ignores_row_order(name, data):
    spec, frame = data.draw(windows(name))
    value = defined(compute_metric, spec, frame)
    order = data.draw(st.permutations(range(len(frame))))
    assert compute_metric(spec, frame.iloc[list(order)]) == pytest.approx(value, abs=1e-9, rel=1e-9)


def _sklearn(name: str, spec: MetricSpec, frame: pd.DataFrame) -> float:
    if name in ("mae", "rmse", "mape", "r2"):
        ok = frame.notna().all(axis=1)
        p, y = frame.prediction[ok], frame.label[ok]
        return {"mae": lambda: skm.mean_absolute_error(y, p),
                "rmse": lambda: math.sqrt(skm.mean_squared_error(y, p)),
                "mape": lambda: skm.mean_absolute_percentage_error(y, p),
                "r2": lambda: skm.r2_score(y, p)}[name]()
    labelled = frame.label.notna()
    y = (frame.label[labelled] == 1).to_numpy()
    s = frame.prediction[labelled].to_numpy(dtype=float)
    if name in ("roc_auc", "log_loss"):
        ok = ~np.isnan(s)
        if name == "roc_auc":
            return skm.roc_auc_score(y[ok], s[ok])
        return skm.log_loss(y[ok], np.clip(s[ok], 1e-15, 1 - 1e-15), labels=[False, True])
    pred = np.nan_to_num(s, nan=-np.inf) >= spec.threshold
    if name == "balanced_accuracy":
        return skm.balanced_accuracy_score(y, pred)
    fn = {"accuracy": skm.accuracy_score, "precision": skm.precision_score,
          "recall": skm.recall_score, "f1": skm.f1_score}[name]
    return fn(y, pred) if name == "accuracy" else fn(y, pred, zero_division=np.nan)


@pytest.mark.parametrize("name", [n for n in METRIC_NAMES if n not in ("mean", "top_k_accuracy")])
@SETTINGS
@given(data=st.data())
def test_matches_sklearn_on_random_windows(name, data):
    spec, frame = data.draw(windows(name, wide_scores=False))
    value = defined(compute_metric, spec, frame)
    expected = _sklearn(name, spec, frame)
    assert value == pytest.approx(expected, abs=1e-9, rel=1e-9)


@pytest.mark.parametrize("name", METRIC_NAMES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_ci_holds_the_value(name, data):
    spec, frame = data.draw(windows(name))
    seed = data.draw(st.integers(0, 2**32))
    est = defined(estimate_metric, spec, frame, seed=seed)
    assert est.ci[0] <= est.value <= est.ci[1]
    assert 0 < est.used_rows <= est.rows == len(frame)
    if name in ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "top_k_accuracy"):
        assert 0.0 <= est.ci[0] and est.ci[1] <= 1.0


@pytest.mark.parametrize("name", METRIC_NAMES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_comparison_is_consistent_and_deterministic(name, data):
    spec, ref = data.draw(windows(name))
    _, cur = data.draw(windows(name))
    seed = data.draw(st.integers(0, 1000))
    cmp = defined(compare_windows, spec, ref, cur, seed)
    assert cmp.change == cmp.current.value - cmp.reference.value
    lo, hi = cmp.change_ci
    assert lo <= cmp.change <= hi
    assert cmp.significant == (lo > 0 or hi < 0)
    assert 0.0 <= cmp.p_value <= 1.0
    assert compare_windows(spec, ref, cur, seed) == cmp


@SETTINGS
@given(
    labels=st.lists(st.sampled_from([0, 1]), min_size=2, max_size=40),
    data=st.data(),
    form=st.sampled_from(["int", "float", "str", "bool", "padded"]),
    positive=st.sampled_from([1, 1.0, "1", True]),
)
def test_label_representation_does_not_matter(labels, data, form, positive):
    scores = data.draw(st.lists(unit_score, min_size=len(labels), max_size=len(labels)))
    convert = {"int": int, "float": float, "str": str, "bool": bool, "padded": lambda v: f" {v} "}[form]
    for name in ("accuracy", "recall", "f1"):
        plain = MetricSpec(name)
        loose = MetricSpec(name, positive=positive)
        try:
            expected = compute_metric(plain, metric_frame(plain, pd.Series(scores), pd.Series(labels)))
        except InputError:
            continue
        written = pd.Series([convert(v) for v in labels], dtype=object)
        assert compute_metric(loose, metric_frame(loose, pd.Series(scores), written)) == expected


# --------------------------------------------------------------------------- multi-class models


def _sklearn_multiclass(spec: MetricSpec, frame: pd.DataFrame) -> float:
    """scikit-learn's value on the labelled rows (rows without a prediction are none here)."""
    labelled = frame.label.notna().to_numpy()
    y = frame.label[labelled].to_numpy(dtype=object).astype(str)
    classes = list(spec.classes)
    name, c = spec.name, spec.target_class
    if name in ("log_loss", "top_k_accuracy") or (name == "roc_auc" and c is None):
        proba = frame[[f"scores[{i}]" for i in range(len(classes))]].to_numpy(dtype=float)[labelled]
        if name == "log_loss":
            return skm.log_loss(y, proba, labels=classes)
        if name == "top_k_accuracy":
            return skm.top_k_accuracy_score(y, proba, k=spec.k, labels=classes)
        return skm.roc_auc_score(y, proba, multi_class="ovr", average=spec.average, labels=classes)
    if name == "roc_auc":
        return skm.roc_auc_score(y == c, frame.prediction[labelled].to_numpy(dtype=float))
    p = frame.prediction[labelled].to_numpy(dtype=object).astype(str)
    if name == "accuracy":
        return skm.accuracy_score(y, p)
    if name == "balanced_accuracy":
        return skm.balanced_accuracy_score(y, p)
    fn = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}[name]
    if c is not None:
        return fn(y == c, p == c, zero_division=np.nan)
    return fn(y, p, average=spec.average, zero_division=0.0)


@pytest.mark.parametrize("name", MULTICLASS)
@SETTINGS
@given(data=st.data())
def test_multiclass_matches_sklearn(name, data):
    # every class in the labels: scikit-learn's one-vs-rest roc_auc is undefined otherwise
    spec, frame = data.draw(multiclass_windows(name, every_class=name == "roc_auc", missing=False))
    if data.draw(st.booleans()):  # unlabelled rows are dropped, as scikit-learn never sees them
        frame = pd.concat([frame, frame.head(3).assign(label=None)], ignore_index=True)
    value = defined(compute_metric, spec, frame)
    assert value == pytest.approx(_sklearn_multiclass(spec, frame), abs=1e-9, rel=1e-9)


@pytest.mark.parametrize("name", MULTICLASS)
@SETTINGS
@given(data=st.data())
def test_multiclass_encoding_and_weights_give_the_metric(name, data):
    """The per-row encoding reads back the metric; integer weights equal repeated rows (what the
    bootstrap and the reweighting read)."""
    spec, frame = data.draw(multiclass_windows(name))
    value = defined(compute_metric, spec, frame)
    encoded = encode_rows(spec, frame)
    assert encoded.shape[0] == len(frame)
    assert metric_from_encoded(spec, encoded) == pytest.approx(value, abs=1e-9, rel=1e-9)
    weights = np.array(data.draw(st.lists(st.integers(1, 3), min_size=len(frame), max_size=len(frame))))
    repeated = frame.loc[frame.index.repeat(weights)].reset_index(drop=True)
    expected = defined(compute_metric, spec, repeated)
    assert metric_from_weighted(spec, encoded, weights) == pytest.approx(expected, abs=1e-9, rel=1e-9)
    order = data.draw(st.permutations(range(len(frame))))
    assert compute_metric(spec, frame.iloc[list(order)]) == pytest.approx(value, abs=1e-9, rel=1e-9)


@pytest.mark.parametrize("name", MULTICLASS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_multiclass_intervals_and_comparisons(name, data):
    spec, ref = data.draw(multiclass_windows(name, min_rows=5))
    _, cur = data.draw(multiclass_windows(name, min_rows=5, spec=spec))
    seed = data.draw(st.integers(0, 1000))
    est = defined(estimate_metric, spec, ref, seed=seed)
    assert est.ci[0] <= est.value <= est.ci[1]
    if spec.higher_is_better:
        assert 0.0 <= est.ci[0] and est.ci[1] <= 1.0
    cmp = defined(compare_windows, spec, ref, cur, seed)
    assert cmp.change_ci[0] <= cmp.change <= cmp.change_ci[1]
    assert 0.0 <= cmp.p_value <= 1.0
    assert compare_windows(spec, ref, cur, seed) == cmp
