"""Metrics of spec/lineage.md, written from the spec (independent of the
engine), and a bootstrap test of a metric's change between two windows.

Binary: the model column is a score; score >= threshold is the positive
class.  Regression: the model column is the predicted value.  ``mean``: the
mean of the metric node's own column.
"""
from __future__ import annotations

import numpy as np

HIGHER_IS_BETTER = {
    "recall": True, "precision": True, "accuracy": True, "f1": True,
    "balanced_accuracy": True, "roc_auc": True, "log_loss": False,
    "mae": False, "rmse": False, "r2": True, "mape": False, "mean": None,
}


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    if n1 == 0 or n0 == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    ss = s[order]
    # average ranks of ties
    _, first, counts = np.unique(ss, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def _ratio(a, b):
    return np.where(b > 0, a / np.maximum(b, 1e-300), np.nan)


def metric_from_counts(name: str, s: dict) -> np.ndarray:
    """Metric from (bootstrap) sums; works elementwise on arrays."""
    if name == "recall":
        return _ratio(s["tp"], s["pos"])
    if name == "precision":
        return _ratio(s["tp"], s["pp"])
    if name == "accuracy":
        return _ratio(s["correct"], s["n"])
    if name == "f1":
        return _ratio(2 * s["tp"], s["pos"] + s["pp"])
    if name == "balanced_accuracy":
        return 0.5 * (_ratio(s["tp"], s["pos"]) + _ratio(s["tn"], s["n"] - s["pos"]))
    if name == "log_loss":
        return _ratio(s["ll"], s["n"])
    if name == "mae":
        return _ratio(s["ae"], s["n"])
    if name == "rmse":
        return np.sqrt(_ratio(s["se"], s["n"]))
    if name == "mape":
        return _ratio(s["ape"], s["n"])
    if name == "r2":
        sst = s["yy"] - s["y"] ** 2 / np.maximum(s["n"], 1)
        return 1 - _ratio(s["se"], sst)
    if name == "mean":
        return _ratio(s["v"], s["n"])
    raise ValueError(f"unknown metric {name!r}")


def _row_terms(name, y, s, threshold, values):
    if name == "mean":
        return {"v": values.astype(float)}
    if name in ("mae", "rmse", "r2", "mape"):
        e = s - y
        return {"ae": np.abs(e), "se": e * e, "y": y, "yy": y * y,
                "ape": np.abs(e) / np.maximum(np.abs(y), 1e-9)}
    yb = (y == 1).astype(float)
    pb = (s >= threshold).astype(float)
    p = np.clip(s, 1e-15, 1 - 1e-15)
    return {"tp": yb * pb, "pos": yb, "pp": pb, "tn": (1 - yb) * (1 - pb),
            "correct": (yb == pb).astype(float),
            "ll": -(yb * np.log(p) + (1 - yb) * np.log(1 - p))}


def metric_value(name, y=None, s=None, threshold=0.5, values=None) -> float:
    y = None if y is None else np.asarray(y, float)
    s = None if s is None else np.asarray(s, float)
    if name == "roc_auc":
        return _auc(y, s)
    terms = _row_terms(name, y, s, threshold, None if values is None else np.asarray(values))
    n = len(next(iter(terms.values())))
    sums = {k: v.sum() for k, v in terms.items()}
    sums["n"] = float(n)
    return float(metric_from_counts(name, sums))


def bootstrap(name, rng, n_boot, y=None, s=None, threshold=0.5, values=None) -> np.ndarray:
    """n_boot bootstrap replicates of the metric on one window."""
    y = None if y is None else np.asarray(y, float)
    s = None if s is None else np.asarray(s, float)
    n = len(values) if name == "mean" else len(y)
    idx = rng.integers(0, n, size=(n_boot, n))
    if name == "roc_auc":
        return np.array([_auc(y[i], s[i]) for i in idx])
    terms = _row_terms(name, y, s, threshold, None if values is None else np.asarray(values))
    sums = {k: v[idx].sum(axis=1) for k, v in terms.items()}
    sums["n"] = np.full(n_boot, float(n))
    return metric_from_counts(name, sums)


def change_test(name, ref: dict, cur: dict, seed: int, n_boot: int = 200) -> dict:
    """Bootstrap the metric in both windows; z of the change and its 95% CI.

    ``ref``/``cur`` hold ``y``, ``s``, ``threshold`` or ``values``.
    """
    rng = np.random.default_rng([0xB007, seed])
    v_ref = metric_value(name, **ref)
    v_cur = metric_value(name, **cur)
    b_ref = bootstrap(name, rng, n_boot, **ref)
    b_cur = bootstrap(name, rng, n_boot, **cur)
    diff = b_cur - b_ref
    diff = diff[np.isfinite(diff)]
    se = float(np.std(diff)) if len(diff) > 2 else float("nan")
    change = v_cur - v_ref
    z = change / se if se and np.isfinite(se) and se > 0 else (0.0 if change == 0 else np.inf)
    lo, hi = (np.percentile(diff, [2.5, 97.5]) if len(diff) > 2 else (np.nan, np.nan))
    better = HIGHER_IS_BETTER.get(name)
    worse = None if better is None else (change < 0 if better else change > 0)
    return {"metric": name, "reference": v_ref, "current": v_cur, "change": change,
            "se": se, "z": float(z), "ci95": [float(lo), float(hi)], "worse": worse}
