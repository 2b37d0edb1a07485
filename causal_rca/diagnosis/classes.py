"""Class-level findings of a multi-class metric: where a drop hides when the average holds.

A macro-F1 that fell two points can be one class that collapsed; an accuracy
that held can hide a class the model now sends elsewhere. Three findings, all
read from the whole windows (not the samples the causal models see):

- per class: its share of the labels and the metric's per-class value in both
  windows, each with a 95% interval, and the change (``spec/diagnosis.md``,
  "Multi-class targets"); a class only the current window has is ``new``;
- the confusion change: per true class, the share of its rows predicted as each
  class in both windows, and the cells that moved beyond noise ("``contract``
  rows now go to ``letter``");
- which classes the errors are in, in each window.

The per-class value is the metric of that class against the rest: precision,
recall and f1 of the class; accuracy and balanced accuracy read as the class's
recall (the share of its rows classified correctly); log_loss and
top_k_accuracy over the class's rows; roc_auc one-vs-rest with the class's
probability column.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from causal_rca.errors import InputError
from causal_rca.lineage.graph import LineageGraph
from causal_rca.metrics import MetricSpec, compare_windows, estimate_metric, metric_frame
from causal_rca.metrics.inputs import score_columns
from causal_rca.metrics.values import class_key
from causal_rca.metrics.spec import AVERAGED
from causal_rca.signals import statistics as st
from causal_rca.windows.stats import fetch_all, typed_expression
from causal_rca.windows.tables import Window

MAX_CLASSES = 50  # classes in the table (new classes first, then the largest shares)
MAX_MATRIX = 30  # classes in the confusion matrices of the JSON; beyond, only the cells that moved
MAX_MOVES = 10
MOVE_LEVEL = 0.01  # adjusted p-value of a confusion cell that moved
MIN_MOVE = 0.02  # and by at least this share of the true class's rows
NO_PREDICTION = "(no prediction)"


def class_node_dtypes(graph: LineageGraph, metric_id: str, spec: MetricSpec, dtypes: dict[str, str]) -> dict[str, str]:
    """A multi-class metric's prediction and label nodes are read as categories."""
    if not spec.multiclass:
        return dtypes
    nodes = [n for n in graph.metric_inputs(metric_id) if n in dtypes]
    return {**dtypes, **{n: "categorical" for n in nodes}} if nodes else dtypes


def class_frames(graph: LineageGraph, metric_id: str, windows: tuple[Window, Window]) -> list[pd.DataFrame]:
    """Prediction, label and (when the model declares ``scores``) every class probability, per window.

    Score columns are named as ``metrics.inputs.score_columns`` names them, in ``scores`` order.
    """
    prediction, label = graph.metric_inputs(metric_id)
    model = graph.nodes[prediction]
    exprs = {"prediction": typed_expression(model.column, None),
             "label": typed_expression(graph.nodes[label].column, None)}
    for i, column in enumerate((model.scores or {}).values()):
        exprs[f"scores[{i}]"] = typed_expression(column, "numeric")
    return [fetch_all(w, exprs) for w in windows]


def _keys(values: pd.Series) -> np.ndarray:
    """One class key per row (``class_key``: 1, 1.0 and "1" are one class), None where missing."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    keyed = np.array([class_key(u) for u in uniques] + [None], dtype=object)
    return keyed[np.where(codes < 0, len(uniques), codes)]


def class_name(key: Any) -> str:
    """A class as reports print it: 3.0 as 3, text as is."""
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def _ordered_classes(spec: MetricSpec, ref: np.ndarray, cur: np.ndarray) -> tuple[list[Any], set[Any]]:
    """Declared classes first (their order), then the reference's sorted, then the current window's
    new ones sorted; and the set of classes the reference never had (in labels or predictions)."""
    seen_ref = {k for k in ref if k is not None}
    seen_cur = {k for k in cur if k is not None}
    declared = [class_key(c) for c in spec.classes or ()]

    def order(keys: set[Any]) -> list[Any]:
        return sorted(keys, key=lambda k: (isinstance(k, str), k if not isinstance(k, str) else 0, str(k)))

    out = list(dict.fromkeys(declared))
    out += [k for k in order(seen_ref) if k not in out]
    new = seen_cur - seen_ref - set(declared)
    out += [k for k in order(new) if k not in out]
    return out, new


def _per_class_spec(spec: MetricSpec, key: Any) -> MetricSpec:
    """The metric of one class against the rest (see the module docstring)."""
    if spec.name in AVERAGED:
        return MetricSpec(spec.name, multiclass=True, target_class=key, classes=spec.classes)
    if spec.name in ("accuracy", "balanced_accuracy"):
        return MetricSpec("recall", multiclass=True, target_class=key, classes=spec.classes)
    return replace(spec)  # log_loss, top_k_accuracy: the metric over the class's rows


def _class_frame(spec: MetricSpec, one: MetricSpec, frame: pd.DataFrame, labels: np.ndarray, key: Any,
                 class_index: dict[Any, int]) -> pd.DataFrame | None:
    """The rows ``one`` reads for class ``key`` (None when it cannot be read: no probability column)."""
    if one.name == "roc_auc":
        i = class_index.get(key)
        if i is None or f"scores[{i}]" not in frame.columns:
            return None
        return metric_frame(one, frame[f"scores[{i}]"], frame["label"])
    if one.target_class is not None:
        return metric_frame(one, frame["prediction"], frame["label"])
    rows = labels == key
    scores = frame[score_columns(spec)].loc[rows] if spec.needs_class_scores else None
    if spec.needs_class_scores and (scores is None or scores.shape[1] == 0):
        return None
    sub = frame.loc[rows]
    return metric_frame(spec, sub["prediction"], sub["label"], scores=scores)


def _window_value(one: MetricSpec, frame: pd.DataFrame | None, seed: int) -> dict[str, Any] | None:
    if frame is None or len(frame) == 0:
        return None
    try:
        e = estimate_metric(one, frame, seed)
    except InputError:  # undefined in this window (the class never predicted, no rows): not a finding
        return None
    return {"value": e.value, "ci": list(e.ci), "rows": e.used_rows}


def _share(k: int, n: int) -> dict[str, Any]:
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson") if n else (math.nan, math.nan)
    return {"share": k / n if n else math.nan, "share_ci": [float(lo), float(hi)], "labels": int(k)}


def _class_row(spec: MetricSpec, key: Any, new: bool, frames: list[pd.DataFrame], labels: list[np.ndarray],
               errors: list[np.ndarray], class_index: dict[Any, int], seed: int) -> dict[str, Any]:
    one = _per_class_spec(spec, key)
    per_window = [_class_frame(spec, one, f, y, key, class_index) for f, y in zip(frames, labels)]
    row: dict[str, Any] = {"class": class_name(key), "new": new}
    for name, y, wrong, frame in zip(("reference", "current"), labels, errors, per_window):
        labelled = y != None  # noqa: E711 (element-wise over an object array)
        found = {**_share(int(np.sum(y == key)), int(labelled.sum())),
                 "error_share": float(np.sum(wrong & (y == key)) / wrong.sum()) if wrong.sum() else math.nan}
        found["metric"] = _window_value(one, frame, seed)
        row[name] = found
    row["change"], row["change_ci"], row["significant"] = None, None, False
    if row["reference"]["metric"] and row["current"]["metric"]:
        comparison = compare_windows(one, per_window[0], per_window[1], seed)
        row.update(change=comparison.change, change_ci=list(comparison.change_ci),
                   significant=comparison.significant)
    return row


def _confusion(classes: list[Any], truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Counts, true class × predicted class (a last column for rows without a prediction)."""
    index = {k: i for i, k in enumerate(classes)}
    k = len(classes)
    t = np.array([index.get(v, -1) for v in truth])
    p = np.array([index.get(v, k) if v is not None else k for v in predicted])
    keep = t >= 0
    return np.bincount(t[keep] * (k + 1) + p[keep], minlength=k * (k + 1)).reshape(k, k + 1).astype(float)


def confusion_change(classes: list[Any], truths: list[np.ndarray], predictions: list[np.ndarray]) -> dict[str, Any]:
    """Per true class, the share of its rows predicted as each class in both windows, and the cells that moved.

    A cell moved when the share changed by ``MIN_MOVE`` or more and a two-proportion test
    (Benjamini-Hochberg over every cell with rows in both windows) puts it below ``MOVE_LEVEL``.
    """
    ref, cur = (_confusion(classes, t, p) for t, p in zip(truths, predictions))
    n_ref, n_cur = ref.sum(axis=1), cur.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_ref, share_cur = ref / n_ref[:, None], cur / n_cur[:, None]
    names = [class_name(k) for k in classes] + [NO_PREDICTION]
    cells, p_values = [], []
    for i in range(len(classes)):
        if not (n_ref[i] and n_cur[i]):
            continue
        for j in range(len(names)):
            if j == i or not (ref[i, j] or cur[i, j]):
                continue
            cells.append((i, j))
            p_values.append(st.two_proportion(int(ref[i, j]), int(n_ref[i]), int(cur[i, j]), int(n_cur[i])))
    adjusted = st.benjamini_hochberg(p_values)
    moves = [{"true": names[i], "predicted": names[j], "reference": float(share_ref[i, j]),
              "current": float(share_cur[i, j]), "change": float(share_cur[i, j] - share_ref[i, j]),
              "reference_rows": int(ref[i, j]), "current_rows": int(cur[i, j]), "p_value": float(p)}
             for (i, j), p in zip(cells, adjusted)
             if p < MOVE_LEVEL and abs(share_cur[i, j] - share_ref[i, j]) >= MIN_MOVE]
    moves.sort(key=lambda m: (-m["change"], m["true"], m["predicted"]))
    out: dict[str, Any] = {"moves": moves[:MAX_MOVES]}
    if len(classes) <= MAX_MATRIX:
        used = [j for j in range(len(names)) if j < len(classes) or ref[:, j].any() or cur[:, j].any()]
        out.update({
            "true": names[:len(classes)], "predicted": [names[j] for j in used],
            "reference_rows": [int(v) for v in n_ref], "current_rows": [int(v) for v in n_cur],
            "reference": share_ref[:, used].tolist(), "current": share_cur[:, used].tolist(),
            "change": (share_cur - share_ref)[:, used].tolist(),
        })
    return out


def class_findings(spec: MetricSpec, frames: list[pd.DataFrame], seed: int) -> dict[str, Any]:
    """``target_class``, ``average``, ``classes`` (per class, both windows) and ``confusion_change``."""
    labels = [_keys(f["label"]) for f in frames]
    predicted = [_keys(f["prediction"]) for f in frames]
    classes, new = _ordered_classes(spec, *(np.concatenate([y, p]) for y, p in zip(labels, predicted)))
    errors = [(y != None) & (y != p) for y, p in zip(labels, predicted)]  # noqa: E711
    class_index = {class_key(c): i for i, c in enumerate(spec.classes or ())}
    shown = classes
    if len(classes) > MAX_CLASSES:  # new classes first, then the largest shares
        shares = [pd.Series(y[y != None]).value_counts(normalize=True) for y in labels]  # noqa: E711
        weight = {k: max(float(share.get(k, 0.0)) for share in shares) for k in classes}
        keep = set(sorted(classes, key=lambda k: (k not in new, -weight[k], str(k)))[:MAX_CLASSES])
        shown = [k for k in classes if k in keep]
    rows = [_class_row(spec, k, k in new, frames, labels, errors, class_index, seed) for k in shown]
    return {
        "target_class": spec.target_class,
        "average": spec.average,
        "class_metric": _per_class_spec(spec, classes[0]).name if classes else spec.name,
        "classes": rows,
        "confusion_change": confusion_change(classes if len(classes) <= MAX_MATRIX else shown, labels, predicted),
        "classes_left_out": len(classes) - len(shown),
    }


def multiclass_findings(graph: LineageGraph, metric_id: str, spec: MetricSpec, windows: tuple[Window, Window],
                        seed: int) -> dict[str, Any]:
    """Every class-level finding of a multi-class metric, and the model's confidence profile when it
    declares ``scores`` (diagnosis/class_confidence.py); empty for other metrics."""
    if not spec.multiclass:
        return {}
    from causal_rca.diagnosis.class_confidence import confidence_profile

    frames = class_frames(graph, metric_id, windows)
    out = class_findings(spec, frames, seed)
    profile = confidence_profile(frames)
    return {**out, "confidence_profile": profile} if profile is not None else out
