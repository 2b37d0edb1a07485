"""Metrics: known values against sklearn, loose labels, missing values, input errors, phrases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from causal_rca.errors import InputError
from causal_rca.metrics import (
    METRIC_NAMES,
    MetricSpec,
    compare_windows,
    compute_metric,
    encode_rows,
    estimate_metric,
    is_positive,
    metric_frame,
    row_outcome_description,
)
from tests.metrics_frames import frame_for, scored


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


# --------------------------------------------------------------------------- phrases


def test_row_outcome_description():
    assert row_outcome_description(MetricSpec("recall")) == "scored fewer positive cases at or above 0.5"
    assert row_outcome_description(MetricSpec("recall", threshold=0.35), worse=False) == \
        "scored more positive cases at or above 0.35"
    for name in METRIC_NAMES:
        assert row_outcome_description(MetricSpec(name))


def test_a_current_window_that_flags_nothing_has_precision_zero_with_a_warning():
    """A model that stops flagging is the incident, not bad input: scikit-learn's zero_division=0,
    an exact value (its interval is the point), and the change is the reference's precision."""
    import warnings

    from causal_rca.metrics.checks import UndefinedMetricWarning

    spec = MetricSpec("precision")
    rng = np.random.default_rng(3)
    score = rng.random(400)
    ref = metric_frame(spec, pd.Series(score), pd.Series((rng.random(400) < score).astype(int)))
    cur = metric_frame(spec, pd.Series(score * 0.4), pd.Series((rng.random(400) < score).astype(int)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = compare_windows(spec, ref, cur, seed=0)
    assert any(issubclass(w.category, UndefinedMetricWarning) for w in caught)
    assert c.current.value == 0.0 and c.current.ci == (0.0, 0.0) and c.current.used_rows == 0
    assert c.change == pytest.approx(-c.reference.value) and c.significant
    with pytest.raises(InputError, match="no predicted positives .* reference window"):
        compare_windows(spec, cur, ref, seed=0)
