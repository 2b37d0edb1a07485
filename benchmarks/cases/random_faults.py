"""Drawing a random pipeline's fault (``random_family``): the eligible nodes of a failure mode, the
node, its strength and parameters, and for a model change the worse model."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from benchmarks.cases.random_pieces import Fault, ServedModel, World, as_numbers, pick_one
from benchmarks.cases.random_training import compute_feature, draw_latent, logged_sources, train_model, version_name
from benchmarks.cases.random_world import source_ancestors
from causal_rca.scenarios.simulate import stream_rng


def _ancestors_of_model(world: World) -> set[str]:
    parents = {f.name: set(f.parents) | ({f.infra} if f.infra else set()) for f in world.features}
    seen: set[str] = set()
    frontier = list(world.model_inputs)
    while frontier:
        x = frontier.pop()
        if x in seen:
            continue
        seen.add(x)
        frontier.extend(parents.get(x, ()))
    return seen


def _eligible(world: World, mode: str) -> list[str]:
    upstream = _ancestors_of_model(world)
    srcs = [s for s in world.sources if s.name in upstream]
    feats = [f for f in world.features if f.name in upstream]
    if mode == "distribution_shift":
        return [s.name for s in world.sources]
    if mode == "out_of_distribution":
        return [s.name for s in srcs if s.kind in ("gaussian", "lognormal", "count")]
    if mode in ("scale_change", "pipeline_skew"):
        return [f.name for f in feats]
    if mode == "stale_values":
        return [f.name for f in feats if f.freshness]
    if mode == "missing_values":
        return [s.name for s in srcs] + [f.name for f in feats]
    if mode == "schema_change":
        return [s.name for s in srcs]
    if mode in ("concept_drift", "label_shift"):
        return [world.label]
    if mode == "model_change":
        return [world.model_name]
    if mode == "infrastructure":
        return [i for i in world.infra if sum(f.infra == i for f in world.features) >= 2]
    raise AssertionError(mode)


def draw_fault(world: World, mode: str, attempt: int, ref_values: dict[str, Any] | None) -> Fault | None:
    rng = stream_rng(world.seed, f"world{world.attempt}/fault-{attempt}")
    nodes = _eligible(world, mode)
    if not nodes:
        return None
    # Faults that reach what the outcome depends on are the ones that move a metric (and get
    # investigated): weight those nodes up; the others stay possible.
    label_parents = {pn for t in world.concept.terms for pn in t.sources}

    def relevant(node: str) -> bool:
        if node in world.infra:
            return any(source_ancestors(world.features, f.name) & label_parents
                       for f in world.features if f.infra == node)
        return bool(source_ancestors(world.features, node) & label_parents)

    node = str(pick_one(rng, nodes, [4.0 if relevant(n) else 1.0 for n in nodes]))
    p: dict[str, Any] = {"attempt": attempt}
    sign = 1.0 if rng.random() < 0.5 else -1.0
    how = "since" if rng.random() < 0.35 else "random"
    if mode == "distribution_shift":
        s = world.source(node)
        p["shift"] = sign * float(rng.uniform(0.4, 1.5))
        p["scale"] = float(rng.uniform(0.6, 1.6)) if rng.random() < 0.3 else 1.0
        if s.categorical and rng.random() < 0.5:
            p["new_category_share"] = float(rng.uniform(0.05, 0.3))
            p["new_label"] = (max(s.labels) + int(rng.integers(1, 50))) if s.int_codes else f"{s.labels[0]}_new"
            p["new_effect"] = float(rng.normal(0.0, 1.2))
            if rng.random() < 0.5:
                p["shift"] = 0.0
    elif mode == "out_of_distribution":
        p["share"] = float(rng.uniform(0.08, 0.35))
        p["low"] = float(rng.uniform(4.5, 6.0))
        p["side"] = sign
    elif mode == "scale_change":
        f = world.feature(node)
        p["share"] = 1.0 if rng.random() < 0.75 else float(rng.uniform(0.3, 0.9))
        p["rows"] = how
        p["kind"] = "raw" if f.transform in ("z", "log_z") and rng.random() < 0.5 else "factor"
        factor, offset = pick_one(rng, [(100.0, 0.0), (1000.0, 0.0), (0.01, 0.0), (0.001, 0.0), (60.0, 0.0),
                                     (1 / 60, 0.0), (24.0, 0.0), (3.6, 0.0), (10.0, 0.0), (0.1, 0.0), (1.8, 32.0)])
        p["factor"], p["offset"] = factor, offset
    elif mode == "pipeline_skew":
        f = world.feature(node)
        kinds = ["winsorize", "coarse"]
        specific = {"z": "log_before_scaling", "log_z": "no_log", "rate": "permuted_map", "bucket": "other_edges",
                    "ratio": "no_clip", "combo": "old_weights", "agg": "raw_value"}[f.transform]
        kind = specific if rng.random() < 0.6 else pick_one(rng, kinds)
        p["kind"] = kind
        p["share"] = 1.0 if rng.random() < 0.6 else float(rng.uniform(0.4, 0.9))
        p["rows"] = how
        ref_f = as_numbers(ref_values[node]) if ref_values is not None else None
        if kind == "winsorize":
            lo_q, hi_q = float(rng.uniform(0.1, 0.3)), float(rng.uniform(0.7, 0.9))
            p["lo"], p["hi"] = float(np.nanquantile(ref_f, lo_q)), float(np.nanquantile(ref_f, hi_q))
        elif kind == "coarse":
            p["step"] = float(np.nanstd(ref_f) * rng.uniform(0.6, 1.5)) or 1.0
        elif kind == "permuted_map":
            p["perm"] = [int(i) for i in rng.permutation(len(f.stats["map"]))]
        elif kind == "other_edges":
            p["bins"] = int(rng.integers(2, 4)) if rng.random() < 0.5 else int(rng.integers(14, 25))
        elif kind == "old_weights":
            p["weights"] = [float(rng.choice([-1, 1]) * rng.uniform(0.3, 1.0)) for _ in f.parents]
    elif mode == "stale_values":
        p["share"] = float(rng.uniform(0.3, 0.9))
        p["rows"] = how
        p["block"] = int(rng.integers(5, 31))
        p["lag_hours"] = float(rng.uniform(3.0, 72.0))
    elif mode == "missing_values":
        p["share"] = float(rng.uniform(0.1, 0.6))
        p["rows"] = how
        is_feature = any(f.name == node for f in world.features)
        p["fill"] = "default" if is_feature and rng.random() < 0.4 else "null"
        p["fill_value"] = float(pick_one(rng, [0.0, -1.0, 0.0]))
    elif mode == "schema_change":
        s = world.source(node)
        p["share"] = float(rng.uniform(0.2, 1.0))
        p["rows"] = how
        if s.categorical and not s.int_codes:
            order = rng.permutation(len(s.labels))
            k = int(rng.integers(max(1, len(s.labels) // 2), len(s.labels) + 1))
            p["renamed"] = [s.labels[int(i)] for i in order[:k]]
            p["scheme"] = pick_one(rng, ["upper", "prefix", "abbrev"])
        elif s.categorical:
            p["prefix"] = pick_one(rng, ["MCC", "CODE", "C", "ID"])
        else:
            p["format"] = pick_one(rng, ["unit", "comma", "spaced"])
            p["unit"] = pick_one(rng, ["USD", "EUR", "ms", "units", "km"])
    elif mode == "concept_drift":
        has_cat = any(t.kind == "cat" for t in world.concept.terms)
        kind = pick_one(rng, ["reverse", "new_pattern", "permute"] if has_cat else ["reverse", "new_pattern"])
        p["kind"] = kind
        p["lambda"] = float(rng.uniform(0.5, 1.0))
        p["k"] = int(rng.integers(1, 3))
        numeric_parents = [pn for t in world.concept.terms for pn in t.sources
                           if not world.source(pn).categorical]
        if kind == "new_pattern":
            p["source"] = str(pick_one(rng, numeric_parents))
            p["shape"] = pick_one(rng, ["step", "hump", "square", "linear"])
            p["c"] = float(rng.uniform(-1.0, 1.0))
            p["sign"] = sign
        if kind == "permute":
            t = next(t for t in world.concept.terms if t.kind == "cat")
            p["perm"] = [int(i) for i in rng.permutation(len(t.effects))]
        if world.task == "multiclass":
            p["class"] = int(rng.integers(len(world.classes)))
    elif mode == "label_shift":
        if world.task == "multiclass":
            p.update(world.concept.shift_params(rng))
        elif world.task == "regression":
            p["shift"] = sign * float(rng.uniform(0.2, 1.0))
        else:
            kind = pick_one(rng, ["prior", "prior", "broader", "narrower"])
            p["kind"] = kind
            if kind == "prior":
                p["shift"] = sign * float(rng.uniform(0.5, 1.5))
            elif kind == "broader":
                p["share"] = float(rng.uniform(0.03, 0.12))
            else:
                p["share"] = float(rng.uniform(0.2, 0.5))
    elif mode == "model_change":
        p["share"] = 1.0 if rng.random() < 0.6 else float(rng.uniform(0.4, 0.9))
        p["variant"] = pick_one(rng, ["noisy_finetune", "underfit", "wrong_artifact"] +
                             (["no_class_weight"] if world.task != "regression" else []))
        p["model"] = _new_model(world, p, rng)
    elif mode == "infrastructure":
        p["share"] = float(rng.uniform(0.15, 0.7))
        p["rows"] = how
    return Fault(mode, node, p)


def _new_model(world: World, p: dict, rng: np.random.Generator) -> ServedModel:
    """A worse model under a new version: a bad fine-tune, an underfit retrain, or a wrong artifact."""
    variant = p["variant"]
    version = version_name(world, int(rng.integers(1, 4)))
    if variant == "wrong_artifact":
        num = list(world.model.num_cols)
        if len(num) >= 2:
            a, b = rng.choice(len(num), size=2, replace=False)
            return replace(world.model, version=version, swap=(num[int(a)], num[int(b)]))
        variant = "underfit"
    n = int(rng.integers(800, 2001))
    data_rng = stream_rng(world.seed, f"world{world.attempt}/finetune-{p['attempt']}")
    z = draw_latent(world, data_rng, n)
    true = {s.name: s.values(z[:, i], data_rng) for i, s in enumerate(world.sources)}
    U = {pn: world.source(pn).concept_input(true[pn]) for t in world.concept.terms for pn in t.sources}
    y = world.concept.draw(data_rng, U)
    logged = logged_sources(world, true, data_rng, n)
    values: dict[str, Any] = dict(logged)
    for f in world.features:
        out = compute_feature(f, values, data_rng, n)
        values[f.name] = out
    kind = world.model_kind
    if variant == "noisy_finetune":
        noise = float(rng.uniform(0.2, 0.45))
        if world.task == "classification":
            flip = data_rng.random(n) < noise
            y = np.where(flip, 1 - y, y)
        elif world.task == "multiclass":  # a fine-tune on labels that file part of one class elsewhere
            y = world.concept.mislabelled(y, data_rng, 2 * noise)
        else:
            y = y + data_rng.standard_normal(n) * world.label_sd * noise * 6
        return train_model(world, values, y, kind, rng, version=version)
    if variant == "no_class_weight":
        return train_model(world, values, y, kind, rng, version=version, class_weight=None)
    strength = 0.002 if kind == "linear" else 0.04
    return train_model(world, values, y, kind, rng, version=version, strength=strength)
