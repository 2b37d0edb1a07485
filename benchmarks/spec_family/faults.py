"""Faults: where each failure mode is injected, how strong, and how an attempt strengthens it."""
from __future__ import annotations

import numpy as np
import pandas as pd
from .metrics import Target, worsening_z
from .pipeline import Model, Pipeline, num, sigmoid
from .plan import (BINARY_METRICS, MULTICLASS_METRICS, REGRESSION_METRICS, plan_case)

SKEWABLE = ("clip", "band", "impute", "catmap", "seg_rel", "z", "log", "ratio", "entity_avg")
RELOCATABLE = {"distribution_shift", "out_of_distribution", "scale_change", "missing_values",
               "schema_change", "pipeline_skew", "concept_drift"}


# ----------------------------------------------------------------------------- helpers

def _log_uniform_int(rng, lo, hi):
    return int(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _used_sources(p: Pipeline):
    out = []
    for s in p.src:
        if s in p.raw_inputs:
            out.append(s)
            continue
        if any(s in f.parents and f.used for f in p.features.values()):
            out.append(s)
    return out


def _pick(p: Pipeline, cands, rng):
    """One of `cands`, more often those the model leans on (incidents that get investigated)."""
    cands = list(dict.fromkeys(cands))
    fresh = [c for c in cands if c not in p.tried]
    cands = fresh or cands
    w = np.array([p.importance.get(c, p.src_importance.get(c, 0.0)) for c in cands], float)
    w = w ** 2
    w = w + 0.02 * (w.max() if w.max() > 0 else 1.0) + 1e-12
    return str(cands[int(rng.choice(len(cands), p=w / w.sum()))])


def _fmt_bad(kind):
    if kind == "comma":
        return lambda a: ("{:,.2f}".format(a).replace(",", "X").replace(".", ",").replace("X", ".")
                          if np.isfinite(a) else "")
    if kind == "unit":
        return lambda a: (("%.2f" % a) + " units") if np.isfinite(a) else ""
    return lambda a: "N/A"


SCALE_FACTORS = (100.0, 1000.0, 0.01, 0.001, 60.0, 1 / 60.0, 3.6, 1 / 3.6, 2.2046, 0.4536)


def _plan_fault(p: Pipeline, mode, rng):
    """The fixed part of the fault: where it lives and which variant (drawn once per case)."""
    used = _used_sources(p)
    lp = p.label_parents
    if mode == "distribution_shift":
        cands = [s for s in lp if s in used and p.src[s]["kind"] in ("num", "cat") and s != p.audit] or \
                [s for s in used if p.src[s]["kind"] in ("num", "cat")]
        col = _pick(p, cands, rng)
        f = dict(type=mode, node=col, column=col, direction=float(rng.choice([-1, 1])))
        if p.src[col]["kind"] == "cat":
            lv = sorted(set(p.draw_true(500, np.random.default_rng(1))[col].tolist()), key=str)
            f["levels"] = lv
            f["level"] = str(rng.choice(lv))
        f["description"] = f"population shift at source {col}: rows re-weighted by its value (selection within support)"
        return f
    if mode == "out_of_distribution":
        cands = [s for s in lp if s in used and p.src[s]["kind"] == "num" and s != p.activity]
        catc = [s for s in lp if s in used and p.src[s]["kind"] == "cat"]
        if catc and (not cands or rng.random() < 0.3):
            col = _pick(p, catc, rng)
            return dict(type=mode, node=col, column=col, new_level=f"new_{col[:4]}_segment",
                        description=f"a segment never seen in training appears at {col}")
        if not cands:
            cands = [s for s in used if p.src[s]["kind"] == "num" and s != p.activity] or [p.activity]
        col = _pick(p, cands, rng)
        return dict(type=mode, node=col, column=col,
                    description=f"values of {col} beyond the training support (new market / product tier)")
    if mode == "scale_change":
        num_src = [s for s in used if p.src[s]["kind"] == "num"]
        num_feat = [n for n, ft in p.features.items() if ft.used and not ft.is_categorical and not ft.is_bool]
        where = "source" if (num_src and (rng.random() < 0.6 or not num_feat)) else "feature"
        col = _pick(p, num_src if where == "source" else num_feat, rng)
        factor = float(rng.choice(SCALE_FACTORS))
        what = "upstream unit change" if where == "source" else "served un-normalised / in other units"
        return dict(type=mode, node=col, column=col, where=where, factor=factor,
                    description=f"{what}: {col} x {factor:.4g}")
    if mode == "missing_values":
        where = "source" if rng.random() < 0.5 else "feature"
        if where == "source":
            cands = [s for s in used if s != p.nullable]
            col = _pick(p, cands, rng)
            kind = p.src[col]["kind"]
        else:
            cands = [n for n, ft in p.features.items() if ft.used]
            col = _pick(p, cands, rng)
            kind = "feat"
        variant = "null" if rng.random() < 0.6 else "default"
        f = dict(type=mode, node=col, column=col, where=where, variant=variant,
                 default=float(rng.choice([0.0, -1.0])), default_level="UNKNOWN")
        f["description"] = (f"feed outage at {col}: " + ("nulls" if variant == "null" else "default values filled"))
        return f
    if mode == "schema_change":
        cands = [s for s in used if p.src[s]["kind"] in ("num", "cat")]
        col = _pick(p, cands, rng)
        if p.src[col]["kind"] == "num":
            fk = str(rng.choice(["comma", "unit", "na"]))
            return dict(type=mode, node=col, column=col, where="source", fmtkind=fk, fmt=_fmt_bad(fk),
                        description=f"{col} now arrives as text ({fk} format) and is coerced to NaN where unparseable")
        lv = sorted(set(p.draw_true(500, np.random.default_rng(1))[col].tolist()), key=str)
        style = str(rng.choice(["upper", "code"]))
        ren = {v: (str(v).upper() if style == "upper" and str(v).upper() != str(v) else f"{col[:3]}_{i:02d}")
               for i, v in enumerate(lv)}
        return dict(type=mode, node=col, column=col, where="source", rename=ren,
                    description=f"categories of {col} renamed upstream ({style})")
    if mode == "stale_values":
        col = next(n for n, ft in p.features.items() if ft.ftype == "entity_avg")
        return dict(type=mode, node=col, column=col, ent_seed=int(rng.integers(0, 2 ** 31)),
                    description=f"{col} served from a frozen cache: old per-entity snapshots")
    if mode == "pipeline_skew":
        cands = [n for n, ft in p.features.items() if ft.used and ft.ftype in SKEWABLE]
        if not cands:
            cands = [n for n, ft in p.features.items() if ft.ftype in SKEWABLE]
        col = _pick(p, cands, rng)
        how = {"clip": "clipped at a different bound", "band": "bucketed with other band edges",
               "impute": "nulls filled with -1 instead of the training median",
               "catmap": "joined against another version of the lookup table",
               "seg_rel": "divided by the global median instead of the segment medians",
               "z": "stored unsigned, negative z-scores become 0",
               "log": "the log transform applied twice",
               "ratio": "numerator and denominator swapped",
               "entity_avg": "averaged over the last few events instead of 30 days"}[p.features[col].ftype]
        return dict(type=mode, node=col, column=col, description=f"serving computes {col} differently: {how}")
    if mode == "concept_drift":
        variant = "permute" if (p.use_real_label or rng.random() < 0.4) else "flip"
        cands = [c for c in p.label_parents if p.src[c]["kind"] in ("num", "cat")]
        col = str(rng.choice(cands))
        f = dict(type=mode, node=p.label, column=col, variant=variant)
        pilot = p.draw_true(3000, np.random.default_rng(2))
        if p.src[col]["kind"] == "num":
            f["cut"] = float(np.nanquantile(num(pilot[col]), rng.uniform(0.2, 0.6)))
            reg = f"{col} > {f['cut']:.4g}"
        else:
            vc = pd.Series(pilot[col].tolist()).value_counts()
            f["level"] = vc.index[int(rng.integers(0, min(3, len(vc))))]
            reg = f"{col} == {f['level']}"
        f["description"] = (f"outcome's relation to its inputs changed where {reg} "
                            + ("(effect of the driver reversed)" if variant == "flip" else "(outcomes decoupled from inputs)"))
        return f
    if mode == "label_shift":
        f = dict(type=mode, node=p.label)
        if p.kind in ("binary", "mean"):
            f["from"] = int(rng.integers(0, 2))
        elif p.kind == "multiclass":
            a, b = rng.choice(len(p.classes), 2, replace=False)
            f["from"], f["to"] = p.classes[a], p.classes[b]
            if rng.random() < 0.25:
                f["to"] = "new_policy_class"
        else:
            f["offset_share"] = float(rng.choice([0.0, 0.15]))
        f["description"] = "label definition / base rate changed (annotation policy), independent of the inputs"
        return f
    if mode == "model_change":
        variants = ["bad_finetune", "column_order"] + ([] if p.metric_name == "roc_auc" else ["calibration"])
        variant = str(rng.choice(variants))
        return dict(type=mode, node=p.model_node, variant=variant, new_version=p.version_new,
                    description=f"new model version {p.version_new} served: {variant.replace('_', ' ')}")
    if mode == "infrastructure":
        return dict(type=mode, node=p.infra,
                    description=f"{p.infra} timeouts: its features fall back to defaults together")
    raise ValueError(mode)


def _attempt_fault(p: Pipeline, base: dict, s0: float, frac0: float, attempt: int, rng):
    """The fault of one attempt: stronger at each attempt, directions alternated."""
    f = dict(base)
    s = min(1.0, s0 + 0.22 * attempt)
    frac = min(1.0, frac0 * (1.45 ** attempt))
    f["strength"], f["fraction"] = s, frac
    t = f["type"]
    if t == "distribution_shift":
        f["beta"] = 0.5 + 2.0 * s
        # from the third attempt on, the population moves towards the values where the model is weaker
        f["toward_hard"] = attempt >= 2 and attempt % 2 == 0
        if attempt % 2 == 1:
            f["direction"] = -f["direction"]
        if "levels" in f and attempt >= 1:
            f["level"] = f["levels"][attempt % len(f["levels"])]
        f["fraction"] = 1.0 if frac > 0.5 else max(frac, 0.4)
    elif t == "out_of_distribution":
        f["fraction"] = min(0.6, 0.1 + 0.5 * frac)
        f["ood_sign"] = 1.0 if attempt % 2 == 0 else -1.0
    elif t == "scale_change":
        # a rescaling applies to every row (the spec: shape preserved up to an affine map)
        f["fraction"] = 1.0
    if t == "scale_change" and attempt >= 2:
        f["factor"] = float(SCALE_FACTORS[(attempt + 3) % len(SCALE_FACTORS)]) if base["factor"] in (3.6, 1 / 3.6, 2.2046, 0.4536) else f["factor"]
    elif t == "label_shift":
        f["fraction"] = min(0.9, 0.08 + 0.5 * frac)
        if p.kind in ("binary", "mean") and attempt % 2 == 1:
            f["from"] = 1 - base["from"]
        if p.kind == "multiclass" and attempt >= 1:
            K = len(p.classes)
            f["from"] = p.classes[attempt % K]
            f["to"] = base["to"] if base["to"] == "new_policy_class" else p.classes[(attempt + 1) % K]
        if p.kind == "regression":
            f["factor"] = 1.0 + 0.15 + 0.6 * s
            f["offset"] = base["offset_share"] * p.reg_base
    elif t == "model_change":
        f["sign"] = 1.0 if attempt % 2 == 0 else -1.0
    elif t == "pipeline_skew":
        f["skew_dir"] = 1.0 if attempt % 2 == 0 else -1.0
    return f


def _new_model(p: Pipeline, variant, rng):
    X, y = p.train
    if variant == "bad_finetune":
        m = min(len(y), int(rng.integers(300, 900)))
        idx = rng.choice(len(y), m, replace=False)
        yy = np.asarray(y)[idx].copy()
        noisy = rng.random(m) < 0.45
        yy[noisy] = yy[rng.permutation(np.flatnonzero(noisy))] if noisy.sum() > 1 else yy[noisy]
        return Model(p.model.kind, p.algo, p.classes, rng).fit(X.iloc[idx].reset_index(drop=True), yy)
    return None
