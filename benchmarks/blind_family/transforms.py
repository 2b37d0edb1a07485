"""Node factories for sources and row-level feature steps.

Each factory returns a pipeline.Node whose ``fn`` is the step as trained
(statistics fitted on the training window) and whose ``variants`` are ways
the same step is commonly computed differently at serving (pipeline skew):
other null handling, a scaler refit on serving batches, a forgotten log,
off-by-one band edges, a missing clip.  None of the variants is an affine
map of the trained output (that would be a scale change, not a skew).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .pipeline import Node


def _fit(ctx, key, fn):
    if ctx.window == "train" or key not in ctx.state:
        ctx.state[key] = fn()
    return ctx.state[key]


def source(id, dtype="numeric", tags=(), parents=(), spec=None) -> Node:
    def fn(ctx):
        return ctx.frame[id].to_numpy()
    s = {"dtype": dtype} if dtype else {}
    s.update(spec or {})
    t = {"source", dtype} | set(tags)
    return Node(id, "source", list(parents), id, fn, s, t)


def impute(id, parent, default=None, spec=None) -> Node:
    """Median imputation fitted at training (``default`` if given)."""
    def fn(ctx):
        x = ctx.num(parent)
        med = _fit(ctx, id, lambda: float(np.nanmedian(x)) if default is None else default)
        return np.where(np.isnan(x), med, x)

    def zero_fill(ctx):
        x = ctx.num(parent)
        return np.where(np.isnan(x), 0.0 if default != 0 else -1.0, x)

    def batch_mean_fill(ctx):
        x = ctx.num(parent)
        m = np.nanmean(x) if np.isfinite(x).any() else 0.0
        return np.where(np.isnan(x), 3.0 * m + 1.0, x)

    return Node(id, "feature", [parent], id, fn, dict(spec or {}),
                {"feature", "numeric", "imputation", "scalable"},
                {"zero_fill": zero_fill, "sentinel_fill": batch_mean_fill})


def _batches(ctx, size):
    t = ctx.frame[ctx.time_column] if ctx.time_column else pd.Series(np.arange(len(ctx.frame)))
    order = np.argsort(t.to_numpy(), kind="mergesort")
    b = np.empty(len(order), int)
    b[order] = np.arange(len(order)) // size
    return b


def zscore(id, parent, spec=None) -> Node:
    def fn(ctx):
        x = ctx.num(parent)
        m, s = _fit(ctx, id, lambda: (float(np.nanmean(x)), float(np.nanstd(x)) or 1.0))
        return (x - m) / s

    def batch_refit(ctx):   # scaler refit per serving micro-batch
        x = ctx.num(parent)
        b = _batches(ctx, 40)
        df = pd.DataFrame({"x": x, "b": b})
        g = df.groupby("b")["x"]
        return ((df["x"] - g.transform("mean")) / g.transform("std").replace(0, 1).fillna(1)).to_numpy()

    return Node(id, "feature", [parent], id, fn, dict(spec or {}),
                {"feature", "numeric", "scalable"}, {"batch_refit": batch_refit})


def log1p(id, parent, spec=None) -> Node:
    def fn(ctx):
        return np.log1p(np.maximum(ctx.num(parent), 0))

    def no_log(ctx):        # serving forgot the log transform
        return np.maximum(ctx.num(parent), 0)

    return Node(id, "feature", [parent], id, fn, dict(spec or {}),
                {"feature", "numeric", "scalable"}, {"no_log": no_log})


def ratio(id, num, den, spec=None) -> Node:
    def fn(ctx):
        with np.errstate(divide="ignore", invalid="ignore"):
            return ctx.num(num) / (np.abs(ctx.num(den)) + 1e-3)

    def inverted(ctx):      # serving divides the other way round
        with np.errstate(divide="ignore", invalid="ignore"):
            return ctx.num(den) / (np.abs(ctx.num(num)) + 1e-3)

    return Node(id, "feature", [num, den], id, fn, dict(spec or {}),
                {"feature", "numeric", "scalable"}, {"inverted": inverted})


def product(id, a, b, spec=None) -> Node:
    def fn(ctx):
        return ctx.num(a) * ctx.num(b)

    def sum_instead(ctx):
        return ctx.num(a) + ctx.num(b)

    return Node(id, "feature", [a, b], id, fn, dict(spec or {}),
                {"feature", "numeric", "scalable"}, {"sum_instead": sum_instead})


def clip(id, parent, q=(0.01, 0.99), spec=None) -> Node:
    def fn(ctx):
        x = ctx.num(parent)
        lo, hi = _fit(ctx, id, lambda: tuple(float(v) for v in np.nanquantile(x, q)))
        return np.clip(x, lo, hi)

    def tight_clip(ctx):    # serving clips at other (stale config) bounds
        x = ctx.num(parent)
        lo, hi = ctx.state[id]
        mid = np.nanmedian(x)
        return np.clip(x, lo, mid + 0.25 * (hi - mid))

    return Node(id, "feature", [parent], id, fn, dict(spec or {}),
                {"feature", "numeric", "scalable"}, {"tight_clip": tight_clip})


def band(id, parent, edges, labels=None, spec=None) -> Node:
    """Discrete bands of a numeric parent; ordinal ints, or labels if given."""
    edges = list(edges)

    def cut(x, e):
        k = np.searchsorted(np.asarray(e, float), x, side="right").astype(float)
        k[np.isnan(x)] = np.nan
        if labels is None:
            return k
        out = np.array([labels[int(i)] if np.isfinite(i) else None for i in k], dtype=object)
        return out

    def fn(ctx):
        return cut(ctx.num(parent), edges)

    def shifted_edges(ctx):  # off-by-one band edges at serving
        e = np.asarray(edges, float)
        width = np.diff(e).mean() if len(e) > 1 else 1.0
        return cut(ctx.num(parent), e - 0.6 * width)

    tags = {"feature", "discrete"} | ({"categorical"} if labels else {"numeric", "scalable"})
    s = {"dtype": "categorical"} if labels else {}
    s.update(spec or {})
    return Node(id, "feature", [parent], id, fn, s, tags, {"shifted_edges": shifted_edges})


def group_mean(id, value, group, spec=None) -> Node:
    """Mean of ``value`` per level of ``group``, fitted at training and served
    from a lookup table (a cached aggregate)."""
    def fn(ctx):
        x = ctx.num(value)
        g = ctx.frame[group].astype(object).to_numpy()

        def fit():
            d = pd.DataFrame({"x": x, "g": g}).groupby("g")["x"].mean()
            return d.to_dict(), float(np.nanmean(x))
        table, overall = _fit(ctx, id, fit)
        return np.array([table.get(v, overall) for v in g], float)

    def serving_batch(ctx):  # recomputed on the serving micro-batch instead
        x = ctx.num(value)
        df = pd.DataFrame({"x": x, "g": ctx.frame[group].astype(object), "b": _batches(ctx, 30)})
        return df.groupby(["b", "g"])["x"].transform("mean").fillna(np.nanmean(x)).to_numpy()

    return Node(id, "feature", [value, group], id, fn, dict(spec or {}),
                {"feature", "numeric", "scalable", "aggregate"}, {"serving_batch": serving_batch})


def category_passthrough(id, parent, spec=None) -> Node:
    """A categorical feature read from a source (normalised to text)."""
    def fn(ctx):
        v = ctx.frame[parent]
        return np.array([None if pd.isna(a) else str(a) for a in v], dtype=object)

    def lowercase(ctx):      # serving normalises case, training did not
        v = fn(ctx)
        return np.array([None if a is None else a.upper() for a in v], dtype=object)

    return Node(id, "feature", [parent], id, fn, {"dtype": "categorical", **(spec or {})},
                {"feature", "categorical"}, {"uppercase": lowercase})


def infra(id, column=None, base_ms=40.0, timeout_ms=200.0, spec=None) -> Node:
    """A service in the path (feature store, enrichment API).  Each row's call
    has a latency; above the timeout the call fails and every child serves its
    fallback.  Degradation (infrastructure fault): a stretch of time with
    latencies multiplied and a share of hard failures."""
    def fn(ctx):
        n = len(ctx.frame)
        lat = base_ms * np.exp(ctx.rng.normal(0, 0.6, n))
        f = ctx.fault_at(id)
        if f is not None:
            r = np.random.default_rng(f.params["seed"])
            t = ctx.frame[ctx.time_column].to_numpy() if ctx.time_column else np.arange(n)
            order = np.argsort(t, kind="mergesort")
            k = int(f.params["fail_share"] * n)
            start = int(r.integers(0, max(1, n - k + 1)))
            inc = np.zeros(n, bool)
            inc[order[start:start + k]] = True
            lat = np.where(inc, lat * f.params["slowdown"], lat)
        ctx.frame[f"_fail_{id}"] = lat > timeout_ms
        return np.round(lat, 1) if column else None
    s = dict(spec or {})
    if column:
        s.setdefault("dtype", "numeric")
    return Node(id, "infra", [], column, fn, s, {"infra"})
