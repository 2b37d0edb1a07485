"""A multi-class metric over all classes, row by row: the row's class codes or class probabilities.

Accuracy and micro averages read "correct or not"; macro, weighted and
balanced averages read the row's confusion cell (metrics/confusion.py);
log_loss, top-k accuracy and one-vs-rest roc_auc read the model's
probability of each class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.metrics.binary import PROBABILITY_CLIP
from causal_rca.metrics.confusion import CELL_BASE, NO_PREDICTION
from causal_rca.metrics.inputs import frame_column, needs_scores_message, numeric_values, score_columns
from causal_rca.metrics.spec import MetricSpec
from causal_rca.metrics.values import LooseColumn, class_codes, loose


def score_matrix(spec: MetricSpec, frame: pd.DataFrame) -> np.ndarray:
    """The class probabilities of a multi-class metric frame, rows × classes."""
    columns = score_columns(spec)
    if not columns or any(c not in frame.columns for c in columns):
        raise InputError(needs_scores_message(spec))
    return np.column_stack([numeric_values(frame[c], "score", spec) for c in columns])


def encode_class_scores(spec: MetricSpec, frame: pd.DataFrame, label: LooseColumn) -> np.ndarray:
    """log_loss, top_k_accuracy and one-vs-rest roc_auc of a multi-class model, from its probabilities.

    A row enters when it has a label and a probability for every class. A
    true class the model has no probability for (new in this window) counts
    as probability 0: a full loss, a miss, a negative row in every comparison.
    """
    s = score_matrix(spec, frame)
    k = s.shape[1]
    (t,) = class_codes([label], spec.classes)
    rows = ~np.isnan(t) & ~np.isnan(s).any(axis=1)
    known = rows & (t < k)
    ti = np.where(known, t, 0).astype(np.int64)
    own = np.where(known, s[np.arange(len(t)), ti], 0.0)  # probability of the true class
    if spec.form == "ovr_auc":
        out = np.full((len(t), k + 1), np.nan)
        out[rows, 0] = np.where(known, t, -1.0)[rows]
        out[rows, 1:] = s[rows]
        return out
    out = np.full(len(t), np.nan)
    if spec.name == "log_loss":
        out[rows] = -np.log(np.clip(own, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP))[rows]
    else:  # top_k_accuracy: classes ranked by probability, ties to the later class as in scikit-learn
        later = np.arange(k)[None, :] > ti[:, None]
        with np.errstate(invalid="ignore"):
            ahead = (s > own[:, None]) | ((s == own[:, None]) & later)
        out[rows] = (known & (ahead.sum(axis=1) < spec.k))[rows]
    return out


def encode_multiclass(spec: MetricSpec, frame: pd.DataFrame) -> np.ndarray:
    """A multi-class metric over all classes: 1/0 correct (accuracy, micro) or the row's confusion cell."""
    label = loose(frame_column(frame, "label", spec))
    if spec.needs_class_scores:
        return encode_class_scores(spec, frame, label)
    pred = loose(frame_column(frame, "prediction", spec))
    t, p = class_codes([label, pred], spec.classes)
    labelled = ~np.isnan(t)
    out = np.full(len(t), np.nan)
    if spec.form == "proportion":
        out[labelled] = (t == p)[labelled]  # a missing prediction is wrong
    else:
        cell = t * CELL_BASE + np.where(np.isnan(p), NO_PREDICTION, p)
        out[labelled] = cell[labelled]
    return out
