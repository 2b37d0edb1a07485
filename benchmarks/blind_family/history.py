"""Features over an entity's history (per key, ordered by time), vectorised.

All of them look only at the entity's *previous* events (the serving-time
view); a row with no history gets NaN, which an imputation node fills.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def _order(ctx):
    key = ctx.frame[ctx.key_column].to_numpy()
    t = ctx.frame[ctx.time_column].to_numpy("datetime64[s]").astype(np.int64).astype(float)
    order = np.lexsort((t, key))
    ks, ts = key[order], t[order]
    start = np.r_[True, ks[1:] != ks[:-1]]
    gstart = np.maximum.accumulate(np.where(start, np.arange(len(ks)), 0))
    return order, ks, ts, gstart


def _unsort(order, values):
    out = np.empty(len(order))
    out[order] = values
    return out


def _visible_end(ks, ts, gs, delay):
    """Exclusive end index of the previous events visible ``delay`` seconds late."""
    i = np.arange(len(ts))
    if not delay:
        return i
    codes = pd.factorize(ks)[0].astype(float)
    span = ts.max() - ts.min() + delay + 10
    comb = codes * span * 4 + (ts - ts.min())
    return np.maximum(np.minimum(np.searchsorted(comb, comb - delay, side="right"), i), gs)


def rolling_mean(ctx, column, n_events, include_current=False, delay=0.0):
    """Mean of the entity's last ``n_events`` previous values (``delay``: only
    events older than that many seconds have arrived)."""
    order, ks, ts, gs = _order(ctx)
    x = ctx.num(column)[order]
    ok = np.isfinite(x)
    xv = np.where(ok, x, 0.0)
    cs = np.r_[0.0, np.cumsum(xv)]
    cc = np.r_[0.0, np.cumsum(ok)]
    i = np.arange(len(x))
    hi = i + 1 if include_current else _visible_end(ks, ts, gs, delay)   # exclusive end
    lo = np.maximum(gs, hi - n_events)
    s, c = cs[hi] - cs[lo], cc[hi] - cc[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(c > 0, s / np.maximum(c, 1), np.nan)
    return _unsort(order, v)


def count_window(ctx, seconds, offset=0.0):
    """Number of the entity's previous events in (t - offset - seconds, t - offset]."""
    order, ks, ts, gs = _order(ctx)
    codes = pd.factorize(ks)[0].astype(float)
    span = ts.max() - ts.min() + seconds + offset + 10
    comb = codes * span * 4 + (ts - ts.min())
    lo = np.searchsorted(comb, comb - offset - seconds, side="right")
    hi = np.searchsorted(comb, comb - offset, side="left") if offset > 0 else np.arange(len(ts))
    lo = np.maximum(lo, gs)
    hi = np.maximum(hi, lo)
    return _unsort(order, (hi - lo).astype(float))


def decayed_mean(ctx, column, halflife_s):
    order, ks, ts, gs = _order(ctx)
    x = ctx.num(column)[order]
    out = np.full(len(x), np.nan)
    num = den = 0.0
    last_t = None
    prev_key = object()
    lam = np.log(2) / halflife_s
    for i in range(len(x)):
        if ks[i] != prev_key:
            num = den = 0.0
            last_t, prev_key = ts[i], ks[i]
        dec = np.exp(-lam * (ts[i] - last_t))
        num, den = num * dec, den * dec
        if den > 1e-9:
            out[i] = num / den
        if np.isfinite(x[i]):
            num, den = num + x[i], den + 1.0
        last_t = ts[i]
    return _unsort(order, out)


def lag(ctx, column, k=1, delay=0.0):
    order, ks, ts, gs = _order(ctx)
    x = ctx.num(column)[order]
    j = _visible_end(ks, ts, gs, delay) - k
    v = np.where(j >= gs, x[np.maximum(j, 0)], np.nan)
    return _unsort(order, v)


def hours_since_last(ctx, same_day_only=False, delay=0.0):
    order, ks, ts, gs = _order(ctx)
    j = _visible_end(ks, ts, gs, delay) - 1
    prev = np.where(j >= gs, ts[np.maximum(j, 0)], np.nan)
    h = (ts - prev) / 3600.0
    if same_day_only:
        h = np.where(np.floor(ts / 86400) == np.floor(prev / 86400), h, np.nan)
    return _unsort(order, h)


def frozen_per_key(ctx, values, freshness, t_freeze, key_share, rng):
    """Stale cache: for a share of keys, every row after t_freeze serves the
    value (and freshness) of the key's last row at or before t_freeze."""
    order, ks, ts, gs = _order(ctx)
    v = np.asarray(values, float)[order]
    fr = freshness[order]
    keys = np.unique(ks)
    hit = set(rng.choice(keys, size=max(1, int(key_share * len(keys))), replace=False).tolist())
    affected = np.fromiter((k in hit for k in ks), bool, len(ks))
    i = np.arange(len(ts))
    before = ts <= t_freeze
    last_before = np.where(before, i, -1)
    # running max of "last index before freeze" within each group
    lb = np.maximum.accumulate(np.where(before, i, -1))
    lb = np.where(lb >= gs, lb, -1)
    use = affected & ~before & (lb >= 0)
    src = np.where(use, lb, i)
    del last_before
    return _unsort(order, v[src]), _unsort_obj(order, fr[src]), _unsort_bool(order, use)


def _unsort_obj(order, values):
    out = np.empty(len(order), dtype=values.dtype)
    out[order] = values
    return out


def _unsort_bool(order, values):
    out = np.empty(len(order), dtype=bool)
    out[order] = values
    return out
