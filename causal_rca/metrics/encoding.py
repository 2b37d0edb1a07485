"""The per-row encoding of a metric, and the metric read back from encoded rows.

Everything goes through one per-row encoding (``encode_rows``): the metric
is a fixed function of the encoded values' distribution, so the causal
attribution can move rows between windows and still read the same metric
(``metric_from_encoded``), and a reweighted window reads it with weights
(``metric_from_weighted``). Most metrics encode one number per row; the
one-vs-rest roc_auc of a multi-class model and r2 need several numbers per
row (the true class and every class's score; the label and the prediction),
so they encode a 2-D array, one row per window row. How the encoding
becomes the metric is the spec's ``form`` (metrics/spec.py); each kind's
encoding lives in its module (binary, multiclass, regression).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.metrics.auc import auc, auc_from_counts, auc_parts, ovr_auc_of
from causal_rca.metrics.binary import classify, encode_binary
from causal_rca.metrics.confusion import cell_counts, confusion_metric
from causal_rca.metrics.inputs import frame_column, numeric_values
from causal_rca.metrics.multiclass import encode_multiclass
from causal_rca.metrics.regression import encode_regression, r2_of
from causal_rca.metrics.spec import JOINT_FORMS, MetricSpec

#: Precision of a window where the model flagged no row: scikit-learn's ``zero_division=0``. A model
#: that stops flagging is an incident to explain, not bad input (only the reference is refused then:
#: its threshold is beyond every score, a configuration error; metrics/checks.py).
NO_FLAGS_PRECISION = 0.0


def encode_rows(spec: MetricSpec, frame: pd.DataFrame) -> np.ndarray:
    """What each row brings to the metric, one row per window row; NaN = the row does not enter it.

    One float per row for most metrics: recall: 1/0 on positive rows;
    precision: 1/0 (is positive) on predicted positives; accuracy: 1/0
    correct; f1: TP 1, FP/FN 0, TN NaN; log_loss: the row's loss; mae:
    |error|; rmse: squared error; mape: |error| / |label|; mean: the value;
    roc_auc: 2·is_positive + score (scores squashed into [0, 1] when
    outside); top_k_accuracy: 1/0 hit; balanced_accuracy and the macro or
    weighted averages: the row's confusion cell (true class index ×
    2**20 + predicted class index). Two columns or more for one-vs-rest
    roc_auc (true class index, -1 for a class without a probability, then
    each class's probability) and r2 (label, prediction). Permissive by
    design (the attribution encodes sampled rows): the checks that a
    window's metric is defined live in ``compute_metric``.
    """
    if spec.name == "mean":
        return np.array(numeric_values(frame_column(frame, "value", spec), "value", spec), dtype=float)
    if spec.is_regression:
        return encode_regression(spec, frame)
    if not spec.one_class:
        return encode_multiclass(spec, frame)
    return encode_binary(spec, classify(spec, frame))


def _value_of_no_rows(spec: MetricSpec) -> float:
    """The metric when no row enters it: precision's convention, else the metric is undefined."""
    if spec.name == "precision":
        return NO_FLAGS_PRECISION
    raise InputError({
        "recall": "no positive labels: recall is undefined",
        "f1": "no positive labels and no predicted positives: f1 is undefined",
        "roc_auc": "no labelled rows with a score: roc_auc is undefined",
    }.get(spec.name, f"no rows enter the metric: {spec.name} is undefined"))


def used_rows(spec: MetricSpec, encoded: np.ndarray) -> np.ndarray:
    """The encoded rows that enter the metric (no NaN)."""
    v = np.asarray(encoded, dtype=float)
    if spec.form in JOINT_FORMS:
        v = v.reshape(len(v), -1)
        return v[~np.isnan(v).any(axis=1)]
    v = v.ravel()
    return v[~np.isnan(v)]


def value_of_used(spec: MetricSpec, u: np.ndarray) -> float:
    """The metric from the encoded values of the rows that enter it (no NaN)."""
    if len(u) == 0:
        return _value_of_no_rows(spec)
    form = spec.form
    if form == "auc":
        pos, neg = auc_parts(u)
        if len(pos) == 0 or len(neg) == 0:
            raise InputError("roc_auc needs both positive and negative labelled rows with a score")
        return auc(pos, neg)
    if form in ("confusion", "ovr_auc", "r2"):
        return _weighted_value(spec, u, None)
    return _of_mean(spec, float(np.mean(u)))


def _of_mean(spec: MetricSpec, m: float) -> float:
    """The metric from the mean of the encoded values (the proportion, mean, f1 and rmse forms)."""
    if spec.form == "f1":
        return 2.0 * m / (1.0 + m)  # m is the Jaccard index TP / (TP + FP + FN)
    if spec.form == "rmse":
        return math.sqrt(m)
    return m


def _weighted_value(spec: MetricSpec, v: np.ndarray, w: np.ndarray | None) -> float:
    """The metric of used rows ``v`` counted ``w`` times each (None: once); every form but binary roc_auc."""
    form = spec.form
    if form == "confusion":
        cells, counts = cell_counts(v, w)
        return float(confusion_metric(spec, cells, counts)[0])
    if form == "ovr_auc":
        return ovr_auc_of(spec, v)(w)
    if form == "r2":
        return r2_of(v, w)
    return _of_mean(spec, float(np.mean(v) if w is None else np.sum(w * v) / np.sum(w)))


def metric_from_encoded(spec: MetricSpec, encoded: np.ndarray) -> float:
    """The metric from ``encode_rows`` output; equals ``compute_metric`` on the same rows."""
    return value_of_used(spec, used_rows(spec, encoded))


def metric_from_weighted(spec: MetricSpec, encoded: np.ndarray, weights: np.ndarray) -> float:
    """The metric with each row counted ``weights`` times (weights need not be integers).

    A row of weight 2 counts as two copies of it, so integer weights give the
    metric of the repeated rows and weights of 1 give ``metric_from_encoded``.
    What a reweighted window (model/reweight.py) and its bootstrap read.
    """
    v = np.asarray(encoded, dtype=float)
    w = np.asarray(weights, dtype=float).ravel()
    if spec.form in JOINT_FORMS:
        v = v.reshape(len(v), -1)
        keep = ~np.isnan(v).any(axis=1) & (w > 0)
    else:
        v = v.ravel()
        keep = ~np.isnan(v) & (w > 0)
    v, w = v[keep], w[keep]
    if len(v) == 0:
        return _value_of_no_rows(spec)
    if spec.form != "auc":
        return _weighted_value(spec, v, w)
    is_pos = v > 1.5
    pos, neg = auc_parts(v)
    levels, inverse = np.unique(np.concatenate([pos, neg]), return_inverse=True)
    n_pos = len(pos)
    cp = np.bincount(inverse[:n_pos], weights=w[is_pos], minlength=len(levels))
    cn = np.bincount(inverse[n_pos:], weights=w[~is_pos], minlength=len(levels))
    if cp.sum() == 0 or cn.sum() == 0:
        raise InputError("roc_auc needs both positive and negative labelled rows with a score")
    return float(auc_from_counts(cp, cn, cp.sum(), cn.sum()))
