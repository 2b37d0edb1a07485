"""How the causal models read a multi-class model's output, so that its metric can be attributed.

A binary model's output is a score, which a regression mechanism can sample.
A multi-class model's output is a class, and with ``scores`` a whole vector of
probabilities that must stay together (they sum to one, the predicted class is
their argmax). The attribution therefore samples *which logged row's output*
a sampled input gets: the model node's value is a row of the pooled windows,
drawn among the rows whose inputs are nearest (``DonorRows``, a k-nearest-
neighbour conditional model), and the metric node reads that row's predicted
class and probabilities (``ClassMetricRows``). Swapping the model's mechanism
then swaps the window its outputs are drawn from, given the same inputs.

Both the model's and the label's columns are classes, whatever their type
(digits 0-9 are classes, not magnitudes): ``diagnosis.classes.class_node_dtypes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import causal_rca.causal.dowhy_gcm  # noqa: F401  (before any dowhy import: see that module)
from dowhy.gcm.stochastic_models import EmpiricalDistribution
from dowhy.gcm.causal_mechanisms import ConditionalStochasticModel
from sklearn.neighbors import NearestNeighbors

from causal_rca.causal.attribution import PredictionMemo
from causal_rca.causal.encoding import UNSEEN, support_space, category_vocabulary
from causal_rca.causal.metric_graph import ROWS_NODE
from causal_rca.metrics import MetricSpec, encode_rows, metric_frame
from causal_rca.metrics.values import class_key

NEIGHBOURS = 5
SUPPORT_QUANTILE = 0.99  # a fitted row's distance to its nearest neighbour: beyond this, outside the rows seen
NEW_CLASS = "__class new in this window__"  # a label code the reference vocabulary lacks


class DonorRows(ConditionalStochasticModel):
    """The model node: the id of a fitted row whose inputs are among the ``NEIGHBOURS`` nearest.

    A window's rows say what its model outputs only near inputs it saw. An input farther from
    every fitted row than the fitted rows are from each other (beyond the ``SUPPORT_QUANTILE`` of
    their nearest-neighbour distances: a unit change, values out of the window's range) draws its
    donor from both windows' rows (``pooled``) instead: where one window has no evidence, the
    model is taken to behave as the other window shows, so that a model swap is only credited
    with what it changed where both windows have rows.
    """

    def __init__(self, categorical: np.ndarray, pooled: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.categorical = categorical
        self.pooled = pooled  # (parent values, row ids) of both windows' rows
        self._memo = PredictionMemo()

    def fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        self._memo = PredictionMemo()
        X = np.asarray(X, dtype=float)
        self._ids = np.asarray(Y, dtype=float).ravel()
        with np.errstate(all="ignore"):
            centre = np.nan_to_num(np.nanmedian(X, axis=0), nan=0.0)
            q75, q25 = np.nanpercentile(X, 75, axis=0), np.nanpercentile(X, 25, axis=0)
            sd = np.nanstd(X, axis=0)
        scale = (q75 - q25) / 1.349
        scale = np.nan_to_num(np.where(scale > 0, scale, np.where(sd > 0, sd, 1.0)), nan=1.0)
        self._centre, self._scale = centre, scale
        self._k = min(NEIGHBOURS, len(X))
        space = self._space(X)
        self._nn = NearestNeighbors(n_neighbors=self._k).fit(space)
        self._reach, self._pool = np.inf, None
        if self.pooled is not None and len(X) > 2:
            spacing = self._nn.kneighbors(space, n_neighbors=2)[0][:, 1]
            self._reach = float(np.quantile(spacing, SUPPORT_QUANTILE))
            pooled_x, pooled_ids = self.pooled
            k = min(NEIGHBOURS, len(pooled_x))
            self._pool = (NearestNeighbors(n_neighbors=k).fit(self._space(pooled_x)), np.asarray(pooled_ids, float))

    def _space(self, X: np.ndarray) -> np.ndarray:
        return support_space(np.asarray(X, dtype=float), self._centre, self._scale, self.categorical)

    def draw_samples(self, parent_samples: np.ndarray) -> np.ndarray:
        (candidates,) = self._memo.get(parent_samples, lambda: (self._candidates(parent_samples),))
        pick = np.random.randint(0, candidates.shape[1], size=len(candidates))
        return candidates[np.arange(len(candidates)), pick].reshape(-1, 1)

    def _candidates(self, parent_samples: np.ndarray) -> np.ndarray:
        """Per sampled input, the ids of its donor rows (own window, or both beyond its support)."""
        space = self._space(parent_samples)
        distance, near = self._nn.kneighbors(space)
        ids = self._ids[near]
        outside = distance[:, 0] > self._reach
        if self._pool is not None and outside.any():
            nn, pooled_ids = self._pool
            far = nn.kneighbors(space[outside], n_neighbors=self._k, return_distance=False)
            ids[outside] = pooled_ids[far]
        return ids

    def clone(self):
        return DonorRows(self.categorical, self.pooled)


@dataclass(frozen=True)
class ClassOutputs:
    """The logged output of every pooled sampled row (reference rows first), and how labels decode."""

    predictions: np.ndarray  # predicted class per pooled row (as logged)
    scores: pd.DataFrame | None  # the metric's probability columns per pooled row, when it reads them
    label_classes: np.ndarray  # label code -> class (the reference vocabulary)


class ClassMetricRows(ConditionalStochasticModel):
    """The row-level metric of a multi-class model: the drawn row's output against the sampled label."""

    def __init__(self, spec: MetricSpec, outputs: ClassOutputs, prediction_column: int) -> None:
        self.spec, self.outputs, self.prediction_column = spec, outputs, prediction_column

    def fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        return None

    def draw_samples(self, parent_samples: np.ndarray) -> np.ndarray:
        p = self.prediction_column
        rows = parent_samples[:, p].astype(np.int64)
        codes = parent_samples[:, 1 - p]
        known = ~np.isnan(codes) & (codes >= 0)
        labels = np.full(len(codes), None, dtype=object)
        labels[known] = self.outputs.label_classes[codes[known].astype(np.int64)]
        labels[codes == UNSEEN] = NEW_CLASS
        scores = None if self.outputs.scores is None else self.outputs.scores.iloc[rows].reset_index(drop=True)
        frame = metric_frame(self.spec, pd.Series(self.outputs.predictions[rows]), pd.Series(labels), scores=scores)
        return encode_rows(self.spec, frame).reshape(-1, 1)

    def clone(self):
        return ClassMetricRows(self.spec, self.outputs, self.prediction_column)


def class_mechanisms(spec: MetricSpec, prediction: str, target: str, categorical: frozenset[str],
                     outputs: ClassOutputs, pooled: pd.DataFrame | None = None) -> dict[str, Any]:
    """Mechanism factories (given the node's ordered parents) for ``attribution.attribute_change``.

    ``pooled``: both windows' encoded rows (the model column holding row ids), the donors of inputs
    outside a window's own rows."""

    def model(parents: list[str]):
        if not parents:
            return EmpiricalDistribution()
        rows = None if pooled is None else (pooled[parents].to_numpy(dtype=float),
                                            pooled[prediction].to_numpy(dtype=float))
        return DonorRows(np.array([p in categorical for p in parents]), rows)

    return {prediction: model, target: lambda parents: ClassMetricRows(spec, outputs, parents.index(prediction))}


def row_id_windows(reference: pd.DataFrame, current: pd.DataFrame, prediction: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The encoded windows with the model node's column holding each row's pooled id (reference first)."""
    n = len(reference)
    return (reference.assign(**{prediction: np.arange(n, dtype=float)}),
            current.assign(**{prediction: np.arange(n, n + len(current), dtype=float)}))


def class_outputs(reference: pd.DataFrame, current: pd.DataFrame, prediction: str, label: str,
                  scores: tuple[pd.DataFrame, pd.DataFrame] | None) -> ClassOutputs:
    """``reference``/``current``: the node samples; ``scores``: the metric's probability columns of the
    same rows (``metrics.inputs.score_columns`` names), when the metric reads them."""
    vocabulary = category_vocabulary(reference[label])
    classes = np.empty(len(vocabulary), dtype=object)
    for text, code in vocabulary.items():
        classes[code] = text
    predictions = np.concatenate([reference[prediction].to_numpy(dtype=object),
                                  current[prediction].to_numpy(dtype=object)])
    pooled = None if scores is None else pd.concat(list(scores), ignore_index=True)
    return ClassOutputs(predictions, pooled, classes)


def class_attribution_inputs(graph, metric_id: str, spec: MetricSpec, enc, samples: tuple[pd.DataFrame, pd.DataFrame],
                             windows, sample_rows: int, seed: int):
    """(reference, current, mechanisms) for ``attribute_change`` on a multi-class metric.

    ``samples``: the node samples of both windows (seeds ``seed`` and ``seed + 1``); the metric's
    probability columns are read for the very same rows (rows are picked by position).
    """
    from causal_rca.windows.stats import sample_frame, typed_expression

    prediction, label = graph.metric_inputs(metric_id)
    columns = dict(graph.nodes[prediction].scores or {})
    scores, output = None, samples
    if spec.needs_class_scores:
        exprs = {f"scores[{i}]": typed_expression(c, "numeric") for i, c in enumerate(columns.values())}
        scores = tuple(sample_frame(w, exprs, sample_rows, seed + i) for i, w in enumerate(windows))
    elif spec.name == "roc_auc":  # one class's roc_auc reads that class's probability as the model's output
        column = next(c for k, c in columns.items() if class_key(k) == class_key(spec.target_class))
        output = tuple(sample_frame(w, {prediction: typed_expression(column, "numeric")}, sample_rows, seed + i)
                       .assign(**{label: s[label].to_numpy()}) for i, (w, s) in enumerate(zip(windows, samples)))
    outputs = class_outputs(output[0], output[1], prediction, label, scores)
    ref, cur = row_id_windows(enc.reference, enc.current, prediction)
    pooled = pd.concat([ref, cur], ignore_index=True)
    return ref, cur, class_mechanisms(spec, prediction, ROWS_NODE, enc.categorical, outputs, pooled)
