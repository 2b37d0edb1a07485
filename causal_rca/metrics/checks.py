"""Is the metric defined in this window? The checks, with messages that name the window.

``encode_rows`` is permissive (the attribution encodes sampled rows); a
user's window is not: no labels, no positives or a score outside [0, 1]
make the metric undefined there, and the message says which and where.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.metrics.binary import Classified, classify, encode_binary, numeric_scores
from causal_rca.metrics.encoding import encode_rows, metric_from_encoded, used_rows
from causal_rca.metrics.inputs import frame_column, numeric_values
from causal_rca.metrics.multiclass import encode_class_scores, encode_multiclass, score_matrix
from causal_rca.metrics.regression import MAPE_FLOOR
from causal_rca.metrics.spec import SCORE_METRICS, THRESHOLD_METRICS, MetricSpec, format_value
from causal_rca.metrics.values import loose


def _checked_multiclass(spec: MetricSpec, frame: pd.DataFrame, where: str) -> np.ndarray:
    """``encode_rows`` of a multi-class metric over all classes, plus the checks that it is defined."""
    label = loose(frame_column(frame, "label", spec))
    if label.missing.all():
        raise InputError(f"no rows with a label in {where} (all {len(frame)} labels are missing): "
                         f"{spec.subject} is undefined")
    if not spec.needs_class_scores:
        return encode_multiclass(spec, frame)
    s = score_matrix(spec, frame)
    rows = ~label.missing & ~np.isnan(s).any(axis=1)
    if not rows.any():
        raise InputError(f"no rows with both a label and a probability for every class in {where}: "
                         f"{spec.subject} is undefined")
    if spec.name == "log_loss" and (s[rows].min() < 0 or s[rows].max() > 1):
        raise InputError(f"log_loss needs probabilities in [0, 1], but class probabilities in {where} range from "
                         f"{s[rows].min():.4g} to {s[rows].max():.4g}")
    enc = encode_class_scores(spec, frame, label)
    if spec.form == "ovr_auc":
        t = enc[rows, 0]
        if len(np.unique(t)) < 2 or not (t >= 0).any():
            raise InputError(f"only one class among the scored rows in {where}: roc_auc needs both classes of "
                             f"each one-vs-rest comparison")
    return enc


class UndefinedMetricWarning(UserWarning):
    """A window's metric is undefined and taken by convention (reported with the diagnosis)."""


class NothingFlaggedWarning(UserWarning):
    """No reference row's score reaches the metric's threshold (reported with the diagnosis)."""


def _warn_if_nothing_reaches_threshold(spec: MetricSpec, c: Classified, where: str) -> None:
    """A threshold beyond every reference score (``threshold: 7`` over probabilities) leaves the model
    flagging nothing in the good period: recall 0 → 0 reads as "no change" with no word of why. A
    threshold outside [0, 1] is legitimate for logits, so it is the data, not the number, that warns;
    precision refuses such a reference outright (it is undefined there)."""
    scores = c.score[c.labelled & ~np.isnan(c.score)]
    if len(scores) and not (c.labelled & c.predicted).any():
        warnings.warn(NothingFlaggedWarning(
            f"no labelled row of {where} reaches the threshold (score >= {spec.threshold:g}; scores range from "
            f"{scores.min():.4g} to {scores.max():.4g}): the model flags nothing there, so {spec.name} measures no "
            f"decision of the model; check the metric's threshold"))


def _refuse_zero_labels(spec: MetricSpec, frame: pd.DataFrame, where: str, used: int) -> None:
    """mape divides by the label: a label of 0 made one row's error about 1e15 times the others' (scikit-learn's
    floor), so the window's mape was a meaningless huge number instead of an error."""
    pred = numeric_values(frame_column(frame, "prediction", spec), "prediction", spec)
    label = numeric_values(frame_column(frame, "label", spec), "label", spec)
    zero = (np.abs(label) < MAPE_FLOOR) & ~np.isnan(pred)
    if zero.any():
        raise InputError(f"{int(zero.sum())} of the {used} rows with a prediction in {where} have the label 0: "
                         f"mape divides by the label, so mape is undefined: use mae or rmse")


def checked_encoding(spec: MetricSpec, frame: pd.DataFrame, window: str | None) -> np.ndarray:
    """``encode_rows`` plus the checks that the metric is defined, with messages naming the window."""
    where = f"the {window} window" if window else "the window"
    name = spec.name
    if isinstance(frame, pd.DataFrame) and len(frame) == 0:
        raise InputError(f"{where} has no rows: {name} is undefined")
    if name == "mean":
        enc = encode_rows(spec, frame)
        if np.isnan(enc).all():
            raise InputError(f"every value is missing in {where}: {name} is undefined")
        return enc
    if spec.is_regression:
        enc = encode_rows(spec, frame)
        used = used_rows(spec, enc)
        if len(used) == 0:
            raise InputError(f"no rows with both a prediction and a label in {where}: {name} is undefined")
        if name == "r2" and np.ptp(used[:, 0]) == 0:
            raise InputError(f"the label is constant over the rows with a prediction in {where} "
                             f"({len(used)} rows): r2 is undefined")
        if name == "mape":
            _refuse_zero_labels(spec, frame, where, len(used))
        return enc
    if not spec.one_class:
        return _checked_multiclass(spec, frame, where)
    c = classify(spec, frame)
    if spec.target_class is not None:
        positive = f"class={format_value(spec.positive)}"
    else:
        positive = f"positive={format_value(spec.positive)}"
    if not c.labelled.any():
        raise InputError(f"no rows with a label in {where} (all {len(frame)} labels are missing): "
                         f"{name} is undefined")
    if name in ("recall", "f1", "roc_auc") and not c.positive.any():
        raise InputError(f"no positive labels ({positive}) in {where}: {name} is undefined")
    if name == "precision" and not (c.labelled & c.predicted).any():
        rule = f"score >= {spec.threshold:g}" if c.score is not None else f"prediction == {format_value(spec.positive)}"
        if window != "current":
            raise InputError(f"no predicted positives ({rule}) among labelled rows in {where}: precision is undefined")
        warnings.warn(UndefinedMetricWarning(
            f"no predicted positives ({rule}) among the {int(c.labelled.sum())} labelled rows of {where}: the model "
            f"flagged nothing, and precision is taken as 0 (scikit-learn's zero_division=0)"))
    if name in THRESHOLD_METRICS and name != "precision" and c.score is not None and window != "current":
        _warn_if_nothing_reaches_threshold(spec, c, where)
    if name in SCORE_METRICS:
        score = numeric_scores(spec, c)
        rows = c.labelled & ~np.isnan(score)
        if not rows.any():
            raise InputError(f"no rows with both a label and a score in {where}: {name} is undefined")
        if name == "log_loss":
            s = score[rows]
            if s.min() < 0 or s.max() > 1:
                raise InputError(f"log_loss needs probabilities in [0, 1], but scores in {where} range from "
                                 f"{s.min():.4g} to {s.max():.4g}")
        if name == "roc_auc":
            n_pos = int((rows & c.positive).sum())
            if n_pos == 0 or n_pos == int(rows.sum()):
                only = "positive" if n_pos else "negative"
                raise InputError(f"only {only} labels ({positive}) among scored rows in {where}: "
                                 f"roc_auc needs both classes")
    return encode_binary(spec, c)


def compute_metric(spec: MetricSpec, frame: pd.DataFrame, *, window: str | None = None) -> float:
    """The metric of one window; ``InputError`` when it is undefined there (``window`` names it)."""
    return metric_from_encoded(spec, checked_encoding(spec, frame, window))
