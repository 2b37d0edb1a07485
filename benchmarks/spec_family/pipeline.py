"""A world, its feature pipeline, its label mechanism and its model: one production pipeline.

`Pipeline.run(n, rng, fault)` plays one window end to end: the world draws true source
values, the label is drawn from its parents, the sources are logged (where measurement
faults act), the feature code computes features (where serving faults act), the model
scores the rows (where a bad model version acts) and the business column is computed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import (ExtraTreesClassifier, HistGradientBoostingClassifier,
                              HistGradientBoostingRegressor, RandomForestClassifier,
                              RandomForestRegressor)
from sklearn.linear_model import LogisticRegression, Ridge

from .feature_code import FeatureCode
from .parts import BANDS, Encoder, Feature, Model, num, sigmoid  # noqa: F401
from .worlds import DOMAIN_VOCAB, SourceSpec, load_real


class Pipeline(FeatureCode):
    """One pipeline of one world, fitted on its training window."""

    def __init__(self, plan, rng):
        self.plan = plan
        self.kind = plan["kind"]
        self.mode = plan["failure_mode"]
        self.rng = rng
        self.domain = plan["domain"]
        self.voc = DOMAIN_VOCAB[self.domain]
        real = plan["real_data"]
        self.real = real
        self._build_sources(rng)
        self._build_label(rng)
        self._build_features(rng)

    # -- sources
    def _build_sources(self, rng):
        voc = self.voc
        self.src = {}  # name -> dict(kind, spec, parent, null_rate, nonneg)
        self.real_frame = None
        self.real_label = None
        if self.real:
            f, types, lab, lkind = load_real(self.real)
            cols = list(f.columns)
            k = int(rng.integers(max(3, len(cols) - 3), len(cols) + 1))
            cols = sorted(rng.choice(cols, k, replace=False).tolist(), key=cols.index)
            self.real_frame = f[cols].reset_index(drop=True)
            self.real_label_all = lab
            self.real_label_kind = lkind
            self.real_sd = {c: float(np.std(f[c])) for c in cols if types[c] == "num"}
            for c in cols:
                nonneg = types[c] == "num" and float(f[c].min()) >= 0
                self.src[c] = dict(kind=types[c], spec=None, parent=None, null_rate=0.0, nonneg=nonneg)
        else:
            ncat = int(rng.integers(1, 4))
            nnum = int(rng.integers(3, min(7, len(voc["num"])) + 1))
            nflag = int(rng.integers(0, 3))
            cats = [voc["cat"][i] for i in sorted(rng.choice(len(voc["cat"]), ncat, replace=False))]
            nums = [voc["num"][i] for i in sorted(rng.choice(len(voc["num"]), nnum, replace=False))]
            flags = [voc["flag"][i] for i in sorted(rng.choice(len(voc["flag"]), nflag, replace=False))]
            catspecs = []
            for name, lv in cats:
                nl = int(rng.integers(3, len(lv) + 1))
                sp = SourceSpec(name, "cat", rng, levels=lv[:nl])
                catspecs.append(sp)
                self.src[name] = dict(kind="cat", spec=sp, parent=None, null_rate=0.0, nonneg=False)
            for name, gen in nums:
                parent = catspecs[int(rng.integers(0, len(catspecs)))] if (rng.random() < 0.3 and gen != "rate") else None
                sp = SourceSpec(name, gen, rng, parent=parent)
                self.src[name] = dict(kind="num", spec=sp, parent=parent.name if parent else None,
                                      null_rate=0.0, nonneg=sp.nonneg)
            for name in flags:
                sp = SourceSpec(name, "flag", rng)
                self.src[name] = dict(kind="bool", spec=sp, parent=None, null_rate=0.0, nonneg=False)
        # entity activity source: always synthetic, entity-level behaviour
        self.entity = voc["entity"]
        self.activity = voc["activity"]
        if self.activity in self.src:
            self.activity = self.activity + "_total"
        self.src[self.activity] = dict(kind="num", spec=None, parent=None, null_rate=0.0, nonneg=True)
        self.n_entities = int(rng.integers(800, 4000))
        self.mu_b = rng.uniform(2.5, 5.0)
        self.b = rng.normal(self.mu_b, 0.7, self.n_entities)
        rho = rng.uniform(0.0, 0.4)
        self.b_old = self.mu_b + rho * (self.b - self.mu_b) + np.sqrt(1 - rho ** 2) * rng.normal(0, 0.7, self.n_entities)
        w = 1.0 / np.arange(1, self.n_entities + 1) ** 0.6
        self.entity_p = w / w.sum()
        # a numeric source with a steady share of nulls (an optional field)
        numeric = [s for s, d in self.src.items() if d["kind"] == "num" and s != self.activity]
        self.nullable = None
        if numeric and rng.random() < 0.7:
            self.nullable = str(rng.choice(numeric))
            self.src[self.nullable]["null_rate"] = float(rng.uniform(0.08, 0.2))
        # an audit source feeding only unused features (room for harmless drift)
        self.audit = None
        if rng.random() < 0.6:
            self.audit = str(rng.choice(["ingest_batch_size", "client_sdk_build", "log_shard_load"]))
            self.src[self.audit] = dict(kind="num", spec=None, parent=None, null_rate=0.0, nonneg=True)
            self.audit_mu = rng.uniform(3, 6)

    # -- draw true values
    def draw_true(self, n, rng, fault=None):
        f = fault or {}
        pool = n
        shift = f.get("type") == "distribution_shift"
        if shift:
            pool = 3 * n
        T = {}
        if self.real:
            idx = rng.integers(0, len(self.real_frame), pool)
            fr = self.real_frame.iloc[idx].reset_index(drop=True)
            for c in fr.columns:
                v = fr[c].to_numpy()
                if self.src[c]["kind"] == "num":
                    v = v.astype(float) + rng.normal(0, 0.03 * self.real_sd[c], pool)
                    if self.src[c]["nonneg"]:
                        v = np.abs(v)
                    v = np.round(v, 4)
                elif self.src[c]["kind"] == "cat":
                    v = v.astype(object)
                T[c] = v
            T["_real_label"] = np.asarray(self.real_label_all)[idx]
        else:
            for name, d in self.src.items():
                sp = d["spec"]
                if sp is None or d["kind"] != "cat":
                    continue
                cw = None
                T[name] = sp.draw(pool, rng, cat_weights=cw)
            for name, d in self.src.items():
                sp = d["spec"]
                if sp is None or d["kind"] == "cat":
                    continue
                T[name] = sp.draw(pool, rng, parent_values=T.get(d["parent"]))
        ent = rng.choice(self.n_entities, pool, p=self.entity_p)
        T["_ent"] = ent
        T["_b"] = self.b[ent]
        T["_jit"] = rng.normal(0, 1, pool)
        T["_jit2"] = rng.normal(0, 1, pool)
        T[self.activity] = np.round(np.exp(T["_b"] + 0.9 * rng.normal(0, 1, pool)), 2)
        if self.audit:
            T[self.audit] = np.round(np.exp(rng.normal(self.audit_mu + f.get("audit_shift", 0.0), 0.4, pool)), 1)
        T = pd.DataFrame(T)
        if shift:
            col = f["column"]
            v = T[col].to_numpy()
            if f.get("toward_hard"):
                e = self.hardness_of(col, v)
                s = (e - e.mean()) / (e.std() + 1e-9)
                w = np.exp(np.clip(f["beta"] * s, -6, 6))
            elif self.src[col]["kind"] == "num":
                x = num(v)
                s = (x - np.nanmedian(x)) / (np.nanquantile(x, 0.75) - np.nanquantile(x, 0.25) + 1e-9)
                w = np.exp(np.clip(f["direction"] * f["beta"] * s, -6, 6))
            else:
                w = np.where(np.asarray(v, dtype=object) == f["level"], f["beta"] * 4 + 1.0, 1.0)
            w = np.where(rng.random(pool) < f["fraction"], w, 1.0)
            pick = rng.choice(pool, n, replace=False, p=w / w.sum())
            T = T.iloc[np.sort(pick)].reset_index(drop=True)
        if f.get("type") == "out_of_distribution":
            col = f["column"]
            hit = rng.random(n) < f["fraction"]
            T["_ood"] = hit
            if self.src[col]["kind"] == "num":
                hi = self.support[col][1]
                lo = self.support[col][0]
                span = max(hi - lo, 1e-6)
                newv = hi + span * rng.uniform(0.3, 0.3 + 1.5 * f["strength"], n)
                v = T[col].to_numpy().astype(float)
                if T[col].dtype.kind in "iu":
                    newv = np.round(newv)
                T[col] = np.where(hit, newv, v).astype(T[col].dtype)
            else:
                T[col] = np.where(hit, f["new_level"], T[col].to_numpy(dtype=object)).astype(object)
        return T

    # -- label
    def _build_label(self, rng):
        kind = self.kind
        self.use_real_label = False
        if self.real:
            lk = self.real_label_kind
            compat = {"binary": lk in ("binary", "wage", "latency"), "regression": lk in ("wage", "latency", "regression"),
                      "multiclass": lk == "class", "mean": lk in ("binary", "wage", "latency")}
            if compat[kind] and self.mode not in ("out_of_distribution", "stale_values") and rng.random() < 0.75:
                self.use_real_label = True
        voc = self.voc
        if kind in ("binary", "mean"):
            self.label = voc["binary"]
        elif kind == "multiclass":
            self.label = voc["multi"][0]
        else:
            self.label = voc["regression"]
        if self.label in self.src:
            self.label = self.label + "_true"
        if self.use_real_label:
            lk = self.real_label_kind
            if lk == "class":
                self.classes = sorted(set(np.asarray(self.real_label_all).tolist()))
            else:
                self.classes = None
            if kind == "regression":
                # a redefined target's offset is a share of the label's typical size
                self.reg_base = float(np.median(np.abs(np.asarray(self.real_label_all, float))))
            if kind in ("binary", "mean") and lk in ("wage", "latency"):
                self.real_cut = float(np.quantile(self.real_label_all, rng.uniform(0.6, 0.85)))
            self.label_parents = [c for c in self.real_frame.columns]
            return
        cands = [s for s, d in self.src.items() if s not in (self.activity, self.audit)]
        k = int(rng.integers(2, min(4, len(cands)) + 1))
        self.label_parents = sorted(rng.choice(cands, k, replace=False).tolist(), key=list(self.src).index)
        self.label_parents.append(self.activity)
        self.beta = {c: float(rng.choice([-1, 1]) * rng.uniform(0.6, 1.4)) for c in self.label_parents}
        self.shape = {c: str(rng.choice(["lin", "sat", "hinge"])) for c in self.label_parents}
        self.level_effect = {}
        self.inter = tuple(rng.choice(self.label_parents, 2, replace=False).tolist())
        self.beta_int = float(rng.uniform(-0.6, 0.6))
        self.beta_e = float(rng.choice([-1, 1]) * rng.uniform(0.8, 1.5))
        if kind == "multiclass":
            K = int(rng.integers(3, 7))
            names = voc["multi"][1]
            self.classes = list(names[:K])
            self.B = rng.normal(0, 1.0, (K, len(self.label_parents) + 1))
            self.cbias = rng.normal(0, 0.4, K)
        else:
            self.classes = None
        # scales of the parents, from a pilot draw of the world
        pilot = self.draw_true(4000, np.random.default_rng(rng.integers(0, 2 ** 31)))
        self.scale = {}
        self.support = {}
        for c in self.src:
            if c not in pilot:
                continue
            if self.src[c]["kind"] == "num":
                x = num(pilot[c])
                self.support[c] = (float(np.min(x)), float(np.max(x)))
        for c in self.label_parents:
            kd = self.src[c]["kind"]
            if kd == "num":
                x = num(pilot[c])
                med = float(np.median(x))
                iqr = float(np.quantile(x, 0.75) - np.quantile(x, 0.25)) or float(np.std(x) + 1e-9)
                self.scale[c] = (med, iqr, float(np.quantile(x, 0.995)))
            elif kd == "cat":
                lv = sorted(set(pilot[c].tolist()), key=str)
                self.level_effect[c] = dict(zip(lv, rng.normal(0, 1.0, len(lv))))
        self._ood_sign = 1.0
        eta = self._eta(pilot)
        if kind in ("binary", "mean"):
            self.base_rate = float(rng.uniform(0.12, 0.5))
            lo, hi = -15.0, 15.0
            for _ in range(40):
                mid = (lo + hi) / 2
                if sigmoid(eta + mid).mean() < self.base_rate:
                    lo = mid
                else:
                    hi = mid
            self.intercept = (lo + hi) / 2
        elif kind == "regression":
            self.reg_mu = float(np.mean(eta))
            self.reg_sd = float(np.std(eta) + 1e-9)
            self.reg_base = float(rng.choice([30.0, 120.0, 400.0, 8.0]))

    def _g(self, c, v, flip=None):
        kd = self.src[c]["kind"]
        if kd == "num":
            med, iqr, q = self.scale[c]
            s = (num(v) - med) / iqr
            s = np.where(np.isfinite(s), s, 0.0)
            sh = self.shape[c]
            g = s if sh == "lin" else (np.tanh(s) if sh == "sat" else np.maximum(s, 0))
            g = np.clip(g, -4, 4)
            # beyond what was ever seen the outcome behaves differently (an unsupported segment)
            sq = (q - med) / iqr
            g = g - self._ood_sign * np.sign(self.beta[c]) * 3.0 * np.clip(s - sq, 0, 3)
            return g
        if kd == "cat":
            eff = self.level_effect[c]
            unseen = -2.5 * self._ood_sign * np.sign(self.beta[c])
            return np.array([eff.get(x, unseen) for x in np.asarray(v, dtype=object)], float)
        return np.asarray(v, dtype=float) * 2 - 1

    def _eta(self, T, flip=None):
        eta = np.zeros(len(T))
        G = {}
        for c in self.label_parents:
            if c == self.activity:
                G[c] = (T["_b"].to_numpy() - self.mu_b) / 0.7
                coef = self.beta_e
            else:
                G[c] = self._g(c, T[c])
                coef = self.beta[c]
            if flip is not None and flip[0] == c:
                coef = np.where(flip[1], -coef, coef)
            eta = eta + coef * G[c]
        a, b = self.inter
        eta = eta + self.beta_int * G[a] * G[b]
        self._G = G
        return eta

    def draw_label(self, T, rng, fault=None):
        f = fault or {}
        n = len(T)
        kind = self.kind
        self._ood_sign = f.get("ood_sign", 1.0)
        flip = None
        if f.get("type") == "concept_drift" and f["variant"] == "flip" and not self.use_real_label:
            flip = (f["column"], self._region(T, f) & (rng.random(n) < f["fraction"]))
        if self.use_real_label:
            y = np.asarray(T["_real_label"])
            if kind in ("binary", "mean"):
                if self.real_label_kind in ("wage", "latency"):
                    y = (y.astype(float) >= self.real_cut).astype(int)
                else:
                    y = y.astype(int)
            elif kind == "regression":
                y = y.astype(float)
            else:
                y = y.astype(object)
        else:
            eta = self._eta(T, flip)
            if kind in ("binary", "mean"):
                y = (rng.random(n) < sigmoid(eta + self.intercept)).astype(int)
            elif kind == "multiclass":
                Gm = np.column_stack([self._G[c] for c in self.label_parents] + [np.ones(n)])
                logits = 1.3 * Gm @ self.B.T + self.cbias
                P = np.exp(logits - logits.max(axis=1, keepdims=True))
                P /= P.sum(axis=1, keepdims=True)
                u = rng.random(n)[:, None]
                y = np.asarray(self.classes, dtype=object)[np.minimum((P.cumsum(axis=1) < u).sum(axis=1), len(self.classes) - 1)]
            else:
                z = (eta - self.reg_mu) / self.reg_sd
                y = np.round(self.reg_base * np.exp(0.45 * z + 0.2 * rng.normal(0, 1, n)), 3)
        if f.get("type") == "concept_drift" and (f["variant"] == "permute" or self.use_real_label):
            reg = np.flatnonzero(self._region(T, f))
            take = reg[rng.random(len(reg)) < f["fraction"]]
            if len(take) > 1:
                y = y.copy()
                y[take] = y[rng.permutation(take)]
        if f.get("type") == "label_shift":
            y = y.copy()
            hit = rng.random(n) < f["fraction"]
            if kind in ("binary", "mean"):
                src = f["from"]
                y = np.where(hit & (y == src), 1 - src, y)
            elif kind == "multiclass":
                y = np.where(hit & (y == f["from"]), f["to"], y).astype(object)
            else:
                y = np.where(hit, np.round(y * f["factor"] + f["offset"], 3), y)
        return y

    def _region(self, T, f):
        c = f["column"]
        if self.src[c]["kind"] == "num":
            x = num(T[c])
            return x > f["cut"]
        return np.asarray(T[c], dtype=object) == f["level"]

    # -- features
    def fit(self, rng, n_train):
        T = self.draw_true(n_train, rng)
        y = self.draw_label(T, rng)
        L = pd.DataFrame({s: T[s] for s in self.src})
        for s, d in self.src.items():
            if d["null_rate"] > 0:
                L[s] = np.where(rng.random(n_train) < d["null_rate"], np.nan, L[s].to_numpy().astype(float))
        if self.kind == "regression":
            ynum = np.log(np.maximum(y.astype(float), 1e-3))
        elif self.kind == "multiclass":
            ynum = (y == self.classes[0]).astype(float)
        else:
            ynum = y.astype(float)
        for ft in self.features.values():
            ft.fit(L, ynum, rng)
        self.infra_default = float(np.round(np.exp(self.mu_b + 0.405), 2))
        _, F, _, _ = self.features_of(T, rng)
        X = self._inputs(L, F)
        self.algo = str(rng.choice(["ridge", "hist_gbm", "random_forest"] if self.kind == "regression"
                                   else ["logistic", "hist_gbm", "random_forest", "extra_trees"]))
        self.model = Model("regression" if self.kind == "regression" else
                           ("multiclass" if self.kind == "multiclass" else "binary"), self.algo, self.classes, rng).fit(X, y)
        self.train = (X, y)
        # how much the model's output moves when one input is shuffled (where a fault can show)
        Xs = X.iloc[:1500].reset_index(drop=True)
        base = self.model.raw(Xs)
        prng = np.random.default_rng(12345)
        self.importance = {}
        for col in self.inputs:
            Xp = Xs.copy()
            Xp[col] = Xs[col].to_numpy()[prng.permutation(len(Xs))]
            d = np.abs(self.model.raw(Xp) - base)
            if self.kind == "regression":
                d = d / (np.abs(base) + 1e-9)
            self.importance[col] = float(np.mean(d))
        # per-row error of the model on a fresh window: which source values are harder
        Tv = self.draw_true(3000, prng)
        yv = self.draw_label(Tv, prng)
        Lv, Fv, _, _ = self.features_of(Tv, prng)
        out = self.model.raw(self._inputs(Lv, Fv))
        if self.kind == "regression":
            err = np.abs(np.log(np.maximum(out, 1e-6)) - np.log(np.maximum(yv.astype(float), 1e-6)))
        elif self.kind == "multiclass":
            idx = np.array([self.classes.index(c) if c in self.classes else 0 for c in yv])
            err = 1 - out[np.arange(len(idx)), idx]
        else:
            err = np.abs(yv.astype(float) - out)
        self._val = (Tv, err)
        self.src_importance = {}
        for s in self.src:
            v = self.importance.get(s, 0.0)
            v += sum(self.importance.get(n, 0.0) for n, ft in self.features.items() if s in ft.parents)
            self.src_importance[s] = v
        return self

    def hardness_of(self, col, values):
        """The model's mean error on the validation window at these values of a source."""
        Tv, err = self._val
        if self.src[col]["kind"] == "num":
            xv = num(Tv[col])
            ok = np.isfinite(xv)
            edges = np.unique(np.nanquantile(xv[ok], np.linspace(0.1, 0.9, 9)))
            b = np.digitize(xv[ok], edges)
            means = np.array([err[ok][b == i].mean() if np.any(b == i) else err.mean() for i in range(len(edges) + 1)])
            x = num(values)
            return means[np.digitize(np.nan_to_num(x, nan=float(np.nanmedian(xv))), edges)]
        m = pd.Series(err).groupby(np.asarray(Tv[col], dtype=object)).mean().to_dict()
        return np.array([m.get(v, float(err.mean())) for v in np.asarray(values, dtype=object)], float)

    def _inputs(self, L, F):
        cols = {}
        for c in self.inputs:
            cols[c] = F[c] if c in F else L[c]
        return pd.DataFrame(cols)
