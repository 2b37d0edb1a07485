"""Pipelines of any size with one known fault, written straight to Parquet: the scale benchmark's inputs.

``random_family`` draws realistic pipelines of 6–40 nodes and holds them in
memory; measuring cost at 500 nodes or at 10 million rows needs graphs of any
size and windows written in chunks (a 10M × 50 window is 4 GB of doubles).
This family is deliberately plain — linear features of one to three parents,
a logistic model, a label drawn from the model's own logit of the inputs'
true values (its graph parents: the sources those values come from) — so its
cost is the engine's, not the generator's. The fault: one model input served missing
(null) in 30% of current rows, which the model scores as 0 (a dropped join
whose nulls the serving code fills). The truth is that node, ``missing_values``.

Nulls are found from counts alone, so two harder faults time the mechanism
tests and the attribution (``FAULTS``):

- ``skew``: a feature three layers above the model (``skew_candidates``: it
  reaches the model through another feature and a model input) is computed
  differently at serving: one parent's term enters
  with the opposite sign (training and serving code disagree on a sign
  convention). Its marginal barely moves (its parents are centred); its
  relation to its parents does, and every node below it follows. Truth: that
  feature, ``pipeline_skew``. Three layers above the model rather than three
  below a source: in this family a model input lies 27–374 layers below the
  sources at 500–2,000 nodes, where a fault three layers below a source is
  diluted to nothing before it reaches the model.
- ``concept``: the label's relation to the model inputs changes, inputs and
  scores unchanged: the label is drawn with one input's deviation from its
  mean reversed (about its mean, so the base rate stays: a moved base rate
  would be ``label_shift``). Truth: ``label``, ``concept_drift``.

The skewed feature and term, and the input a concept change reverses, are
chosen like the nulls' input: the one that lowers recall most on a pilot draw.

Which input is the fault is decided on a pilot draw: the one whose loss costs
recall most. Losing an input does not always lower recall at a fixed threshold
(an input that mostly corrects the others, or one the others already carry,
leaves it where it was or raises it); the input with the largest weight, the
rule before, moved recall by +0.006 at 200 nodes and −0.007 at 2,000 (100k
rows: within the two windows' noise), so the engine rightly named no cause
there: there was no change to explain.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK_ROWS = 500_000
CATEGORIES = ("web", "app", "store", "partner", "call")
CATEGORY_SHARES = (0.4, 0.25, 0.15, 0.12, 0.08)
FAULT_SHARE = 0.3
PILOT_ROWS = 20_000
# fault kind: the failure mode the engine should name
FAULTS = {"nulls": "missing_values", "skew": "pipeline_skew", "concept": "concept_drift"}


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
    fault: str  # the faulty node
    seed: int
    kind: str = "nulls"  # one of FAULTS
    detail: str = ""  # skew: the parent whose term is reversed; concept: the input whose weight is reversed

    @property
    def truth(self) -> str:
        """``node/failure_mode`` as a diagnosis names its top cause."""
        return f"{self.fault}/{FAULTS[self.kind]}"

    @property
    def label_parents(self) -> tuple[str, ...]:
        """The sources the model inputs' true values are computed from, in pipeline order.

        The label is drawn from the inputs' *true* values (``_truly``), which a skew does not change,
        so its graph parents are where those values come from, as ``random_family``'s label hangs
        from sources. With the served model inputs as its parents, a skew above them changed
        P(label | parents) too and the engine rightly blamed the label (docs/scale.md). The
        features' own noise is part of the true values: P(label | sources) keeps it as noise that
        no fault changes. A local pipeline (parents among the 12 latest nodes) has at most a dozen."""
        parents = {n.name: n.parents for n in self.nodes}
        above, stack = set(), list(self.model_inputs)
        while stack:
            for q in parents[stack.pop()]:
                if q not in above:
                    above.add(q)
                    stack.append(q)
        return tuple(n.name for n in self.nodes if n.kind == "source" and n.name in above)

    def graph(self) -> dict:
        """The lineage graph as the YAML loader's dict."""
        nodes: dict[str, dict] = {}
        for n in self.nodes:
            nodes[n.name] = {"kind": n.kind, "column": n.name}
            if n.parents:
                nodes[n.name]["parents"] = list(n.parents)
        nodes["model"] = {"kind": "model", "parents": list(self.model_inputs), "column": "score"}
        nodes["label"] = {"kind": "label", "parents": list(self.label_parents), "column": "label"}
        nodes["recall"] = {"kind": "metric", "parents": ["model", "label"], "metric": "recall"}
        return {"version": 1, "name": f"scale-{len(nodes)}", "nodes": nodes}


def scale_pipeline(n_nodes: int, seed: int, fault: str = "nulls") -> ScalePipeline:
    """A layered pipeline of exactly ``n_nodes`` nodes (at least 8) with one fault of kind ``fault``."""
    if n_nodes < 8:
        raise ValueError("a scale pipeline needs at least 8 nodes")
    if fault not in FAULTS:
        raise ValueError(f"fault must be one of {', '.join(FAULTS)}")
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
    if fault == "skew":
        return costliest(skew_candidates(unfaulted))
    if fault == "concept":
        return costliest([replace(unfaulted, fault="label", kind="concept", detail=q) for q in inputs])
    return costliest([replace(unfaulted, fault=q) for q in inputs])


def skew_candidates(p: ScalePipeline) -> list[ScalePipeline]:
    """Features three layers above the model, each skewed at each of its parents' terms in turn.

    A candidate is not a model input, has two or more parents, lies at most three edges above the
    model, and reaches it along some path of three or more (a feature, then a model input, then the
    model): the skew crosses features that are computed correctly before the model sees it."""
    inputs = set(p.model_inputs)
    shortest: dict[str, int] = {}
    longest: dict[str, int] = {}
    children: dict[str, list[str]] = {}
    for node in p.nodes:
        for q in node.parents:
            children.setdefault(q, []).append(node.name)
    for node in reversed(p.nodes):  # children come after their parents
        below = [c for c in children.get(node.name, []) if c in shortest]
        ends = [1] if node.name in inputs else []
        if below or ends:
            shortest[node.name] = min(ends + [shortest[c] + 1 for c in below])
            longest[node.name] = max(ends + [longest[c] + 1 for c in below])
    out = []
    for node in p.nodes:
        if (node.kind == "feature" and node.name not in inputs and len(node.parents) > 1
                and shortest.get(node.name, 0) in (2, 3) and longest[node.name] >= 3):
            out += [replace(p, fault=node.name, kind="skew", detail=q) for q in node.parents]
    return out


def costliest(candidates: list[ScalePipeline], rows: int = PILOT_ROWS) -> ScalePipeline:
    """The candidate fault that lowers recall most on a pilot draw.

    Every candidate is scored on the same rows (and the same lost rows for nulls), so the comparison
    carries no window noise. Losing an input does not always lower recall at a fixed threshold (one
    that mostly corrects the others, or one the others already carry, leaves it or raises it)."""
    if not candidates:
        raise ValueError("this pipeline has no place for the fault")
    first = candidates[0]
    _, numeric = _features(first, np.random.default_rng([first.seed, 0]), rows)
    uniform = np.random.default_rng([first.seed, 0, 1]).random(rows)
    lost = np.random.default_rng([first.seed, 0, 2]).random(rows) < FAULT_SHARE

    def recall(c: ScalePipeline) -> float:
        positives = uniform < _score(c, _truly(c, numeric))
        served = _inputs({**numeric, **_served(c, numeric)}, c.model_inputs)
        if c.kind == "nulls":
            served[c.fault] = np.where(lost, 0.0, served[c.fault])
        return float((_score(c, served)[positives] >= 0.5).mean())

    return min(candidates, key=recall)


def _features(p: ScalePipeline, rng: np.random.Generator, n: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(stored values, numeric values) of the sources and features."""
    values: dict[str, np.ndarray] = {}
    effects = np.linspace(-1.0, 1.0, len(CATEGORIES))
    numeric: dict[str, np.ndarray] = {}
    for node in p.nodes:
        if node.kind == "source":
            if node.categorical:
                codes = rng.choice(len(CATEGORIES), size=n, p=CATEGORY_SHARES)
                values[node.name] = np.asarray(CATEGORIES, dtype=object)[codes]
                numeric[node.name] = effects[codes]
            else:
                values[node.name] = numeric[node.name] = rng.normal(0.0, 1.0, n)
            continue
        x = sum(w * numeric[q] for q, w in zip(node.parents, node.weights))
        x = x / np.sqrt(sum(w * w for w in node.weights)) + rng.normal(0.0, 0.1, n)
        values[node.name] = numeric[node.name] = x
    return values, numeric


def _inputs(numeric: dict[str, np.ndarray], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {q: numeric[q] for q in names}


def _label(p: ScalePipeline, rng: np.random.Generator, inputs: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Labels drawn from the model's own logit of ``inputs`` (the label's view of them)."""
    return (rng.random(n) < _score(p, inputs)).astype(np.int64)


def _truly(p: ScalePipeline, numeric: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The model inputs as the label sees them: under a concept change, one reversed about its mean."""
    inputs = _inputs(numeric, p.model_inputs)
    if p.kind == "concept":
        inputs[p.detail] = 2 * _means(p)[p.detail] - inputs[p.detail]
    return inputs


def _means(p: ScalePipeline) -> dict[str, float]:
    """Each node's population mean (sources' means; a feature's is its parents' weighted)."""
    effects = np.linspace(-1.0, 1.0, len(CATEGORIES))
    means: dict[str, float] = {}
    for node in p.nodes:
        if node.kind == "source":
            means[node.name] = float(effects @ CATEGORY_SHARES) if node.categorical else 0.0
        else:
            norm = np.sqrt(sum(w * w for w in node.weights))
            means[node.name] = sum(w * means[q] for q, w in zip(node.parents, node.weights)) / norm
    return means


def _served(p: ScalePipeline, numeric: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The numeric values that a skew changes at serving: the skewed feature's, and every one below it.

    Each recomputed node keeps its own noise (its true value less its parents' part)."""
    if p.kind != "skew":
        return {}
    served: dict[str, np.ndarray] = {}
    for node in p.nodes:
        if node.name != p.fault and not served.keys() & set(node.parents):
            continue
        norm = np.sqrt(sum(w * w for w in node.weights))
        noise = numeric[node.name] - sum(w * numeric[q] for q, w in zip(node.parents, node.weights)) / norm
        weights = [-w if node.name == p.fault and q == p.detail else w for q, w in zip(node.parents, node.weights)]
        served[node.name] = sum(w * served.get(q, numeric[q]) for q, w in zip(node.parents, weights)) / norm + noise
    return served


def _score(p: ScalePipeline, served: dict[str, np.ndarray]) -> np.ndarray:
    logit = sum(w * served[q] for q, w in zip(p.model_inputs, p.model_weights)) / np.sqrt(len(p.model_inputs))
    return 1.0 / (1.0 + np.exp(-(1.5 * logit - 0.5)))


def _chunk(p: ScalePipeline, rng: np.random.Generator, n: int, faulty: bool) -> dict[str, np.ndarray]:
    values, numeric = _features(p, rng, n)
    label = _label(p, rng, _truly(p, numeric) if faulty else _inputs(numeric, p.model_inputs), n)
    skewed = _served(p, numeric) if faulty else {}
    values.update(skewed)
    served = _inputs({**numeric, **skewed}, p.model_inputs)
    if faulty and p.kind == "nulls":
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
