"""Estimate the metric without labels from calibrated scores (confidence-based performance estimation).

The idea is NannyML's CBPE: if a score of 0.8 means "positive 80% of the
time", a window's expected confusion matrix follows from its scores alone.
Scores are first calibrated on the labelled reference (isotonic regression of
the outcome on the score), so a class-weighted model whose raw scores are not
probabilities can still be read this way. The estimate is right as long as
P(outcome | score) stays as it was in the reference: it cannot see concept
drift or a label change, and says so in the diagnosis.

The interval is the spread of the metric over label sets drawn from the
calibrated probabilities (the estimate's own sampling noise).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from causal_rca.errors import InputError
from causal_rca.metrics import MetricSpec, is_positive

DRAWS = 400
ESTIMABLE = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")


def calibrator(scores: np.ndarray, labels: pd.Series, spec: MetricSpec) -> IsotonicRegression:
    """P(positive | score), learned on the labelled reference."""
    known = labels.notna().to_numpy() & np.isfinite(scores)
    y = is_positive(labels[known], spec.positive).astype(float)
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores[known], y)


def _metric(name: str, p: np.ndarray, s: np.ndarray, threshold: float) -> float:
    """The expected metric given probabilities ``p`` (rows) of being positive (or 0/1 labels)."""
    pred = s >= threshold
    tp, fp = float(np.sum(p * pred)), float(np.sum((1 - p) * pred))
    fn, tn = float(np.sum(p * ~pred)), float(np.sum((1 - p) * ~pred))
    if name == "recall":
        return tp / (tp + fn) if tp + fn else float("nan")
    if name == "precision":
        return tp / (tp + fp) if tp + fp else float("nan")
    if name == "accuracy":
        return (tp + tn) / len(p)
    if name == "f1":
        return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")
    if name == "log_loss":
        c = np.clip(s, 1e-15, 1 - 1e-15)
        return float(-np.mean(p * np.log(c) + (1 - p) * np.log(1 - c)))
    # roc_auc: expected TPR and FPR along the sorted scores.
    order = np.argsort(-s, kind="stable")
    pos, neg = np.cumsum(p[order]), np.cumsum(1 - p[order])
    if pos[-1] == 0 or neg[-1] == 0:
        return float("nan")
    tpr, fpr = np.r_[0.0, pos / pos[-1]], np.r_[0.0, neg / neg[-1]]
    return float(np.trapezoid(tpr, fpr))


def estimate(spec: MetricSpec, calibrate: IsotonicRegression, scores: np.ndarray, seed: int) -> dict:
    """The estimated metric of unlabelled rows, with a 95% interval."""
    if spec.name not in ESTIMABLE:
        raise InputError(f"{spec.name} cannot be estimated without labels (estimable: {', '.join(ESTIMABLE)})")
    s = np.where(np.isfinite(scores), scores, -np.inf if spec.name != "log_loss" else 0.5)
    p = calibrate.predict(np.where(np.isfinite(scores), scores, 0.0))
    value = _metric(spec.name, p, s, spec.threshold)
    rng = np.random.default_rng(seed)
    draws = [_metric(spec.name, (rng.random(len(p)) < p).astype(float), s, spec.threshold)
             for _ in range(DRAWS if len(p) <= 50_000 else 100)]
    draws = np.array([d for d in draws if np.isfinite(d)])
    lo, hi = (np.quantile(draws, [0.025, 0.975]) if len(draws) else (np.nan, np.nan))
    return {"method": "confidence-based performance estimation (scores calibrated on the reference)",
            "value": float(value), "ci": [float(lo), float(hi)], "rows": int(len(p))}


def frame_scores(frame: pd.DataFrame) -> np.ndarray:
    """The model's scores in a metric frame (``metric_frame``), as floats; NaN where not a number."""
    return pd.to_numeric(frame["prediction"], errors="coerce").to_numpy(dtype=float)


def estimate_window(spec: MetricSpec, reference_frame: pd.DataFrame, current_frame: pd.DataFrame, seed: int) -> dict:
    """The current window's metric estimated from its scores, calibrated on the labelled reference window."""
    cal = calibrator(frame_scores(reference_frame), reference_frame["label"], spec)
    return estimate(spec, cal, frame_scores(current_frame), seed)
