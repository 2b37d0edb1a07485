"""The pipeline's feature code: which features a world gets, and computing them for a window (with serving faults)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import (ExtraTreesClassifier, HistGradientBoostingClassifier,
                              HistGradientBoostingRegressor, RandomForestClassifier,
                              RandomForestRegressor)
from sklearn.linear_model import LogisticRegression, Ridge

from .parts import BANDS, Feature, num, sigmoid  # noqa: F401


class FeatureCode:
    """Mixed into ``Pipeline``: the features it builds and computes."""

    def _build_features(self, rng):
        self.features = {}
        used_names = set(self.src) | {self.label}

        def add(name, ftype, parents, used=True):
            base = name
            i = 2
            while name in used_names:
                name = f"{base}_{i}"
                i += 1
            used_names.add(name)
            ft = Feature(name, ftype, parents, used=used)
            self.features[name] = ft
            return ft

        numeric = [s for s, d in self.src.items() if d["kind"] == "num" and s not in (self.activity, self.audit)]
        cats = [s for s, d in self.src.items() if d["kind"] == "cat"]
        for s in numeric:
            opts = ["z", "clip", "band"] + (["log"] if self.src[s]["nonneg"] else [])
            if s == self.nullable:
                add(f"{s}_filled", "impute", [s])
                continue
            k = 1 if rng.random() < 0.65 else 2
            for t in rng.choice(opts, k, replace=False):
                suffix = {"z": "z", "clip": "capped", "band": "band", "log": "log"}[t]
                add(f"{s}_{suffix}", str(t), [s])
        for s in cats:
            t = str(rng.choice(["catmap", "catmap", "group", "is_top"]))
            if t == "catmap":
                add(f"{s}_risk_index", "catmap", [s])
            elif t == "group":
                add(f"{s}_group", "group", [s])
            else:
                add(f"{s}_is_top", "is_top", [s])
        nn = [s for s in numeric if s != self.nullable]
        if len(nn) >= 2:
            for _ in range(int(rng.integers(1, 3))):
                a, b = rng.choice(nn, 2, replace=False)
                add(f"{a}_per_{b}", "ratio", [str(a), str(b)])
        if nn and cats and rng.random() < 0.6:
            a, c = str(rng.choice(nn)), str(rng.choice(cats))
            add(f"{a}_vs_{c}", "seg_rel", [a, c])
        ea = add(f"{self.activity}_30d_avg", "entity_avg", [self.activity])
        ea.freshness = f"{ea.name}_computed_at"
        if rng.random() < 0.5:
            add(f"{self.activity}_log", "log", [self.activity])
        # skew-capable feature guaranteed
        if not any(f.ftype in ("clip", "band", "impute", "catmap", "seg_rel") for f in self.features.values()):
            banded = nn[0] if nn else (numeric[0] if numeric else self.activity)
            add(f"{banded}_band", "band", [banded])
        # some features the model does not read
        names = [n for n, f in self.features.items() if f.ftype != "entity_avg"]
        k_unused = int(rng.integers(1, min(3, max(1, len(names) - 2)) + 1))
        for nme in rng.choice(names, k_unused, replace=False):
            self.features[str(nme)].used = False
        if self.audit:
            add(f"{self.audit}_log", "log", [self.audit], used=False)
        # every source that feeds nothing used is at least a model input if it is a flag
        self.raw_inputs = [s for s, d in self.src.items() if d["kind"] == "bool"]
        if cats and rng.random() < 0.35:
            self.raw_inputs.append(str(rng.choice(cats)))
        # infra
        self.infra = None
        self.infra_latency = None
        if self.mode == "infrastructure" or rng.random() < 0.65:
            self.infra = str(rng.choice(["feature_store", "profile_service", "enrichment_api", "online_cache"]))
            kids = [ea.name] + [n for n, f in self.features.items()
                                if f.used and f.ftype in ("catmap", "seg_rel", "ratio", "z") and n != ea.name]
            kids = kids[:int(rng.integers(2, 4))]
            if len(kids) < 2:
                extra = [n for n, f in self.features.items() if f.used and n not in kids]
                kids += extra[:1]
            for k_ in kids:
                self.features[k_].infra = self.infra
            self.infra_kids = kids
            if rng.random() < 0.4:
                self.infra_latency = f"{self.infra}_latency_ms"
        # model inputs in graph order
        self.inputs = [n for n, f in self.features.items() if f.used] + self.raw_inputs
        rng.shuffle(self.inputs)

    # -- logging and features of one window
    def features_of(self, T, rng, fault=None):
        f = fault or {}
        n = len(T)
        L = pd.DataFrame({s: T[s] for s in self.src})
        for s, d in self.src.items():
            if d["null_rate"] > 0:
                x = L[s].to_numpy().astype(float)
                L[s] = np.where(rng.random(n) < d["null_rate"], np.nan, x)
        typ = f.get("type")
        if typ in ("scale_change", "missing_values", "schema_change") and f.get("where") == "source":
            col = f["column"]
            hit = rng.random(n) < f["fraction"]
            v = L[col].to_numpy()
            if typ == "scale_change":
                x = num(v)
                nv = np.round(x * f["factor"], 4)
                L[col] = np.where(hit, nv, x)
            elif typ == "missing_values":
                if f["variant"] == "null":
                    if self.src[col]["kind"] == "num":
                        L[col] = np.where(hit, np.nan, num(v))
                    else:
                        L[col] = pd.Series(np.where(hit, None, v.astype(object)), dtype=object)
                else:
                    if self.src[col]["kind"] == "num":
                        L[col] = np.where(hit, f["default"], num(v))
                    elif self.src[col]["kind"] == "bool":
                        L[col] = np.where(hit, False, v.astype(bool))
                    else:
                        L[col] = np.where(hit, f["default_level"], v.astype(object)).astype(object)
            else:  # schema_change
                if self.src[col]["kind"] == "num":
                    x = num(v)
                    txt = np.array([("%.4f" % a).rstrip("0").rstrip(".") if np.isfinite(a) else "" for a in x], dtype=object)
                    bad = np.array([f["fmt"](a) for a in x], dtype=object)
                    L[col] = pd.Series(np.where(hit, bad, txt), dtype=object)
                else:
                    ren = f["rename"]
                    vv = v.astype(object)
                    L[col] = np.array([ren.get(a, a) if h else a for a, h in zip(vv, hit)], dtype=object)
        F = {}
        skew = None
        if typ == "pipeline_skew":
            skew = rng.random(n) < f["fraction"]
        infra_hit = None
        if typ == "infrastructure":
            infra_hit = rng.random(n) < f["fraction"]
        stale_hit = None
        for name, ft in self.features.items():
            sk = skew if (skew is not None and f["column"] == name) else None
            ft.skew_dir = f.get("skew_dir", 1.0)
            val = ft.compute(L, T, skew=sk)
            if ft.ftype == "entity_avg" and typ == "stale_values" and f["column"] == name:
                ent = T["_ent"].to_numpy()
                ent_hit = np.random.default_rng(f["ent_seed"]).random(self.n_entities) < f["fraction"]
                stale_hit = ent_hit[ent]
                stale_val = np.round(np.exp(self.b_old[ent] + 0.405), 2)
                val = np.where(stale_hit, stale_val, val)
            if typ in ("scale_change", "missing_values") and f.get("where") == "feature" and f["column"] == name:
                hit = rng.random(n) < f["fraction"]
                if typ == "scale_change":
                    val = np.where(hit, np.round(val * f["factor"] + f.get("offset", 0.0), 5), val)
                elif f["variant"] == "null":
                    if ft.is_categorical:
                        val = np.where(hit, None, val).astype(object)
                    else:
                        val = np.where(hit, np.nan, val.astype(float))
                else:
                    if ft.is_categorical:
                        val = np.where(hit, "unknown", val).astype(object)
                    elif ft.is_bool:
                        val = np.where(hit, False, val)
                    else:
                        val = np.where(hit, f["default"], val.astype(float))
            if infra_hit is not None and ft.infra == self.infra:
                if ft.ftype == "entity_avg":
                    val = np.where(infra_hit, self.infra_default, val)
                elif ft.ftype == "catmap":
                    val = np.where(infra_hit, ft.c["default"], val)
                elif ft.is_categorical:
                    val = np.where(infra_hit, "unknown", val).astype(object)
                elif ft.is_bool:
                    val = np.where(infra_hit, False, val)
                else:
                    val = np.where(infra_hit, 0.0, val.astype(float))
            F[name] = val
        F = pd.DataFrame(F)
        return L, F, stale_hit, infra_hit
