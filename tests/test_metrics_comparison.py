"""Metrics: row encodings, intervals and window comparison."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from causal_rca.errors import InputError
from causal_rca.metrics import (
    BOOTSTRAP_RESAMPLES,
    METRIC_NAMES,
    MetricComparison,
    MetricEstimate,
    MetricSpec,
    compare_windows,
    compute_metric,
    encode_rows,
    estimate_metric,
    metric_frame,
    metric_from_encoded,
)
from tests.metrics_frames import frame_for, scored


# --------------------------------------------------------------------------- encoding


def test_encodings_per_metric():
    y = pd.Series([1, 1, 0, 0, None], dtype=object)
    s = pd.Series([0.9, 0.2, 0.7, 0.1, 0.8])

    def enc(name):
        spec = MetricSpec(name)
        return encode_rows(spec, metric_frame(spec, s, y))

    nan = np.nan
    np.testing.assert_array_equal(enc("recall"), [1, 0, nan, nan, nan])
    np.testing.assert_array_equal(enc("precision"), [1, nan, 0, nan, nan])
    np.testing.assert_array_equal(enc("accuracy"), [1, 0, 0, 1, nan])
    np.testing.assert_array_equal(enc("f1"), [1, 0, 0, nan, nan])
    np.testing.assert_allclose(enc("roc_auc"), [2.9, 2.2, 0.7, 0.1, nan])
    np.testing.assert_allclose(enc("log_loss"), [-math.log(0.9), -math.log(0.2), -math.log(0.3), -math.log(0.9), nan])
    spec = MetricSpec("rmse")
    np.testing.assert_allclose(encode_rows(spec, metric_frame(spec, pd.Series([1.0, 4.0]), pd.Series([3.0, 1.0]))), [4, 9])


@pytest.mark.parametrize("name", list(METRIC_NAMES))
def test_metric_from_encoded_equals_compute_metric(name):
    spec, frame = frame_for(name, 800, seed=11)
    assert metric_from_encoded(spec, encode_rows(spec, frame)) == pytest.approx(compute_metric(spec, frame), abs=1e-12)


def test_metric_from_encoded_raises_when_nothing_enters():
    with pytest.raises(InputError, match="recall is undefined"):
        metric_from_encoded(MetricSpec("recall"), np.array([np.nan, np.nan]))
    with pytest.raises(InputError, match="both positive and negative"):
        metric_from_encoded(MetricSpec("roc_auc"), np.array([2.3, 2.9]))


def test_encode_rows_is_permissive_for_sampled_scores():
    spec = MetricSpec("log_loss")
    frame = pd.DataFrame({"prediction": [1.2, -0.1], "label": [1.0, 0.0]})
    assert np.all(np.isfinite(encode_rows(spec, frame)))  # the attribution may sample such scores
    with pytest.raises(InputError):
        compute_metric(spec, frame)


# --------------------------------------------------------------------------- intervals


@pytest.mark.parametrize("name", list(METRIC_NAMES))
def test_ci_contains_value_and_shrinks_with_n(name):
    widths = []
    for n in (400, 10_000):
        spec, frame = frame_for(name, n, seed=3)
        est = estimate_metric(spec, frame, seed=0)
        assert isinstance(est, MetricEstimate)
        assert est.ci[0] <= est.value <= est.ci[1]
        assert est.rows == n
        widths.append(est.ci[1] - est.ci[0])
    assert widths[1] < widths[0] * 0.5  # ~ 1/sqrt(25) = 0.2 expected


def test_wilson_interval_is_sane_at_the_edges():
    spec = MetricSpec("recall")
    frame = metric_frame(spec, pd.Series([0.9] * 20), pd.Series([1] * 20))
    est = estimate_metric(spec, frame, 0)
    assert est.value == 1.0 and est.ci[1] == 1.0 and 0.8 < est.ci[0] < 1.0


def test_bootstrap_ci_width_matches_theory_for_large_windows():
    # rmse: m-out-of-n path; roc_auc: binned path. Compare with normal-theory standard errors.
    rng = np.random.default_rng(5)
    n = 300_000
    err = rng.normal(size=n)
    spec = MetricSpec("rmse")
    est = estimate_metric(spec, metric_frame(spec, pd.Series(err), pd.Series(np.zeros(n))), seed=0)
    se_sq = np.std(err ** 2, ddof=1) / math.sqrt(n)
    se_rmse = se_sq / (2 * est.value)  # delta method
    assert (est.ci[1] - est.ci[0]) / (2 * 1.96 * se_rmse) == pytest.approx(1.0, abs=0.2)

    y = rng.integers(0, 2, n)
    s = 1 / (1 + np.exp(-(rng.normal(size=n) + y)))
    spec = MetricSpec("roc_auc")
    est = estimate_metric(spec, metric_frame(spec, pd.Series(s), pd.Series(y)), seed=0)
    a, n1, n0 = est.value, y.sum(), n - y.sum()
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = math.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))  # Hanley-McNeil
    assert (est.ci[1] - est.ci[0]) / (2 * 1.96 * se) == pytest.approx(1.0, abs=0.2)
    assert est.value == pytest.approx(skm.roc_auc_score(y, s), abs=1e-9)


# --------------------------------------------------------------------------- comparison


@pytest.mark.parametrize("name", list(METRIC_NAMES))
def test_identical_windows_are_not_significant(name):
    spec, frame = frame_for(name, 3000, seed=2)
    cmp = compare_windows(spec, frame, frame.copy(), seed=0)
    assert isinstance(cmp, MetricComparison)
    assert cmp.change == 0.0
    assert not cmp.significant
    assert cmp.change_ci[0] <= 0.0 <= cmp.change_ci[1]
    assert cmp.p_value > 0.05


def _recall_window(n: int, recall: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(int)
    hit = rng.random(n) < recall
    s = np.where(y == 1, np.where(hit, 0.8, 0.2), rng.random(n) * 0.6)
    return metric_frame(MetricSpec("recall"), pd.Series(s), pd.Series(y))


def test_clear_recall_drop_is_significant():
    spec = MetricSpec("recall")
    cmp = compare_windows(spec, _recall_window(5000, 0.9, 1), _recall_window(5000, 0.7, 2), seed=0)
    assert cmp.significant
    assert cmp.change == pytest.approx(-0.2, abs=0.03)
    assert cmp.change == pytest.approx(cmp.current.value - cmp.reference.value)
    assert cmp.change_ci[1] < 0 and cmp.p_value < 1e-10


@pytest.mark.parametrize("name", ["f1", "roc_auc", "rmse"])
def test_clear_drop_is_significant_for_bootstrap_metrics(name):
    spec = MetricSpec(name)
    y_ref, s_ref = scored(4000, seed=1, signal=0.5)
    y_cur, s_cur = scored(4000, seed=2, signal=0.2)
    ref = metric_frame(spec, pd.Series(s_ref), pd.Series(y_ref))
    cur = metric_frame(spec, pd.Series(s_cur), pd.Series(y_cur))
    cmp = compare_windows(spec, ref, cur, seed=0)
    assert cmp.significant
    assert cmp.p_value == pytest.approx(1 / (BOOTSTRAP_RESAMPLES + 1))
    assert (cmp.change < 0) == spec.higher_is_better


def test_constant_windows_have_exact_changes():
    spec = MetricSpec("mean")
    one = metric_frame(spec, None, None, value=pd.Series([1.0] * 10))
    two = metric_frame(spec, None, None, value=pd.Series([2.0] * 10))
    cmp = compare_windows(spec, one, two, seed=0)
    assert cmp.significant and cmp.change == 1.0 and cmp.change_ci == (1.0, 1.0)
    same = compare_windows(spec, one, one, seed=0)
    assert not same.significant and same.p_value == 1.0


@pytest.mark.parametrize("name", list(METRIC_NAMES))
def test_same_seed_same_result(name):
    spec, ref = frame_for(name, 1500, seed=4)
    _, cur = frame_for(name, 1500, seed=5)
    assert compare_windows(spec, ref, cur, seed=42) == compare_windows(spec, ref, cur, seed=42)
    assert estimate_metric(spec, ref, seed=42) == estimate_metric(spec, ref, seed=42)
    assert compare_windows(spec, ref, cur, seed=42).reference == estimate_metric(spec, ref, seed=42)


def test_seed_changes_only_bootstrap_intervals():
    spec, frame = frame_for("rmse", 500, seed=4)
    a, b = estimate_metric(spec, frame, seed=1), estimate_metric(spec, frame, seed=2)
    assert a.value == b.value and a.ci != b.ci
    spec, frame = frame_for("recall", 500, seed=4)
    assert estimate_metric(spec, frame, seed=1) == estimate_metric(spec, frame, seed=2)


def test_results_are_plain_python_types():
    spec, frame = frame_for("roc_auc", 300)
    cmp = compare_windows(spec, frame, frame, seed=0)
    for x in (cmp.change, cmp.p_value, *cmp.change_ci, cmp.reference.value, *cmp.reference.ci):
        assert type(x) is float
    assert type(cmp.significant) is bool and type(cmp.reference.rows) is int
