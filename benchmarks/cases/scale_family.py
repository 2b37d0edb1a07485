"""Pipelines of any size with one known fault, written straight to Parquet: the scale benchmark's inputs.

``random_family`` draws realistic pipelines of 6–40 nodes and holds them in
memory; measuring cost at 500 nodes or at 10 million rows needs graphs of any
size and windows written in chunks (a 10M × 50 window is 4 GB of doubles).
This family is deliberately plain — linear features of one to three parents,
a logistic model, a label drawn from the model's own logit — so its cost is
the engine's, not the generator's. The fault: one model input served missing
(null) in 30% of current rows, which the model scores as 0 (a dropped join
whose nulls the serving code fills). The truth is that node, ``missing_values``.

Which input is the fault is decided on a pilot draw: the one whose loss costs
recall most. Losing an input does not always lower recall at a fixed threshold
(an input that mostly corrects the others, or one the others already carry,
leaves it where it was or raises it); the input with the largest weight, the
rule before, moved recall by +0.006 at 200 nodes and −0.007 at 2,000 (100k
rows: within the two windows' noise), so the engine rightly named no cause
there: there was no change to explain.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK_ROWS = 500_000
CATEGORIES = ("web", "app", "store", "partner", "call")
FAULT_SHARE = 0.3
PILOT_ROWS = 20_000


@dataclass(frozen=True)
class ScaleNode:
    name: str
    kind: str  # source, feature
    parents: tuple[str, ...]
    weights: tuple[float, ...]
    categorical: bool = False


@dataclass(frozen=True)
class ScalePipeline:
    """A pipeline of ``nodes`` nodes (sources, features, model, label, metric) and its fault."""

    nodes: tuple[ScaleNode, ...]
    model_inputs: tuple[str, ...]
    model_weights: tuple[float, ...]
    fault: str
    seed: int

    def graph(self) -> dict:
        """The lineage graph as the YAML loader's dict."""
        nodes: dict[str, dict] = {}
        for n in self.nodes:
            nodes[n.name] = {"kind": n.kind, "column": n.name}
            if n.parents:
                nodes[n.name]["parents"] = list(n.parents)
        nodes["model"] = {"kind": "model", "parents": list(self.model_inputs), "column": "score"}
        nodes["label"] = {"kind": "label", "parents": list(self.model_inputs), "column": "label"}
        nodes["recall"] = {"kind": "metric", "parents": ["model", "label"], "metric": "recall"}
        return {"version": 1, "name": f"scale-{len(nodes)}", "nodes": nodes}


def scale_pipeline(n_nodes: int, seed: int) -> ScalePipeline:
    """A layered pipeline of exactly ``n_nodes`` nodes (at least 8) with one faulty model input."""
    if n_nodes < 8:
        raise ValueError("a scale pipeline needs at least 8 nodes")
    rng = np.random.default_rng(seed)
    n_data = n_nodes - 3  # model, label, metric
    n_src = max(3, n_data // 4)
    nodes: list[ScaleNode] = []
    for i in range(n_src):
        nodes.append(ScaleNode(f"src_{i}", "source", (), (), categorical=(i % 5 == 4)))
    for i in range(n_data - n_src):
        pool = [n.name for n in nodes[-min(len(nodes), 12):]]  # recent nodes: a deep, local pipeline
        k = int(rng.integers(1, 4))
        parents = tuple(str(q) for q in rng.choice(pool, size=min(k, len(pool)), replace=False))
        weights = tuple(float(w) for w in rng.choice([-1, 1], len(parents)) * rng.uniform(0.5, 1.5, len(parents)))
        nodes.append(ScaleNode(f"feat_{i}", "feature", parents, weights))
    features = [n.name for n in nodes if n.kind == "feature"]
    picked = rng.choice(features, size=min(6, len(features)), replace=False)
    inputs = tuple(str(x) for x in picked)
    weights = tuple(float(w) for w in rng.uniform(0.8, 1.6, len(inputs)) * rng.choice([-1, 1], len(inputs)))
    unfaulted = ScalePipeline(tuple(nodes), inputs, weights, inputs[0], seed)
    return ScalePipeline(tuple(nodes), inputs, weights, costliest_input(unfaulted), seed)


def costliest_input(p: ScalePipeline, rows: int = PILOT_ROWS) -> str:
    """The model input whose loss (``FAULT_SHARE`` of rows served as 0) lowers recall most, on a pilot draw.

    The same rows are scored with and without each input's loss, so the comparison carries no window noise.
    """
    _, numeric = _features(p, np.random.default_rng([p.seed, 0]), rows)
    label, served = _label(p, np.random.default_rng([p.seed, 0, 1]), numeric, rows)
    lost = np.random.default_rng([p.seed, 0, 2]).random(rows) < FAULT_SHARE
    positives = label == 1

    def recall_without(fault: str) -> float:
        scores = _score(p, {q: np.where(lost, 0.0, x) if q == fault else x for q, x in served.items()})
        return float((scores[positives] >= 0.5).mean())

    return min(p.model_inputs, key=recall_without)


def _features(p: ScalePipeline, rng: np.random.Generator, n: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(stored values, numeric values) of the sources and features."""
    values: dict[str, np.ndarray] = {}
    effects = np.linspace(-1.0, 1.0, len(CATEGORIES))
    numeric: dict[str, np.ndarray] = {}
    for node in p.nodes:
        if node.kind == "source":
            if node.categorical:
                codes = rng.choice(len(CATEGORIES), size=n, p=[0.4, 0.25, 0.15, 0.12, 0.08])
                values[node.name] = np.asarray(CATEGORIES, dtype=object)[codes]
                numeric[node.name] = effects[codes]
            else:
                values[node.name] = numeric[node.name] = rng.normal(0.0, 1.0, n)
            continue
        x = sum(w * numeric[q] for q, w in zip(node.parents, node.weights))
        x = x / np.sqrt(sum(w * w for w in node.weights)) + rng.normal(0.0, 0.1, n)
        values[node.name] = numeric[node.name] = x
    return values, numeric


def _label(p: ScalePipeline, rng: np.random.Generator, numeric: dict[str, np.ndarray],
           n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(labels drawn from the model's own logit, the model's inputs as served before any fault)."""
    served = {q: numeric[q] for q in p.model_inputs}
    label = (rng.random(n) < _score(p, served)).astype(np.int64)
    return label, served


def _score(p: ScalePipeline, served: dict[str, np.ndarray]) -> np.ndarray:
    logit = sum(w * served[q] for q, w in zip(p.model_inputs, p.model_weights)) / np.sqrt(len(p.model_inputs))
    return 1.0 / (1.0 + np.exp(-(1.5 * logit - 0.5)))


def _chunk(p: ScalePipeline, rng: np.random.Generator, n: int, faulty: bool) -> dict[str, np.ndarray]:
    values, numeric = _features(p, rng, n)
    label, served = _label(p, rng, numeric, n)
    if faulty:
        lost = rng.random(n) < FAULT_SHARE
        values[p.fault] = np.where(lost, np.nan, values[p.fault])
        served[p.fault] = np.where(lost, 0.0, served[p.fault])
    values["score"] = _score(p, served)
    values["label"] = label
    return values


def write_window(p: ScalePipeline, rows: int, path: str | Path, *, faulty: bool, window_seed: int) -> Path:
    """Write one window of ``rows`` rows to ``path`` (Parquet, row groups of ``CHUNK_ROWS``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    try:
        for start in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - start)
            rng = np.random.default_rng([p.seed, window_seed, start // CHUNK_ROWS])
            table = pa.table(_chunk(p, rng, n, faulty))
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return path
