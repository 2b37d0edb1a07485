"""A random pipeline's logged windows (``random_family``): one prediction log drawn from the world,
and what each fault does to the current one (true values, logged columns, served features, the
model, the concept or the label)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.cases.random_pieces import Concept, Fault, Feature, Source, Term, World, as_numbers, solve_intercept
from benchmarks.cases.random_training import compute_feature, draw_latent, logged_sources, with_nulls
from benchmarks.cases.random_vocabulary import KEY, TIME
from causal_rca.scenarios.simulate import stream_rng


def _rows(rng: np.random.Generator, n: int, share: float, times: np.ndarray, how: str) -> np.ndarray:
    """Which rows a fault hits: at random, or every row since a moment inside the window."""
    if how == "since":
        order = np.argsort(times, kind="stable")
        mask = np.zeros(n, dtype=bool)
        mask[order[int(round(n * (1.0 - share))):]] = True
        return mask
    return rng.random(n) < share


def draw_window(world: World, name: str, n: int, start: pd.Timestamp, days: float,
                 fault: Fault | None = None) -> pd.DataFrame:
    """One prediction log: sources as logged, served features, score, version, label."""
    rng = world.rng(name)
    label_rng = world.rng(f"{name}-labels")
    feat_rng = world.rng(f"{name}-features")
    fault_rng = stream_rng(world.seed, f"world{world.attempt}/{name}-fault-{fault.params.get('attempt', 0)}") \
        if fault is not None else None
    mode = fault.mode if fault else None
    p = fault.params if fault else {}

    seconds = np.sort(rng.integers(0, int(days * 86400), n))
    times = (start + pd.to_timedelta(seconds, unit="s")).to_numpy()
    z = draw_latent(world, rng, n)
    sources = list(world.sources)
    concept = world.concept

    # -- the world changes (true values): distribution shift, out-of-distribution inputs
    ood_rows = None
    if mode == "distribution_shift":
        i = next(j for j, s in enumerate(sources) if s.name == fault.node)
        z[:, i] = z[:, i] * p["scale"] + p["shift"]
    true = {s.name: s.values(z[:, i], rng) for i, s in enumerate(sources)}
    if mode == "distribution_shift" and p.get("new_category_share"):
        i = next(j for j, s in enumerate(sources) if s.name == fault.node)
        s = sources[i]
        new_label = p["new_label"]
        sources[i] = s = replace(s, labels=s.labels + (new_label,))
        rows = fault_rng.random(n) < p["new_category_share"]
        true[s.name] = np.where(rows, len(s.labels) - 1, true[s.name])
        concept = replace(concept, terms=tuple(
            replace(t, effects=t.effects + (p["new_effect"],)) if t.kind == "cat" and t.sources[0] == s.name else t
            for t in concept.terms))
    if mode == "out_of_distribution":
        s = world.source(fault.node)
        ood_rows = fault_rng.random(n) < p["share"]
        k = int(ood_rows.sum())
        mag = fault_rng.uniform(p["low"], p["low"] + 3.0, k)
        if s.kind == "gaussian":
            far = s.a + s.b * p["side"] * mag
            vals = np.round(far, 2)
        elif s.kind == "lognormal":
            vals = np.round(np.exp(s.a + s.b * mag), 2)
        else:  # count
            vals = np.round(s.train_max * (1.0 + 0.6 * mag)).astype(np.int64)
        x = true[s.name].copy()
        x[ood_rows] = vals.astype(x.dtype)
        true[s.name] = x
    src_by_name = {s.name: s for s in sources}

    # -- the true outcome
    U = {pname: src_by_name[pname].concept_input(true[pname]) for t in concept.terms for pname in t.sources}
    if mode == "concept_drift":
        concept = _drifted_concept(world, concept, p, U)
    if mode == "label_shift":
        concept = _shifted_label(world, concept, p, U)
    y = concept.draw(label_rng, U)

    # -- what upstream systems log
    logged = logged_sources(replace(world, sources=sources), true, rng, n)
    if mode == "missing_values" and fault.node in logged:
        rows = _rows(fault_rng, n, p["share"], times, p["rows"])
        logged[fault.node] = with_nulls(src_by_name[fault.node], logged[fault.node], rows)
    if mode == "schema_change":
        logged[fault.node] = _schema_changed(src_by_name[fault.node], logged[fault.node], p, fault_rng, times, n)

    # -- the serving pipeline
    values: dict[str, Any] = dict(logged)
    freshness: dict[str, np.ndarray] = {}
    outage: dict[str, np.ndarray] = {}
    for name_i in world.infra:
        base = rng.random(n) < world.infra_base_rate[name_i]
        if mode == "infrastructure" and fault.node == name_i:
            base = base | _rows(fault_rng, n, p["share"], times, p["rows"])
        outage[name_i] = base
    for f in world.features:
        out = compute_feature(f, values, feat_rng, n)
        lag_min = None
        if f.freshness:
            lag_min = np.clip(feat_rng.gamma(2.0, f.stats["lag_scale_min"], n), 0.5, None)
        if f.infra is not None:
            out = np.where(outage[f.infra], f.default, out)
        if fault is not None and fault.node == f.name:
            out, lag_min = _feature_fault(f, out, values, p, mode, fault_rng, times, n, lag_min)
        values[f.name] = out
        if f.freshness:
            freshness[f.freshness] = times - pd.to_timedelta(np.round(lag_min * 60.0), unit="s").to_numpy()

    model = world.model
    score = model.predict(values)
    version = np.full(n, model.version, dtype=object)
    if mode == "model_change":
        new = p["model"]
        rows = _rows(fault_rng, n, p["share"], times, "since") if p["share"] < 1 else np.ones(n, dtype=bool)
        score = np.where(rows.reshape((-1,) + (1,) * (score.ndim - 1)), new.predict(values), score)
        version[rows] = new.version

    cols: dict[str, Any] = {KEY: np.arange(n, dtype=np.int64) + (0 if name == "reference" else 10_000_000),
                            TIME: times}
    for s in world.sources:
        cols[s.name] = logged[s.name]
    for f in world.features:
        cols[f.name] = values[f.name]
        if f.freshness:
            cols[f.freshness] = freshness[f.freshness]
    cols.update(_output_columns(world, score))
    cols["model_version"] = version
    cols[world.label] = y
    return pd.DataFrame(cols)


def _output_columns(world: World, output: np.ndarray) -> dict[str, np.ndarray]:
    """The model's logged columns: a score, a predicted value, or a class and one probability per class."""
    if world.task != "multiclass":
        return {"score" if world.task == "classification" else "prediction": output}
    classes = np.array(world.classes, dtype=object)
    return {prediction_column(world): classes[output.argmax(axis=1)],
            **{f"p_{c}": output[:, i] for i, c in enumerate(world.classes)}}


def prediction_column(world: World) -> str:
    return {"classification": "score", "regression": "prediction"}.get(world.task, f"predicted_{world.label}")


def _schema_changed(s: Source, v: Any, p: dict, rng: np.random.Generator, times: np.ndarray, n: int) -> Any:
    if s.categorical and not s.int_codes:
        renamed = set(p["renamed"])
        scheme = p["scheme"]

        def rename(c: Any) -> Any:
            if c is None or (isinstance(c, float) and math.isnan(c)) or c not in renamed:
                return c
            if scheme == "upper":
                return str(c).upper()
            if scheme == "prefix":
                return f"v2_{c}"
            return f"{str(c)[:3]}-{len(str(c))}"

        return np.array(pd.Series(v, dtype=object).map(rename), dtype=object)
    rows = _rows(rng, n, p["share"], times, p["rows"])
    out = np.array(pd.Series(v).astype(object), dtype=object)
    fmt = p.get("format")
    for i in np.flatnonzero(rows):
        x = out[i]
        if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
            continue
        if s.categorical:
            out[i] = f"{p['prefix']}-{int(x)}"
        elif fmt == "unit":
            out[i] = f"{x} {p['unit']}"
        elif fmt == "comma":
            out[i] = f"{float(x):.2f}".replace(".", ",")
        else:
            out[i] = f"{float(x):,.2f}".replace(",", " ")  # thousands separated by spaces
            if " " not in out[i]:
                out[i] = f"~{out[i]}"
    return out


def _feature_fault(f: Feature, out: np.ndarray, values: dict[str, Any], p: dict, mode: str,
                   rng: np.random.Generator, times: np.ndarray, n: int, lag_min: np.ndarray | None):
    rows = _rows(rng, n, p.get("share", 1.0), times, p.get("rows", "random"))
    st = f.stats
    if mode == "scale_change":
        if p["kind"] == "raw" and f.transform in ("z", "log_z"):
            new = np.round(out * st["std"] + st["mean"], 5)
        else:
            new = np.round(out * p["factor"] + p["offset"], 5)
        out = np.where(rows, new, out)
    elif mode == "missing_values":
        out = np.where(rows, np.nan if p["fill"] == "null" else p["fill_value"], out)
    elif mode == "pipeline_skew":
        new = _skewed(f, out, values, p, rng, n)
        out = np.where(rows, new, out)
    elif mode == "stale_values":
        # values come from a cache computed over an incomplete window (history only), repeated per block
        block = int(p["block"])
        ids = np.arange(n) // block
        hist = rng.standard_normal(ids.max() + 1)
        cached = np.round(st["mean"] + st["std"] * hist[ids], 3)
        out = np.where(rows, cached, out)
        if lag_min is not None:
            lag_min = np.where(rows, lag_min + p["lag_hours"] * 60.0 * rng.uniform(0.7, 1.3, n), lag_min)
    return out, lag_min


def _skewed(f: Feature, out: np.ndarray, values: dict[str, Any], p: dict, rng: np.random.Generator,
            n: int) -> np.ndarray:
    """The serving path computes the node differently from training (never just an affine map)."""
    st = f.stats
    kind = p["kind"]
    if kind == "winsorize":
        return np.clip(out, p["lo"], p["hi"])
    if kind == "coarse":
        step = p["step"]
        return np.round(np.round(out / step) * step, 5)
    if kind == "log_before_scaling":  # z feature: serving logs the raw value first
        x = as_numbers(values[f.parents[0]])
        return np.round((np.sign(x) * np.log1p(np.abs(x)) - st["mean"]) / st["std"], 5)
    if kind == "no_log":  # log_z feature: serving forgot the log
        x = as_numbers(values[f.parents[0]])
        return np.round((x - st["mean"]) / st["std"], 5)
    if kind == "permuted_map":
        keys = list(st["map"])
        perm = p["perm"]
        new_map = {keys[i]: st["map"][keys[perm[i]]] for i in range(len(keys))}
        return compute_feature(f, values, rng, n, {**st, "map": new_map})
    if kind == "other_edges":
        x = as_numbers(values[f.parents[0]])
        edges = np.nanquantile(x[~np.isnan(x)], np.linspace(0, 1, p["bins"] + 1)[1:-1]) if np.isfinite(x).any() \
            else st["edges"]
        new = np.searchsorted(np.unique(edges), x, side="right").astype(float)
        new[np.isnan(x)] = np.nan
        return new
    if kind == "no_clip":
        a, b = as_numbers(values[f.parents[0]]), as_numbers(values[f.parents[1]])
        return np.round(a / (np.abs(b) + 1e-3), 5)
    if kind == "old_weights":
        return compute_feature(f, values, rng, n, {**st, "weights": p["weights"]})
    if kind == "raw_value":  # agg: served the row's own value instead of the smoothed aggregate
        x = as_numbers(values[f.parents[0]])
        return np.round(np.where(np.isnan(x), out, x), 3)
    raise AssertionError(kind)


def _drifted_concept(world: World, concept: Concept, p: dict, U: dict[str, np.ndarray]) -> Concept:
    if concept.task == "multiclass":
        return concept.drifted(p, U)
    old_signal = concept.signal(U)
    old_rate = None
    if concept.task == "classification":
        old_rate = float(np.mean(1 / (1 + np.exp(-np.clip(concept.intercept + old_signal, -35, 35)))))
    terms = list(concept.terms)
    kind = p["kind"]
    lam = p["lambda"]
    if kind == "reverse":
        contrib = [float(np.std(t.value(U))) for t in terms]
        order = np.argsort(contrib)[::-1][: p["k"]]
        for i in order:
            terms[i] = replace(terms[i], w=terms[i].w * (1 - 2 * lam))
    elif kind == "permute":
        i = next(j for j, t in enumerate(terms) if t.kind == "cat")
        eff = np.asarray(terms[i].effects)
        terms[i] = replace(terms[i], effects=tuple((1 - lam) * eff + lam * eff[p["perm"][: len(eff)]]))
    else:  # new pattern: a new shape on one parent; the old terms weaken
        sd = float(np.std(old_signal)) or 1.0
        terms = [replace(t, w=t.w * (1 - 0.7 * lam)) for t in terms]
        new = Term(p["shape"], (p["source"],), 1.0, p["c"])
        nsd = float(np.std(new.value(U))) or 1.0
        terms.append(replace(new, w=p["sign"] * lam * 1.3 * sd / nsd))
    drifted = replace(concept, terms=tuple(terms))
    if old_rate is not None:
        drifted = replace(drifted, intercept=solve_intercept(drifted.signal(U), old_rate))
    else:
        drifted = replace(drifted, intercept=concept.intercept + concept.scale * float(
            np.mean(old_signal) - np.mean(drifted.signal(U))))
    return drifted


def _shifted_label(world: World, concept: Concept, p: dict, U: dict[str, np.ndarray]) -> Concept:
    if concept.task == "multiclass":
        return concept.shifted(p, U)
    if concept.task == "regression":
        return replace(concept, intercept=concept.intercept + p["shift"] * world.label_sd)
    if p["kind"] == "prior":
        return replace(concept, intercept=concept.intercept + p["shift"])
    if p["kind"] == "broader":
        return replace(concept, extra_positive=p["share"])
    return replace(concept, drop_positive=p["share"])
