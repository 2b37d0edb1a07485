"""One class against the rest, row by row: a binary model, or one class of a multi-class model.

recall, precision, f1, accuracy, balanced accuracy, log_loss and roc_auc of
the positive class: each row is read as labelled or not, positive or not,
predicted positive or not (by class, or by score against the threshold), then
encoded as what it brings to the metric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.metrics.confusion import CELL_BASE
from causal_rca.metrics.inputs import frame_column
from causal_rca.metrics.spec import SCORE_METRICS, MetricSpec
from causal_rca.metrics.values import LooseColumn, equals_column, equals_value, loose

PROBABILITY_CLIP = 1e-15


@dataclass(frozen=True)
class Classified:
    """The rows of a window read as one class against the rest."""

    labelled: np.ndarray  # label present
    positive: np.ndarray  # label is the positive class (False where unlabelled)
    predicted: np.ndarray  # predicted positive
    score: np.ndarray | None  # numeric scores, None when the prediction holds class labels
    prediction: LooseColumn
    label: LooseColumn


def classify(spec: MetricSpec, frame: pd.DataFrame) -> Classified:
    """Rows read as binary: the positive class (or one class of a multi-class model) against the rest."""
    label = loose(frame_column(frame, "label", spec))
    pred = loose(frame_column(frame, "prediction", spec))
    labelled = ~label.missing
    positive = equals_value(label, spec.positive) & labelled
    # A multi-class model's prediction is a class even when classes are numbers;
    # its one-class roc_auc reads that class's probability column instead.
    if pred.numeric and (not spec.multiclass or spec.name in SCORE_METRICS):
        score = pred.num
        with np.errstate(invalid="ignore"):
            predicted = score >= spec.threshold  # a missing score is not a positive prediction
    else:
        score = None
        predicted = equals_value(pred, spec.positive)
    return Classified(labelled, positive, predicted, score, pred, label)


def numeric_scores(spec: MetricSpec, c: Classified) -> np.ndarray:
    """The scores a score metric reads; ``InputError`` when the prediction holds class labels."""
    if c.score is None:
        raise InputError(f"{spec.name} needs numeric scores in the prediction column, but it holds class "
                         f"labels such as {c.prediction.example_text()!r}")
    return c.score


def encode_binary(spec: MetricSpec, c: Classified) -> np.ndarray:
    """What each row brings to a one-class metric (``encode_rows`` documents the encoding); NaN: not in it."""
    out = np.full(len(c.labelled), np.nan)
    name = spec.name
    if name == "accuracy":
        correct = (c.predicted == c.positive) if c.score is not None else equals_column(c.prediction, c.label)
        out[c.labelled] = correct[c.labelled]
    elif name == "balanced_accuracy":  # confusion cell of the two classes: positive or not, predicted or not
        cell = c.positive.astype(float) * CELL_BASE + c.predicted
        out[c.labelled] = cell[c.labelled]
    elif name == "recall":
        out[c.positive] = c.predicted[c.positive]
    elif name == "precision":
        rows = c.labelled & c.predicted
        out[rows] = c.positive[rows]
    elif name == "f1":
        rows = c.labelled & (c.positive | c.predicted)  # true negatives do not enter f1
        out[rows] = (c.positive & c.predicted)[rows]
    else:
        score = numeric_scores(spec, c)
        rows = c.labelled & ~np.isnan(score)
        s, y = score[rows], c.positive[rows]
        if name == "log_loss":
            # Clipped, not rejected: the attribution feeds sampled scores here.
            p = np.clip(s, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
            out[rows] = -np.log(np.where(y, p, 1 - p))
        else:  # roc_auc: class and score in one float; only the order of scores matters
            if not np.all((s >= 0) & (s <= 1)):
                s = 0.5 + np.arctan(s) / np.pi
            out[rows] = 2.0 * y + s
    return out
