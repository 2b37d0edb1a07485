"""Regression metrics row by row: mae, rmse, mape and r2 of a numeric prediction against its label."""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.metrics.inputs import frame_column, numeric_values
from causal_rca.metrics.spec import MetricSpec

MAPE_FLOOR = float(np.finfo(np.float64).eps)  # |label| floor of mape's denominator, as in scikit-learn


def encode_regression(spec: MetricSpec, frame: pd.DataFrame) -> np.ndarray:
    """mae: |error|; rmse: squared error; mape: |error| / |label|; r2: (label, prediction), one row each."""
    pred = numeric_values(frame_column(frame, "prediction", spec), "prediction", spec)
    label = numeric_values(frame_column(frame, "label", spec), "label", spec)
    err = pred - label
    if spec.name == "mae":
        return np.abs(err)
    if spec.name == "rmse":
        return err * err
    if spec.name == "mape":
        return np.abs(err) / np.maximum(np.abs(label), MAPE_FLOOR)
    both = np.column_stack([label, pred]).astype(float)  # r2
    both[np.isnan(both).any(axis=1)] = np.nan
    return both


def r2_of(u: np.ndarray, w: np.ndarray | None = None) -> float:
    """1 - squared error / label variance (weighted); scikit-learn's 1 or 0 when the label is constant."""
    y, p = u[:, 0], u[:, 1]
    w = np.ones(len(u)) if w is None else np.asarray(w, dtype=float)
    centred = y - np.sum(w * y) / np.sum(w)
    sst = float(np.sum(w * centred * centred))
    sse = float(np.sum(w * (y - p) ** 2))
    if sst == 0.0:
        return 1.0 if sse == 0.0 else 0.0
    return 1.0 - sse / sst
