"""The metric frame: the columns a metric reads from one window, checked and typed once.

Every metric reads its window through this frame (prediction, label, class
probabilities or a value), so a non-numeric score or a missing column is
refused here, in the metric's words, before any arithmetic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.metrics.spec import MetricSpec
from causal_rca.metrics.values import as_series, loose


def frame_column(frame: pd.DataFrame, name: str, spec: MetricSpec) -> pd.Series:
    """Column ``name`` of a metric frame; ``InputError`` naming the metric when it is absent."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{spec.name}: expected a metric frame (pandas DataFrame), got {type(frame).__name__}")
    if name not in frame.columns:
        raise InputError(f"{spec.name}: the metric frame has no '{name}' column "
                         f"(columns: {', '.join(map(str, frame.columns)) or 'none'})")
    return frame[name]


def numeric_values(values: Any, role: str, spec: MetricSpec) -> np.ndarray:
    """``values`` as floats (NaN where missing); ``InputError`` naming the ``role`` when one is text."""
    col = loose(values)
    if not col.numeric:
        raise InputError(f"{spec.name} needs numeric {role}s, but the {role} column holds non-numeric "
                         f"values such as {col.example_text()!r}")
    return col.num


def score_columns(spec: MetricSpec) -> list[str]:
    """Metric-frame columns of the class probabilities, in ``spec.classes`` order."""
    return [f"scores[{i}]" for i in range(len(spec.classes or ()))]


def needs_scores_message(spec: MetricSpec) -> str:
    """Why a multi-class metric cannot be computed without class probabilities (the loader says it too)."""
    return (f"{spec.subject} of a multi-class model needs the model's probability of each class: "
            f"add 'scores' (class: column) to the model node")


def metric_frame(
    spec: MetricSpec,
    prediction: pd.Series | None,
    label: pd.Series | None,
    value: pd.Series | None = None,
    scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One frame per window with the columns the metric reads, row order and index kept.

    Rows are never dropped here: ``encode_rows`` must return one value per
    window row so the engine can line them up with the row's other columns.
    Columns that must be numeric are converted (and rejected) up front.
    ``scores``: one probability column per class of ``spec.classes``, in that
    order, for the multi-class metrics that read probabilities.
    """
    if spec.name == "mean":
        if value is None:
            raise InputError("the mean metric needs the value column of its metric node")
        v = as_series(value)
        return pd.DataFrame({"value": numeric_values(v, "value", spec)}, index=v.index)
    if prediction is None or label is None:
        missing = "prediction" if prediction is None else "label"
        raise InputError(f"{spec.name} needs a prediction and a label column; the {missing} is missing")
    p, y = as_series(prediction), as_series(label)
    if len(p) != len(y):
        raise InputError(f"{spec.name}: prediction has {len(p)} rows but label has {len(y)}")
    if spec.is_regression:
        return pd.DataFrame({"prediction": numeric_values(p, "prediction", spec),
                             "label": numeric_values(y, "label", spec)}, index=p.index)
    pred = loose(p)
    pred_values: Any = pred.num if pred.numeric else p.to_numpy(dtype=object)
    frame = pd.DataFrame({"prediction": pred_values, "label": y.array}, index=p.index)
    if spec.needs_class_scores:
        if spec.classes is None or scores is None:
            raise InputError(needs_scores_message(spec))
        table = scores if isinstance(scores, pd.DataFrame) else pd.DataFrame(scores)
        if table.shape != (len(p), len(spec.classes)):
            raise InputError(f"{spec.name}: expected {len(p)} rows of {len(spec.classes)} class probabilities, "
                             f"got {table.shape[0]} rows of {table.shape[1]}")
        for i, name in enumerate(score_columns(spec)):
            frame[name] = numeric_values(table.iloc[:, i], "score", spec)
    return frame
