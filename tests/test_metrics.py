"""Metrics: known values against sklearn, intervals, window comparison, input errors."""

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
    is_positive,
    metric_frame,
    metric_from_encoded,
    row_outcome_description,
)



def scored(n: int, seed: int = 0, signal: float = 0.35, base_rate: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """Binary labels and scores in [0, 1] that carry some signal, rounded so ties occur."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < base_rate).astype(int)
    s = np.clip(rng.random(n) * (1 - signal) + signal * y, 0, 1).round(2)
    return y, s


CLASSES = ("invoice", "contract", "letter", "receipt")


def classified(n: int, seed: int = 0, signal: float = 1.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multi-class labels, predicted classes and class probabilities (rows sum to 1) with some signal."""
    rng = np.random.default_rng(seed)
    y = rng.choice(len(CLASSES), n, p=[0.4, 0.3, 0.2, 0.1])
    logits = rng.normal(size=(n, len(CLASSES)))
    logits[np.arange(n), y] += signal
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    names = np.array(CLASSES, dtype=object)
    return names[y], names[proba.argmax(axis=1)], proba.round(3) / proba.round(3).sum(axis=1, keepdims=True)


def frame_for(name: str, n: int, seed: int = 0, **spec_kw) -> tuple[MetricSpec, pd.DataFrame]:
    """A window for any metric: binary scores, or (multi-class metrics) a four-class model."""
    if name == "top_k_accuracy" or spec_kw.get("multiclass"):
        spec = MetricSpec(name, classes=CLASSES, **{"multiclass": True, **spec_kw})
        y, pred, proba = classified(n, seed)
        return spec, metric_frame(spec, pd.Series(pred), pd.Series(y), scores=pd.DataFrame(proba))
    spec = MetricSpec(name, **spec_kw)
    y, s = scored(n, seed)
    if name == "mean":
        return spec, metric_frame(spec, None, None, value=pd.Series(s))
    if name == "mape":  # labels away from 0, where a relative error is meaningful
        return spec, metric_frame(spec, pd.Series(s + 1.0), pd.Series(y + 1.0))
    return spec, metric_frame(spec, pd.Series(s), pd.Series(y))


# --------------------------------------------------------------------------- known values


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return scored(3000, seed=7)


@pytest.mark.parametrize("name, reference", [
    ("accuracy", lambda y, s: skm.accuracy_score(y, s >= 0.5)),
    ("precision", lambda y, s: skm.precision_score(y, s >= 0.5)),
    ("recall", lambda y, s: skm.recall_score(y, s >= 0.5)),
    ("f1", lambda y, s: skm.f1_score(y, s >= 0.5)),
    ("roc_auc", lambda y, s: skm.roc_auc_score(y, s)),
    ("log_loss", lambda y, s: skm.log_loss(y, s)),
    ("mae", lambda y, s: skm.mean_absolute_error(y, s)),
    ("rmse", lambda y, s: math.sqrt(skm.mean_squared_error(y, s))),
])
def test_known_values_match_sklearn(data, name, reference):
    y, s = data
    spec = MetricSpec(name)
    frame = metric_frame(spec, pd.Series(s), pd.Series(y))
    assert compute_metric(spec, frame) == pytest.approx(reference(y, s), abs=1e-12)
    assert estimate_metric(spec, frame, seed=0).value == pytest.approx(reference(y, s), abs=1e-12)


def test_mean_is_the_mean_and_booleans_count_as_0_1():
    spec = MetricSpec("mean")
    assert compute_metric(spec, metric_frame(spec, None, None, value=pd.Series([1.0, 2.0, np.nan, 6.0]))) == 3.0
    flags = pd.Series([True, False, True, True])
    assert compute_metric(spec, metric_frame(spec, None, None, value=flags)) == 0.75
    text_flags = pd.Series(["true", "False", None, "TRUE"], dtype=object)
    assert compute_metric(spec, metric_frame(spec, None, None, value=text_flags)) == pytest.approx(2 / 3)


def test_threshold_is_inclusive_and_configurable():
    y = pd.Series([1, 1, 1, 0])
    s = pd.Series([0.5, 0.49, 0.8, 0.9])
    assert compute_metric(MetricSpec("recall"), metric_frame(MetricSpec("recall"), s, y)) == pytest.approx(2 / 3)
    spec = MetricSpec("recall", threshold=0.85)
    assert compute_metric(spec, metric_frame(spec, s, y)) == 0.0


def test_roc_auc_ties_count_half():
    spec = MetricSpec("roc_auc")
    y = pd.Series([0, 1, 0, 1])
    s = pd.Series([0.3, 0.3, 0.1, 0.9])
    assert compute_metric(spec, metric_frame(spec, s, y)) == pytest.approx(skm.roc_auc_score(y, s))


def test_roc_auc_accepts_scores_outside_unit_interval():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    margin = rng.normal(size=500) * 3 + 2 * y  # decision-function margins
    spec = MetricSpec("roc_auc")
    frame = metric_frame(spec, pd.Series(margin), pd.Series(y))
    assert compute_metric(spec, frame) == pytest.approx(skm.roc_auc_score(y, margin), abs=1e-12)


def test_log_loss_clips_extreme_probabilities():
    spec = MetricSpec("log_loss")
    frame = metric_frame(spec, pd.Series([0.0, 1.0]), pd.Series([1, 0]))
    assert compute_metric(spec, frame) == pytest.approx(-math.log(1e-15), rel=1e-4)  # finite, not inf


# --------------------------------------------------------------------------- loose labels


@pytest.mark.parametrize("labels, positive", [
    ([1, 0, 1, 1, 0], 1),
    ([1.0, 0.0, 1.0, 1.0, 0.0], 1),
    (["1", "0", "1", " 1 ", "0"], 1),
    ([1, 0, 1, 1, 0], "1"),
    ([True, False, True, True, False], 1),
    ([1, 0, 1, 1, 0], True),
    (["true", "false", "True", "TRUE", "false"], True),
    (["fraud", "ok", "fraud ", "fraud", "ok"], "fraud"),
    ([2, 5, 2, 2, 5], 2.0),
])
def test_positive_labels_compare_loosely(labels, positive):
    spec = MetricSpec("recall", positive=positive)
    scores = pd.Series([0.9, 0.9, 0.2, 0.7, 0.1])
    assert compute_metric(spec, metric_frame(spec, scores, pd.Series(labels, dtype=object))) == pytest.approx(2 / 3)


def test_is_positive_reads_labels_like_the_metric():
    out = is_positive(pd.Series(["1", 0, None, 1.0, "x"], dtype=object), 1)
    np.testing.assert_array_equal(out, [1.0, 0.0, np.nan, 1.0, 0.0])


def test_class_label_predictions():
    y = pd.Series(["cat", "dog", "bird", "cat", "dog", "cat"])
    p = pd.Series(["cat", "cat", "bird", "dog", "dog ", "cat"])
    for name, ref in [
        ("accuracy", skm.accuracy_score(y, p.str.strip())),
        ("precision", skm.precision_score(y == "cat", p == "cat")),
        ("recall", skm.recall_score(y == "cat", p == "cat")),
        ("f1", skm.f1_score(y == "cat", p == "cat")),
    ]:
        spec = MetricSpec(name, positive="cat")
        assert compute_metric(spec, metric_frame(spec, p, y)) == pytest.approx(ref), name


@pytest.mark.parametrize("name", ["roc_auc", "log_loss"])
def test_score_metrics_reject_class_labels(name):
    spec = MetricSpec(name, positive="yes")
    frame = metric_frame(spec, pd.Series(["yes", "no", "yes"]), pd.Series(["yes", "no", "no"]))
    with pytest.raises(InputError, match="numeric scores"):
        compute_metric(spec, frame)


def test_numeric_strings_are_scores():
    spec = MetricSpec("recall")
    frame = metric_frame(spec, pd.Series(["0.9", "0.2", "0.6"], dtype=object), pd.Series([1, 1, 1]))
    assert frame["prediction"].dtype == float
    assert compute_metric(spec, frame) == pytest.approx(2 / 3)


# --------------------------------------------------------------------------- missing values


def test_missing_labels_are_dropped_and_rows_counted():
    spec = MetricSpec("accuracy")
    frame = metric_frame(spec, pd.Series([0.9, 0.1, 0.8, 0.2]), pd.Series([1, None, 0, np.nan], dtype=object))
    est = estimate_metric(spec, frame, seed=0)
    assert est.value == 0.5 and est.rows == 4 and est.used_rows == 2


def test_missing_scores_are_not_positive_predictions_but_are_dropped_for_auc():
    y = pd.Series([1, 1, 0, 0])
    s = pd.Series([0.9, np.nan, 0.2, 0.95])
    recall = MetricSpec("recall")
    assert compute_metric(recall, metric_frame(recall, s, y)) == 0.5
    acc = MetricSpec("accuracy")
    assert compute_metric(acc, metric_frame(acc, s, y)) == 0.5  # NaN scored positive row is wrong
    auc = MetricSpec("roc_auc")
    assert compute_metric(auc, metric_frame(auc, s, y)) == pytest.approx(skm.roc_auc_score([1, 0, 0], [0.9, 0.2, 0.95]))
    ll = MetricSpec("log_loss")
    assert estimate_metric(ll, metric_frame(ll, s, y), 0).used_rows == 3


def test_regression_drops_rows_missing_either_side():
    spec = MetricSpec("mae")
    frame = metric_frame(spec, pd.Series([1.0, np.nan, 3.0]), pd.Series([2.0, 5.0, None]))
    est = estimate_metric(spec, frame, 0)
    assert est.value == 1.0 and est.used_rows == 1 and est.rows == 3


# --------------------------------------------------------------------------- input errors


def test_recall_without_positive_labels_names_the_window():
    spec = MetricSpec("recall")
    ref = metric_frame(spec, pd.Series([0.9, 0.1]), pd.Series([1, 0]))
    cur = metric_frame(spec, pd.Series([0.9, 0.1]), pd.Series([0, 0]))
    with pytest.raises(InputError) as err:
        compare_windows(spec, ref, cur, seed=0)
    assert str(err.value) == "no positive labels (positive=1) in the current window: recall is undefined"


@pytest.mark.parametrize("name, pred, label, pattern", [
    ("f1", [0.9, 0.2], [0, 0], "no positive labels"),
    ("roc_auc", [0.9, 0.2], [0, 0], "no positive labels"),
    ("roc_auc", [0.9, 0.2], [1, 1], "only positive labels"),
    ("precision", [0.1, 0.2], [1, 0], "no predicted positives"),
    ("accuracy", [0.1, 0.2], [None, None], "no rows with a label"),
    ("log_loss", [1.3, 0.2], [1, 0], r"probabilities in \[0, 1\]"),
    ("log_loss", [np.nan, np.nan], [1, 0], "no rows with both a label and a score"),
    ("mae", [1.0, 2.0], ["a", "b"], "numeric labels"),
    ("rmse", ["x", 2.0], [1.0, 2.0], "numeric predictions"),
    ("mae", [np.nan, 2.0], [1.0, np.nan], "no rows with both"),
])
def test_undefined_metrics_raise_input_error(name, pred, label, pattern):
    spec = MetricSpec(name)
    with pytest.raises(InputError, match=pattern):
        frame = metric_frame(spec, pd.Series(pred, dtype=object), pd.Series(label, dtype=object))
        estimate_metric(spec, frame, seed=0)


def test_empty_window_raises():
    spec = MetricSpec("accuracy")
    empty = metric_frame(spec, pd.Series([], dtype=float), pd.Series([], dtype=float))
    with pytest.raises(InputError, match="reference window has no rows"):
        compare_windows(spec, empty, empty, seed=0)


def test_mean_rejects_non_numeric_and_all_missing_values():
    spec = MetricSpec("mean")
    with pytest.raises(InputError, match="numeric values.*'approved'"):
        metric_frame(spec, None, None, value=pd.Series([1, "approved"], dtype=object))
    with pytest.raises(InputError, match="every value is missing"):
        compute_metric(spec, metric_frame(spec, None, None, value=pd.Series([np.nan, None], dtype=object)))
    with pytest.raises(InputError, match="value column"):
        metric_frame(spec, None, None)


def test_metric_frame_checks_its_inputs():
    spec = MetricSpec("recall")
    with pytest.raises(InputError, match="label is missing"):
        metric_frame(spec, pd.Series([0.1]), None)
    with pytest.raises(InputError, match="2 rows but label has 1"):
        metric_frame(spec, pd.Series([0.1, 0.2]), pd.Series([1]))
    with pytest.raises(InputError, match="no 'label' column"):
        compute_metric(spec, pd.DataFrame({"prediction": [0.5]}))


def test_metric_frame_keeps_rows_and_index():
    spec = MetricSpec("recall")
    idx = pd.Index([10, 11, 12])
    frame = metric_frame(spec, pd.Series([0.1, np.nan, 0.7], index=idx), pd.Series([1, None, 0], index=[0, 1, 2]))
    assert list(frame.index) == [10, 11, 12]
    assert list(frame.columns) == ["prediction", "label"]
    assert len(encode_rows(spec, frame)) == 3


def test_spec_validation_and_direction():
    with pytest.raises(InputError, match="unknown metric 'recal'"):
        MetricSpec("recal")
    with pytest.raises(InputError, match="threshold"):
        MetricSpec("recall", threshold="high")
    with pytest.raises(InputError, match="positive"):
        MetricSpec("recall", positive=None)
    assert MetricSpec("recall", threshold=1).threshold == 1.0
    assert {n for n in METRIC_NAMES if not MetricSpec(n).higher_is_better} == {"log_loss", "mae", "rmse", "mape"}
    assert hash(MetricSpec("f1")) == hash(MetricSpec("f1"))


def test_bad_seed_is_an_input_error():
    spec, frame = frame_for("f1", 50)
    with pytest.raises(InputError, match="seed"):
        estimate_metric(spec, frame, seed=-1)


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


# --------------------------------------------------------------------------- phrases


def test_row_outcome_description():
    assert row_outcome_description(MetricSpec("recall")) == "scored fewer positive cases at or above 0.5"
    assert row_outcome_description(MetricSpec("recall", threshold=0.35), worse=False) == \
        "scored more positive cases at or above 0.35"
    for name in METRIC_NAMES:
        assert row_outcome_description(MetricSpec(name))


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
