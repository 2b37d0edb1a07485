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
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

unit_score = st.floats(0.0, 1.0, allow_nan=False)
# roc_auc's row encoding (2·is_positive + score) resolves scores to ~4e-16, so sklearn
# comparisons use scores on a grid coarser than that.
grid_score = st.integers(0, 10**6).map(lambda i: i / 10**6)
any_score = st.one_of(unit_score, st.floats(-1e6, 1e6, allow_nan=False), st.just(np.nan))
label = st.sampled_from([0, 1, None])
number = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(np.nan))


@st.composite
def windows(draw, name: str, min_rows: int = 1, max_rows: int = 60, wide_scores: bool = True):
    """A metric frame for ``name`` with missing values and (for classification) ties."""
    spec = MetricSpec(name, threshold=draw(st.sampled_from([0.5, 0.3, 0.8])))
    n = draw(st.integers(min_rows, max_rows))
    if name == "mean":
        return spec, metric_frame(spec, None, None, value=pd.Series(draw(st.lists(number, min_size=n, max_size=n))))
    if name in ("mae", "rmse"):
        values = number if wide_scores else st.one_of(st.floats(-1e4, 1e4, allow_nan=False), st.just(np.nan))
        pred = draw(st.lists(values, min_size=n, max_size=n))
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
    assert encoded.shape == (len(frame),)
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
    if name in ("mae", "rmse"):
        ok = frame.notna().all(axis=1)
        p, y = frame.prediction[ok], frame.label[ok]
        return skm.mean_absolute_error(y, p) if name == "mae" else math.sqrt(skm.mean_squared_error(y, p))
    labelled = frame.label.notna()
    y = (frame.label[labelled] == 1).to_numpy()
    s = frame.prediction[labelled].to_numpy(dtype=float)
    if name in ("roc_auc", "log_loss"):
        ok = ~np.isnan(s)
        if name == "roc_auc":
            return skm.roc_auc_score(y[ok], s[ok])
        return skm.log_loss(y[ok], np.clip(s[ok], 1e-15, 1 - 1e-15), labels=[False, True])
    pred = np.nan_to_num(s, nan=-np.inf) >= spec.threshold
    fn = {"accuracy": skm.accuracy_score, "precision": skm.precision_score,
          "recall": skm.recall_score, "f1": skm.f1_score}[name]
    return fn(y, pred) if name == "accuracy" else fn(y, pred, zero_division=np.nan)


@pytest.mark.parametrize("name", [n for n in METRIC_NAMES if n != "mean"])
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
    if name in ("accuracy", "precision", "recall", "f1", "roc_auc"):
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
