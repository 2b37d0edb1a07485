"""A family of random ML pipelines, each with one known fault (or none): cases for benchmarks.

The hand-written scenarios test one realistic story each; this module draws
many pipelines of different shapes from a seed so that a method can be
scored on hundreds of cases it was never tuned on. Each case is built the
way a real pipeline is:

* **sources** (2+): numeric (gaussian, log-normal amounts, Poisson counts,
  bounded percentages) and categorical (integer codes or names), correlated
  through a few latent factors, with small baseline null rates;
* **infra** nodes (0–2, no column): services such as a feature store that
  several features are served through; an outage makes them fall back to
  defaults on the same rows;
* **features** from 1–3 parents, computed with statistics STORED on a
  training split (standardisation, log-standardisation, clipped ratios,
  quantile buckets, smoothed category→rate maps, weighted risk indices, and
  smoothed aggregates with a ``freshness`` column);
* a **model**: a real scikit-learn Pipeline with an imputer
  (LogisticRegression or HistGradientBoostingClassifier, or Ridge /
  HistGradientBoostingRegressor for regression cases), trained on the
  training split, logged with a ``version_column``;
* a **label** drawn from a ground-truth concept over some sources (the label
  node's parents) with noise, and a **metric** node.

Then one fault from the vocabulary of ``spec/diagnosis.md`` is applied to the
current window at an eligible node with a random strength, or none (about
10% of cases are controls). Faulty cases whose true metric change is not
significant (by ``causal_rca.metrics.compare_windows`` on the logged
prediction and label, at the case seed) are discarded and redrawn, which is
deterministic from the seed. The truth is returned beside the data and is
never part of what a method is shown.

Every draw comes from named streams of ``simulate.stream_rng``: the same
seed gives the same graph and frames, byte for byte.

Multi-class models and regressions scored by mape or r2 are drawn by
``random_kinds`` from streams this module's own draws never read, through the
``kind`` hooks of ``random_world.build_world`` and ``draw_world_case``.

This module draws the case; the steps live beside it, in the order a case is
made: ``random_vocabulary`` (names and sizes), ``random_pieces`` (sources,
concept, features, model, world, fault), ``random_world`` (a pipeline's
structure), ``random_training`` (its training split, stored statistics and
model), ``random_faults`` (which fault, where, how strong) and
``random_windows`` (the two logged windows, the fault applied to the current).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.cases.random_faults import draw_fault
from benchmarks.cases.random_pieces import World, pick_one
from benchmarks.cases.random_vocabulary import KEY, NONNEG_KINDS, TIME
from benchmarks.cases.random_vocabulary import MAX_NODES, MIN_NODES  # noqa: F401 - the family's sizes, importable here
from benchmarks.cases.random_windows import draw_window, prediction_column
from benchmarks.cases.random_world import build_world
from causal_rca.errors import InputError
from causal_rca.metrics import MetricSpec, compare_windows, metric_frame
from causal_rca.scenarios.library import FAILURE_MODES
from causal_rca.scenarios.simulate import stream_rng

__all__ = ["CaseTruth", "RandomCase", "draw_case", "planned_failure_mode", "FAILURE_MODES", "CONTROL_SHARE"]

CONTROL_SHARE = 0.10
MIN_ROWS, MAX_ROWS = 2000, 10000
MAX_WORLDS = 20         # fresh pipelines tried before giving up
MAX_FAULTS = 6          # fault redraws on one pipeline before drawing a new one

# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class CaseTruth:
    """What really happened: ``significant`` is False for controls (node and mode are None)."""

    significant: bool
    node: str | None
    failure_mode: str | None


@dataclass
class RandomCase:
    """One drawn case: what a method is shown (graph, windows, metric) and the truth (never shown)."""

    seed: int
    graph: dict
    reference: pd.DataFrame
    current: pd.DataFrame
    metric: str
    truth: CaseTruth
    details: dict[str, Any] = field(default_factory=dict)  # generator-side: fault parameters, attempts


# --------------------------------------------------------------------------- the case


def _metric_spec(world: World) -> MetricSpec:
    if world.task == "multiclass":
        keys = world.metric_keys
        return MetricSpec(keys["metric"], multiclass=True, average=keys.get("average"),
                          target_class=keys.get("class"), k=keys.get("k"), classes=world.classes)
    return MetricSpec(world.metric_keys.get("metric", world.metric), threshold=0.5, positive=1)


def _comparison(world: World, ref: pd.DataFrame, cur: pd.DataFrame, seed: int):
    spec = _metric_spec(world)
    pred = prediction_column(world)
    scores = [w[[f"p_{c}" for c in world.classes]] if spec.needs_class_scores else None for w in (ref, cur)]
    frames = [metric_frame(spec, w[pred], w[world.label], scores=sc) for w, sc in zip((ref, cur), scores)]
    return compare_windows(spec, frames[0], frames[1], seed)


def _graph_dict(world: World, rng: np.random.Generator) -> dict:
    nodes: dict[str, dict] = {}
    owners = ["data-platform", "payments-ingest", "ml-platform", "growth-analytics", "risk-ml", "crm-ingest"]
    for s in world.sources:
        node: dict[str, Any] = {"kind": "source", "column": s.name}
        if s.categorical:
            node["dtype"] = "categorical"
        if rng.random() < 0.5:
            node["owner"] = str(pick_one(rng, owners))
        contract: dict[str, Any] = {}
        if not s.categorical and s.kind in NONNEG_KINDS and rng.random() < 0.3:
            contract["min"] = 0.0
        if rng.random() < 0.3:
            contract["max_null_rate"] = 0.02
        if contract:
            node["contract"] = contract
        nodes[s.name] = node
    for i in world.infra:
        nodes[i] = {"kind": "infra", "description": f"{i.replace('_', ' ')} the features are served through"}
    for f in world.features:
        parents = list(f.parents) + ([f.infra] if f.infra else [])
        node = {"kind": "feature", "parents": parents, "column": f.name}
        if f.freshness:
            node["freshness"] = f.freshness
            if rng.random() < 0.5:
                node["contract"] = {"max_staleness": str(pick_one(rng, ["2h", "6h", "1d"]))}
        nodes[f.name] = node
    pred = prediction_column(world)
    kind = {"linear": "logistic regression" if world.task != "regression" else "ridge regression",
            "gbm": "gradient boosting"}[world.model_kind]
    nodes[world.model_name] = {"kind": "model", "parents": list(world.model_inputs), "column": pred,
                               "version_column": "model_version",
                               "description": f"{kind} in a scikit-learn Pipeline with a median imputer"}
    label_parents = sorted({pn for t in world.concept.terms for pn in t.sources},
                           key=[s.name for s in world.sources].index)
    nodes[world.label] = {"kind": "label", "parents": label_parents, "column": world.label}
    metric_node: dict[str, Any] = {"kind": "metric", "parents": [world.model_name, world.label],
                                   "metric": world.metric}
    if world.task == "classification" and world.metric not in ("roc_auc", "log_loss"):
        metric_node.update(threshold=0.5, positive=1)
    if world.metric_keys:  # the new kinds: the metric node's id is not always the metric's name
        metric_node.update(world.metric_keys)
    if world.task == "multiclass":
        nodes[world.model_name]["scores"] = {c: f"p_{c}" for c in world.classes}
        nodes[world.label]["classes"] = list(world.classes)
    nodes[world.metric] = metric_node
    return {
        "version": 1,
        "name": f"random-pipeline-{world.seed}",
        "description": f"Randomly drawn {world.task} pipeline ({len(nodes)} nodes).",
        "time_column": TIME,
        "key_column": KEY,
        "nodes": nodes,
    }


def planned_failure_mode(seed: int) -> str | None:
    """The failure mode ``draw_case(seed)`` will inject (None for a control), without drawing the case."""
    plan = stream_rng(int(seed), "plan")
    if plan.random() < CONTROL_SHARE:
        return None
    return str(FAILURE_MODES[int(plan.integers(len(FAILURE_MODES)))])


def _true_mode(mode: str, fault: Any) -> str:
    """The spec's name for what was injected: only unseen categories arriving, the known ones' mix
    unmoved, is an input outside the training support (out_of_distribution, issue 18 point 5)."""
    p = fault.params
    if mode == "distribution_shift" and p.get("new_category_share") and p.get("shift") == 0.0 and p.get("scale") == 1.0:
        return "out_of_distribution"
    return mode


def draw_case(seed: int) -> RandomCase:
    """One random pipeline and its two windows, with one fault (or none) and the truth.

    >>> case = draw_case(7)                                    # doctest: +SKIP
    >>> case.truth.node, case.truth.failure_mode               # doctest: +SKIP
    """
    seed = checked_seed(seed)
    return draw_world_case(seed, planned_failure_mode(seed))


def checked_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def draw_world_case(seed: int, mode: str | None, kind: Any = None, first_attempt: int = 0) -> RandomCase:
    """The case of ``seed`` with fault ``mode`` (None: a control): pipelines are drawn from world
    streams ``first_attempt`` on until the fault moves the metric significantly.

    ``kind`` (``random_kinds.Kind``) draws multi-class or regression worlds; with the default
    ``first_attempt`` 0 and no kind this is the family's own draw, byte for byte."""
    control = mode is None
    tried = 0
    for world_attempt in range(first_attempt, first_attempt + MAX_WORLDS):
        world = build_world(seed, world_attempt, mode, kind)
        wrng = world.rng("windows")
        n_ref, n_cur = (int(wrng.integers(MIN_ROWS, MAX_ROWS + 1)) for _ in range(2))
        days = float(wrng.integers(7, 29))
        ref_start = pd.Timestamp("2025-01-06") + pd.Timedelta(days=int(wrng.integers(0, 300)))
        cur_start = ref_start + pd.Timedelta(days=days + int(wrng.integers(0, 15)))
        ref = draw_window(world, "reference", n_ref, ref_start, days)
        graph = _graph_dict(world, world.rng("graph"))
        if control:
            cur = draw_window(world, "current", n_cur, cur_start, days)
            try:
                _comparison(world, ref, cur, seed)
            except InputError:
                continue
            return RandomCase(seed, graph, ref, cur, world.metric, CaseTruth(False, None, None),
                              {"task": world.task, "world_attempt": world_attempt, "model": world.model_kind,
                               **_kind_detail(kind)})
        ref_values = {f.name: ref[f.name].to_numpy() for f in world.features}
        for fault_attempt in range(MAX_FAULTS):
            tried += 1
            fault = draw_fault(world, mode, fault_attempt, ref_values)
            if fault is None:
                break
            cur = draw_window(world, "current", n_cur, cur_start, days, fault)
            try:
                comparison = _comparison(world, ref, cur, seed)
            except InputError:
                continue
            worse = (comparison.change < 0) == _metric_spec(world).higher_is_better
            if comparison.significant and (worse or mode != "model_change"):  # a new version that is worse
                params = {k: v for k, v in fault.params.items() if k not in ("model", "perm")}
                if mode == "model_change":
                    params["new_version"] = fault.params["model"].version
                truth = CaseTruth(True, fault.node, _true_mode(mode, fault))
                return RandomCase(seed, graph, ref, cur, world.metric, truth,
                                  {"task": world.task, "world_attempt": world_attempt, "fault_attempts": tried,
                                   "model": world.model_kind, "params": params, "change": comparison.change,
                                   **_kind_detail(kind)})
    raise RuntimeError(f"seed {seed}: no significant {mode} case after {MAX_WORLDS} pipelines")


def _kind_detail(kind: Any) -> dict[str, str]:
    return {} if kind is None else {"kind": kind.name}
