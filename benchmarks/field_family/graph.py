"""The metric node and the lineage graph of a field-family case, from its world and plan."""

from __future__ import annotations

import numpy as np

from . import metrics as M


def metric_setup(w, plan):
    """(metric node id, spec for metrics.value, keys for the graph)."""
    name, keys = plan["metric_name"], dict(plan["metric_keys"])
    spec = {"metric": name}
    gkeys = {"metric": name}
    mid = name
    if "average" in keys:
        spec["average"] = gkeys["average"] = keys["average"]
        mid = f"{name}_{keys['average']}"
    if keys.get("class") == "CLASS":
        ci = (plan["block"] + plan["slot"]) % w["K"]
        cls = w["classes"][ci]
        spec["class_index"] = ci
        gkeys["class"] = cls
        mid = f"{cls}_{name}"
    if "k" in keys:
        spec["k"] = gkeys["k"] = keys["k"]
        mid = f"top{keys['k']}_accuracy"
    if w["kind"] == "mean":
        mid = "mean_" + w["names"]["profit"]
    if plan["metric_on_second_model"]:
        mid = f"{w['names']['model2']}_{mid}"
    return mid, spec, gkeys


def metric_data(w, plan, out, spec):
    kind = w["kind"]
    which = "second" if plan["metric_on_second_model"] else "primary"
    if kind == "mean":
        return M.MetricData("mean", spec, out["profit"], None)
    pred = out[which]
    if kind == "binary":
        return M.MetricData("binary", spec, out["y"], pred, threshold=w["threshold_" + which])
    if kind == "regression":
        return M.MetricData("regression", spec, out["y"], pred)
    return M.MetricData("multiclass", spec, out["y"], np.argmax(pred, axis=1), proba=pred,
                        classes=w["classes"])


def build_graph(w, plan, metric_id, gkeys, models):
    nm = w["names"]
    kind = w["kind"]
    nodes = {}
    store = {"kind": "infra", "description": "online store serving the 7-day aggregates"}
    if w["infra_observed"]:
        store["column"] = nm["latency"]
        store["dtype"] = "numeric"
        store["description"] = "online store serving the 7-day aggregates (request latency in ms)"
    nodes[nm["store"]] = store
    nodes[nm["num"]] = {"kind": "source", "column": nm["num"], "owner": "ingest",
                        "contract": {"dtype": "numeric", "min": 0}}
    nodes[nm["cnt"]] = {"kind": "source", "column": nm["cnt"], "contract": {"dtype": "numeric", "min": 0}}
    nodes[nm["cat"]] = {"kind": "source", "column": nm["cat"], "dtype": "categorical",
                        "contract": {"dtype": "categorical", "allowed": list(w["cats"])}}
    nodes[nm["flag"]] = {"kind": "source", "column": nm["flag"], "dtype": "boolean"}
    nodes[nm["hour"]] = {"kind": "source", "column": nm["hour"], "dtype": "numeric",
                         "contract": {"min": 0, "max": 23}}
    nodes[nm["opt"]] = {"kind": "source", "column": nm["opt"], "dtype": "numeric",
                        "description": "optional field, often left empty",
                        "contract": {"max_null_rate": round(min(0.5, w["q_null"] + 0.08), 2)}}
    feat = lambda parents, col, **kw: {"kind": "feature", "parents": parents, "column": col, **kw}
    nodes[nm["f_log"]] = feat([nm["num"]], nm["f_log"])
    nodes[nm["f_z"]] = feat([nm["f_log"]], nm["f_z"], description="z-score with training statistics")
    nodes[nm["f_ratio"]] = feat([nm["num"], nm["cnt"]], nm["f_ratio"])
    nodes[nm["agg"]] = feat([nm["num"], nm["store"]], nm["agg"], freshness=nm["agg_at"],
                            contract={"max_staleness": "2h"})
    nodes[nm["agg2"]] = feat([nm["cnt"], nm["store"]], nm["agg2"], freshness=nm["agg2_at"],
                             contract={"max_staleness": "2h"})
    nodes[nm["f_dev"]] = feat([nm["f_log"], nm["agg"]], nm["f_dev"])
    nodes[nm["f_cat_risk"]] = feat([nm["cat"]], nm["f_cat_risk"])
    nodes[nm["f_opt"]] = feat([nm["opt"]], nm["f_opt"], description="optional field, nulls filled")
    nodes[nm["f_risk"]] = feat([nm["f_dev"], nm["f_cat_risk"]], nm["f_risk"])
    nodes[nm["f_band"]] = feat([nm["f_risk"], nm["flag"]], nm["f_band"])
    for which, mnode, col, vcol, prefix in (
            ("primary", nm["model"], nm["model_col"], nm["version"], w["prob_prefix"]),
            ("second", nm["model2"], nm["model2_col"], nm["version2"], w["prob2_prefix"])):
        node = {"kind": "model", "parents": [c for c, _ in models[which]["inputs"]],
                "column": col, "version_column": vcol}
        if kind == "multiclass":
            node["scores"] = {c: prefix + c for c in w["classes"]}
        nodes[mnode] = node
    label = {"kind": "label", "column": nm["label"],
             "parents": [nm["num"], nm["agg"], nm["cnt"], nm["agg2"], nm["cat"], nm["flag"],
                         nm["hour"], nm["opt"]]}
    if kind == "multiclass":
        label["classes"] = list(w["classes"])
    nodes[nm["label"]] = label

    def metric_node(model_node, keys, which):
        node = {"kind": "metric", "parents": [model_node, nm["label"]], **keys}
        if kind == "binary":
            node["threshold"] = w["threshold_" + which]
            node["positive"] = 1
        return node

    case_model = nm["model2"] if plan["metric_on_second_model"] else nm["model"]
    which = "second" if plan["metric_on_second_model"] else "primary"
    if kind == "mean":
        nodes[metric_id] = {"kind": "metric", "metric": "mean", "column": nm["profit"],
                            "parents": [nm["model"], nm["label"]],
                            "description": "business result per application (approve when "
                                           f"score < {w['approve_below']})"}
        nodes[nm["model2"] + "_roc_auc"] = {"kind": "metric", "metric": "roc_auc",
                                            "parents": [nm["model2"], nm["label"]]}
    else:
        nodes[metric_id] = metric_node(case_model, gkeys, which)
        other_which = "primary" if which == "second" else "second"
        other_model = nm["model"] if other_which == "primary" else nm["model2"]
        other_key = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "mae"}[kind]
        other_id = f"{other_model}_{other_key}"
        if other_id != metric_id:
            nodes[other_id] = metric_node(other_model, {"metric": other_key}, other_which)
    return {
        "version": 1,
        "name": w["theme"],
        "description": f"{w['theme']} pipeline (field family, synthetic), one row per prediction event",
        "time_column": nm["time"],
        "key_column": nm["key"],
        "segments": [nm["cat"]],
        "nodes": nodes,
    }
