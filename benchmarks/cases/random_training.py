"""A random pipeline's training split and what is fitted on it (``random_family``): the settled
concept, the features' stored statistics and the model; and the steps every window repeats (latent
draws, logged sources, computed features)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from benchmarks.cases.random_pieces import Feature, ServedModel, Source, World, as_numbers, solve_intercept


def draw_latent(world: World, rng: np.random.Generator, n: int) -> np.ndarray:
    k = world.loadings.shape[1]
    f = rng.standard_normal((n, k))
    resid = np.sqrt(np.maximum(1.0 - (world.loadings ** 2).sum(axis=1), 0.05))
    return f @ world.loadings.T + rng.standard_normal((n, len(world.sources))) * resid


def fit_world(world: World, rng: np.random.Generator) -> None:
    """Draw the training split, settle the concept, fit the stored statistics and the model."""
    n = world.n_train
    data_rng = world.rng("training")
    z = draw_latent(world, data_rng, n)
    true = {s.name: s.values(z[:, i], data_rng) for i, s in enumerate(world.sources)}
    # count sources: the concept reads log1p(count) standardised on the training split
    for i, s in enumerate(world.sources):
        extra: dict[str, Any] = {"train_max": float(np.max(true[s.name])) if not s.categorical else 0.0}
        if s.kind == "count":
            v = np.log1p(true[s.name].astype(float))
            extra.update(u_mean=float(v.mean()), u_std=float(max(v.std(), 1e-3)))
        world.sources[i] = replace(s, **extra)
    U = {s.name: world.source(s.name).concept_input(true[s.name]) for s in world.sources}
    concept = world.concept
    used_U = {p: U[p] for t in concept.terms for p in t.sources}
    signal = concept.signal(used_U)
    sd = float(np.std(signal)) or 1.0
    if world.task == "classification":
        target_sd = float(rng.uniform(1.2, 2.3))
        terms = tuple(replace(t, w=t.w * target_sd / sd) for t in concept.terms)
        concept = replace(concept, terms=terms)
        rate = float(rng.uniform(0.05, 0.4))
        concept = replace(concept, intercept=solve_intercept(concept.signal(used_U), rate))
    elif world.task == "multiclass":
        concept = concept.settled(rng, used_U)
    else:
        terms = tuple(replace(t, w=t.w / sd) for t in concept.terms)
        scale = float(rng.uniform(5.0, 30.0))
        concept = replace(concept, terms=terms, scale=scale, intercept=float(rng.uniform(3, 6)) * scale,
                          noise=float(rng.uniform(0.3, 0.8)) * scale)
    world.concept = concept
    y = concept.draw(world.rng("training-labels"), used_U)
    if world.task == "classification":
        world.positive_rate = float(np.mean(y))
    rate_target = y
    if world.task == "multiclass":  # category-rate features encode the first class against the rest
        rate_target = (y == world.classes[0]).astype(float)
    else:
        world.label_sd = float(np.std(y)) or 1.0

    logged = logged_sources(world, true, data_rng, n)
    values: dict[str, Any] = dict(logged)
    feat_rng = world.rng("training-features")
    for f in world.features:
        _fit_feature(f, values, rate_target, world.task, rng)
        values[f.name] = compute_feature(f, values, feat_rng, n)
    world.model = train_model(world, values, y, world.model_kind, world.rng("model"), version=version_name(world, 0))


def version_name(world: World, bump: int) -> str:
    base = 2024 + world.seed % 3
    month = 1 + world.seed % 9
    return f"{world.model_name.replace('_', '-')}-{base}.{month:02d}.{1 + bump}"


def with_nulls(s: Source, v: Any, rows: np.ndarray) -> Any:
    """The column with ``rows`` missing, in the type a log would hold it."""
    if not rows.any():
        return v
    if s.categorical and s.int_codes:
        out = pd.array(pd.Series(v).astype(object).where(~rows, None), dtype="Int64") \
            if pd.Series(v).dtype.kind in "iu" or str(pd.Series(v).dtype) == "Int64" else None
        if out is not None:
            return out
    if s.categorical or pd.Series(v).dtype == object:
        out = np.array(pd.Series(v).astype(object), dtype=object)
        out[rows] = None
        return out
    out = np.asarray(v, dtype=float).copy()
    out[rows] = np.nan
    return out


def logged_sources(world: World, true: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in world.sources:
        v = s.logged(true[s.name])
        if s.null_rate > 0:
            v = with_nulls(s, v, rng.random(n) < s.null_rate)
        out[s.name] = v
    return out


def _fit_feature(f: Feature, values: dict[str, Any], y: np.ndarray, task: str, rng: np.random.Generator) -> None:
    st: dict[str, Any] = {}
    if f.transform in ("z", "agg", "bucket"):
        x = as_numbers(values[f.parents[0]])
        st["mean"], st["std"] = float(np.nanmean(x)), float(np.nanstd(x) or 1.0)
        if f.transform == "bucket":
            k = int(rng.integers(4, 11))
            st["edges"] = np.unique(np.nanquantile(x, np.linspace(0, 1, k + 1)[1:-1]))
        if f.transform == "agg":
            st["alpha"] = float(rng.uniform(0.5, 0.95))
            st["lag_scale_min"] = float(rng.uniform(3.0, 20.0))
    elif f.transform == "log_z":
        v = np.log1p(np.clip(as_numbers(values[f.parents[0]]), 0, None))
        st["mean"], st["std"] = float(np.nanmean(v)), float(np.nanstd(v) or 1.0)
    elif f.transform == "ratio":
        a, b = as_numbers(values[f.parents[0]]), as_numbers(values[f.parents[1]])
        st["offset"] = float(0.1 * np.nanmedian(np.abs(b)) + 1e-3)
        r = a / (np.abs(b) + st["offset"])
        st["lo"], st["hi"] = float(np.nanquantile(r, 0.005)), float(np.nanquantile(r, 0.995))
    elif f.transform == "rate":
        raw = pd.Series(values[f.parents[0]])
        st["int_keys"] = raw.dtype.kind in "iuf" or str(raw.dtype) == "Int64"
        key = _rate_key(raw, st["int_keys"])
        frame = pd.DataFrame({"k": key, "y": np.asarray(y, dtype=float)}).dropna()
        prior = float(frame["y"].mean())
        m = float(rng.choice([10.0, 30.0, 100.0]))
        g = frame.groupby("k")["y"].agg(["sum", "count"])
        st["map"] = {k: float((r["sum"] + m * prior) / (r["count"] + m)) for k, r in g.iterrows()}
        st["prior"] = prior
        st["smoothing"] = m
    elif f.transform == "combo":
        st["means"], st["stds"] = [], []
        for p in f.parents:
            x = as_numbers(values[p])
            st["means"].append(float(np.nanmean(x)))
            st["stds"].append(float(np.nanstd(x) or 1.0))
        st["weights"] = [float(rng.choice([-1, 1]) * rng.uniform(0.3, 1.0)) for _ in f.parents]
    f.stats = st


def _rate_key(values: Any, int_keys: bool) -> pd.Series:
    """Category keys as the feature code reads them: integer codes go through the numeric parser
    (text that does not parse becomes NaN, silently), names are kept as they are."""
    s = pd.Series(values)
    if int_keys:
        return pd.to_numeric(s.astype(object), errors="coerce").astype(float)
    return s.astype(object)


def compute_feature(f: Feature, values: dict[str, Any], rng: np.random.Generator, n: int,
                     stats: dict[str, Any] | None = None) -> np.ndarray:
    st = stats if stats is not None else f.stats
    t = f.transform
    if t == "z":
        out = (as_numbers(values[f.parents[0]]) - st["mean"]) / st["std"]
    elif t == "log_z":
        out = (np.log1p(np.clip(as_numbers(values[f.parents[0]]), 0, None)) - st["mean"]) / st["std"]
    elif t == "ratio":
        a, b = as_numbers(values[f.parents[0]]), as_numbers(values[f.parents[1]])
        out = np.clip(a / (np.abs(b) + st["offset"]), st["lo"], st["hi"])
    elif t == "bucket":
        x = as_numbers(values[f.parents[0]])
        out = np.searchsorted(st["edges"], x, side="right").astype(float)
        out[np.isnan(x)] = np.nan
    elif t == "rate":
        key = _rate_key(values[f.parents[0]], st["int_keys"])
        mapped = key.map(st["map"]).astype(float)
        out = mapped.where(key.isna() | mapped.notna(), st["prior"]).to_numpy(dtype=float)
    elif t == "combo":
        out = np.zeros(n)
        for p, m, s, w in zip(f.parents, st["means"], st["stds"], st["weights"]):
            out = out + w * (as_numbers(values[p]) - m) / s
    else:  # agg: the row's value smoothed with the entity's history (history is independent noise)
        x = as_numbers(values[f.parents[0]])
        alpha = st["alpha"]
        zx = np.nan_to_num((x - st["mean"]) / st["std"], nan=0.0)
        hist = rng.standard_normal(n)
        weight = np.where(np.isnan(x), 0.0, alpha)
        out = st["mean"] + st["std"] * (weight * zx + np.sqrt(1.0 - weight ** 2) * hist)
        return np.round(out, 3)
    return np.round(out, 5)


def train_model(world: World, values: dict[str, Any], y: np.ndarray, kind: str, rng: np.random.Generator,
                 *, version: str, class_weight: str | None = "balanced", strength: float = 1.0,
                 rows: np.ndarray | None = None) -> ServedModel:
    cat_cols = tuple(c for c in world.model_inputs if _is_categorical_input(world, c))
    num_cols = tuple(c for c in world.model_inputs if c not in cat_cols)
    transformers = []
    if num_cols:
        num_steps = [("impute", SimpleImputer(strategy="median"))]
        if kind == "linear":
            num_steps.append(("scale", StandardScaler()))
        transformers.append(("num", Pipeline(num_steps), list(num_cols)))
    if cat_cols:
        transformers.append(("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=20, sparse_output=False), list(cat_cols)))
    prep = ColumnTransformer(transformers)
    random_state = int(rng.integers(0, 2**31 - 1))
    if world.task != "regression":
        if kind == "linear":
            est = LogisticRegression(C=float(strength), class_weight=class_weight, max_iter=500)
        else:
            est = HistGradientBoostingClassifier(max_iter=max(2, int(80 * strength)), learning_rate=0.1,
                                                 max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
                                                 class_weight=class_weight, early_stopping=False,
                                                 random_state=random_state)
    else:
        if kind == "linear":
            est = Ridge(alpha=1.0 / max(strength, 1e-6))
        else:
            est = HistGradientBoostingRegressor(max_iter=max(2, int(80 * strength)), learning_rate=0.1,
                                                max_leaf_nodes=15, min_samples_leaf=40, early_stopping=False,
                                                random_state=random_state)
    pipe = Pipeline([("prep", prep), ("model", est)])
    served = ServedModel(pipe, num_cols, cat_cols, world.task, version)
    X = served.frame(values)
    yy = np.asarray(y)
    if rows is not None:
        X, yy = X[rows].reset_index(drop=True), yy[rows]
    with threadpool_limits(limits=1, user_api="openmp"):
        pipe.fit(X, yy)
    return served


def _is_categorical_input(world: World, col: str) -> bool:
    return any(s.name == col and s.categorical for s in world.sources)
