"""draw_case(seed): one held-out case, its lineage graph, two windows and the truth."""
from __future__ import annotations

import dataclasses
import time as _time

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .metrics import Target, worsening_z
from .pipeline import Model, Pipeline, num, sigmoid
from .faults import (RELOCATABLE, SKEWABLE, SCALE_FACTORS, _attempt_fault, _fmt_bad,  # noqa: F401
                     _log_uniform_int, _new_model, _pick, _plan_fault, _used_sources)
from .plan import (BINARY_METRICS, MULTICLASS_METRICS, REGRESSION_METRICS, plan_case)

Z_FAULT = 3.0
Z_CONTROL = 1.5
MAX_ATTEMPTS = 8


@dataclasses.dataclass(frozen=True)
class Truth:
    significant: bool
    node: str | None
    failure_mode: str | None


@dataclasses.dataclass
class Case:
    seed: int
    graph: dict
    reference: pd.DataFrame
    current: pd.DataFrame
    metric: str
    truth: Truth
    info: dict


# ----------------------------------------------------------------------------- one window

class Runner:
    def __init__(self, p: Pipeline, plan, rng):
        self.p = p
        self.plan = plan
        self.challenger = None
        self.bad_model = None

    def window(self, n, rng, fault, t0, t1):
        p = self.p
        fault = fault or {}
        T = p.draw_true(n, rng, fault)
        y = p.draw_label(T, rng, fault)
        L, F, stale_hit, infra_hit = p.features_of(T, rng, fault)
        X = p._inputs(L, F)
        out = p.model.raw(X)
        version = np.full(n, p.version_old, dtype=object)
        if fault.get("type") == "model_change":
            hit = rng.random(n) < fault["fraction"]
            v = fault["variant"]
            if v == "bad_finetune":
                new = self.bad_model.raw(X)
            elif v == "column_order":
                d = p.model.enc.transform(X.iloc[:5]).shape[1]
                perm = np.random.default_rng(self.plan["seed"]).permutation(d)
                new = p.model.raw(X, permute=perm)
            else:
                s = fault["strength"] * fault["sign"]
                if p.kind == "regression":
                    new = out * (1 + 0.5 * s)
                elif p.kind == "multiclass":
                    K = len(p.classes)
                    w = np.ones(K)
                    w[int(abs(hash(p.classes[0])) % K) if s > 0 else K - 1] = 1 + 8 * abs(s)
                    new = out * w
                    new = new / new.sum(axis=1, keepdims=True)
                else:
                    lg = np.log(np.clip(out, 1e-6, 1 - 1e-6) / np.clip(1 - out, 1e-6, 1))
                    new = sigmoid(lg * (1 - 0.5 * abs(s)) + 2.5 * s)
            out = np.where(hit[:, None], new, out) if out.ndim == 2 else np.where(hit, new, out)
            version = np.where(hit, fault["new_version"], version)
        # assemble the log
        ts = np.sort(rng.uniform(t0.value // 10 ** 9, t1.value // 10 ** 9, n)).astype(np.int64)
        event_time = pd.to_datetime(ts, unit="s")
        cols = {"event_time": event_time, p.entity: np.array([f"{p.entity[:3]}_{e:05d}" for e in T["_ent"]], dtype=object)}
        for s in p.src:
            cols[s] = L[s].to_numpy()
        for name, ft in p.features.items():
            cols[name] = F[name].to_numpy()
            if ft.freshness:
                lag = rng.exponential(900, n)
                at = event_time - pd.to_timedelta(lag, unit="s")
                if stale_hit is not None:
                    frozen = t0 - pd.Timedelta(days=float(fault.get("stale_days", 4.0)))
                    at = pd.DatetimeIndex(np.where(stale_hit, np.datetime64(frozen.to_datetime64()), at.to_numpy()))
                cols[ft.freshness] = pd.DatetimeIndex(at).floor("s")
        if p.infra_latency:
            lat = np.round(np.exp(rng.normal(np.log(35), 0.35, n)), 1)
            if infra_hit is not None:
                lat = np.where(infra_hit, np.round(p.timeout_ms + rng.exponential(120, n), 1), lat)
            cols[p.infra_latency] = lat
        if p.kind == "multiclass":
            pred = np.asarray(p.classes, dtype=object)[out.argmax(axis=1)]
            cols[p.model_col] = pred
            if p.scores:
                for i, c in enumerate(p.classes):
                    cols[p.scores[c]] = np.round(out[:, i], 6)
        else:
            cols[p.model_col] = np.round(out, 6)
        if p.version_col:
            cols[p.version_col] = version
        if self.challenger is not None:
            cols[p.challenger_col] = np.round(self.challenger.raw(X[p.challenger_inputs]), 6)
        cols[p.label] = y
        if p.kind == "mean":
            amt = np.nan_to_num(num(T[p.activity]), nan=0.0)
            flagged = out >= 0.5
            yy = np.asarray(y).astype(int)
            if p.business == "profit":
                val = np.where(flagged, -p.friction, np.where(yy == 1, -p.loss_rate * amt, p.margin * amt))
            else:
                val = np.where(flagged & (yy == 0), p.friction, 0.0) + np.where(~flagged & (yy == 1), amt, 0.0)
            cols[p.business_col] = np.round(val, 2)
        df = pd.DataFrame(cols)
        return df


# ----------------------------------------------------------------------------- graph

def _plain(x):
    """Plain Python values only (what yaml.safe_load would give back)."""
    if isinstance(x, dict):
        return {str(_plain(k)): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def _graph(p: Pipeline, plan, metric_id, metric_node, extra_metrics, rng):
    voc = p.voc
    g = {"version": 1, "name": f"{p.domain}-{p.label}-{plan['seed']}",
         "description": f"{p.domain} pipeline scoring {p.label}; one row per scored event"
                        + (f" (sources resampled from the {p.real} data set)" if p.real else ""),
         "time_column": "event_time", "key_column": p.entity}
    cats = [s for s, d in p.src.items() if d["kind"] == "cat"]
    if cats and rng.random() < 0.4:
        g["segments"] = [str(rng.choice(cats))]
    if rng.random() < 0.3:
        g["x-owner-team"] = f"{p.domain}-ml"
    nodes = {}
    owners = ["ingest", "crm-export", "events-kafka", "partner-feed", "dwh-nightly"]
    for s, d in p.src.items():
        nd = {"kind": "source", "column": s}
        if d["parent"]:
            nd["parents"] = [d["parent"]]
        nd["owner"] = f"{p.domain}-{owners[hash(s) % len(owners)] if False else owners[len(s) % len(owners)]}"
        if rng.random() < 0.5:
            nd["dtype"] = {"num": "numeric", "cat": "categorical", "bool": "boolean"}[d["kind"]]
        if d["kind"] == "num" and rng.random() < 0.5:
            c = {"dtype": "numeric"}
            if d["nonneg"]:
                c["min"] = 0
            c["max_null_rate"] = 0.25 if d["null_rate"] > 0 else 0.01
            nd["contract"] = c
        if s in (p.activity,):
            nd["description"] = f"{s} of the event; entity-level behaviour of {p.entity}"
        if p.real and s in (p.real_frame.columns if p.real_frame is not None else []):
            nd["x-table"] = f"{p.real}_extract"
        elif s == p.activity or s == p.audit:
            nd["x-table"] = "events.raw_stream"
        else:  # several columns of one upstream table feed several features
            nd["x-table"] = f"{p.domain}_dwh." + ("accounts" if d["kind"] == "cat" or len(s) % 2 else "daily_snapshot")
        nodes[s] = nd
    if p.infra:
        nd = {"kind": "infra", "description": f"{p.infra} serving the online features"}
        if p.infra_latency:
            nd["column"] = p.infra_latency
        nodes[p.infra] = nd
    for name, ft in p.features.items():
        nd = {"kind": "feature", "parents": list(ft.parents) + ([ft.infra] if ft.infra else []), "column": name}
        if ft.freshness:
            nd["freshness"] = ft.freshness
            if rng.random() < 0.5:
                nd["contract"] = {"max_staleness": str(rng.choice(["2h", "6h", "1d"]))}
        if ft.is_categorical and rng.random() < 0.4:
            nd["dtype"] = "categorical"
        nodes[name] = nd
    mn = {"kind": "model", "parents": list(p.inputs), "column": p.model_col}
    if p.version_col:
        mn["version_column"] = p.version_col
    if p.kind == "multiclass" and p.scores:
        mn["scores"] = dict(p.scores)
    mn["description"] = f"{p.algo} trained on a training window"
    nodes[p.model_node] = mn
    if p.challenger_col:
        nodes[p.challenger_node] = {"kind": "model", "parents": list(p.challenger_inputs), "column": p.challenger_col,
                                    "description": "shadow challenger, not serving decisions"}
    ln = {"kind": "label", "parents": list(p.label_parents), "column": p.label}
    if p.kind == "multiclass":
        ln["classes"] = list(p.classes)
    nodes[p.label] = ln
    nodes[metric_id] = metric_node
    for mid, nd in extra_metrics:
        nodes[mid] = nd
    g["nodes"] = nodes
    return _plain(g)


def _metric_node(p, spec, model_node, explicit):
    m = spec["metric"]
    if p.kind == "mean":
        nd = {"kind": "metric", "parents": [p.model_node, p.label, p.activity], "metric": "mean",
              "column": p.business_col,
              "description": ("profit per scored event" if p.business == "profit" else "loss per scored event (lower is better)")}
        return nd
    nd = {"kind": "metric", "parents": [model_node, p.label], "metric": m}
    if explicit:
        nd["prediction"] = model_node
        nd["label"] = p.label
    for k in ("threshold", "average", "class", "k"):
        if k in spec:
            nd[k] = spec[k]
    if p.kind == "binary" and (explicit or "threshold" in spec):
        nd["positive"] = 1
    return nd


def _metric_id(spec):
    m = spec["metric"]
    if "class" in spec:
        return f"{spec['class']}_{m}"
    if "average" in spec:
        return f"{spec['average']}_{m}"
    if m == "top_k_accuracy":
        return f"top{spec.get('k', 3)}_accuracy"
    return m


# ----------------------------------------------------------------------------- draw

def _prepare_pipeline(plan, rng):
    p = Pipeline(plan, rng)
    voc = p.voc
    p.model_node = voc["model"]
    p.version_old = f"{p.model_node}-2026.0{int(rng.integers(6, 9))}.{int(rng.integers(1, 9))}"
    p.version_new = f"{p.model_node}-2026.10.{int(rng.integers(1, 9))}"
    p.version_col = "model_version" if (rng.random() < 0.6 or (plan["failure_mode"] == "model_change" and rng.random() < 0.85)) else None
    p.timeout_ms = float(rng.choice([200.0, 500.0, 800.0]))
    if p.kind == "multiclass":
        p.model_col = f"predicted_{p.label}"
    elif p.kind == "regression":
        p.model_col = f"predicted_{p.label}"
    else:
        p.model_col = str(rng.choice(["score", f"{p.model_node}_score", "risk_score"]))
    p.business = str(rng.choice(["profit", "loss"]))
    p.business_col = voc["mean"] if p.business == "profit" else f"{p.label}_loss"
    p.friction = float(rng.uniform(0.5, 5.0))
    p.margin = float(rng.uniform(0.02, 0.1))
    p.loss_rate = float(rng.uniform(0.3, 1.0))
    return p


def draw_case(seed: int) -> Case:
    """The case of `seed`: deterministic in the seed."""
    with threadpool_limits(1):
        return _draw_case(seed)


def _draw_case(seed: int) -> Case:
    t_start = _time.perf_counter()
    plan = plan_case(seed)
    rng = np.random.default_rng([plan["seed"], 1])
    p = _prepare_pipeline(plan, rng)
    n_train = int(rng.integers(4000, 8000))
    p.fit(rng, n_train)
    runner = Runner(p, plan, rng)
    spec = dict(plan["metric_spec"])
    p.metric_name = spec["metric"]
    if p.kind == "binary" and spec["metric"] in ("accuracy", "balanced_accuracy", "precision", "recall", "f1") \
            and "threshold" not in spec:
        # a team whose model rarely crosses 0.5 sets its own operating threshold
        X, y = p.train
        sc = p.model.raw(X)
        rate = float(np.mean(np.asarray(y) == 1))
        if np.mean(sc >= 0.5) < 0.5 * rate:
            spec["threshold"] = round(float(np.quantile(sc, 1 - rate)), 2)
    p.tried = set()
    if spec.get("class") == "PICK":
        X, y = p.train
        pred = np.asarray(p.classes, dtype=object)[p.model.raw(X).argmax(axis=1)]
        ok = [c for c in p.classes if np.mean(np.asarray(y) == c) >= 0.1 and np.mean(pred == c) >= 0.08]
        spec["class"] = str(rng.choice(ok or p.classes))
    # scores are omitted sometimes when the metric does not need them
    needs_scores = spec["metric"] in ("roc_auc", "log_loss", "top_k_accuracy")
    p.scores = None
    if p.kind == "multiclass" and (needs_scores or rng.random() < 0.7):
        p.scores = {c: f"p_{c}" for c in p.classes}
    # a shadow challenger model sometimes
    p.challenger_col = None
    if p.kind in ("binary", "regression") and rng.random() < 0.25:
        p.challenger_node = f"{p.model_node}_challenger"
        p.challenger_col = f"{p.model_node}_challenger_out"
        k = max(1, len(p.inputs) // 2)
        p.challenger_inputs = list(rng.choice(p.inputs, k, replace=False))
        X, y = p.train
        runner.challenger = Model(p.model.kind, "logistic" if p.kind == "binary" else "ridge", p.classes, rng).fit(
            X[p.challenger_inputs], y)
    metric_id = _metric_id(spec) if p.kind != "mean" else p.business_col
    metric_node = _metric_node(p, spec, p.model_node, explicit=p.challenger_col is not None)
    extra = []
    if p.kind != "mean" and rng.random() < 0.5:
        pool = {"binary": BINARY_METRICS, "multiclass": MULTICLASS_METRICS, "regression": REGRESSION_METRICS}[p.kind]
        pool = [m for m in pool if m != spec["metric"] and (p.scores or m not in ("roc_auc", "log_loss", "top_k_accuracy"))]
        for m in rng.choice(pool, min(len(pool), int(rng.integers(1, 3))), replace=False):
            es = {"metric": str(m)}
            if p.kind == "multiclass" and m in ("f1", "recall", "precision", "roc_auc"):
                es["average"] = "macro"
            if m == "top_k_accuracy":
                es["k"] = 2
            extra.append((_metric_id(es), _metric_node(p, es, p.model_node, explicit=p.challenger_col is not None)))
    if p.challenger_col and p.kind != "mean":
        es = {"metric": spec["metric"]}
        for k in ("threshold",):
            if k in spec:
                es[k] = spec[k]
        extra.append((f"challenger_{_metric_id(es)}", _metric_node(p, es, p.challenger_node, explicit=True)))
    extra = [(i, nd) for i, nd in extra if i != metric_id]
    # windows
    n_ref = _log_uniform_int(rng, 2000, 40000)
    n_cur = n_ref if rng.random() < 0.5 else _log_uniform_int(rng, 2000, 60000)
    t_ref0 = pd.Timestamp("2026-09-01") + pd.Timedelta(days=int(rng.integers(0, 20)))
    t_ref1 = t_ref0 + pd.Timedelta(days=int(rng.integers(7, 29)))
    t_cur0 = t_ref1 + pd.Timedelta(days=int(rng.integers(0, 10)))
    t_cur1 = t_cur0 + pd.Timedelta(days=int(rng.integers(3, 15)))
    reference = runner.window(n_ref, np.random.default_rng([plan["seed"], 2]), None, t_ref0, t_ref1)
    target = Target(spec, p.kind, classes=p.classes, business_lower_better=(p.business == "loss"))

    def arrays(df):
        return target.prepare(df, p.model_col, p.label, p.scores, p.business_col if p.kind == "mean" else None)

    ref_a = arrays(reference)
    mode = plan["failure_mode"]
    frng = np.random.default_rng([plan["seed"], 3])
    base = _plan_fault(p, mode, frng) if mode else None
    if base and mode == "model_change" and base["variant"] == "bad_finetune":
        runner.bad_model = _new_model(p, "bad_finetune", frng)
    s0 = float(frng.uniform(0.15, 0.8))
    frac0 = 1.0 if frng.random() < 0.45 else float(frng.uniform(0.2, 0.7))
    harmless = None
    if mode is None and p.audit and frng.random() < 0.7:
        harmless = {"audit_shift": float(frng.choice([-1, 1]) * frng.uniform(0.3, 1.0))}
    status, attempts_log = "failed", []
    best = None
    ref_stats = None
    current = None
    for attempt in range(MAX_ATTEMPTS):
        arng = np.random.default_rng([plan["seed"], 100 + attempt])
        if base and attempt in (2, 4, 6) and mode in RELOCATABLE | {"model_change"}:
            # the fault did not show: move it to another node where the spec says it may live
            # (or, for a model, another way a new version goes wrong)
            p.tried.add(base.get("column", base["node"]))
            base = _plan_fault(p, mode, np.random.default_rng([plan["seed"], 3, attempt]))
            if mode == "model_change" and base["variant"] == "bad_finetune":
                runner.bad_model = _new_model(p, "bad_finetune", np.random.default_rng([plan["seed"], 5, attempt]))
        fault = _attempt_fault(p, base, s0, frac0, attempt, arng) if base else harmless
        if not base and attempt > 0:
            # a control whose reference happened to sit in a tail: redraw both windows
            reference = runner.window(n_ref, np.random.default_rng([plan["seed"], 2, attempt]), None, t_ref0, t_ref1)
            ref_a = arrays(reference)
            ref_stats = None
        cur = runner.window(n_cur, arng, fault, t_cur0, t_cur1)
        if ref_stats is None:
            ref_stats = target.bootstrap(ref_a, np.random.default_rng([plan["seed"], 199, attempt]))
        r, c, z = worsening_z(target, ref_a, arrays(cur), np.random.default_rng([plan["seed"], 200 + attempt]),
                              ref_stats=ref_stats)
        attempts_log.append({"attempt": attempt, "node": base["node"] if base else None,
                             "reference": r, "current": c, "z_worse": z,
                             "strength": fault.get("strength") if base else None,
                             "fraction": fault.get("fraction") if base else None})
        score = z if base else -abs(z)
        if best is None or score > best[0]:
            best = (score, cur, reference, fault, base, len(attempts_log) - 1)
        ok = (z >= Z_FAULT) if base else (abs(z) <= Z_CONTROL)
        if ok:
            status = "passed"
            break
    # the attempt kept: the one that passed, or else the one closest to passing
    _, current, reference, used_fault, base, kept = best
    if base:
        truth = Truth(status == "passed", base["node"], mode)
    else:
        truth = Truth(False, None, None)
    graph = _graph(p, plan, metric_id, metric_node, extra, np.random.default_rng([plan["seed"], 4]))
    last = attempts_log[kept]
    n_nodes = len(graph["nodes"])
    info = {
        "kind": p.kind,
        "significance_check": status,
        "failure_mode": mode,
        "fault": (base or {}).get("description", "control: no fault" + (" (harmless drift in an unused column "
                                                                          f"{p.audit})" if harmless else "")),
        "fault_params": {k: v for k, v in (used_fault or {}).items()
                         if isinstance(v, (int, float, str, bool)) and k not in ("description",)},
        "strength": last["strength"],
        "fraction": last["fraction"],
        "attempts": len(attempts_log),
        "attempt_kept": kept,
        "attempt_log": attempts_log,
        "metric_reference": last["reference"],
        "metric_current": last["current"],
        "z_worse": last["z_worse"],
        "lower_is_better": target.lower_is_better,
        "metric_name": spec["metric"],
        "metric_spec": spec,
        "rows": {"training": n_train, "reference": len(reference), "current": len(current)},
        "graph_shape": {"nodes": n_nodes,
                        "sources": sum(1 for v in graph["nodes"].values() if v["kind"] == "source"),
                        "features": sum(1 for v in graph["nodes"].values() if v["kind"] == "feature"),
                        "models": sum(1 for v in graph["nodes"].values() if v["kind"] == "model"),
                        "infra": sum(1 for v in graph["nodes"].values() if v["kind"] == "infra"),
                        "metrics": sum(1 for v in graph["nodes"].values() if v["kind"] == "metric")},
        "model": p.algo,
        "domain": p.domain,
        "real_data": p.real,
        "real_label": p.use_real_label,
        "classes": list(p.classes) if p.classes else None,
        "seconds": None,
    }
    info["seconds"] = round(_time.perf_counter() - t_start, 3)
    return Case(seed=plan["seed"], graph=graph, reference=reference, current=current, metric=metric_id,
                truth=truth, info=info)
