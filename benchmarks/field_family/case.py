"""draw_case(seed): one field-family case (graph, windows, metric, truth, info)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from . import metrics as M
from .graph import build_graph, metric_data, metric_setup
from .plan import FAILURE_MODES, plan_case
from .themes import THEMES
from .world import PERIODS, Prep, copy_exo, draw_exo, fit_model, names_for, pipeline

MAX_ATTEMPTS = 6
Z_BACKGROUND = 1.5
Z_FAULT = 3.0
N_TRAIN = 6000


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


# where each mode is injected: roles of the world (see world.names_for), tried in turn
CANDIDATES = {
    "distribution_shift": ["cat", "hour"],
    "scale_change": ["num", "f_ratio", "opt", "f_z", "agg2", "agg"],
    "missing_values": ["num", "cnt", "agg", "f_ratio", "opt"],
    "schema_change": ["cat", "num", "cnt"],
    "stale_values": ["agg", "agg2"],
    "pipeline_skew": ["f_cat_risk", "f_z", "f_opt"],
    "concept_drift": ["label"],
    "label_shift": ["label"],
    "model_change": ["model"],
    "out_of_distribution": ["num", "cnt"],
    "infrastructure": ["store"],
}


# ----------------------------------------------------------------------------- the world

def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def make_world(seed, plan):
    rng = np.random.default_rng([seed, 101])
    kind = plan["kind"]
    theme = THEMES[kind][int(rng.integers(len(THEMES[kind])))]
    K = int(rng.integers(3, 6)) if kind == "multiclass" else 0
    head = rng.permutation([0.34, 0.27, 0.21, 0.13])
    hard_p = float(rng.uniform(0.04, 0.07))
    cat_p = list(head * (1 - hard_p) / head.sum()) + [hard_p]
    w = dict(
        kind=kind, theme=theme["name"], names=names_for(theme), cats=list(theme["cats"]),
        cat_p=cat_p, hard=4, flag_p=float(rng.uniform(0.25, 0.45)),
        flag_cat=list(rng.normal(0, 0.08, 5)), c0=float(rng.uniform(0.6, 1.4)),
        num_mu=theme["num_mu"], opt_dist=theme["opt_dist"], q_null=float(rng.uniform(0.08, 0.25)),
        stale_min=float(rng.uniform(3, 15)), K=K,
        classes=list(theme.get("classes", []))[:K],
        prob_prefix=theme.get("prob_prefix", "p_"), prob2_prefix=theme.get("prob2_prefix", "q_"),
        a=dict(dev=float(rng.uniform(1.2, 1.8)), cnt=float(rng.choice([-1, 1]) * rng.uniform(0.3, 0.6)),
               flag=float(rng.choice([-1, 1]) * rng.uniform(0.3, 0.7)),
               night=float(rng.uniform(0.2, 0.6)), opt=float(-rng.uniform(0.4, 0.9)),
               vel=float(rng.choice([-1, 1]) * rng.uniform(0.5, 0.9))),
        a_cat=list(rng.normal(0, 0.6, 5)), ood_turn=3.0, y0=theme.get("y0", 1.0),
        margin=theme.get("margin", 0.0), loss=theme.get("loss", 0.0),
        unit_tag=theme["num"].split("_")[-1].upper(),
        units=theme["units"], opt_units=theme["opt_units"],
        infra_observed=bool(rng.random() < 0.5),
        n_ref=int(rng.integers(4000, 9001)),
        algo=str(rng.choice(["hgb", "linear"])),
    )
    w["algo2"] = "linear" if w["algo"] == "hgb" else "hgb"
    if K:
        w["W"] = rng.normal(0, 1.1, (K, 5)).tolist()
        w["C"] = rng.normal(0, 0.7, (K, 5)).tolist()
        w["b"] = rng.normal(0, 0.4, K).tolist()
    major, minor = int(rng.integers(2, 9)), int(rng.integers(0, 12))
    w["version"] = f"v{major}.{minor}.0"
    w["version_rename"] = f"v{major}.{minor}.1"
    w["bad_version"] = f"v{major}.{minor + 1}.0"
    w["version2"] = f"r{int(rng.integers(10, 60))}"
    w["bad_version2"] = w["version2"] + "-ft"
    # a business risk table per category (what the category feature looks up)
    base = np.asarray(w["C"])[0] if K else np.asarray(w["a_cat"])
    vals = np.round(base + rng.normal(0, 0.1, 5), 3)
    w["cat_table"] = {c: float(v) for c, v in zip(w["cats"], vals)}
    w["cat_default"] = float(np.round(np.mean(vals), 3))
    # an older encoding table: the same values, handed to the categories in reversed rank order
    order = np.argsort(vals)
    old = vals.copy()
    old[order] = vals[order[::-1]]
    w["cat_table_stale"] = {c: float(v) for c, v in zip(w["cats"], old)}
    if kind == "binary":
        w["base_rate"] = float(rng.uniform(0.15, 0.35))
    elif kind == "mean":
        w["base_rate"] = float(rng.uniform(0.08, 0.18))
        w["hard_bump"] = 1.2  # the hard segment defaults more often (and less predictably)
    return w, rng


def _inputs(w):
    nm = w["names"]
    primary = [(nm["cnt"], "num"), (nm["cat"], "cat"), (nm["flag"], "num"),
               (nm["hour"], "num"), (nm["f_z"], "num"), (nm["f_ratio"], "num"),
               (nm["f_cat_risk"], "num"), (nm["f_opt"], "num"), (nm["agg"], "num"),
               (nm["agg2"], "num"), (nm["f_band"], "num")]
    second = [(nm["f_dev"], "num"), (nm["f_cat_risk"], "num"), (nm["f_opt"], "num"),
              (nm["cnt"], "num"), (nm["agg2"], "num"), (nm["flag"], "num")]
    return primary, second


def train_world(seed, w):
    """Constants learned on the training window, then the two models."""
    rng = np.random.default_rng([seed, 202])
    ex = draw_exo(w, N_TRAIN, rng, "train")
    l1p = np.log1p(ex["num_true"])
    w["m"], w["s"] = float(np.round(l1p.mean(), 4)), float(np.round(l1p.std(), 4))
    w["Lmax"], w["Cmax"] = float(l1p.max()), int(ex["cnt"].max())
    w["cnt_mean"], w["cnt_sd"] = float(ex["cnt"].mean()), float(ex["cnt"].std() or 1.0)
    w["opt_median"] = float(np.round(np.median(ex["opt_true"][~ex["opt_null"]]), 1))
    w["agg_default"] = float(np.round(np.mean(ex["agg_true"]), 3))
    w["agg2_mean"], w["agg2_sd"] = float(ex["agg2"].mean()), float(ex["agg2"].std() or 1.0)
    if w["kind"] in ("binary", "mean"):
        # intercept giving the planned base rate
        w["b0"] = 0.0
        lo, hi = -8.0, 8.0
        from .world import _eta, _signal
        s = _signal(w, ex)
        eta = (np.where(s["hard"], 0.25, 1.0) * _eta(w, s, ex["cat"])
               + w.get("hard_bump", 0.0) * s["hard"])
        for _ in range(40):
            mid = (lo + hi) / 2
            if np.mean(_sigmoid(eta + mid)) > w["base_rate"]:
                hi = mid
            else:
                lo = mid
        w["b0"] = float((lo + hi) / 2)
    df, out = pipeline(w, ex)
    y = out["y"]
    primary, second = _inputs(w)
    models = {}
    for which, inputs, algo in (("primary", primary, w["algo"]), ("second", second, w["algo2"])):
        prep = Prep(inputs, linear=algo == "linear").fit(df)
        X = prep.transform(df)
        pred = fit_model(w["kind"], algo, prep, X, y, seed, K=w["K"] or None)
        models[which] = dict(prep=prep, predict=pred, algo=algo, inputs=inputs)
        if w["kind"] == "binary":
            sc = pred(X)
            thr = float(np.clip(np.round(np.quantile(sc, 1 - w["base_rate"]), 2), 0.05, 0.95))
            w["threshold_" + which] = thr
    if w["kind"] == "mean":
        w["approve_below"] = float(np.round(w["margin"] / (w["margin"] + w["loss"]), 3))
    return models, (df, y)


def bad_model(seed, attempt, w, models, train, which, corrupt):
    """A bad fine-tune: the same algorithm refit on a small sample with corrupted labels."""
    df, y = train
    rng = np.random.default_rng([seed, attempt, 303])
    idx = rng.choice(len(df), 1500, replace=False)
    yy = np.array(y)[idx].copy()
    flip = rng.random(len(idx)) < corrupt
    yy[flip] = rng.permutation(yy[flip])
    m = models[which]
    prep = Prep(m["inputs"], linear=m["algo"] == "linear").fit(df.iloc[idx])
    pred = fit_model(w["kind"], m["algo"], prep, prep.transform(df.iloc[idx]), yy, seed, K=w["K"] or None)
    return dict(prep=prep, predict=pred)


# ----------------------------------------------------------------------------- background and fault

def make_background(rng, attempt, w):
    mild = 0.75 ** attempt
    options = ["tilt", "cat_share", "evening", "weekend", "flag", "cnt_shift"]
    chosen = list(rng.choice(options, int(rng.integers(1, 4)), replace=False))
    bg, text = {}, []
    nm = w["names"]
    for o in chosen:
        if o == "tilt":
            v = float(rng.choice([-1, 1]) * rng.uniform(0.05, 0.15) * mild)
            bg["tilt"] = v
            text.append(f"seasonal tilt of {nm['num']} (population level {v:+.3f} sd, log scale)")
        elif o == "cat_share":
            j = int(rng.integers(0, 4))
            d = float(rng.uniform(0.04, 0.12) * mild)
            bg["cat_share"] = (j, d)
            text.append(f"category {w['cats'][j]!r} of {nm['cat']} grows by {d:.3f} of the mix")
        elif o == "evening":
            v = float(rng.uniform(0.1, 0.3) * mild)
            bg["evening"] = v
            text.append(f"hour mix moves {v:.2f} toward evening traffic ({nm['hour']})")
        elif o == "weekend":
            v = float(rng.uniform(0.3, 0.8))
            bg["weekend"] = v
            text.append(f"weekend days carry {1 + v:.2f}x the weekday volume")
        elif o == "flag":
            v = float(rng.choice([-1, 1]) * rng.uniform(0.03, 0.07) * mild)
            bg["flag"] = v
            text.append(f"share of {nm['flag']} moves by {v:+.3f}")
        elif o == "cnt_shift":
            v = float(rng.choice([-1, 1]) * rng.uniform(0.05, 0.2) * mild)
            bg["cnt_shift"] = v
            text.append(f"{nm['cnt']} rate tilts by {v:+.3f} (log-rate sd units x0.35)")
    bg["volume"] = float(rng.uniform(0.5, 2.0))
    text.append(f"volume x{bg['volume']:.2f}")
    text.append(f"steady null share {w['q_null']:.3f} in optional field {nm['opt']} (both windows)")
    if rng.random() < 0.35:
        share = float(rng.choice([1.0, rng.uniform(0.3, 0.9)]))
        bg["rename"] = (share, w["version_rename"])
        text.append(f"model version renamed {w['version']} -> {w['version_rename']} on "
                    f"{share:.0%} of rows, identical predictions")
    return bg, text


ONSET_MODES = ("scale_change", "missing_values", "schema_change", "stale_values", "pipeline_skew",
               "model_change", "infrastructure", "label_shift")


def make_fault(mode, seed, attempt, w, ex, plan, models, train):
    base = np.random.default_rng([seed, 404])
    frng = np.random.default_rng([seed, attempt, 505])
    p0 = float(base.uniform(0.2, 0.85))
    share = float(min(1.0, p0 + 0.18 * attempt))
    cands = [r for r in CANDIDATES[mode]  # only nodes upstream of the case's model
             if not (plan["metric_on_second_model"] and r in ("f_z", "f_ratio"))]
    role = cands[(int(base.integers(len(cands))) + attempt // 2) % len(cands)]
    nm = w["names"]
    node = {"label": nm["label"], "store": nm["store"]}.get(role)
    if role == "model":
        which = "second" if plan["metric_on_second_model"] else "primary"
        node = nm["model"] if which == "primary" else nm["model2"]
    node = node or nm[role]
    n = ex["n"]
    onset = mode in ONSET_MODES and base.random() < 0.5
    if onset:
        # an incident with an onset: every row from some moment of the window on
        when = ex["day"] * 86400 + ex["hour"] * 3600 + ex["secs"]
        rows = when >= np.quantile(when, 1 - share)
    else:
        # a share of the traffic (some clients, replicas or markets), spread over the window
        rows = frng.random(n) < share
    f = dict(mode=mode, node=node, role=role, rows=rows, share=share, strength=float(attempt),
             pattern="onset" if onset else "spread")
    d = ""
    if mode == "scale_change":
        # the unit mix-up's direction alternates from one attempt to the next
        flip = (seed + attempt) % 2
        if role == "num":
            factor, why = w["units"][flip]
        elif role == "opt":
            factor, why = w["opt_units"]
            if flip:
                factor, why = 1 / factor, f"inverse of: {why}"
        elif role == "f_ratio":
            factor, why = ((100.0, "per-item value served in cents (x100)") if not flip else
                           (0.01, "per-item value served in hundreds (/100)"))
        elif role == "f_z":
            factor, why = None, "served un-normalised: raw log value instead of the z-score"
        elif role == "agg2":
            factor, why = 1 / 7.0, "a daily rate served instead of the 7-day count"
        else:
            factor, why = 1 / np.log(10.0), "log10 instead of the natural log"
        f["factor"] = factor
        d = why
    elif mode == "missing_values":
        d = {"num": "nulls (ingestion outage)", "cnt": "0 default (dropped join)",
             "agg": "nulls (dropped join to the store)", "f_ratio": "-1 sentinel default",
             "opt": "nulls beyond the steady share (outage of the optional field)"}[role]
    elif mode == "schema_change":
        d = {"num": "delivered as formatted text ('1,234.50 UNIT'), coerced to NaN at serving",
             "cnt": "delivered as text ('3 pcs'), coerced to NaN at serving",
             "cat": "categories renamed upstream ('SEG_GROCERY'), unknown to the model"}[role]
    elif mode == "stale_values":
        f["pool_seed"] = [seed, attempt, 606]
        d = "served from a cache filled 6-72 h earlier: old values repeated, freshness lag grows"
    elif mode == "pipeline_skew":
        d = {"f_cat_risk": "serving reads an older encoding table (values moved between categories)",
             "f_z": "serving standardises the raw value with the log-scale statistics",
             "f_opt": "serving fills nulls with the field's floor value (training: median) "
                      "and rounds the rest"}[role]
    elif mode == "concept_drift":
        d = "outcome's relation to the inputs turned on the affected rows"
    elif mode == "label_shift":
        metric = plan["metric_name"]
        base_dir = -1 if metric == "precision" else 1
        if w["kind"] in ("mean", "regression"):
            base_dir = 1
        f["direction"] = base_dir if attempt < 3 or w["kind"] == "mean" else base_dir * (-1) ** attempt
        if w["kind"] == "multiclass":
            f["class_index"] = int((base.integers(w["K"]) + attempt) % w["K"])
            ci = f["class_index"]
            d = (f"annotation policy changed: class {w['classes'][ci]!r} now labelled "
                 f"{w['classes'][(ci + 1) % w['K']]!r} on the affected rows")
        elif w["kind"] == "regression":
            d = "outcome definition changed: an offset added to the true value"
        else:
            d = f"outcome base rate moved ({'up' if f['direction'] > 0 else 'down'}) by a new rule"
    elif mode == "model_change":
        which = "second" if plan["metric_on_second_model"] else "primary"
        f["model"] = which
        corrupt = min(0.95, 0.55 + 0.1 * attempt)
        f["bad"] = bad_model(seed, attempt, w, models, train, which, corrupt)
        d = f"new version (bad fine-tune: {corrupt:.0%} of its labels corrupted) serves the rows"
    elif mode == "out_of_distribution":
        d = ("new segment with values beyond the training support (relation turns there)")
    elif mode == "infrastructure":
        f["timeout_ms"] = 500.0
        d = "feature store timed out: both aggregates fell back to defaults"
    elif mode == "distribution_shift":
        d = {"cat": f"population moved into segment {w['cats'][4]!r} (harder to predict)",
             "hour": "population moved into night hours (harder to predict)"}[role]
    f["description"] = d
    return f


def apply_exo_fault(ex, f, w, seed, attempt):
    """Faults that change the world itself (the population): on a copy of the true values."""
    mode, role, R = f["mode"], f["role"], f["rows"]
    if mode not in ("distribution_shift", "out_of_distribution"):
        return ex
    ex = copy_exo(ex)
    rng = np.random.default_rng([seed, attempt, 707])
    n = ex["n"]
    if mode == "distribution_shift":
        if role == "cat":
            ex["cat"] = np.where(R, w["hard"], ex["cat"])
        else:
            ex["hour"] = np.where(R, rng.integers(0, 6, n), ex["hour"])
    else:
        st = f["strength"]
        if role == "num":
            ex["num_true"] = np.where(R, np.expm1(w["Lmax"] + rng.uniform(0.4, 1.4 + 0.3 * st, n)),
                                      ex["num_true"])
        else:
            extra = rng.poisson(max(3.0, 1.5 * w["Cmax"]) * (1 + 0.3 * st), n) + 1
            ex["cnt"] = np.where(R, w["Cmax"] + extra, ex["cnt"])
    return ex


# ----------------------------------------------------------------------------- draw

def draw_case(seed: int) -> Case:
    """The case of ``seed`` (deterministic)."""
    with threadpool_limits(1):
        return _draw(int(seed))


def _draw(seed):
    plan = plan_case(seed)
    mode = plan["failure_mode"]
    w, _ = make_world(seed, plan)
    models, train = train_world(seed, w)
    metric_id, spec, gkeys = metric_setup(w, plan)
    graph = build_graph(w, plan, metric_id, gkeys, models)
    tried = []
    result = None
    for attempt in range(MAX_ATTEMPTS):
        # the reference is redrawn too: a lucky reference must not doom every attempt
        ref_ex = draw_exo(w, w["n_ref"], np.random.default_rng([seed, attempt, 808]), "reference")
        reference, ref_out = pipeline(w, ref_ex, models=models)
        ref_stat = M.bootstrap(metric_data(w, plan, ref_out, spec),
                               np.random.default_rng([seed, attempt, 909]))
        arng = np.random.default_rng([seed, attempt, 1001])
        bg, bg_text = make_background(arng, attempt, w)
        n_cur = int(np.clip(round(w["n_ref"] * bg["volume"] * (1 + 0.25 * attempt)), 2000, 30000))
        ex = draw_exo(w, n_cur, arng, "current", bg)
        cur_bg, out_bg = pipeline(w, ex, bg=bg, models=models)
        brng = np.random.default_rng([seed, attempt, 1101])
        st_bg = M.bootstrap(metric_data(w, plan, out_bg, spec), brng)
        z_bg = M.worse_z(ref_stat, st_bg, spec["metric"])
        entry = {"attempt": attempt, "rows": n_cur, "z_background": round(z_bg, 3),
                 "background_value": st_bg[0]}
        if mode is None:
            ok = abs(z_bg) <= Z_BACKGROUND
            result = (cur_bg, None, bg_text, st_bg, z_bg, None, None, reference, ref_stat)
        else:
            fault = make_fault(mode, seed, attempt, w, ex, plan, models, train)
            fmodels = dict(models, bad=fault.get("bad"))
            ex_f = apply_exo_fault(ex, fault, w, seed, attempt)
            cur_f, out_f = pipeline(w, ex_f, fault=fault, bg=bg, models=fmodels)
            st_f = M.bootstrap(metric_data(w, plan, out_f, spec), np.random.default_rng([seed, attempt, 1201]))
            z_f = M.worse_z(ref_stat, st_f, spec["metric"])
            entry.update(node=fault["node"], share=round(fault["share"], 3), z_fault=round(z_f, 3),
                         fault_value=st_f[0])
            ok = abs(z_bg) <= Z_BACKGROUND and z_f >= Z_FAULT
            result = (cur_f, fault, bg_text, st_bg, z_bg, st_f, z_f, reference, ref_stat)
        tried.append(entry)
        if ok:
            break
    current, fault, bg_text, st_bg, z_bg, st_f, z_f, reference, ref_stat = result
    if mode is None:
        truth = Truth(False, None, None)
    else:
        truth = Truth(True, fault["node"], mode)
    info = {
        "kind": plan["kind"],
        "significance_check": "passed" if ok else "failed",
        "plan": plan,
        "theme": w["theme"],
        "metric": dict(spec, node=metric_id),
        "models": {"primary": w["algo"], "second": w["algo2"]},
        "case_model": w["names"]["model2"] if plan["metric_on_second_model"] else w["names"]["model"],
        "background": bg_text,
        "fault": None if fault is None else {
            "mode": mode, "node": fault["node"], "share": round(fault["share"], 3),
            "rows": "from an onset on" if fault["pattern"] == "onset" else "spread over the window",
            "strength": fault["strength"], "description": fault["description"],
        },
        "reference_value": ref_stat[0], "reference_se": ref_stat[1],
        "background_only_value": st_bg[0], "z_background_only": z_bg,
        "current_value": st_f[0] if st_f else st_bg[0], "z_current": z_f if z_f is not None else z_bg,
        "rows": {"reference": len(reference), "current": len(current)},
        "attempts": tried,
    }
    return Case(seed=seed, graph=graph, reference=reference, current=current,
                metric=metric_id, truth=truth, info=info)


__all__ = ["Case", "Truth", "draw_case", "FAILURE_MODES"]
