"""Faults: which node, which mode, which parameters (choose_fault), and the
generic transform of the faulted node's output in the current window (post).

Population faults (distribution_shift, out_of_distribution) are applied by
the family's population sampler; infrastructure by the infra node itself;
pipeline_skew by the node's serving variant; model_change by the model node.
Strength s in [0, 1] scales every parameter (s ~ 0.2 subtle, ~ 0.9 strong).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .pipeline import Fault, Node

SCALES = [  # (name, factor, offset)
    ("x12 (monthly to yearly)", 12.0, 0.0),
    ("x1000 (thousands to units)", 1000.0, 0.0),
    ("x100 (units to cents)", 100.0, 0.0),
    ("x0.001 (units to thousands)", 0.001, 0.0),
    ("C to F (1.8x + 32)", 1.8, 32.0),
    ("x60 (hours to minutes)", 60.0, 0.0),
    ("x20 (1-5 scale to percent)", 20.0, 0.0),
]


#: modes applied by the population sampler, the node's serving variant, the
#: model node or the infra node (not by a transform of the node's output)
HANDLED_ELSEWHERE = ("distribution_shift", "out_of_distribution", "pipeline_skew",
                     "model_change", "infrastructure")


def _time_block(ctx, share, rng):
    """Rows of a contiguous stretch of time covering ``share`` of the window."""
    n = len(ctx.frame)
    if ctx.time_column:
        t = ctx.frame[ctx.time_column].to_numpy()
        order = np.argsort(t, kind="mergesort")
    else:
        order = np.arange(n)
    k = int(round(min(1.0, share) * n))
    start = int(rng.integers(0, max(1, n - k + 1)))
    mask = np.zeros(n, bool)
    mask[order[start:start + k]] = True
    return mask


def post(ctx, node: Node, values):
    """Generic fault transforms of a node's output (current window only)."""
    f = ctx.fault
    if f.mode in HANDLED_ELSEWHERE:
        return values
    p = f.params
    rng = np.random.default_rng(p["seed"])
    n = len(ctx.frame)
    if f.mode == "scale_change":
        x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
        rows = rng.random(n) < p["share"]
        return np.where(rows, x * p["factor"] + p["offset"], x)
    if f.mode == "missing_values":
        rows = _time_block(ctx, p["share"], rng) if p["pattern"] == "outage" else rng.random(n) < p["share"]
        v = pd.Series(values).astype(object) if "categorical" in node.tags else \
            pd.to_numeric(pd.Series(values), errors="coerce")
        v[rows] = (np.nan if p["variant"] == "null" else p["default"])
        return v.to_numpy()
    if f.mode == "schema_change":
        if p["variant"] == "rename":
            mapping = p["mapping"]
            v = pd.Series(values).astype(object)
            rows = rng.random(n) < p["share"]
            return np.array([mapping.get(a, a) if (r and a is not None and not pd.isna(a)) else a
                             for a, r in zip(v, rows)], dtype=object)
        x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
        if p["variant"] == "thousands":    # "1,234" coerced to NaN above a magnitude
            cut = np.nanquantile(x, 1 - p["share"])
            return np.where(x >= cut, np.nan, x)
        # to_text: the column now arrives as text with a unit; the logged column is text
        rows = rng.random(n) < p["share"]
        unit = p["unit"]
        return np.array([(f"{a:g} {unit}" if r else f"{a:g}") if np.isfinite(a) else None
                         for a, r in zip(x, rows)], dtype=object)
    if f.mode == "stale_values":
        fresh_col = node.spec["freshness"]
        tcol = ctx.time_column
        fresh = (ctx.frame[tcol] - pd.to_timedelta(np.round(rng.uniform(5, 600, n)), unit="s")).to_numpy()
        if p["variant"] == "ingestion_delay":
            # computed over windows made incomplete by late data, for a stretch of time
            late = node.late(ctx, p["delay"])
            rows = _time_block(ctx, p["time_share"], rng)
            v = np.where(rows, late, np.asarray(values, float))
            fr = np.where(rows, fresh - np.timedelta64(int(p["delay"]), "s"), fresh)
        elif p["variant"] == "frozen_per_key" and ctx.key_column:
            from .history import frozen_per_key
            t = ctx.frame[tcol].to_numpy("datetime64[s]").astype(np.int64).astype(float)
            tw = t[~ctx.frame["_warm"].to_numpy(bool)] if "_warm" in ctx.frame else t
            # time_share > 1: the cache stopped refreshing before the window began
            t_freeze = tw.min() + (1 - p["time_share"]) * (tw.max() - tw.min())
            v, fr, _ = frozen_per_key(ctx, values, fresh, t_freeze, p["key_share"], rng)
        else:   # batch cache: every row of a batch serves the batch's first value
            order = np.argsort(ctx.frame[tcol].to_numpy(), kind="mergesort")
            affected = _time_block(ctx, p["time_share"], rng)
            v = np.asarray(values, float).copy()
            fr = fresh.copy()
            pos = np.arange(n)
            src_sorted = (pos // p["batch"]) * p["batch"]
            src = np.empty(n, int)
            src[order] = order[src_sorted]
            use = affected
            v[use] = np.asarray(values, float)[src[use]]
            fr[use] = fresh[src[use]]
        ctx.frame[fresh_col] = fr
        return v
    if f.mode == "label_shift":
        y = np.asarray(values)
        if p["task"] == "binary":
            y = y.astype(int).copy()
            src = 0 if p["direction"] > 0 else 1
            rows = (y == src) & (rng.random(n) < p["rate"])
            y[rows] = 1 - src
            return y
        return y.astype(float) + p["offset"]
    if f.mode == "concept_drift":
        y = np.asarray(values)
        region = _region(ctx, p)
        if p["task"] == "binary":
            y = y.astype(int).copy()
            u = rng.random(n) < p["rate"]
            if p["variant"] == "region_flip":
                y[region & u] = 1 - y[region & u]
            elif p["variant"] == "region_vanish":
                y[region & u & (y == 1)] = 0
            else:
                y[region & u & (y == 0)] = 1
            return y
        y = y.astype(float)
        if p["variant"] == "slope":
            x = ctx.num(p["parent"])
            z = (x - np.nanmean(x)) / (np.nanstd(x) or 1.0)
            return y + p["delta"] * np.nan_to_num(z)
        return np.where(region, y + p["delta"], y)
    raise ValueError(f"no post transform for {f.mode}")


def _region(ctx, p):
    col = p["parent"]
    if p.get("levels") is not None:
        return ctx.frame[col].astype(object).isin(p["levels"]).to_numpy()
    x = ctx.num(col)
    cut = np.nanquantile(x, p["q"])
    return (x >= cut) if p["upper"] else (x <= cut)


def _pick(rng, items, prefer=None):
    items = list(items)
    if prefer:
        pref = [i for i in items if prefer(i)]
        if pref and rng.random() < 0.7:
            items = pref
    return items[int(rng.integers(len(items)))]


def choose_fault(world, mode: str, s: float, rng, near: bool = False) -> Fault:
    """A fault of ``mode`` at a node of ``world`` where that mode makes sense.

    ``near`` (used when a first fault did not move the metric): prefer nodes
    at most two steps above the model.
    """
    seed = int(rng.integers(2**31))
    # in "near" mode node preferences are dropped: uniform choice among close nodes
    def pick(items, prefer=None):
        return _pick(rng, items, None if near else prefer)

    nodes = world.nodes
    obs = [n for n in nodes if n.kind in ("source", "feature") and n.column]
    if near:
        by = world.by_id
        close = set(world.model.parents)
        close |= {p for c in list(close) for p in by[c].parents}
        obs_near = [n for n in obs if n.id in close]
        obs = obs_near or obs
    if mode == "scale_change":
        cand = [n for n in obs if "scalable" in n.tags and n.id in world.model_ancestors]
        node = pick(cand, lambda n: n.kind == "feature")
        name, factor, offset = SCALES[int(rng.integers(len(SCALES)))]
        if "discrete" in node.tags and rng.random() < 0.6:
            name, factor, offset = ("x12 (monthly to yearly)", 12.0, 0.0) if rng.random() < 0.5 \
                else ("x20 (1-5 scale to percent)", 20.0, 0.0)
        share = 1.0 if s > 0.55 else 0.3 + s
        return Fault(mode, node.id, dict(seed=seed, factor=factor, offset=offset, share=share),
                     f"{node.id} rescaled {name} on {share:.0%} of rows")
    if mode == "missing_values":
        cand = [n for n in obs if n.id in world.model_ancestors and "imputation" not in n.tags]
        node = pick(cand, lambda n: n.kind == "source" or "history" in n.tags)
        share = 0.12 + 0.68 * s
        variant = "null" if ("categorical" in node.tags or rng.random() < 0.7) else "default"
        default = 0.0 if rng.random() < 0.6 else -1.0
        pattern = "outage" if rng.random() < 0.4 else "random"
        return Fault(mode, node.id, dict(seed=seed, share=share, variant=variant, default=default,
                                         pattern=pattern),
                     f"{node.id}: {share:.0%} of rows {'null' if variant == 'null' else f'default {default}'} ({pattern})")
    if mode == "schema_change":
        cand = [n for n in obs if n.id in world.model_ancestors and
                (n.kind == "source" or "categorical" in n.tags)]
        node = pick(cand, lambda n: n.kind == "source")
        share = 0.2 + 0.75 * s
        if "categorical" in node.tags:
            levels = world.levels.get(node.id) or []
            style = int(rng.integers(3))
            if style == 0:
                mapping = {lv: str(lv).upper() + "_V2" for lv in levels}
            elif style == 1:
                mapping = {lv: f"{node.id[:3].upper()}-{i:02d}" for i, lv in enumerate(levels)}
            else:
                mapping = {lv: str(lv).replace("_", " ").title() + " " for lv in levels}
            return Fault(mode, node.id, dict(seed=seed, variant="rename", mapping=mapping, share=share),
                         f"{node.id}: categories renamed upstream on {share:.0%} of rows")
        variant = "thousands" if ("discrete" not in node.tags and rng.random() < 0.5) else "to_text"
        unit = str(rng.choice(["units", "kg", "pts", "EUR", "/5"]))
        return Fault(mode, node.id, dict(seed=seed, variant=variant, share=share, unit=unit),
                     f"{node.id}: {variant} type change coerced on {share:.0%} of rows")
    if mode == "stale_values":
        cand = [n for n in obs if n.spec.get("freshness")]
        node = pick(cand)
        keyed = world.key_column is not None and "history" in node.tags
        variant = "batch"
        if keyed:
            variant = "ingestion_delay" if (node.late is not None and rng.random() < 0.7) \
                else "frozen_per_key"
        p = dict(seed=seed, time_share=0.5 + 0.8 * s, variant=variant,
                 key_share=0.4 + 0.6 * s, batch=int(20 + 400 * s),
                 delay=float(3600 * (4 + 18 * s)))
        return Fault(mode, node.id, p, f"{node.id}: cache stopped refreshing ({p['variant']})")
    if mode == "pipeline_skew":
        cand = [n for n in obs if n.variants and n.id in world.model_ancestors]
        node = pick(cand, lambda n: "history" in n.tags or "imputation" in n.tags)
        variant = pick(sorted(node.variants))
        return Fault(mode, node.id, dict(seed=seed, variant=variant),
                     f"{node.id} computed differently at serving: {variant}")
    if mode in ("label_shift", "concept_drift"):
        return world.label_fault(mode, s, rng, seed)
    if mode == "model_change":
        model = world.model
        variants = ["bad_finetune", "old_artifact", "miscalibrated"]
        if world.metric_kind == "roc_auc":
            variants = ["bad_finetune", "old_artifact"]
        var = variants[int(rng.integers(len(variants)))]
        share = 1.0 if rng.random() < 0.6 else 0.4 + 0.5 * s
        inputs = list(model.parents)
        k = max(1, int(round((0.25 + 0.5 * s) * len(inputs))))
        drop = [inputs[i] for i in rng.choice(len(inputs), size=min(k, len(inputs) - 1 or 1), replace=False)]
        p = dict(seed=seed, variant=var, share=share, rows=int(300 - 220 * s), noise=0.1 + 0.35 * s,
                 drop=drop, slope=float(1 - 0.7 * s) if rng.random() < 0.5 else float(1 + 1.5 * s),
                 shift=float((0.4 + 1.6 * s) * (1 if rng.random() < 0.5 else -1)))
        return Fault(mode, model.id, p, f"serving model replaced ({var}) on {share:.0%} of rows")
    if mode == "infrastructure":
        infra = [n for n in nodes if n.kind == "infra"]
        node = pick(infra)
        p = dict(seed=seed, slowdown=2.0 + 10.0 * s, fail_share=0.1 + 0.6 * s)
        return Fault(mode, node.id, p, f"{node.id} degraded: timeouts, children fall back")
    if mode in ("distribution_shift", "out_of_distribution"):
        return world.population_fault(mode, s, rng, seed)
    raise ValueError(mode)
