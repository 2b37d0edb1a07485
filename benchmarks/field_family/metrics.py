"""The metrics of the spec, computed the scikit-learn way, with a bootstrap standard error.

Written from lineage.md / user-guide.md only (values equal scikit-learn's). Kept in
numpy so that a bootstrap over 30,000 rows stays cheap.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

#: metrics for which a higher value is worse
HIGHER_IS_WORSE = {"log_loss", "mae", "rmse", "mape"}
EPS = 1e-15


class MetricData:
    """The arrays a metric reads from one window."""

    def __init__(self, kind, spec, y, pred, proba=None, classes=None, threshold=0.5):
        self.kind = kind
        self.spec = spec  # dict: metric, average, class, k
        self.y = y
        self.pred = pred
        self.proba = proba
        self.classes = classes
        self.threshold = threshold

    def __len__(self):
        return len(self.y)


def _auc(score, pos):
    n1 = int(pos.sum())
    n0 = len(pos) - n1
    if n1 == 0 or n0 == 0:
        return np.nan
    r = rankdata(score)
    return (r[pos].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0)


def _prf(cm, labels_present, which):
    """per-class precision, recall, f1 from a confusion matrix (rows true, cols pred)."""
    tp = np.diag(cm).astype(float)
    pred_n = cm.sum(axis=0).astype(float)
    true_n = cm.sum(axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(pred_n > 0, tp / np.maximum(pred_n, 1), 0.0)
        rec = np.where(true_n > 0, tp / np.maximum(true_n, 1), 0.0)
        f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-300), 0.0)
    return {"precision": prec, "recall": rec, "f1": f1}[which], true_n, tp, pred_n


def value(d: MetricData, idx=None) -> float:
    """The metric on the rows ``idx`` (all rows when None)."""
    m = d.spec["metric"]
    y = d.y if idx is None else d.y[idx]
    if d.kind == "mean":
        return float(np.mean(y))
    if d.kind == "regression":
        yhat = d.pred if idx is None else d.pred[idx]
        e = yhat - y
        if m == "mae":
            return float(np.mean(np.abs(e)))
        if m == "rmse":
            return float(np.sqrt(np.mean(e * e)))
        if m == "mape":
            return float(np.mean(np.abs(e) / np.abs(y)))
        if m == "r2":
            ss = np.sum((y - y.mean()) ** 2)
            return float(1 - np.sum(e * e) / ss) if ss > 0 else np.nan
        raise ValueError(m)
    if d.kind == "binary":
        s = d.pred if idx is None else d.pred[idx]
        if m == "roc_auc":
            return float(_auc(s, y == 1))
        if m == "log_loss":
            p = np.clip(s, EPS, 1 - EPS)
            return float(-np.mean(np.where(y == 1, np.log(p), np.log(1 - p))))
        yp = (s >= d.threshold).astype(int)
        tp = np.sum((yp == 1) & (y == 1))
        fp = np.sum((yp == 1) & (y == 0))
        fn = np.sum((yp == 0) & (y == 1))
        tn = np.sum((yp == 0) & (y == 0))
        if m == "accuracy":
            return float((tp + tn) / len(y))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        if m == "precision":
            return float(prec)
        if m == "recall":
            return float(rec)
        if m == "f1":
            return float(2 * prec * rec / (prec + rec)) if prec + rec else 0.0
        if m == "balanced_accuracy":
            spec_ = tn / (tn + fp) if tn + fp else np.nan
            vals = [v for v, n in ((rec, tp + fn), (spec_, tn + fp)) if n]
            return float(np.mean(vals))
        raise ValueError(m)
    # multi-class: y and pred are integer codes into classes
    K = len(d.classes)
    yp = d.pred if idx is None else d.pred[idx]
    if m == "log_loss":
        P = d.proba if idx is None else d.proba[idx]
        P = P / P.sum(axis=1, keepdims=True)
        return float(-np.mean(np.log(np.clip(P[np.arange(len(y)), y], EPS, 1))))
    if m == "top_k_accuracy":
        P = d.proba if idx is None else d.proba[idx]
        k = int(d.spec.get("k", 3))
        top = np.argsort(-P, axis=1, kind="stable")[:, :k]
        return float(np.mean((top == y[:, None]).any(axis=1)))
    if m == "roc_auc":
        P = d.proba if idx is None else d.proba[idx]
        cls = d.spec.get("class_index")
        if cls is not None:
            return float(_auc(P[:, cls], y == cls))
        aucs, w = [], []
        for c in range(K):
            pos = y == c
            if pos.any() and not pos.all():
                aucs.append(_auc(P[:, c], pos))
                w.append(pos.mean())
        if d.spec.get("average") == "weighted":
            return float(np.average(aucs, weights=w))
        if d.spec.get("average") == "micro":
            onehot = np.eye(K, dtype=bool)[y]
            return float(_auc(P.ravel(), onehot.ravel()))
        return float(np.mean(aucs))
    cm = np.bincount(y * K + yp, minlength=K * K).reshape(K, K)
    if m == "accuracy":
        return float(np.trace(cm) / len(y))
    if m == "balanced_accuracy":
        true_n = cm.sum(axis=1)
        present = true_n > 0
        return float(np.mean(np.diag(cm)[present] / true_n[present]))
    if m in ("precision", "recall", "f1"):
        per, true_n, tp, pred_n = _prf(cm, None, m)
        cls = d.spec.get("class_index")
        if cls is not None:
            return float(per[cls])
        avg = d.spec.get("average", "macro")
        present = (true_n > 0) | (pred_n > 0)  # labels seen in y_true or y_pred
        if avg == "micro":
            return float(tp.sum() / len(y))
        if avg == "weighted":
            return float(np.sum(per * true_n) / true_n.sum())
        return float(np.mean(per[present]))
    raise ValueError(m)


def bootstrap(d: MetricData, rng: np.random.Generator, reps: int | None = None):
    """(value, bootstrap standard error)."""
    n = len(d)
    if reps is None:
        reps = 50 if d.spec["metric"] == "roc_auc" else 100
    vals = np.empty(reps)
    for b in range(reps):
        vals[b] = value(d, rng.integers(0, n, n))
    return value(d), float(np.nanstd(vals, ddof=1))


def worse_z(ref, cur, metric_name) -> float:
    """z of the change, positive = worse. ``ref`` and ``cur`` are (value, se)."""
    se = float(np.hypot(ref[1], cur[1]))
    diff = cur[0] - ref[0]
    if metric_name not in HIGHER_IS_WORSE:
        diff = -diff
    if not np.isfinite(diff) or se <= 0:
        return float("nan")
    return float(diff / se)
