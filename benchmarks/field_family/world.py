"""The simulated world of a field-family case: exogenous draws, the pipeline, the models.

One row is one prediction event. The world draws its *true* values first (the
population, the entity history, the label noise), then runs the pipeline on them:
what the sources log, what the features compute and serve, what the models score,
and what the true outcome is (drawn from the true values of the label's parents,
never from a model). A fault changes one node's own mechanism inside that pipeline;
the background changes the population only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge

HOURS = np.arange(24)
_BASE_HOUR = np.array([0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.6, 3.0, 4.5, 5.5, 6.0, 6.2,
                       6.4, 6.2, 6.0, 5.8, 5.8, 6.0, 6.2, 5.6, 4.6, 3.4, 2.2, 1.2])
_EVENING = np.where((HOURS >= 17) & (HOURS <= 22), 1.0, 0.02)
PERIODS = {
    "train": (pd.Timestamp("2026-06-01"), 28),
    "reference": (pd.Timestamp("2026-09-07"), 14),
    "current": (pd.Timestamp("2026-10-26"), 7),
}
SD_EPS = 0.55  # spread of log num around the entity's typical level


def names_for(theme):
    t = theme
    return dict(
        time="event_time", key=t["entity"], num=t["num"], cnt=t["cnt"], cat=t["cat"],
        flag=t["flag"], hour="hour_of_day", opt=t["opt"], store=t["store"],
        latency=t["store"] + "_latency_ms", agg=t["agg"], agg2=t["agg2"],
        agg_at=t["agg"] + "_at", agg2_at=t["agg2"] + "_at",
        f_log="log_" + t["num"], f_z=t["num"] + "_z", f_ratio=t["num"] + "_per_item",
        f_dev=t["num"] + "_vs_7d", f_cat_risk=t["cat"] + "_risk", f_opt=t["opt"] + "_filled",
        f_risk=t["risk"], f_band=t["band"], label=t["label"],
        model=t["model"], model_col=t["model_col"], version="model_version",
        model2=t["model2"], model2_col=t["model2_col"], version2=t["model2"] + "_version",
        profit=t.get("profit"),
    )


# ----------------------------------------------------------------------------- exogenous draws

def draw_exo(w, n, rng, period, bg=None):
    """The true values of one window (population, history, noise). ``bg``: background drift."""
    bg = bg or {}
    cat_p = np.array(w["cat_p"], dtype=float)
    if "cat_share" in bg:
        j, d = bg["cat_share"]
        cat_p[j] += d
    cat_p /= cat_p.sum()
    cat = rng.choice(len(cat_p), n, p=cat_p)
    u = rng.normal(bg.get("tilt", 0.0), 1.0, n)
    eps = rng.normal(0.0, 1.0, n)
    agg_true = w["num_mu"] + 0.8 * u
    lognum = agg_true + SD_EPS * eps
    agg_noise = rng.normal(0.0, 0.12, n)
    u2 = rng.normal(bg.get("cnt_shift", 0.0), 1.0, n)
    lam = np.exp(w["c0"] + 0.35 * u2)
    cnt = rng.poisson(lam)
    agg2 = rng.poisson(7 * lam)
    flag_p = np.clip(w["flag_p"] + bg.get("flag", 0.0), 0.02, 0.98)
    flag = rng.random(n) < flag_p
    hour_p = _BASE_HOUR / _BASE_HOUR.sum()
    e = bg.get("evening", 0.0)
    if e:
        hour_p = (1 - e) * hour_p + e * _EVENING / _EVENING.sum()
    hour = rng.choice(24, n, p=hour_p)
    start, ndays = PERIODS[period]
    day_w = np.ones(ndays)
    if bg.get("weekend"):
        wd = (start + pd.to_timedelta(np.arange(ndays), unit="D")).day_of_week
        day_w[wd >= 5] *= 1 + bg["weekend"]
    day = rng.choice(ndays, n, p=day_w / day_w.sum())
    secs = rng.integers(0, 3600, n)
    mean, sd, lo, hi = w["opt_dist"]
    opt_true = np.clip(rng.normal(mean, sd, n), lo, hi)
    opt_null = rng.random(n) < w["q_null"]
    latency = np.exp(rng.normal(np.log(38.0), 0.35, n))
    st1 = rng.exponential(w["stale_min"], n)
    st2 = rng.exponential(w["stale_min"], n)
    K = w["K"]
    return dict(
        n=n, period=period, cat=cat, u=u, num_true=np.exp(lognum), agg_true=agg_true,
        agg_noise=agg_noise, cnt=cnt, agg2=agg2, flag=flag, hour=hour, day=day, secs=secs,
        opt_true=opt_true, opt_null=opt_null, latency=latency, st1=st1, st2=st2,
        lab_u=rng.random(n), lab_n=rng.normal(0, 1, n),
        gumbel=rng.gumbel(size=(n, K)) if K else None,
        key=rng.integers(1_000_000, 9_999_999, n),
        route=rng.random(n),  # which serving replica / rollout bucket took the row
    )


def copy_exo(ex):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in ex.items()}


# ----------------------------------------------------------------------------- the true outcome

def _signal(w, ex):
    """Standardised components of the true outcome (from the true values of the label's parents)."""
    l1p = np.log1p(ex["num_true"])
    dev = (l1p - ex["agg_true"]) / SD_EPS
    # beyond the training support the relation turns: a segment the model never saw
    beyond = np.maximum(0.0, l1p - w["Lmax"]) / SD_EPS
    gdev = np.where(beyond > 0, -1.5 - w["ood_turn"] * beyond, dev)
    hc = (ex["cnt"] - w["cnt_mean"]) / w["cnt_sd"]
    beyond_c = np.maximum(0.0, ex["cnt"] - w["Cmax"]) / w["cnt_sd"]
    hc = np.where(beyond_c > 0, -(1.5 + w["ood_turn"] * beyond_c), hc)
    mean, sd, _, _ = w["opt_dist"]
    night = (ex["hour"] < 6).astype(float)
    hard = (ex["cat"] == w["hard"]) | (ex["hour"] < 6)
    vel = (ex["agg2"] - w["agg2_mean"]) / w["agg2_sd"]  # 7-day velocity of the entity
    return dict(gdev=gdev, hc=hc, flag=ex["flag"].astype(float), night=night,
                optz=(ex["opt_true"] - mean) / sd, vel=vel, hard=hard)


def _eta(w, s, cat, a=None):
    a = w["a"] if a is None else a
    return (a["dev"] * s["gdev"] + a["cnt"] * s["hc"] + a["flag"] * s["flag"]
            + a["night"] * s["night"] + a["opt"] * s["optz"] + a["vel"] * s["vel"]
            + np.asarray(w["a_cat"])[cat])


def labels(w, ex, fault=None):
    """The true outcome; ``fault`` (concept_drift / label_shift) changes its mechanism on its rows."""
    s = _signal(w, ex)
    kind = w["kind"]
    rows = fault["rows"] if fault and fault["mode"] in ("concept_drift", "label_shift") else None
    mode = fault["mode"] if rows is not None else None
    st = fault["strength"] if rows is not None else 0.0
    damp = np.where(s["hard"], 0.25, 1.0)
    if kind in ("binary", "mean"):
        eta = _eta(w, s, ex["cat"])
        if mode == "concept_drift":
            # the pattern turned: what used to signal the outcome now points the other way
            eta = np.where(rows, eta - (1.0 + st) * w["a"]["dev"] * s["gdev"]
                           - (1.0 + st) * np.asarray(w["a_cat"])[ex["cat"]], eta)
        logit = damp * eta + w["b0"] + w.get("hard_bump", 0.0) * s["hard"]
        if mode == "label_shift":
            logit = np.where(rows, logit + fault["direction"] * (0.9 + 0.6 * st), logit)
        return (ex["lab_u"] < 1 / (1 + np.exp(-logit))).astype(np.int64)
    if kind == "regression":
        eta = _eta(w, s, ex["cat"])
        if mode == "concept_drift":
            eta = np.where(rows, eta - (1.0 + st) * w["a"]["dev"] * s["gdev"]
                           + 1.5 * st * w["a"]["cnt"] * s["hc"], eta)
        sigma = np.where(s["hard"], 0.42, 0.12)
        # a floor: no delivery, claim or job is ever free (and mape needs y > 0)
        y = w["y0"] * np.maximum(np.exp(0.3 * eta + sigma * ex["lab_n"]), 0.1)
        if mode == "label_shift":
            # the outcome's definition changed (e.g. now counted from an earlier event)
            y = np.where(rows, y + (0.25 + 0.2 * st) * w["y0"], y)
        return np.round(y, 2)
    # multi-class
    X = np.column_stack([s["gdev"], s["hc"], s["flag"], s["optz"], s["vel"]])
    W = np.asarray(w["W"])
    C = np.asarray(w["C"])
    logits = X @ W.T + C[:, ex["cat"]].T
    if mode == "concept_drift":
        W2 = W.copy()
        W2[:, [0, 1]] = np.roll(W[:, [0, 1]], 1, axis=0)
        C2 = np.roll(C, 1, axis=0)
        alt = X @ W2.T + C2[:, ex["cat"]].T
        lam = min(1.0, 0.7 + 0.15 * st)
        logits = np.where(rows[:, None], (1 - lam) * logits + lam * alt, logits)
    logits = damp[:, None] * logits + np.asarray(w["b"])[None, :]
    y = np.argmax(logits + ex["gumbel"], axis=1)
    if mode == "label_shift":
        # annotation policy changed: part of one class is now labelled as another
        src, dst = fault["class_index"], (fault["class_index"] + 1) % w["K"]
        y = np.where(rows & (y == src), dst, y)
    return y


# ----------------------------------------------------------------------------- the pipeline

def pipeline(w, ex, fault=None, bg=None, models=None):
    """Log, compute, serve and score one window. Returns (frame, arrays for the metrics)."""
    nm = w["names"]
    n = ex["n"]
    bg = bg or {}
    f = fault or {"mode": None, "node": None}
    R = f.get("rows")
    mode, node = f["mode"], f["node"]

    def at(role):
        return node == nm[role]

    start, _ = PERIODS[ex["period"]]
    t = (start + pd.to_timedelta(ex["day"], unit="D") + pd.to_timedelta(ex["hour"], unit="h")
         + pd.to_timedelta(ex["secs"], unit="s"))
    t = pd.DatetimeIndex(t)
    cats = np.asarray(w["cats"], dtype=object)

    # ---- sources as logged
    num_log = np.round(ex["num_true"], 2)
    cnt_log = ex["cnt"].astype(np.int64)
    cat_log = cats[ex["cat"]]
    opt_log = np.where(ex["opt_null"], np.nan, np.round(ex["opt_true"], 1))
    num_col = num_log
    cnt_col = cnt_log
    if mode == "scale_change" and at("num"):
        num_log = np.where(R, np.round(num_log * f["factor"], 4), num_log)
        num_col = num_log
    if mode == "scale_change" and at("opt"):
        opt_log = np.where(R, opt_log * f["factor"], opt_log)
    if mode == "missing_values" and at("num"):
        num_log = np.where(R, np.nan, num_log)
        num_col = num_log
    if mode == "missing_values" and at("cnt"):
        cnt_log = np.where(R, 0, cnt_log).astype(np.int64)  # the dropped join defaults to 0
        cnt_col = cnt_log
    if mode == "missing_values" and at("opt"):
        opt_log = np.where(R, np.nan, opt_log)
    if mode == "schema_change" and at("num"):
        # upstream now sends formatted text; the serving parser coerces it to NaN
        txt = np.array([f"{v:,.2f} {w['unit_tag']}" for v in num_log[R]], dtype=object)
        num_col = num_log.astype(object)
        num_col[R] = txt
    if mode == "schema_change" and at("cnt"):
        cnt_col = cnt_log.astype(object)
        cnt_col[R] = np.array([f"{v} pcs" for v in cnt_log[R]], dtype=object)
    if mode == "schema_change" and at("cat"):
        # categories renamed upstream (codes upper-cased and prefixed)
        cat_log = cat_log.copy()
        cat_log[R] = np.array(["SEG_" + c.upper() for c in cat_log[R]], dtype=object)

    # ---- what serving reads from the sources
    num_s = pd.to_numeric(pd.Series(num_col), errors="coerce").to_numpy(float)
    cnt_s = pd.to_numeric(pd.Series(cnt_col), errors="coerce").to_numpy(float)
    cat_s = cat_log
    flag = ex["flag"]
    hour = ex["hour"].astype(np.int64)

    # ---- features (each computed from its parents; a fault at a feature changes it)
    stale1 = ex["st1"].copy()
    stale2 = ex["st2"].copy()
    latency = ex["latency"].copy()
    f_log = np.log1p(num_s)
    f_z = (f_log - w["m"]) / w["s"]
    if mode == "scale_change" and at("f_z"):
        f_z = np.where(R, f_log, f_z)  # served un-normalised (raw log instead of the z-score)
    if mode == "pipeline_skew" and at("f_z"):
        f_z = np.where(R, (num_s - w["m"]) / w["s"], f_z)  # serving standardises the raw value
    f_ratio = num_s / (1.0 + cnt_s)
    if mode == "scale_change" and at("f_ratio"):
        f_ratio = np.where(R, f_ratio * f["factor"], f_ratio)
    if mode == "missing_values" and at("f_ratio"):
        f_ratio = np.where(R, -1.0, f_ratio)  # default sentinel when the join failed
    f_agg = ex["agg_true"] + ex["agg_noise"]
    f_agg2 = ex["agg2"].astype(float)
    if mode == "stale_values":
        # served from a cache filled hours or days ago: old values, repeated
        pool_rng = np.random.default_rng(f["pool_seed"])
        if at("agg"):
            pool = pool_rng.choice(f_agg, 40) + pool_rng.normal(0, 0.3, 40)
            f_agg = np.where(R, pool_rng.choice(pool, n), f_agg)
            stale1 = np.where(R, pool_rng.uniform(6, 72, n) * 60, stale1)
        else:
            pool = pool_rng.choice(f_agg2, 40)
            f_agg2 = np.where(R, pool_rng.choice(pool, n), f_agg2)
            stale2 = np.where(R, pool_rng.uniform(6, 72, n) * 60, stale2)
    if mode == "missing_values" and at("agg"):
        f_agg = np.where(R, np.nan, f_agg)
    if mode == "scale_change" and at("agg2"):
        f_agg2 = np.where(R, np.round(f_agg2 / 7.0, 3), f_agg2)  # a daily rate instead of a weekly count
    if mode == "scale_change" and at("agg"):
        f_agg = np.where(R, f_agg / np.log(10.0), f_agg)  # log10 instead of the natural log
    if mode == "infrastructure":
        # the feature store timed out: both aggregates fall back to defaults
        f_agg = np.where(R, w["agg_default"], f_agg)
        f_agg2 = np.where(R, 0.0, f_agg2)
        stale1 = np.where(R, 0.0, stale1)
        stale2 = np.where(R, 0.0, stale2)
        latency = np.where(R, f["timeout_ms"] + np.abs(ex["latency"]) * 20, latency)
    f_dev = f_log - f_agg
    table = w["cat_table"]
    f_cat_risk = np.array([table.get(c, w["cat_default"]) for c in cat_s], dtype=float)
    if mode == "pipeline_skew" and at("f_cat_risk"):
        stale_table = w["cat_table_stale"]
        alt = np.array([stale_table.get(c, w["cat_default"]) for c in cat_s], dtype=float)
        f_cat_risk = np.where(R, alt, f_cat_risk)
    f_opt = np.where(np.isnan(opt_log), w["opt_median"], opt_log)
    if mode == "pipeline_skew" and at("f_opt"):
        f_opt = np.where(R & np.isnan(opt_log), w["opt_dist"][2], f_opt)  # nulls -> floor value
        f_opt = np.where(R & ~np.isnan(opt_log), np.round(opt_log, 0), f_opt)
    f_risk = 0.6 * f_dev + 0.8 * (f_cat_risk - w["cat_default"])
    f_band = np.clip(np.round(f_risk + 0.5 * flag, 2), -3, 3)
    cols = {
        nm["time"]: t, nm["key"]: ex["key"].astype(np.int64),
        nm["num"]: num_col, nm["cnt"]: cnt_col, nm["cat"]: cat_log, nm["flag"]: flag.astype(bool),
        nm["hour"]: hour, nm["opt"]: opt_log,
        nm["agg"]: np.round(f_agg, 4),
        nm["agg_at"]: (t - pd.to_timedelta(stale1, unit="m")).round("s"),
        nm["agg2"]: f_agg2 if mode in ("scale_change",) and at("agg2") else _maybe_int(f_agg2),
        nm["agg2_at"]: (t - pd.to_timedelta(stale2, unit="m")).round("s"),
        nm["f_log"]: np.round(f_log, 5), nm["f_z"]: np.round(f_z, 5),
        nm["f_ratio"]: np.round(f_ratio, 4), nm["f_dev"]: np.round(f_dev, 5),
        nm["f_cat_risk"]: np.round(f_cat_risk, 4), nm["f_opt"]: f_opt,
        nm["f_risk"]: np.round(f_risk, 5), nm["f_band"]: f_band,
    }
    if w["infra_observed"]:
        cols[nm["latency"]] = np.round(latency, 1)
    df = pd.DataFrame(cols)
    y = labels(w, ex, fault)
    out = {"y": y}
    if models is None:
        df[nm["label"]] = y
        return df, out

    # ---- the models, run on what serving fed them
    for which in ("primary", "second"):
        mdl = models[which]
        X = mdl["prep"].transform(df)
        pred = mdl["predict"](X)
        if mode == "model_change" and f["model"] == which:
            bad = models["bad"]
            pred_bad = bad["predict"](bad["prep"].transform(df))
            pred = np.where(R[:, None], pred_bad, pred) if pred.ndim == 2 else np.where(R, pred_bad, pred)
        out[which] = pred
        _write_model(w, df, which, pred)
    # the version that served each row
    base_v = w["version"]
    ver = np.full(n, base_v, dtype=object)
    if bg.get("rename"):
        share, newname = bg["rename"]
        ver[ex["route"] < share] = newname  # same predictions, another version name
    ver2 = np.full(n, w["version2"], dtype=object)
    if mode == "model_change":
        if f["model"] == "primary":
            ver[R] = w["bad_version"]
        else:
            ver2[R] = w["bad_version2"]
    df[nm["version"]] = ver
    df[nm["version2"]] = ver2
    if w["kind"] == "multiclass":
        df[nm["label"]] = np.asarray(w["classes"], dtype=object)[y]
    else:
        df[nm["label"]] = y
    if w["kind"] == "mean":
        approved = out["primary"] < w["approve_below"]
        profit = np.where(approved, np.where(y == 1, -w["loss"], w["margin"]), 0.0)
        df[nm["profit"]] = profit
        out["profit"] = profit
    return df, out


def _maybe_int(a):
    return a.astype(np.int64) if np.all(np.isfinite(a)) and np.all(a == np.round(a)) else a


def _write_model(w, df, which, pred):
    nm = w["names"]
    col = nm["model_col"] if which == "primary" else nm["model2_col"]
    if w["kind"] == "multiclass":
        classes = np.asarray(w["classes"], dtype=object)
        df[col] = classes[np.argmax(pred, axis=1)]
        prefix = w["prob_prefix"] if which == "primary" else w["prob2_prefix"]
        for k, c in enumerate(w["classes"]):
            df[prefix + c] = np.round(pred[:, k], 5)
    else:
        df[col] = np.round(pred, 5)


# ----------------------------------------------------------------------------- models

class Prep:
    """Serving-side preprocessing of the model inputs: numbers coerced, categories coded."""

    def __init__(self, inputs, linear):
        self.inputs = inputs  # list of (column, type)
        self.linear = linear

    def fit(self, df):
        self.stats = {}
        for col, typ in self.inputs:
            if typ == "cat":
                self.stats[col] = sorted(pd.Series(df[col]).dropna().unique().tolist())
            else:
                x = pd.to_numeric(pd.Series(df[col]), errors="coerce").to_numpy(float)
                med = float(np.nanmedian(x))
                xi = np.where(np.isnan(x), med, x)
                self.stats[col] = (med, float(xi.mean()), float(xi.std() or 1.0))
        return self

    def transform(self, df):
        parts = []
        for col, typ in self.inputs:
            if typ == "cat":
                cats = self.stats[col]
                v = pd.Series(df[col]).to_numpy(object)
                if self.linear:
                    parts.append(np.column_stack([(v == c).astype(float) for c in cats]))
                else:
                    code = {c: i for i, c in enumerate(cats)}
                    parts.append(np.array([code.get(x, np.nan) for x in v], dtype=float)[:, None])
            else:
                x = pd.to_numeric(pd.Series(df[col]), errors="coerce").to_numpy(float)
                if self.linear:
                    med, mu, sd = self.stats[col]
                    x = (np.where(np.isnan(x), med, x) - mu) / sd
                    x = np.clip(x, -1e6, 1e6)
                parts.append(x[:, None])
        return np.hstack(parts)

    def categorical_mask(self):
        return [typ == "cat" for _, typ in self.inputs]


def fit_model(kind, algo, prep, X, y, seed, K=None):
    """A scikit-learn model; returns a callable giving scores, class probabilities or values."""
    if kind in ("binary", "mean", "multiclass"):
        if algo == "hgb":
            m = HistGradientBoostingClassifier(max_iter=80, learning_rate=0.1, max_leaf_nodes=15,
                                               categorical_features=prep.categorical_mask(),
                                               early_stopping=False, random_state=seed)
        else:
            m = LogisticRegression(C=1.0, max_iter=400)
        m.fit(X, y)
        if kind == "multiclass":
            order = list(m.classes_)

            def predict(Xn, m=m, order=order):
                P = m.predict_proba(Xn)
                full = np.full((len(Xn), K), 1e-6)
                for j, c in enumerate(order):
                    full[:, int(c)] = P[:, j]
                return full / full.sum(axis=1, keepdims=True)
            return predict
        return lambda Xn, m=m: m.predict_proba(Xn)[:, 1]
    if algo == "hgb":
        m = HistGradientBoostingRegressor(max_iter=80, learning_rate=0.1, max_leaf_nodes=15,
                                          categorical_features=prep.categorical_mask(),
                                          early_stopping=False, random_state=seed)
        m.fit(X, y)
        return lambda Xn, m=m: np.maximum(m.predict(Xn), 0.01)
    m = Ridge(alpha=1.0).fit(X, np.log(y))
    return lambda Xn, m=m: np.exp(np.clip(m.predict(Xn), -20, 20))
