"""How much of the metric's change each candidate explains (DoWhy gcm).

We follow ``gcm.distribution_change`` (Budhathoki et al., AISTATS 2021):
fit one structural causal model per window on the observed graph plus a
row-level metric node, give every non-candidate node one mechanism fitted on
both windows (it did not change), and attribute the change of the metric to
mechanism swaps with Shapley values. Three departures, for speed and for
ML logs: the Shapley players are only the candidate groups (not every node,
which is exponential); mechanisms are gradient-boosting models that accept
missing values, because nulls are the most common production fault; and only
the players and what they feed get a fitted mechanism. Every other node kept
its mechanism in both windows, so its values are drawn jointly as whole rows
of the pooled windows (a row-index root and one lookup per such node): the
joint distribution the fitted mechanisms would approximate, read off the data,
and no fit at all for the hundreds of upstream nodes of a large graph.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

import networkx as nx
import numpy as np
import pandas as pd

import causal_rca.causal.dowhy_gcm  # noqa: F401  (before any dowhy import: see that module)
import dowhy.gcm.config as gcm_config
from dowhy.gcm.causal_models import ProbabilisticCausalModel
from dowhy.gcm.stochastic_models import EmpiricalDistribution
from dowhy.gcm.causal_mechanisms import ConditionalStochasticModel
from dowhy.gcm.fitting_sampling import draw_samples
from dowhy.gcm.causal_models import PARENTS_DURING_FIT
from dowhy.graph import get_ordered_predecessors
from dowhy.gcm.shapley import ShapleyApproximationMethods, ShapleyConfig, estimate_shapley_values
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from causal_rca.causal.fitting import TREE_LEAVES, trainable
from causal_rca.causal.mechanism_fits import FitKey, column_digests, fit_key, is_line, linear_surrogate
from causal_rca.causal.metric_graph import ROWS_NODE, attribution_graph  # noqa: F401 (imported from here too)
from causal_rca.causal.workers import run_calls, worker_count
from causal_rca.metrics import MetricSpec, encode_rows, metric_from_encoded

NUM_SAMPLES = 6000
MAX_PLAYERS = 6
# Rows each fitted mechanism learns from (a seeded sample beyond this): attribution needs the
# mechanisms' shape, which a few thousand rows give; boosting time grows with rows.
FIT_ROWS = 5000
_NULL_CLASS = -2.0


class PredictionMemo:
    """Predictions of one fitted mechanism, keyed by the parent samples' bytes.

    Every Shapley subset is sampled with the same random numbers, so a node that no swapped
    mechanism feeds sees the very same parent samples in every subset: its predictions (the
    expensive part of sampling) are computed once. Random draws still happen per call, so
    the samples are exactly what they would be without the memo.
    """

    def __init__(self) -> None:
        self._store: dict[bytes, tuple] = {}

    def get(self, parent_samples: np.ndarray, compute) -> tuple:
        key = hashlib.blake2b(np.ascontiguousarray(parent_samples).tobytes(), digest_size=16).digest()
        if key not in self._store:
            self._store[key] = compute()
        return self._store[key]


class NullableRegressor(ConditionalStochasticModel):
    """Numeric node: P(missing | parents) and value = f(parents) + empirical residual.

    f is a line where the rows show no curvature (``mechanism_fits.is_line``), else boosting:
    at 2,000 nodes a skew reaches about 1,200 nodes on its way to the metric, all fitted."""

    def __init__(self, seed: int = 0, parent_categorical: tuple[bool, ...] = ()) -> None:
        self.seed = seed
        self.parent_categorical = parent_categorical  # which parents are category codes, in gcm's order
        self._memo = PredictionMemo()

    def fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        self._memo = PredictionMemo()
        y = np.asarray(Y, dtype=float).ravel()
        nulls = np.isnan(y)
        self._null_rate = float(nulls.mean()) if len(y) else 0.0
        self._null_model = None
        if 20 <= nulls.sum() <= len(y) - 20:
            self._null_model = HistGradientBoostingClassifier(max_iter=15, learning_rate=0.2, max_leaf_nodes=TREE_LEAVES, random_state=self.seed).fit(trainable(X), nulls)
        ok = ~nulls
        self._constant = None
        self._model = None
        if ok.sum() == 0:
            self._constant, self._residuals = np.nan, np.zeros(1)
        elif ok.sum() < 20 or np.ptp(y[ok]) == 0:
            self._constant, self._residuals = float(np.median(y[ok])), y[ok] - np.median(y[ok])
        else:
            self._model = linear_surrogate(X[ok], y[ok])
            kinds = np.zeros(X.shape[1], dtype=bool)
            kinds[:len(self.parent_categorical)] = self.parent_categorical
            if not is_line(self._model, X[ok], y[ok], kinds):
                self._model = HistGradientBoostingRegressor(max_iter=30, learning_rate=0.2, max_leaf_nodes=TREE_LEAVES, random_state=self.seed).fit(trainable(X[ok]), y[ok])
            self._residuals = y[ok] - self._model.predict(X[ok])

    def draw_samples(self, parent_samples: np.ndarray) -> np.ndarray:
        n = parent_samples.shape[0]
        base, p_null = self._memo.get(parent_samples, lambda: (
            np.full(n, self._constant) if self._model is None else self._model.predict(parent_samples),
            self._null_model.predict_proba(parent_samples)[:, 1] if self._null_model else self._null_rate))
        values = base + self._residuals[np.random.randint(0, len(self._residuals), size=n)]
        values[np.random.random_sample(n) < p_null] = np.nan
        return values.reshape(-1, 1)

    def clone(self):
        return NullableRegressor(self.seed, self.parent_categorical)


class CategorySampler(ConditionalStochasticModel):
    """Categorical node (codes): sample from P(code | parents); missing is a class of its own."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._memo = PredictionMemo()

    def fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        self._memo = PredictionMemo()
        y = np.asarray(Y, dtype=float).ravel()
        y = np.where(np.isnan(y), _NULL_CLASS, y)
        self._classes, counts = np.unique(y, return_counts=True)
        self._prior = counts / counts.sum()
        self._model = None
        if len(self._classes) > 1 and len(y) >= 20:
            self._model = HistGradientBoostingClassifier(max_iter=20, learning_rate=0.2, max_leaf_nodes=TREE_LEAVES, random_state=self.seed).fit(trainable(X), y)
            self._classes = self._model.classes_

    def draw_samples(self, parent_samples: np.ndarray) -> np.ndarray:
        n = parent_samples.shape[0]
        if self._model is None:
            proba = np.tile(self._prior, (n, 1))
        else:
            (proba,) = self._memo.get(parent_samples, lambda: (self._model.predict_proba(parent_samples),))
        u = np.random.random_sample((n, 1))
        idx = np.minimum((proba.cumsum(axis=1) < u).sum(axis=1), len(self._classes) - 1)
        out = self._classes[idx].astype(float)
        out[out == _NULL_CLASS] = np.nan
        return out.reshape(-1, 1)

    def clone(self):
        return CategorySampler(self.seed)


class MetricRows(ConditionalStochasticModel):
    """The row-level metric: a fixed function of (prediction, label), never refitted.

    For classification the label arrives already encoded as "is positive"
    (1.0/0.0), so the positive class here is 1 whatever the user's is.
    """

    def __init__(self, spec: MetricSpec, prediction_column: int = 0) -> None:
        self.spec = spec if spec.name in ("mae", "rmse", "mean") else replace(spec, positive=1)
        # gcm hands parents over in its own (sorted) order: say which column is the prediction.
        self.prediction_column = prediction_column

    def fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        return None

    def draw_samples(self, parent_samples: np.ndarray) -> np.ndarray:
        p = self.prediction_column
        frame = pd.DataFrame({"prediction": parent_samples[:, p], "label": parent_samples[:, 1 - p]})
        return encode_rows(self.spec, frame).reshape(-1, 1)

    def clone(self):
        return MetricRows(self.spec, self.prediction_column)


class PooledRowValue(ConditionalStochasticModel):
    """A node no player feeds: its value in the pooled row its only parent (the row index) names."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values

    def fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        return None

    def draw_samples(self, parent_samples: np.ndarray) -> np.ndarray:
        return self.values[parent_samples[:, 0].astype(np.int64)].reshape(-1, 1)

    def clone(self):
        return PooledRowValue(self.values)


POOLED_ROW = "__pooled_row__"


def causal_model(graph: nx.DiGraph) -> ProbabilisticCausalModel:
    """``ProbabilisticCausalModel(graph)`` without the import its constructor makes.

    For a networkx graph the constructor only stores it, but first imports
    ``dowhy.causal_model`` to recognise DoWhy's older graph types ("remove after
    py-why/dowhy#943", DoWhy 0.14): sympy and statsmodels' formula layer, 0.55 s of a small
    diagnosis. ``tests/test_attribution.py`` checks the result equals the constructor's.
    """
    model = ProbabilisticCausalModel.__new__(ProbabilisticCausalModel)
    model.graph, model.graph_copier = graph, nx.DiGraph
    return model


def _swap_graph(graph: nx.DiGraph, changed: set[str]) -> tuple[nx.DiGraph, list[str]]:
    """The graph the swaps are sampled on: the changed nodes (and the target) with their
    descendants keep their parents; the nodes outside that set which feed it hang from one
    row-index root instead, and the rest is left out (it reaches the target only through them).

    Returns the graph and those row-drawn nodes."""
    affected = set(changed).union(*(nx.descendants(graph, n) for n in changed))
    inputs = sorted({p for n in affected for p in graph.predecessors(n)} - affected)
    g = nx.DiGraph()  # built in name order: gcm samples in the graph's order, which must not depend on hashing
    g.add_nodes_from(sorted(affected))
    g.add_nodes_from([POOLED_ROW] if inputs else [])
    g.add_nodes_from(inputs)
    g.add_edges_from((p, n) for n in sorted(affected) for p in graph.predecessors(n))
    g.add_edges_from((POOLED_ROW, n) for n in inputs)
    return g, inputs


@dataclass(frozen=True)
class Attribution:
    contributions: dict[str, float]  # player name -> share of the change it explains (metric units)
    modelled_change: float  # change of the metric between the two fitted models
    players: tuple[str, ...]


def _mechanism(node: str, graph: nx.DiGraph, categorical: frozenset[str], seed: int):
    if graph.in_degree(node) == 0:
        return EmpiricalDistribution()
    if node in categorical:
        return CategorySampler(seed)
    return NullableRegressor(seed, tuple(p in categorical for p in get_ordered_predecessors(graph, node)))


def _fit_rows(node: str, parents: list[str], data: pd.DataFrame, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """What a non-root mechanism learns from: (parents, node) on at most ``FIT_ROWS`` seeded rows.

    The columns are taken before the rows: the rows drawn depend only on the row count and the
    seed, and drawing them from every node's column cost 0.1 s per fit at 500 nodes."""
    data = data[[*parents, node]]
    if len(data) > FIT_ROWS:
        data = data.sample(n=FIT_ROWS, random_state=seed % (2**32))
    return data[parents].to_numpy(dtype=float), data[node].to_numpy(dtype=float)


def _fitted(mechanism, X: np.ndarray, y: np.ndarray):
    mechanism.fit(X, y)
    return mechanism


ReferenceMechanisms = Mapping[FitKey, Any]  # reference_key -> a fitted mechanism, read-only


def _node_seeds(graph: nx.DiGraph, seed: int) -> dict[str, int]:
    """Each node's mechanism seed: by name order, so it does not depend on which nodes are players."""
    return {node: seed + i for i, node in enumerate(sorted(graph.nodes))}


def reference_key(node: str, parents: list[str], categorical: frozenset[str], seed: int,
                  reference: pd.DataFrame) -> FitKey:
    """What a mechanism fitted on the reference reads: the node, its parents, their kinds, its seed
    and the bytes of those columns (``mechanism_fits.fit_key``, the mechanism tests' key)."""
    return fit_key(node, tuple(parents), categorical, seed, column_digests(reference[[node, *parents]]))


def reference_mechanisms(graph: nx.DiGraph, reference: pd.DataFrame, categorical: frozenset[str], seed: int,
                         jobs: int | None = None) -> dict[FitKey, Any]:
    """The mechanism ``attribute_change`` fits on the reference for a player's node, for every node
    that could be one (each node of the metric's graph with parents and a column), keyed by
    ``reference_key``: a fitted model learns them once (``CausalRCA.fit``) and each diagnosis looks its
    players' up; a key that does not match (the encoded reference differs) is fitted as before."""
    seeds = _node_seeds(graph, seed)
    nodes = [n for n in sorted(graph.nodes) if graph.in_degree(n) and n in reference]
    parents = {n: get_ordered_predecessors(graph, n) for n in nodes}
    calls = (((_mechanism(n, graph, categorical, seeds[n]), *_fit_rows(n, parents[n], reference, seeds[n])), {})
             for n in nodes)
    done = run_calls(_fitted, calls, worker_count(len(nodes), jobs))
    return {reference_key(n, parents[n], categorical, seeds[n], reference): m for n, m in zip(nodes, done)}


def _unshared(mechanism):
    """A fitted mechanism kept by the fit, with a memo of its own: the memo is exact, but a
    diagnosis must not grow the fitted object's memory."""
    out = copy.copy(mechanism)
    out._memo = PredictionMemo()
    return out


def _fit_all(model_jobs: list[tuple[ProbabilisticCausalModel, str, pd.DataFrame, int]], jobs: int | None) -> None:
    """Fit every listed (model, node, data, seed), the non-root ones on worker processes when many.

    The fits are independent and single-threaded, so the mechanisms are the
    same wherever they are fitted (``workers.worker_count`` decides how many).
    """
    learned = []
    for model, node, data, seed in model_jobs:
        parents = get_ordered_predecessors(model.graph, node)
        model.graph.nodes[node][PARENTS_DURING_FIT] = parents
        if parents:
            learned.append((model, node, parents, data, seed))
        else:
            model.causal_mechanism(node).fit(data[node].to_numpy(dtype=float))
    # The rows of a fit are drawn when it is dispatched, not all at once.
    calls = (((model.causal_mechanism(node), *_fit_rows(node, parents, data, seed)), {})
             for model, node, parents, data, seed in learned)
    done = run_calls(_fitted, calls, worker_count(len(learned), jobs))
    for (model, node, _parents, _data, _seed), mechanism in zip(learned, done):
        model.set_causal_mechanism(node, mechanism)


def attribute_change(
    graph: nx.DiGraph,
    target: str,
    spec: MetricSpec,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    players: dict[str, list[str]],
    categorical: frozenset[str],
    seed: int,
    rows_target: bool = True,
    prediction: str | None = None,
    jobs: int | None = None,
    mechanisms: dict[str, Callable[[list[str]], Any]] | None = None,
    fitted: ReferenceMechanisms | None = None,
) -> Attribution:
    """Shapley attribution of the metric change to mechanism swaps of the player groups.

    ``players`` maps a player name (a node, or an unobserved node standing
    for its children) to the observed nodes whose mechanisms it swaps.
    ``mechanisms``: per node, a factory of its mechanism given its ordered parents, in place of
    the default (a multi-class model's output and metric: causal/class_outputs.py).
    ``fitted``: reference mechanisms fitted beforehand (``reference_mechanisms``), used where their key matches.
    """
    names = list(players)[:MAX_PLAYERS]
    changed = {n for name in names for n in players[name] if n in graph}
    seeds = _node_seeds(graph, seed)
    graph, row_drawn = _swap_graph(graph, changed | {target})
    old = causal_model(graph.copy())
    new = causal_model(graph.copy())
    pooled = pd.concat([reference, current], ignore_index=True)
    to_fit, shared = [], []
    if row_drawn:
        shared += [POOLED_ROW, *row_drawn]
        old.set_causal_mechanism(POOLED_ROW, EmpiricalDistribution())
        to_fit.append((old, POOLED_ROW, pd.DataFrame({POOLED_ROW: np.arange(len(pooled), dtype=float)}), seed))
        for node in row_drawn:
            old.set_causal_mechanism(node, PooledRowValue(pooled[node].to_numpy(dtype=float)))
            old.graph.nodes[node][PARENTS_DURING_FIT] = [POOLED_ROW]
    custom = mechanisms or {}
    for node in sorted(set(graph.nodes) - {POOLED_ROW, *row_drawn}):
        parents = get_ordered_predecessors(graph, node)
        if node == target and rows_target:
            for m in (old, new):
                m.set_causal_mechanism(node, custom[node](parents) if node in custom
                                       else MetricRows(spec, parents.index(prediction)))
                m.graph.nodes[node][PARENTS_DURING_FIT] = parents
            continue
        for m in (old, new):
            m.set_causal_mechanism(node, custom[node](parents) if node in custom
                                   else _mechanism(node, graph, categorical, seeds[node]))
        if node in changed:
            kept = None
            if fitted and node not in custom and parents:
                kept = fitted.get(reference_key(node, parents, categorical, seeds[node], reference))
            if kept is None:
                to_fit.append((old, node, reference, seeds[node]))
            else:
                old.set_causal_mechanism(node, _unshared(kept))
                old.graph.nodes[node][PARENTS_DURING_FIT] = parents
            to_fit.append((new, node, current, seeds[node]))
        else:
            to_fit.append((old, node, pooled, seeds[node]))
            shared.append(node)
    _fit_all(to_fit, jobs)
    for node in shared:  # one mechanism fitted on both windows: it did not change
        new.set_causal_mechanism(node, old.causal_mechanism(node))
        new.graph.nodes[node][PARENTS_DURING_FIT] = old.graph.nodes[node][PARENTS_DURING_FIT]

    def metric_of(model: ProbabilisticCausalModel) -> float:
        np.random.seed(seed)  # gcm samples from NumPy's global generator: common random numbers per subset
        return metric_from_encoded(spec, draw_samples(model, NUM_SAMPLES)[target].to_numpy(dtype=float))

    gcm_config.disable_progress_bars()  # our progress goes to stderr through the CLI, not tqdm
    state = np.random.get_state()
    try:
        base = metric_of(old)
        evaluated: dict[tuple[bool, ...], float] = {}

        def set_function(subset: np.ndarray) -> float:
            if not np.any(subset):
                return 0.0
            key = tuple(bool(v) for v in subset)
            if key not in evaluated:
                evaluated[key] = _swapped_change(subset)
            return evaluated[key]

        def _swapped_change(subset: np.ndarray) -> float:
            mixed = causal_model(graph.copy())
            swap = {n for k, name in enumerate(names) if subset[k] for n in players[name]}
            for node in graph.nodes:
                source = new if node in swap else old
                mixed.set_causal_mechanism(node, source.causal_mechanism(node))
                mixed.graph.nodes[node][PARENTS_DURING_FIT] = source.graph.nodes[node][PARENTS_DURING_FIT]
            return metric_of(mixed) - base

        if not names:
            return Attribution({}, 0.0, ())
        config = ShapleyConfig(approximation_method=ShapleyApproximationMethods.EXACT, n_jobs=1)
        values = estimate_shapley_values(set_function, len(names), config)
        full = set_function(np.ones(len(names)))
    finally:
        np.random.set_state(state)
    return Attribution({name: float(v) for name, v in zip(names, values)}, float(full), tuple(names))
