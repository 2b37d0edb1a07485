"""A faulty window made from real reference rows: the fault injected, carried down, the model re-run.

A fault at a source changes nothing downstream unless the pipeline recomputes
what reads it. The replay machinery (``model/replay_propagate.py``) already carries a
changed node down the graph to the model's inputs, keeping each descendant's
own row noise (abduction); here it carries an *injected* change instead of a
reverted one. The model's score is then recomputed: with the artifact
(``artifact`` on the model node) by running the real model, without it by the
model's fitted mechanism (scores ~ inputs, learned on the reference rows),
added to each row's logged score as a difference so rows the fault did not
touch keep their exact score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from causal_rca.errors import InputError
from causal_rca.lineage import LineageGraph
from causal_rca.metrics import MetricComparison, MetricSpec, compare_windows, metric_frame
from causal_rca.metrics.target import metric_to_explain, resolve_metric
from causal_rca.model.inputs import model_inputs, model_node_of, scores_of
from causal_rca.model.replay import model_surrogate
from causal_rca.model.replay_context import ReplayContext
from causal_rca.model.replay_propagate import propagate
from causal_rca.model.review import load_model
from causal_rca.prevention.faults import Injected, inject
from causal_rca.windows.frames import as_node_types, resolve_dtypes
from causal_rca.windows.tables import TableLike, open_table

#: Reference rows a risk analysis or a drill reads by default (a seeded sample, in time order).
DEFAULT_ROWS = 4000


@dataclass(frozen=True)
class Setup:
    """The reference rows and everything needed to break them and score the result."""

    graph: LineageGraph
    metric: str
    spec: MetricSpec
    dtypes: dict[str, str]
    rows: pd.DataFrame  # column-keyed, as stored, time-ordered
    nodes: pd.DataFrame  # the same rows, node-keyed and typed
    model_node: str
    label_node: str | None
    inputs: tuple[str, ...]
    score: Callable[[pd.DataFrame], np.ndarray] | None  # the artifact on node-keyed rows, when there is one
    seed: int
    context: ReplayContext  # the replay's view of the rows; it caches the mechanisms fitted on them

    @property
    def scored_by(self) -> str:
        return "the model artifact (replayed)" if self.score is not None else "the model's fitted mechanism"


def node_frame(graph: LineageGraph, dtypes: dict[str, str], rows: pd.DataFrame) -> pd.DataFrame:
    """Column-keyed rows as the node-keyed, typed frame the statistics read."""
    return as_node_types(pd.DataFrame({n: rows[graph.nodes[n].column].to_numpy() for n in dtypes},
                                      index=rows.index), dtypes)


def _read_rows(graph: LineageGraph, table: TableLike, label: str, rows: int, seed: int):
    window = open_table(graph, table, label)
    frame = window.backend.execute(window.table)
    if len(frame) > rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(frame), size=rows, replace=False))
        frame = frame.iloc[keep]
    if graph.time_column:
        frame = frame.sort_values(graph.time_column, kind="stable")
    return window, frame.reset_index(drop=True)


def prepare(graph: LineageGraph | str, reference: TableLike, metric: str | None = None, *, rows: int = DEFAULT_ROWS,
            seed: int = 0, trust_model: bool = False) -> Setup:
    """Read ``rows`` seeded reference rows and the model (artifact or fitted mechanism) of ``metric``."""
    graph, metric = metric_to_explain(graph, metric)
    spec = resolve_metric(graph, metric).spec
    if rows < 200:
        raise InputError("--rows must be at least 200")
    model_node = model_node_of(graph, metric)
    if model_node is None or spec.name == "mean":
        raise InputError(f"metric '{metric}' is not computed from a model's predictions: faults are carried down "
                         f"to a model's score, so risk and drill need a model metric")
    artifact = load_model(graph, metric, trust=trust_model, golden=None)
    window, frame = _read_rows(graph, reference, "reference", rows, seed)
    spec = resolve_metric(graph, metric, window).spec
    dtypes = resolve_dtypes(graph, window)
    if dtypes.get(model_node) != "numeric":
        raise InputError(f"model node '{model_node}' holds classes, not scores: faults are carried down to a "
                         f"numeric score (a binary classifier or a regression)")
    _prediction, label = graph.metric_inputs(metric)
    inputs = model_inputs(graph, model_node)
    score = None
    if artifact is not None:
        score = lambda values: scores_of(artifact.score, graph, inputs, values)  # noqa: E731
    nodes = node_frame(graph, dtypes, frame)
    # The "current" rows of a replay are the observed ones abduction reads: here the clean reference rows.
    ctx = ReplayContext(graph, spec, dtypes, nodes, nodes, model_node, label, inputs,
                        score or (lambda f: np.zeros(len(f))), 0.0, (0.0, 0.0), seed)
    return Setup(graph, metric, spec, dtypes, frame, nodes, model_node, label, inputs, score, seed, ctx)


def metric_change(setup: Setup, faulty: pd.DataFrame, seed: int) -> MetricComparison:
    """The metric on the reference rows against the faulty rows (with the windows' intervals and test)."""
    pred, label = setup.graph.nodes[setup.model_node].column, setup.graph.nodes[setup.label_node].column
    frames = [metric_frame(setup.spec, f[pred], f[label]) for f in (setup.rows, faulty)]
    return compare_windows(setup.spec, frames[0], frames[1], seed)


def _rescore(setup: Setup, clean: pd.DataFrame, faulty: pd.DataFrame) -> np.ndarray:
    logged = clean[setup.model_node].to_numpy(dtype=float)
    if setup.score is not None:
        new = np.asarray(setup.score(faulty), dtype=float)
    else:
        surrogate = model_surrogate(setup.context, setup.seed)
        new = logged + surrogate(faulty) - surrogate(clean)
    if setup.spec.is_classification:
        new = np.clip(new, 0.0, 1.0)
    moved = np.zeros(len(clean), dtype=bool)
    for n in setup.inputs:
        a, b = clean[n], faulty[n]
        if setup.dtypes[n] in ("numeric", "boolean", "datetime"):
            moved |= ~np.isclose(np.nan_to_num(a.to_numpy(float), nan=-9e9), np.nan_to_num(b.to_numpy(float), nan=-9e9))
        else:
            moved |= (a.astype(str) != b.astype(str)).to_numpy()
    return np.where(moved, np.round(new, 6), logged)


def faulty_window(setup: Setup, node: str, mode: str, strength: float, seed: int) -> tuple[pd.DataFrame, Injected]:
    """The reference rows with ``mode`` injected at ``node``, downstream recomputed, the model re-run."""
    if node not in setup.graph.nodes:
        raise InputError(f"no node '{node}' to break in graph '{setup.graph.name}' (nodes: "
                         f"{', '.join(setup.graph.nodes)})")
    rng = np.random.default_rng(seed)
    injected = inject(setup.graph, setup.rows, node, mode, strength, rng, setup.dtypes.get(node))
    out = injected.frame.copy()
    if not injected.changed:
        return out, injected
    typed = node_frame(setup.graph, setup.dtypes, out)
    with threadpool_limits(limits=1, user_api="openmp"):  # small fits: one thread, as the engine does
        carried = propagate(setup.context, typed.copy(), set(injected.changed), rng, setup.seed)
        scores = _rescore(setup, setup.nodes, carried)
    for n in setup.dtypes:
        if n in injected.changed or n == setup.model_node:
            continue
        if not carried[n].equals(typed[n]):
            out[setup.graph.nodes[n].column] = carried[n].to_numpy()
    out[setup.graph.nodes[setup.model_node].column] = scores
    return out, injected
