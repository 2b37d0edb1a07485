"""What the model's scores and classes look like in each window.

A drop in recall can come from scores sliding under the threshold (the
share near it grows, confidence falls) or from confident mistakes (scores
stay far from the threshold but on the wrong side). Per-class metrics and the
confusion matrix say which kind of error grew.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.metrics import MetricSpec, is_positive

BINS = 10
NEAR = 0.1  # "near the threshold": within this distance of it, on the score scale


def score_profile(scores: np.ndarray, threshold: float) -> dict:
    """Histogram on [0, 1], share near the threshold, mean confidence (max(p, 1 - p))."""
    s = scores[np.isfinite(scores)]
    if len(s) == 0:
        return {"rows": 0}
    clipped = np.clip(s, 0.0, 1.0)
    hist = np.histogram(clipped, bins=BINS, range=(0.0, 1.0))[0] / len(s)
    return {
        "rows": int(len(s)),
        "mean_score": float(s.mean()),
        "share_above_threshold": float(np.mean(s >= threshold)),
        "share_near_threshold": float(np.mean(np.abs(s - threshold) <= NEAR)),
        "mean_confidence": float(np.mean(np.maximum(clipped, 1.0 - clipped))),
        "histogram": [float(h) for h in hist],
    }


def class_report(scores: np.ndarray, labels: pd.Series, spec: MetricSpec) -> dict:
    """Confusion matrix ({tn, fp, fn, tp}) and per-class precision, recall, support at the threshold."""
    known = labels.notna().to_numpy()
    y = is_positive(labels[known], spec.positive).astype(bool)
    s = scores[known]
    pred = np.where(np.isfinite(s), s >= spec.threshold, False)
    tp = int(np.sum(pred & y))
    fp = int(np.sum(pred & ~y))
    fn = int(np.sum(~pred & y))
    tn = int(np.sum(~pred & ~y))

    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    return {
        "confusion": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
        "classes": {
            "positive": {"precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn), "support": tp + fn},
            "negative": {"precision": ratio(tn, tn + fn), "recall": ratio(tn, tn + fp), "support": tn + fp},
        },
    }


def confidence_report(spec: MetricSpec, windows: dict[str, tuple[np.ndarray, pd.Series | None]]) -> dict:
    """Per window: score profile, and (when the window has labels) confusion matrix and per-class metrics."""
    out = {}
    for name, (scores, labels) in windows.items():
        entry = {"scores": score_profile(scores, spec.threshold)}
        if labels is not None and labels.notna().any():
            entry.update(class_report(scores, labels, spec))
        out[name] = entry
    return out
