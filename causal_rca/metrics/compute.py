"""The metric of one window, its 95% interval, and the change between two windows.

Everything goes through one per-row encoding (``encode_rows``): the metric
is a fixed function of the encoded values' distribution, so the causal
attribution can move rows between windows and still read the same metric
(``metric_from_encoded``). Most metrics encode one number per row; the
one-vs-rest roc_auc of a multi-class model and r2 need several numbers per
row (the true class and every class's score; the label and the prediction),
so they encode a 2-D array, one row per window row. How the encoding
becomes the metric is the spec's ``form`` (metrics/spec.py). Metrics that
are a mean over rows get closed-form intervals (fast on millions of rows);
the others get a seeded percentile bootstrap.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from scipy.stats import rankdata

from causal_rca.errors import InputError
from causal_rca.metrics.spec import JOINT_FORMS, SCORE_METRICS, MetricSpec, format_value

Z95 = 1.959963984540054  # two-sided 95% normal quantile
BOOTSTRAP_RESAMPLES = 400
PROBABILITY_CLIP = 1e-15
_CHUNK_ELEMENTS = 1 << 22  # bound on the index matrix of one vectorised bootstrap chunk
_EXACT_ROWS = 200_000  # above this, bootstraps switch to bounded-cost approximations
_AUC_LEVELS = 2048  # score levels kept in a roc_auc bootstrap of a large window
_CELL_BASE = 1 << 20  # confusion-cell code: true class index * _CELL_BASE + predicted class index
NO_PREDICTION = _CELL_BASE - 1  # predicted class index of a row without a prediction (always wrong)
MAX_CLASSES = 10_000  # beyond this a "class" label is a number or an id, not classes
MAPE_FLOOR = float(np.finfo(np.float64).eps)  # |label| floor of mape's denominator, as in scikit-learn


@dataclass(frozen=True)
class MetricEstimate:
    """The metric in one window with its 95% interval."""

    value: float
    ci: tuple[float, float]
    rows: int  # rows in the window
    used_rows: int  # rows that entered the metric (e.g. positives for recall)


@dataclass(frozen=True)
class MetricComparison:
    """Reference against current: is the move bigger than sampling noise?"""

    reference: MetricEstimate
    current: MetricEstimate
    change: float  # current - reference
    change_ci: tuple[float, float]
    p_value: float
    significant: bool  # change_ci excludes 0


# --------------------------------------------------------------------------- loose values


@dataclass(frozen=True)
class _Loose:
    """A column read loosely, so that 1, 1.0, "1" and True are one value.

    Numeric-like values become floats in ``num``; other values become
    stripped text in ``text`` (``None`` when every present value is numeric).
    """

    num: np.ndarray
    text: np.ndarray | None
    missing: np.ndarray

    @property
    def numeric(self) -> bool:
        return self.text is None

    def example_text(self) -> str:
        assert self.text is not None
        return next(t for t in self.text if t is not None)


def _scalar(value: Any) -> tuple[float, str | None, bool]:
    """(number, text, missing) for one value; exactly one of number/text is set unless missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return math.nan, None, True
    if isinstance(value, (bool, np.bool_)):
        return float(value), None, False
    if isinstance(value, (numbers.Real, np.integer, np.floating)):
        f = float(value)
        return (math.nan, None, True) if math.isnan(f) else (f, None, False)
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    s = str(value).strip()
    if not s:
        return math.nan, None, True
    low = s.lower()
    if low in ("true", "false"):
        return float(low == "true"), None, False
    try:
        f = float(s)
    except ValueError:
        return math.nan, s, False
    return (math.nan, None, True) if math.isnan(f) else (f, None, False)


def _as_series(values: Any) -> pd.Series:
    return values if isinstance(values, pd.Series) else pd.Series(values)


def _loose(values: Any) -> _Loose:
    s = _as_series(values)
    if is_bool_dtype(s.dtype) or is_numeric_dtype(s.dtype):
        try:
            num = s.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            pass
        else:
            return _Loose(num, None, np.isnan(num))
    # Read each distinct value once: object columns repeat few values.
    codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    k = len(uniques)
    unum = np.full(k + 1, np.nan)
    utext = np.full(k + 1, None, dtype=object)
    umissing = np.ones(k + 1, dtype=bool)
    for i, u in enumerate(uniques):
        unum[i], utext[i], umissing[i] = _scalar(u)
    idx = np.where(codes < 0, k, codes)
    has_text = any(t is not None for t in utext)
    return _Loose(unum[idx], utext[idx] if has_text else None, umissing[idx])


def _equals_value(col: _Loose, value: Any) -> np.ndarray:
    num, text, _ = _scalar(value)
    out = col.num == num  # NaN never matches
    if text is not None and col.text is not None:
        out |= np.asarray(col.text == text, dtype=bool)
    return out


def _equals_column(a: _Loose, b: _Loose) -> np.ndarray:
    out = a.num == b.num
    if a.text is not None and b.text is not None:
        both_text = np.isnan(a.num) & np.isnan(b.num) & ~a.missing & ~b.missing
        out |= both_text & np.asarray(a.text == b.text, dtype=bool)
    return out


def is_positive(labels: Any, positive: Any) -> np.ndarray:
    """Labels read as "is the positive class": 1.0 / 0.0, NaN where the label is missing.

    This is what every classification metric reads, so the causal models of
    the label should read the same thing.
    """
    col = _loose(labels)
    out = _equals_value(col, positive).astype(float)
    out[col.missing] = np.nan
    return out


def class_key(value: Any) -> Any:
    """The key two class values share when the metrics count them as one class (None: missing).

    1, 1.0, "1" and True are one class, as everywhere in the metrics; text is
    stripped. What the graph loader uses to check declared classes.
    """
    num, text, missing = _scalar(value)
    return None if missing else (num if text is None else text)


def _keys(col: _Loose) -> np.ndarray:
    """One hashable key per value for class matching: the number when it reads as one, else the text."""
    if col.text is None:
        return col.num
    keys = col.text.copy()
    numbers = ~np.isnan(col.num)
    keys[numbers] = col.num[numbers]
    return keys


def _class_codes(cols: Sequence[_Loose], classes: tuple[Any, ...] | None) -> list[np.ndarray]:
    """Class index of every value of ``cols`` (one vocabulary for all of them), NaN where missing.

    The declared ``classes`` come first, in their order, so index i is the
    model's i-th probability column; a value outside them (a class new in
    this window) gets the next free index in order of appearance. Values
    compare loosely, as everywhere: 1, 1.0, "1" and True are one class.
    """
    vocab: dict[Any, int] = {}
    for c in classes or ():
        vocab.setdefault(class_key(c), len(vocab))
    keys = [_keys(col) for col in cols]
    present = [k[~col.missing] for k, col in zip(keys, cols)]
    codes, uniques = pd.factorize(np.concatenate(present) if present else np.array([]))
    index = np.array([vocab.setdefault(u, len(vocab)) for u in uniques], dtype=float)
    if len(vocab) > MAX_CLASSES:
        raise InputError(f"{len(vocab)} distinct classes in the labels and predictions (more than {MAX_CLASSES}): "
                         f"a classification metric needs class labels; for a number to predict use mae, rmse, "
                         f"mape or r2")
    out, start = [], 0
    for part, col in zip(present, cols):
        codes_of = np.full(len(col.missing), np.nan)
        codes_of[~col.missing] = index[codes[start:start + len(part)]]
        start += len(part)
        out.append(codes_of)
    return out


# --------------------------------------------------------------------------- frames


def _column(frame: pd.DataFrame, name: str, spec: MetricSpec) -> pd.Series:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{spec.name}: expected a metric frame (pandas DataFrame), got {type(frame).__name__}")
    if name not in frame.columns:
        raise InputError(f"{spec.name}: the metric frame has no '{name}' column "
                         f"(columns: {', '.join(map(str, frame.columns)) or 'none'})")
    return frame[name]


def _numeric(values: Any, role: str, spec: MetricSpec) -> np.ndarray:
    col = _loose(values)
    if not col.numeric:
        raise InputError(f"{spec.name} needs numeric {role}s, but the {role} column holds non-numeric "
                         f"values such as {col.example_text()!r}")
    return col.num


def score_columns(spec: MetricSpec) -> list[str]:
    """Metric-frame columns of the class probabilities, in ``spec.classes`` order."""
    return [f"scores[{i}]" for i in range(len(spec.classes or ()))]


def needs_scores_message(spec: MetricSpec) -> str:
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
        v = _as_series(value)
        return pd.DataFrame({"value": _numeric(v, "value", spec)}, index=v.index)
    if prediction is None or label is None:
        missing = "prediction" if prediction is None else "label"
        raise InputError(f"{spec.name} needs a prediction and a label column; the {missing} is missing")
    p, y = _as_series(prediction), _as_series(label)
    if len(p) != len(y):
        raise InputError(f"{spec.name}: prediction has {len(p)} rows but label has {len(y)}")
    if spec.is_regression:
        return pd.DataFrame({"prediction": _numeric(p, "prediction", spec),
                             "label": _numeric(y, "label", spec)}, index=p.index)
    pred = _loose(p)
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
            frame[name] = _numeric(table.iloc[:, i], "score", spec)
    return frame


# --------------------------------------------------------------------------- encoding


@dataclass(frozen=True)
class _Classified:
    labelled: np.ndarray  # label present
    positive: np.ndarray  # label is the positive class (False where unlabelled)
    predicted: np.ndarray  # predicted positive
    score: np.ndarray | None  # numeric scores, None when the prediction holds class labels
    prediction: _Loose
    label: _Loose


def _classify(spec: MetricSpec, frame: pd.DataFrame) -> _Classified:
    """Rows read as binary: the positive class (or one class of a multi-class model) against the rest."""
    label = _loose(_column(frame, "label", spec))
    pred = _loose(_column(frame, "prediction", spec))
    labelled = ~label.missing
    positive = _equals_value(label, spec.positive) & labelled
    # A multi-class model's prediction is a class even when classes are numbers;
    # its one-class roc_auc reads that class's probability column instead.
    if pred.numeric and (not spec.multiclass or spec.name in SCORE_METRICS):
        score = pred.num
        with np.errstate(invalid="ignore"):
            predicted = score >= spec.threshold  # a missing score is not a positive prediction
    else:
        score = None
        predicted = _equals_value(pred, spec.positive)
    return _Classified(labelled, positive, predicted, score, pred, label)


def _scores(spec: MetricSpec, c: _Classified) -> np.ndarray:
    if c.score is None:
        raise InputError(f"{spec.name} needs numeric scores in the prediction column, but it holds class "
                         f"labels such as {c.prediction.example_text()!r}")
    return c.score


def _encode_classified(spec: MetricSpec, c: _Classified) -> np.ndarray:
    out = np.full(len(c.labelled), np.nan)
    name = spec.name
    if name == "accuracy":
        correct = (c.predicted == c.positive) if c.score is not None else _equals_column(c.prediction, c.label)
        out[c.labelled] = correct[c.labelled]
    elif name == "balanced_accuracy":  # confusion cell of the two classes: positive or not, predicted or not
        cell = c.positive.astype(float) * _CELL_BASE + c.predicted
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
        score = _scores(spec, c)
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


def _score_matrix(spec: MetricSpec, frame: pd.DataFrame) -> np.ndarray:
    """The class probabilities of a multi-class metric frame, rows × classes."""
    columns = score_columns(spec)
    if not columns or any(c not in frame.columns for c in columns):
        raise InputError(needs_scores_message(spec))
    return np.column_stack([_numeric(frame[c], "score", spec) for c in columns])


def _encode_class_scores(spec: MetricSpec, frame: pd.DataFrame, label: _Loose) -> np.ndarray:
    """log_loss, top_k_accuracy and one-vs-rest roc_auc of a multi-class model, from its probabilities.

    A row enters when it has a label and a probability for every class. A
    true class the model has no probability for (new in this window) counts
    as probability 0: a full loss, a miss, a negative row in every comparison.
    """
    s = _score_matrix(spec, frame)
    k = s.shape[1]
    (t,) = _class_codes([label], spec.classes)
    rows = ~np.isnan(t) & ~np.isnan(s).any(axis=1)
    known = rows & (t < k)
    ti = np.where(known, t, 0).astype(np.int64)
    own = np.where(known, s[np.arange(len(t)), ti], 0.0)  # probability of the true class
    if spec.form == "ovr_auc":
        out = np.full((len(t), k + 1), np.nan)
        out[rows, 0] = np.where(known, t, -1.0)[rows]
        out[rows, 1:] = s[rows]
        return out
    out = np.full(len(t), np.nan)
    if spec.name == "log_loss":
        out[rows] = -np.log(np.clip(own, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP))[rows]
    else:  # top_k_accuracy: classes ranked by probability, ties to the later class as in scikit-learn
        later = np.arange(k)[None, :] > ti[:, None]
        with np.errstate(invalid="ignore"):
            ahead = (s > own[:, None]) | ((s == own[:, None]) & later)
        out[rows] = (known & (ahead.sum(axis=1) < spec.k))[rows]
    return out


def _encode_multiclass(spec: MetricSpec, frame: pd.DataFrame) -> np.ndarray:
    """A multi-class metric over all classes: 1/0 correct (accuracy, micro) or the row's confusion cell."""
    label = _loose(_column(frame, "label", spec))
    if spec.needs_class_scores:
        return _encode_class_scores(spec, frame, label)
    pred = _loose(_column(frame, "prediction", spec))
    t, p = _class_codes([label, pred], spec.classes)
    labelled = ~np.isnan(t)
    out = np.full(len(t), np.nan)
    if spec.form == "proportion":
        out[labelled] = (t == p)[labelled]  # a missing prediction is wrong
    else:
        cell = t * _CELL_BASE + np.where(np.isnan(p), NO_PREDICTION, p)
        out[labelled] = cell[labelled]
    return out


def encode_rows(spec: MetricSpec, frame: pd.DataFrame) -> np.ndarray:
    """What each row brings to the metric, one row per window row; NaN = the row does not enter it.

    One float per row for most metrics: recall: 1/0 on positive rows;
    precision: 1/0 (is positive) on predicted positives; accuracy: 1/0
    correct; f1: TP 1, FP/FN 0, TN NaN; log_loss: the row's loss; mae:
    |error|; rmse: squared error; mape: |error| / |label|; mean: the value;
    roc_auc: 2·is_positive + score (scores squashed into [0, 1] when
    outside); top_k_accuracy: 1/0 hit; balanced_accuracy and the macro or
    weighted averages: the row's confusion cell (true class index ×
    2**20 + predicted class index). Two columns or more for one-vs-rest
    roc_auc (true class index, -1 for a class without a probability, then
    each class's probability) and r2 (label, prediction). Permissive by
    design (the attribution encodes sampled rows): the checks that a
    window's metric is defined live in ``compute_metric``.
    """
    if spec.name == "mean":
        return np.array(_numeric(_column(frame, "value", spec), "value", spec), dtype=float)
    if spec.is_regression:
        pred = _numeric(_column(frame, "prediction", spec), "prediction", spec)
        label = _numeric(_column(frame, "label", spec), "label", spec)
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
    if not spec.one_class:
        return _encode_multiclass(spec, frame)
    return _encode_classified(spec, _classify(spec, frame))


def _undefined(spec: MetricSpec) -> str:
    return {
        "recall": "no positive labels: recall is undefined",
        "precision": "no predicted positives: precision is undefined",
        "f1": "no positive labels and no predicted positives: f1 is undefined",
        "roc_auc": "no labelled rows with a score: roc_auc is undefined",
    }.get(spec.name, f"no rows enter the metric: {spec.name} is undefined")


def _used(spec: MetricSpec, encoded: np.ndarray) -> np.ndarray:
    """The encoded rows that enter the metric (no NaN)."""
    v = np.asarray(encoded, dtype=float)
    if spec.form in JOINT_FORMS:
        v = v.reshape(len(v), -1)
        return v[~np.isnan(v).any(axis=1)]
    v = v.ravel()
    return v[~np.isnan(v)]


def _auc_parts(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores of positive and negative rows from the roc_auc encoding, rounded alike so ties survive."""
    pos = v > 1.5
    return v[pos] - 2.0, (v[~pos] + 2.0) - 2.0


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Mann-Whitney U / (P·N): ties count one half, as in sklearn's roc_auc_score."""
    ranks = rankdata(np.concatenate([pos, neg]))
    p, n = len(pos), len(neg)
    return float((ranks[:p].sum() - p * (p + 1) / 2.0) / (p * n))


def _cells(u: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct confusion cells of encoded rows ``u`` and how many rows (or how much weight) each holds."""
    cells, inverse = np.unique(u, return_inverse=True)
    return cells, np.bincount(inverse.ravel(), weights=w, minlength=len(cells)).astype(float)


def _confusion_metric(spec: MetricSpec, cells: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The metric per row of ``counts`` (resamples × ``cells``): one confusion matrix each.

    As scikit-learn: the classes are those in the labels or the predictions;
    a per-class ratio over nothing is 0; macro averages the classes, weighted
    weighs them by their label count; balanced accuracy averages the recall
    of the classes in the labels.
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    t = (cells // _CELL_BASE).astype(np.int64)
    p = (cells % _CELL_BASE).astype(np.int64)
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


def _ovr_auc_of(spec: MetricSpec, u: np.ndarray) -> Callable[[np.ndarray | None], float]:
    """One-vs-rest roc_auc of encoded rows ``u`` as a function of row weights (None: each row once).

    Each class's probability against "this class or not", ties counting one
    half; macro averages the classes present in the labels, weighted weighs
    them by their label count, micro pools every (row, class) pair. Sorting
    is the costly part, so it happens once here and a bootstrap resample only
    changes the weights.
    """
    t, s = u[:, 0], u[:, 1:]
    k = s.shape[1]
    if spec.average == "micro":
        parts = [((t[:, None] == np.arange(k)[None, :]).ravel(), s.ravel(), k)]
    else:
        parts = [(t == c, s[:, c], 1) for c in range(k)]
    prepared = []
    for y, score, repeat in parts:
        levels, inverse = np.unique(score, return_inverse=True)
        prepared.append((y, inverse[y], inverse[~y], len(levels), repeat))

    def value(weights: np.ndarray | None = None) -> float:
        w = np.ones(len(u)) if weights is None else np.asarray(weights, dtype=float)
        aucs, sizes = [], []
        for y, pos, neg, levels, repeat in prepared:
            wy = np.repeat(w, repeat) if repeat > 1 else w
            cp = np.bincount(pos, weights=wy[y], minlength=levels)
            cn = np.bincount(neg, weights=wy[~y], minlength=levels)
            n_pos, n_neg = float(cp.sum()), float(cn.sum())
            if n_pos == 0:
                continue  # a class absent from the labels has no comparison
            if n_neg == 0:
                raise InputError("only one class among the scored rows: roc_auc needs both classes of each "
                                 "one-vs-rest comparison")
            aucs.append(float(_auc_from_counts(cp, cn, n_pos, n_neg)))
            sizes.append(n_pos)
        if not aucs:
            raise InputError("no row of a class with a probability column: roc_auc is undefined")
        if spec.average == "weighted":
            return float(np.dot(aucs, sizes) / np.sum(sizes))
        return float(np.mean(aucs))

    return value


def _r2(u: np.ndarray, w: np.ndarray | None = None) -> float:
    """1 - squared error / label variance (weighted); scikit-learn's 1 or 0 when the label is constant."""
    y, p = u[:, 0], u[:, 1]
    w = np.ones(len(u)) if w is None else np.asarray(w, dtype=float)
    centred = y - np.sum(w * y) / np.sum(w)
    sst = float(np.sum(w * centred * centred))
    sse = float(np.sum(w * (y - p) ** 2))
    if sst == 0.0:
        return 1.0 if sse == 0.0 else 0.0
    return 1.0 - sse / sst


def _value_of_used(spec: MetricSpec, u: np.ndarray) -> float:
    """The metric from the encoded values of the rows that enter it (no NaN)."""
    if len(u) == 0:
        raise InputError(_undefined(spec))
    form = spec.form
    if form == "auc":
        pos, neg = _auc_parts(u)
        if len(pos) == 0 or len(neg) == 0:
            raise InputError("roc_auc needs both positive and negative labelled rows with a score")
        return _auc(pos, neg)
    if form in ("confusion", "ovr_auc", "r2"):
        return _weighted_value(spec, u, None)
    return _of_mean(spec, float(np.mean(u)))


def _of_mean(spec: MetricSpec, m: float) -> float:
    """The metric from the mean of the encoded values (the proportion, mean, f1 and rmse forms)."""
    if spec.form == "f1":
        return 2.0 * m / (1.0 + m)  # m is the Jaccard index TP / (TP + FP + FN)
    if spec.form == "rmse":
        return math.sqrt(m)
    return m


def _weighted_value(spec: MetricSpec, v: np.ndarray, w: np.ndarray | None) -> float:
    """The metric of used rows ``v`` counted ``w`` times each (None: once); every form but binary roc_auc."""
    form = spec.form
    if form == "confusion":
        cells, counts = _cells(v, w)
        return float(_confusion_metric(spec, cells, counts)[0])
    if form == "ovr_auc":
        return _ovr_auc_of(spec, v)(w)
    if form == "r2":
        return _r2(v, w)
    return _of_mean(spec, float(np.mean(v) if w is None else np.sum(w * v) / np.sum(w)))


def metric_from_encoded(spec: MetricSpec, encoded: np.ndarray) -> float:
    """The metric from ``encode_rows`` output; equals ``compute_metric`` on the same rows."""
    return _value_of_used(spec, _used(spec, encoded))


def metric_from_weighted(spec: MetricSpec, encoded: np.ndarray, weights: np.ndarray) -> float:
    """The metric with each row counted ``weights`` times (weights need not be integers).

    A row of weight 2 counts as two copies of it, so integer weights give the
    metric of the repeated rows and weights of 1 give ``metric_from_encoded``.
    What a reweighted window (model/reweight.py) and its bootstrap read.
    """
    v = np.asarray(encoded, dtype=float)
    w = np.asarray(weights, dtype=float).ravel()
    if spec.form in JOINT_FORMS:
        v = v.reshape(len(v), -1)
        keep = ~np.isnan(v).any(axis=1) & (w > 0)
    else:
        v = v.ravel()
        keep = ~np.isnan(v) & (w > 0)
    v, w = v[keep], w[keep]
    if len(v) == 0:
        raise InputError(_undefined(spec))
    if spec.form != "auc":
        return _weighted_value(spec, v, w)
    is_pos = v > 1.5
    pos, neg = _auc_parts(v)
    levels, inverse = np.unique(np.concatenate([pos, neg]), return_inverse=True)
    n_pos = len(pos)
    cp = np.bincount(inverse[:n_pos], weights=w[is_pos], minlength=len(levels))
    cn = np.bincount(inverse[n_pos:], weights=w[~is_pos], minlength=len(levels))
    if cp.sum() == 0 or cn.sum() == 0:
        raise InputError("roc_auc needs both positive and negative labelled rows with a score")
    return float(_auc_from_counts(cp, cn, cp.sum(), cn.sum()))


# --------------------------------------------------------------------------- checked windows


def _checked_multiclass(spec: MetricSpec, frame: pd.DataFrame, where: str) -> np.ndarray:
    """``encode_rows`` of a multi-class metric over all classes, plus the checks that it is defined."""
    label = _loose(_column(frame, "label", spec))
    if label.missing.all():
        raise InputError(f"no rows with a label in {where} (all {len(frame)} labels are missing): "
                         f"{spec.subject} is undefined")
    if not spec.needs_class_scores:
        return _encode_multiclass(spec, frame)
    s = _score_matrix(spec, frame)
    rows = ~label.missing & ~np.isnan(s).any(axis=1)
    if not rows.any():
        raise InputError(f"no rows with both a label and a probability for every class in {where}: "
                         f"{spec.subject} is undefined")
    if spec.name == "log_loss" and (s[rows].min() < 0 or s[rows].max() > 1):
        raise InputError(f"log_loss needs probabilities in [0, 1], but class probabilities in {where} range from "
                         f"{s[rows].min():.4g} to {s[rows].max():.4g}")
    enc = _encode_class_scores(spec, frame, label)
    if spec.form == "ovr_auc":
        t = enc[rows, 0]
        if len(np.unique(t)) < 2 or not (t >= 0).any():
            raise InputError(f"only one class among the scored rows in {where}: roc_auc needs both classes of "
                             f"each one-vs-rest comparison")
    return enc


def _checked_encoding(spec: MetricSpec, frame: pd.DataFrame, window: str | None) -> np.ndarray:
    """``encode_rows`` plus the checks that the metric is defined, with messages naming the window."""
    where = f"the {window} window" if window else "the window"
    name = spec.name
    if isinstance(frame, pd.DataFrame) and len(frame) == 0:
        raise InputError(f"{where} has no rows: {name} is undefined")
    if name == "mean":
        enc = encode_rows(spec, frame)
        if np.isnan(enc).all():
            raise InputError(f"every value is missing in {where}: {name} is undefined")
        return enc
    if spec.is_regression:
        enc = encode_rows(spec, frame)
        used = _used(spec, enc)
        if len(used) == 0:
            raise InputError(f"no rows with both a prediction and a label in {where}: {name} is undefined")
        if name == "r2" and np.ptp(used[:, 0]) == 0:
            raise InputError(f"the label is constant over the rows with a prediction in {where} "
                             f"({len(used)} rows): r2 is undefined")
        return enc
    if not spec.one_class:
        return _checked_multiclass(spec, frame, where)
    c = _classify(spec, frame)
    if spec.target_class is not None:
        positive = f"class={format_value(spec.positive)}"
    else:
        positive = f"positive={format_value(spec.positive)}"
    if not c.labelled.any():
        raise InputError(f"no rows with a label in {where} (all {len(frame)} labels are missing): "
                         f"{name} is undefined")
    if name in ("recall", "f1", "roc_auc") and not c.positive.any():
        raise InputError(f"no positive labels ({positive}) in {where}: {name} is undefined")
    if name == "precision" and not (c.labelled & c.predicted).any():
        rule = f"score >= {spec.threshold:g}" if c.score is not None else f"prediction == {format_value(spec.positive)}"
        raise InputError(f"no predicted positives ({rule}) among labelled rows in {where}: precision is undefined")
    if name in SCORE_METRICS:
        score = _scores(spec, c)
        rows = c.labelled & ~np.isnan(score)
        if not rows.any():
            raise InputError(f"no rows with both a label and a score in {where}: {name} is undefined")
        if name == "log_loss":
            s = score[rows]
            if s.min() < 0 or s.max() > 1:
                raise InputError(f"log_loss needs probabilities in [0, 1], but scores in {where} range from "
                                 f"{s.min():.4g} to {s.max():.4g}")
        if name == "roc_auc":
            n_pos = int((rows & c.positive).sum())
            if n_pos == 0 or n_pos == int(rows.sum()):
                only = "positive" if n_pos else "negative"
                raise InputError(f"only {only} labels ({positive}) among scored rows in {where}: "
                                 f"roc_auc needs both classes")
    return _encode_classified(spec, c)


def compute_metric(spec: MetricSpec, frame: pd.DataFrame, *, window: str | None = None) -> float:
    """The metric of one window; ``InputError`` when it is undefined there (``window`` names it)."""
    return metric_from_encoded(spec, _checked_encoding(spec, frame, window))


# --------------------------------------------------------------------------- intervals


def _rng(seed: int, stream: int) -> np.random.Generator:
    """Independent, reproducible streams per window from one user seed."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.default_rng([int(seed), stream])


def _wilson(p: float, n: int) -> tuple[float, float]:
    z2 = Z95 * Z95
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = Z95 * math.sqrt(max(p * (1 - p), 0.0) / n + z2 / (4 * n * n)) / denom
    return min(max(centre - half, 0.0), p), max(min(centre + half, 1.0), p)


def _mean_se(u: np.ndarray) -> float:
    return float(np.std(u, ddof=1) / math.sqrt(len(u))) if len(u) > 1 else 0.0


def _chunks(resamples: int, per_resample: int):
    size = max(1, min(resamples, _CHUNK_ELEMENTS // max(per_resample, 1)))
    for start in range(0, resamples, size):
        yield min(size, resamples - start)


def _resampled_counts(rng: np.random.Generator, levels: np.ndarray, k: int, c: int) -> np.ndarray:
    """Counts per level in ``c`` bootstrap resamples of the rows whose level is ``levels``."""
    n = len(levels)
    drawn = levels[rng.integers(0, n, size=(c, n))]
    drawn += (np.arange(c) * k)[:, None]
    return np.bincount(drawn.ravel(), minlength=c * k).reshape(c, k)


def _auc_from_counts(cp: np.ndarray, cn: np.ndarray, n_pos: int, n_neg: int) -> np.ndarray:
    """AUC per row of level counts (levels in increasing score order); ties count one half."""
    below = np.cumsum(cn, axis=-1) - cn
    return (cp * (below + 0.5 * cn)).sum(axis=-1) / (n_pos * n_neg)


def _bootstrap_auc(u: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Stratified bootstrap of roc_auc: classes keep their sizes, so every resample has both.

    A resample only changes how many rows sit at each score level, so the
    counts are drawn directly (multinomial): exact, and cheap when there are
    few levels. Large windows with many distinct scores are binned into
    ``_AUC_LEVELS`` quantile levels and the replicates shifted by the
    exact-minus-binned AUC; the binning moves each row's rank by under
    1/_AUC_LEVELS, far below the sampling noise at that size.
    """
    pos, neg = _auc_parts(u)
    n_pos, n_neg = len(pos), len(neg)
    pooled = np.concatenate([pos, neg])
    levels, inverse = np.unique(pooled, return_inverse=True)
    k = len(levels)
    shift = 0.0
    if k > _AUC_LEVELS and len(u) <= _EXACT_ROWS:
        out = np.empty(resamples)
        done = 0
        for c in _chunks(resamples, len(u) + 2 * k):
            cp = _resampled_counts(rng, inverse[:n_pos], k, c)
            cn = _resampled_counts(rng, inverse[n_pos:], k, c)
            out[done:done + c] = _auc_from_counts(cp, cn, n_pos, n_neg)
            done += c
        return out
    if k > _AUC_LEVELS:
        edges = np.unique(np.quantile(pooled, np.linspace(0.0, 1.0, _AUC_LEVELS + 1)[1:-1]))
        inverse = np.searchsorted(edges, pooled, side="right")
        k = len(edges) + 1
    cp0 = np.bincount(inverse[:n_pos], minlength=k)
    cn0 = np.bincount(inverse[n_pos:], minlength=k)
    if k < len(levels):
        shift = _auc(pos, neg) - float(_auc_from_counts(cp0, cn0, n_pos, n_neg))
    cp = rng.multinomial(n_pos, cp0 / n_pos, size=resamples)
    cn = rng.multinomial(n_neg, cn0 / n_neg, size=resamples)
    return _auc_from_counts(cp, cn, n_pos, n_neg) + shift


def _shrunk(out: np.ndarray, centre: float, m: int, n: int) -> np.ndarray:
    """Replicates of ``m``-row resamples rescaled to the spread of ``n``-row ones (m-out-of-n bootstrap)."""
    return out if m >= n else centre + (out - centre) * math.sqrt(m / n)


def _bootstrap_mean(u: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Bootstrap replicates of the mean of ``u``.

    Up to ``_EXACT_ROWS`` rows: the ordinary bootstrap. Beyond, resamples of
    ``_EXACT_ROWS`` rows rescaled by sqrt(m/n) (m-out-of-n bootstrap): the
    same variance at a bounded cost, so a million-row window stays fast.
    """
    n = len(u)
    m = min(n, _EXACT_ROWS)
    out = np.empty(resamples)
    done = 0
    for c in _chunks(resamples, m):
        out[done:done + c] = u[rng.integers(0, n, size=(c, m))].mean(axis=1)
        done += c
    return _shrunk(out, float(np.mean(u)), m, n)


def _bootstrap_r2(u: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Bootstrap replicates of r2: resampled (label, prediction) rows, m-out-of-n beyond ``_EXACT_ROWS``."""
    n = len(u)
    m = min(n, _EXACT_ROWS)
    y, err2 = u[:, 0] - float(np.mean(u[:, 0])), (u[:, 0] - u[:, 1]) ** 2
    out = np.empty(resamples)
    done = 0
    for c in _chunks(resamples, 2 * m):
        idx = rng.integers(0, n, size=(c, m))
        ys = y[idx]
        sst = ((ys - ys.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        sse = err2[idx].sum(axis=1)
        flat = sst <= 0.0
        out[done:done + c] = np.where(flat, np.where(sse == 0.0, 1.0, 0.0), 1.0 - sse / np.where(flat, 1.0, sst))
        done += c
    return _shrunk(out, _r2(u), m, n)


def _bootstrap_ovr_auc(spec: MetricSpec, u: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Stratified bootstrap of one-vs-rest roc_auc: each true class keeps its share, so every resample
    has every comparison; a resample is a weight per row. m-out-of-n beyond ``_EXACT_ROWS`` rows."""
    n = len(u)
    m = min(n, _EXACT_ROWS)
    value = _ovr_auc_of(spec, u)
    strata = [np.flatnonzero(u[:, 0] == c) for c in np.unique(u[:, 0])]
    sizes = [max(1, round(len(rows) * m / n)) for rows in strata]
    out = np.empty(resamples)
    for r in range(resamples):
        drawn = np.concatenate([rows[rng.integers(0, len(rows), size=size)] for rows, size in zip(strata, sizes)])
        out[r] = value(np.bincount(drawn, minlength=n))
    return _shrunk(out, value(), m, n)


def _bootstrap(spec: MetricSpec, u: np.ndarray, rng: np.random.Generator,
               resamples: int = BOOTSTRAP_RESAMPLES) -> np.ndarray:
    """The metric over ``resamples`` bootstrap resamples of the rows that enter it."""
    form = spec.form
    if form == "f1":
        # Rows are 0/1, so the count of ones in a resample is binomial: exact and instant.
        m = len(u)
        j = rng.binomial(m, float(np.mean(u)), size=resamples) / m
        return 2.0 * j / (1.0 + j)
    if form == "rmse":
        return np.sqrt(np.maximum(_bootstrap_mean(u, rng, resamples), 0.0))
    if form == "confusion":
        # A resample only changes how many rows fall in each cell: multinomial counts, exact and fast.
        cells, counts = _cells(u)
        return np.concatenate([_confusion_metric(spec, cells, rng.multinomial(len(u), counts / counts.sum(), size=c))
                               for c in _chunks(resamples, 4 * len(cells))])
    if form == "r2":
        return _bootstrap_r2(u, rng, resamples)
    if form == "ovr_auc":
        return _bootstrap_ovr_auc(spec, u, rng, resamples)
    return _bootstrap_auc(u, rng, resamples)


def _percentile_ci(stats: np.ndarray, point: float) -> tuple[float, float]:
    """Percentile interval, widened to hold the point: tiny or skewed samples can miss it otherwise."""
    lo, hi = np.percentile(stats, [2.5, 97.5])
    return min(float(lo), point), max(float(hi), point)


@dataclass(frozen=True)
class _Window:
    estimate: MetricEstimate
    used: np.ndarray  # encoded values of the rows that enter the metric
    boot: np.ndarray | None  # bootstrap replicates (bootstrap metrics only)


def _window(spec: MetricSpec, frame: pd.DataFrame, rng: np.random.Generator, window: str | None) -> _Window:
    enc = _checked_encoding(spec, frame, window)
    u = _used(spec, enc)
    value = _value_of_used(spec, u)
    boot = None
    if spec.form == "proportion":
        ci = _wilson(value, len(u))
    elif spec.form == "mean":
        half = Z95 * _mean_se(u)
        lo = value - half
        if spec.name != "mean":
            lo = max(lo, 0.0)  # losses and errors are never negative
        ci = (min(lo, value), value + half)
    else:
        boot = _bootstrap(spec, u, rng)
        ci = _percentile_ci(boot, value)
    return _Window(MetricEstimate(float(value), (float(ci[0]), float(ci[1])), int(len(frame)), int(len(u))),
                   u, boot)


def estimate_metric(spec: MetricSpec, frame: pd.DataFrame, seed: int, *, window: str | None = None) -> MetricEstimate:
    """The metric of one window with its 95% interval (Wilson, normal, or seeded bootstrap)."""
    return _window(spec, frame, _rng(seed, 0), window).estimate


def _two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def compare_windows(
    spec: MetricSpec,
    reference_frame: pd.DataFrame,
    current_frame: pd.DataFrame,
    seed: int,
) -> MetricComparison:
    """Current minus reference, with a 95% interval and p-value for the change.

    Mean-type metrics use a normal approximation of the difference
    (Agresti-Caffo-adjusted two-proportion standard error, or Welch); the
    others (f1, roc_auc, rmse, r2, balanced accuracy, macro and weighted
    averages) bootstrap both windows independently.
    """
    ref = _window(spec, reference_frame, _rng(seed, 0), "reference")
    cur = _window(spec, current_frame, _rng(seed, 1), "current")
    change = cur.estimate.value - ref.estimate.value
    if ref.boot is not None and cur.boot is not None:
        diff = cur.boot - ref.boot
        change_ci = _percentile_ci(diff, change)
        share = min(float(np.mean(diff <= 0)), float(np.mean(diff >= 0)))
        p_value = min(1.0, max(2.0 * share, 1.0 / (len(diff) + 1)))
    else:
        if spec.form == "proportion":
            # Add one success and one failure per window: the standard error stays
            # honest when a window is all 0s or all 1s (Agresti & Caffo 2000).
            def var(w: _Window) -> float:
                n = len(w.used)
                p = (float(w.used.sum()) + 1.0) / (n + 2.0)
                return p * (1.0 - p) / (n + 2.0)
        else:
            def var(w: _Window) -> float:
                return _mean_se(w.used) ** 2
        se = math.sqrt(var(ref) + var(cur))
        if se > 0:
            change_ci = (change - Z95 * se, change + Z95 * se)
            p_value = _two_sided_p(change / se)
        else:  # both windows constant: the change is exact
            change_ci = (change, change)
            p_value = 1.0 if change == 0 else 0.0
    lo, hi = float(change_ci[0]), float(change_ci[1])
    return MetricComparison(
        reference=ref.estimate,
        current=cur.estimate,
        change=float(change),
        change_ci=(lo, hi),
        p_value=float(p_value),
        significant=bool(lo > 0 or hi < 0),
    )
