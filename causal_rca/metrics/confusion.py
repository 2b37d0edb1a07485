"""Metrics of a confusion matrix: balanced accuracy and the macro and weighted averages.

A row is encoded as its cell, ``true class index * CELL_BASE + predicted
class index``; the metric is a function of how many rows (or how much
weight) each cell holds, so a bootstrap only redraws the counts.
"""

from __future__ import annotations

import numpy as np

from causal_rca.metrics.spec import MetricSpec

CELL_BASE = 1 << 20  # confusion-cell code: true class index * CELL_BASE + predicted class index
NO_PREDICTION = CELL_BASE - 1  # predicted class index of a row without a prediction (always wrong)


def cell_counts(u: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct confusion cells of encoded rows ``u`` and how many rows (or how much weight) each holds."""
    cells, inverse = np.unique(u, return_inverse=True)
    return cells, np.bincount(inverse.ravel(), weights=w, minlength=len(cells)).astype(float)


def confusion_metric(spec: MetricSpec, cells: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The metric per row of ``counts`` (resamples × ``cells``): one confusion matrix each.

    As scikit-learn: the classes are those in the labels or the predictions;
    a per-class ratio over nothing is 0; macro averages the classes, weighted
    weighs them by their label count; balanced accuracy averages the recall
    of the classes in the labels.
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    t = (cells // CELL_BASE).astype(np.int64)
    p = (cells % CELL_BASE).astype(np.int64)
    classes = np.unique(np.concatenate([t, p[p != NO_PREDICTION]]))
    m, rows = len(classes), counts.shape[0]
    offsets = (np.arange(rows) * m)[:, None]

    def per_class(index: np.ndarray, cells_in: np.ndarray) -> np.ndarray:
        """Counts per (resample, class) of the cells ``cells_in`` by class ``index``: sparse, so that
        many classes stay cheap."""
        at = (offsets + np.searchsorted(classes, index[cells_in])[None, :]).ravel()
        return np.bincount(at, weights=counts[:, cells_in].ravel(), minlength=rows * m).reshape(rows, m).astype(float)

    predicted_some = p != NO_PREDICTION
    support, predicted = per_class(t, np.ones(len(t), dtype=bool)), per_class(p, predicted_some)
    hits = per_class(t, predicted_some & (t == p))

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.divide(a, b, out=np.zeros_like(a), where=b > 0)

    if spec.name == "balanced_accuracy":
        labelled = support > 0
        return (ratio(hits, support) * labelled).sum(axis=1) / labelled.sum(axis=1)
    per_class = {"precision": lambda: ratio(hits, predicted), "recall": lambda: ratio(hits, support),
                 "f1": lambda: ratio(2.0 * hits, support + predicted)}[spec.name]()
    if spec.average == "weighted":
        return (per_class * support).sum(axis=1) / support.sum(axis=1)
    present = (support > 0) | (predicted > 0)
    return (per_class * present).sum(axis=1) / present.sum(axis=1)
