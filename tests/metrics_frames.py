"""Synthetic scored windows for the metric tests: binary scores, a four-class model, a window for any metric."""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.metrics import MetricSpec, metric_frame


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
