"""draw_case: realise a seed's plan as a case (graph, two windows, truth).

Order of a draw: build the world (pipeline + population) from the plan,
draw the training window (fits imputers, scalers, the model), add the
metric node, draw the reference window, then draw the current window with
the planned fault.  A faulted case must move its metric significantly in
the bad direction (|z| >= Z_FAULT on our own bootstrap); a control must
not move (|z| <= Z_CONTROL).  Otherwise the fault is strengthened and the
current window redrawn, and after ATTEMPTS tries the world itself is
redrawn.  Every random choice is seeded from (seed, try), so a seed always
gives the same case.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .constants import LABEL_MODES, MAX_ROWS, MIN_ROWS, TRAIN_ROWS
from .faults import choose_fault
from .metrics import change_test
from .pipeline import Node
from .plan import Plan, plan_case
from .real_world import RealWorld
from .synthetic import SyntheticWorld

Z_FAULT = 3.0
Z_CONTROL = 1.5
ATTEMPTS = 6
WORLDS = 6
STRENGTH_BASE = {"subtle": 0.12, "moderate": 0.45, "strong": 0.8}


@dataclass(frozen=True)
class Truth:
    significant: bool
    node: str | None
    failure_mode: str | None


@dataclass
class Case:
    seed: int
    graph: dict
    reference: pd.DataFrame
    current: pd.DataFrame
    metric: str
    truth: Truth
    info: dict = field(default_factory=dict)


def _summary(world, train):
    y = train[world.label_column]
    world.base_rate = float(np.mean(y)) if world.task == "binary" else float("nan")
    world.label_sd = float(np.std(y)) if world.task != "binary" else float("nan")
    for c in list(world.levels):
        if c in train:
            vc = train[c].astype(object).value_counts(normalize=True)
            world.level_shares[c] = {k: float(v) for k, v in vc.items()}


def _add_metrics(world, plan: Plan, train, rng):
    model, label = world.model, world.label
    nodes = world.nodes
    spec: dict = {"metric": plan.metric}
    threshold = 0.5
    if world.task == "binary":
        s = train[model.column].to_numpy(float)
        if not (0.3 <= world.base_rate <= 0.6 and rng.random() < 0.5):
            threshold = float(np.clip(np.round(np.quantile(s, 1 - world.base_rate), 2), 0.05, 0.95))
            spec["threshold"] = threshold
            if rng.random() < 0.5:
                spec["positive"] = 1
    world.threshold = threshold
    if plan.metric == "mean":
        if plan.mode in LABEL_MODES or rng.random() < 0.3:
            mid, col, parents = "approved_bad_rate", "approved_bad", [model.id, label.id]

            def fn(ctx, m=model.column, y=label.column, t=threshold):
                return ((ctx.frame[m].to_numpy(float) < t) & (ctx.frame[y].to_numpy() == 1)).astype(int)
            desc = "share of rows approved (score below threshold) that turned out positive"
        else:
            mid, col, parents = "approval_rate", "approved", [model.id]

            def fn(ctx, m=model.column, t=threshold):
                return (ctx.frame[m].to_numpy(float) < t).astype(int)
            desc = "share of rows approved (score below threshold)"
        node = Node(mid, "metric", parents, col, fn, {"metric": "mean", "description": desc}, {"metric"})
    else:
        mid = plan.metric
        node = Node(mid, "metric", [model.id, label.id], None, None, spec, {"metric"})
    nodes.append(node)
    # sometimes a second metric node, as real graphs have
    if world.task == "binary" and plan.metric != "roc_auc" and rng.random() < 0.35:
        nodes.append(Node("roc_auc" if plan.metric != "mean" else "auc", "metric",
                          [model.id, label.id], None, None, {"metric": "roc_auc"}, {"metric"}))
    elif world.task == "regression" and rng.random() < 0.35:
        other = "rmse" if plan.metric != "rmse" else "mae"
        nodes.append(Node(other, "metric", [model.id, label.id], None, None, {"metric": other}, {"metric"}))
    return node


def _arrays(world, metric_node, frame):
    if metric_node.spec["metric"] == "mean":
        return {"values": frame[metric_node.column].to_numpy(float)}
    return {"y": frame[world.label_column].to_numpy(float),
            "s": frame[world.model.column].to_numpy(float), "threshold": world.threshold}


def _fit_rows(frame, rng):
    if len(frame) > MAX_ROWS:
        keep = np.sort(rng.choice(len(frame), size=MAX_ROWS, replace=False))
        frame = frame.iloc[keep].reset_index(drop=True)
    return frame


def _window(world, name, n, rng, state, fault=None):
    frame = world.window(name, n, rng, state, fault)
    grow = 1.0
    while len(frame) < MIN_ROWS and grow < 8:
        grow *= 1.6
        frame = world.window(name, int(n * grow), rng, state, fault)
    return _fit_rows(frame, rng)


def _ok(test, control):
    z = test["z"]
    if not np.isfinite(test["change"]) or not np.isfinite(test["se"]):
        return False
    if control:
        return abs(z) <= Z_CONTROL
    if abs(z) < Z_FAULT:
        return False
    return test["worse"] is None or bool(test["worse"])


def draw_case(seed: int, include_multiclass: bool = False) -> Case:
    """The case of ``seed`` (deterministic)."""
    # one thread: OpenMP spin-waiting on shared busy cores is far slower, and
    # the result must not depend on the machine's thread count
    with threadpool_limits(limits=1):
        return _draw(seed, include_multiclass)


def _draw(seed: int, include_multiclass: bool) -> Case:
    plan = plan_case(seed, include_multiclass)
    control = plan.mode is None
    best = None
    for w_try in range(WORLDS):
        rng = np.random.default_rng([int(seed), w_try, 0xCA5E])
        world = (SyntheticWorld if plan.family == "synthetic" else RealWorld)(plan, rng)
        state: dict = {}
        train = world.window("train", TRAIN_ROWS, np.random.default_rng([seed, w_try, 1]), state)
        _summary(world, train)
        metric_node = _add_metrics(world, plan, train, rng)
        # later worlds draw larger windows (more power for a subtle fault)
        lo = MIN_ROWS + 200 if w_try < 2 else 4500
        n_ref = int(np.exp(rng.uniform(np.log(lo), np.log(MAX_ROWS - 500))))
        n_cur = int(np.exp(rng.uniform(np.log(lo), np.log(MAX_ROWS - 500))))
        ref = _window(world, "reference", n_ref, np.random.default_rng([seed, w_try, 2]), state)
        base_s = STRENGTH_BASE[plan.strength] + 0.15 * w_try
        for attempt in range(ATTEMPTS):
            s = float(min(1.0, base_s + 0.2 * attempt))
            frng = np.random.default_rng([seed, w_try, attempt, 3])
            fault = None if control else choose_fault(world, plan.mode, s, frng,
                                                      near=attempt >= 2 or w_try >= 2)
            cur = _window(world, "current", n_cur, np.random.default_rng([seed, w_try, attempt, 4]),
                          state, fault)
            test = change_test(metric_node.spec["metric"], _arrays(world, metric_node, ref),
                               _arrays(world, metric_node, cur), seed=seed)
            ok = _ok(test, control)
            score = -abs(test["z"]) if control else (abs(test["z"]) if test["worse"] in (None, True) else -abs(test["z"]))
            cand = (ok, score, world, ref, cur, fault, test, s, w_try, attempt, metric_node)
            if best is None or (cand[0], cand[1]) > (best[0], best[1]):
                best = cand
            if ok:
                break
        if best[0]:
            break
    ok, _, world, ref, cur, fault, test, s, w_try, attempt, metric_node = best
    graph = world.graph(_name(plan, world), _description(plan, world), world.segments)
    truth = Truth(significant=not control, node=None if control else fault.node,
                  failure_mode=None if control else fault.mode)
    info = {
        "family": plan.kind, "kind": plan.kind, "task": world.task, "plan_mode": plan.mode,
        "strength": plan.strength, "strength_value": round(s, 3),
        "fault": None if control else fault.describe,
        "fault_params": None if control else _jsonable(fault.params),
        "metric_test": {k: (round(v, 6) if isinstance(v, float) else v) for k, v in test.items()},
        "significance_check": "passed" if ok else "failed",
        "world_try": w_try, "attempt": attempt,
        "rows": {"reference": len(ref), "current": len(cur)},
        "nodes": len(graph["nodes"]),
        "shape": {k: sum(1 for n in graph["nodes"].values() if n["kind"] == k)
                  for k in ("source", "feature", "infra", "model", "label", "metric")},
        **world.info,
    }
    return Case(int(seed), graph, world.public(ref), world.public(cur), metric_node.id, truth, info)


def _name(plan, world):
    if plan.family == "synthetic":
        return f"{world.d['name']}-{'risk' if world.task == 'binary' else 'value'}"
    return f"{plan.dataset.replace('_', '-')}-scoring"


def _description(plan, world):
    if plan.family == "synthetic":
        return f"{world.d['name']}: one row per scored event, features over each entity's history."
    return f"{world.spec.description}; one row per scored record."


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_jsonable(v) for v in x.tolist()]
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    return x
