"""The pieces a pipeline is made of: numbers as feature code reads them, features, the encoder and the model."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import (ExtraTreesClassifier, HistGradientBoostingClassifier,
                              HistGradientBoostingRegressor, RandomForestClassifier,
                              RandomForestRegressor)
from sklearn.linear_model import LogisticRegression, Ridge

BANDS = np.array(["low", "mid", "high", "top"], dtype=object)


def num(x):
    """Numbers as the feature code reads them: text that does not parse becomes NaN."""
    if isinstance(x, pd.Series):
        x = x.to_numpy()
    if x.dtype.kind in "fiub":
        return x.astype(float)
    return pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(float)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ----------------------------------------------------------------------------- features

class Feature:
    def __init__(self, name, ftype, parents, used=True, infra=None):
        self.name, self.ftype, self.parents = name, ftype, list(parents)
        self.used, self.infra = used, infra
        self.freshness = None
        self.skew_dir = 1.0
        self.c = {}

    @property
    def is_categorical(self):
        return self.ftype in ("band", "group")

    @property
    def is_bool(self):
        return self.ftype == "is_top"

    def fit(self, L, ynum, rng):
        p = self.parents
        t = self.ftype
        if t in ("z", "clip", "band", "impute", "log"):
            x = num(L[p[0]])
            x = x[np.isfinite(x)]
            self.c.update(mu=float(x.mean()), sd=float(x.std() + 1e-9), lo=float(np.quantile(x, 0.01)),
                          hi=float(np.quantile(x, 0.99)), med=float(np.median(x)),
                          cuts=np.unique(np.quantile(x, [0.25, 0.5, 0.8])),
                          alt_hi=float(np.quantile(x, rng.uniform(0.45, 0.7))))
        if t == "catmap":
            s = pd.Series(ynum).groupby(np.asarray(L[p[0]], dtype=object)).agg(["sum", "count"])
            g = float(np.mean(ynum))
            table = ((s["sum"] + 20 * g) / (s["count"] + 20)).round(4)
            self.c.update(table=table.to_dict(), default=round(g, 4))
            vals = list(self.c["table"].values())
            perm = rng.permutation(len(vals))
            # the other version of the lookup table a serving bug would join
            self.c["alt_table"] = dict(zip(self.c["table"].keys(), [vals[i] for i in perm[::-1]]))
        if t == "group":
            lv = sorted(set(np.asarray(L[p[0]], dtype=object).tolist()), key=str)
            names = ["grp_a", "grp_b", "grp_c"]
            self.c["map"] = {v: names[int(rng.integers(0, 3))] for v in lv}
        if t == "is_top":
            vc = pd.Series(np.asarray(L[p[0]], dtype=object)).value_counts()
            self.c["top"] = vc.index[0]
        if t == "seg_rel":
            x = num(L[p[0]])
            cat = np.asarray(L[p[1]], dtype=object)
            ok = np.isfinite(x)
            med = pd.Series(x[ok]).groupby(cat[ok]).median()
            self.c.update(seg=med.to_dict(), med=float(np.median(x[ok])))
        if t == "ratio":
            pass
        if t == "entity_avg":
            pass

    def compute(self, L, T, skew=None):
        """The feature's values; `skew` is the serving path's different computation."""
        p, t, c = self.parents, self.ftype, self.c
        if t == "log":
            x = num(L[p[0]])
            out = np.round(np.log1p(np.clip(x, 0, None)), 5)
            if skew is not None:  # the serving path applies the transform twice
                out = np.where(skew, np.round(np.log1p(out), 5), out)
            return out
        if t == "z":
            out = np.round((num(L[p[0]]) - c["mu"]) / c["sd"], 5)
            if skew is not None:  # stored in an unsigned type at serving: the sign is lost
                out = np.where(skew & (out < 0), 0.0 if self.skew_dir > 0 else -out, out)
            return out
        if t == "clip":
            out = np.clip(num(L[p[0]]), c["lo"], c["hi"])
            if skew is not None:
                if self.skew_dir > 0:  # an upper bound far below the training one
                    alt = np.clip(num(L[p[0]]), c["lo"], c["alt_hi"])
                else:  # a lower bound far above the training one
                    alt = np.clip(num(L[p[0]]), min(c["alt_hi"], c["hi"]), c["hi"])
                out = np.where(skew, alt, out)
            return out
        if t == "band":
            x = num(L[p[0]])
            out = np.where(np.isfinite(x), BANDS[np.digitize(np.nan_to_num(x), c["cuts"])], "unknown").astype(object)
            if skew is not None:
                cuts = (c["cuts"] * 1.8 + 0.5 * c["sd"]) if self.skew_dir > 0 else (c["cuts"] * 0.5 - 0.5 * c["sd"])
                alt = np.where(np.isfinite(x), BANDS[np.digitize(np.nan_to_num(x), np.sort(cuts))],
                               "unknown").astype(object)
                out = np.where(skew, alt, out)
            return out
        if t == "impute":
            x = num(L[p[0]])
            out = np.where(np.isfinite(x), x, c["med"])
            if skew is not None:
                out = np.where(skew & ~np.isfinite(x), -1.0 if self.skew_dir > 0 else 999999.0, out)
            return out
        if t == "catmap":
            cat = np.asarray(L[p[0]], dtype=object)
            out = np.array([c["table"].get(v, c["default"]) for v in cat], float)
            if skew is not None:
                alt = np.array([c["alt_table"].get(v, c["default"]) for v in cat], float)
                out = np.where(skew, alt, out)
            return out
        if t == "group":
            cat = np.asarray(L[p[0]], dtype=object)
            return np.array([c["map"].get(v, "other") for v in cat], dtype=object)
        if t == "is_top":
            return np.asarray(L[p[0]], dtype=object) == c["top"]
        if t == "seg_rel":
            x = num(L[p[0]])
            cat = np.asarray(L[p[1]], dtype=object)
            den = np.array([c["seg"].get(v, c["med"]) for v in cat], float)
            if skew is not None:
                den = np.where(skew, c["med"], den)
            return np.round(x / np.maximum(den, 1e-6), 5)
        if t == "ratio":
            a, b = num(L[p[0]]), num(L[p[1]])
            out = np.round(a / (np.abs(b) + 1.0), 5)
            if skew is not None:  # the serving code passes the arguments in the other order
                out = np.where(skew, np.round(b / (np.abs(a) + 1.0), 5), out)
            return out
        if t == "entity_avg":
            b = T["_b"].to_numpy()
            jitter = T["_jit"].to_numpy()
            out = np.round(np.exp(b + 0.405) * (1 + 0.05 * jitter), 2)
            if skew is not None:  # serving averages over a short window (a few events) instead of 30 days
                short = np.exp(b + 0.405) * np.exp(0.8 * T["_jit2"].to_numpy() - 0.32)
                out = np.where(skew, np.round(short, 2), out)
            return out
        raise ValueError(t)


# ----------------------------------------------------------------------------- model

class Encoder:
    def __init__(self, linear):
        self.linear = linear

    def fit(self, X: pd.DataFrame):
        self.cols = list(X.columns)
        self.spec = {}
        for col in self.cols:
            v = X[col]
            if v.dtype == object or str(v.dtype).startswith(("str", "string", "category")):
                lv = pd.Series(np.asarray(v, dtype=object)).value_counts().index.tolist()[:12]
                self.spec[col] = ("cat", lv)
            else:
                x = num(v)
                med = float(np.nanmedian(x)) if np.isfinite(x).any() else 0.0
                xf = np.where(np.isfinite(x), x, med)
                self.spec[col] = ("num", med, float(xf.mean()), float(xf.std() + 1e-9))
        return self

    def transform(self, X):
        out = []
        for col in self.cols:
            s = self.spec[col]
            if s[0] == "cat":
                v = np.asarray(X[col], dtype=object)
                if self.linear:
                    for lev in s[1]:
                        out.append((v == lev).astype(float))
                else:
                    m = {lev: i for i, lev in enumerate(s[1])}
                    out.append(np.array([m.get(x, -1) for x in v], float))
            else:
                x = num(X[col])
                x = np.where(np.isfinite(x), x, s[1])
                if self.linear:
                    x = np.clip((x - s[2]) / s[3], -50, 50)
                out.append(x)
        return np.column_stack(out)


class Model:
    def __init__(self, kind, algo, classes, rng):
        self.kind, self.algo, self.classes = kind, algo, classes
        self.enc = Encoder(linear=algo in ("logistic", "ridge"))
        rs = int(rng.integers(0, 2 ** 31 - 1))
        if kind == "regression":
            self.est = {"ridge": Ridge(alpha=1.0),
                        "hist_gbm": HistGradientBoostingRegressor(max_iter=60, max_leaf_nodes=15, early_stopping=False, random_state=rs),
                        "random_forest": RandomForestRegressor(n_estimators=30, max_depth=10, min_samples_leaf=10,
                                                               random_state=rs, n_jobs=1)}[algo]
        else:
            self.est = {"logistic": LogisticRegression(max_iter=400, C=1.0),
                        "hist_gbm": HistGradientBoostingClassifier(max_iter=50 if kind == "binary" else 30,
                                                           learning_rate=0.1 if kind == "binary" else 0.15,
                                                           max_leaf_nodes=15, early_stopping=False, random_state=rs),
                        "random_forest": RandomForestClassifier(n_estimators=30, max_depth=10, min_samples_leaf=10,
                                                                random_state=rs, n_jobs=1),
                        "extra_trees": ExtraTreesClassifier(n_estimators=40, max_depth=12, min_samples_leaf=8,
                                                            random_state=rs, n_jobs=1)}[algo]

    def fit(self, X, y):
        Z = self.enc.fit(X).transform(X)
        if self.kind == "regression":
            self.est.fit(Z, np.log(np.maximum(y, 1e-3)))
        elif self.kind == "multiclass":
            self.est.fit(Z, np.asarray(y, dtype=object).astype(str))
        else:
            self.est.fit(Z, np.asarray(y, int))
        return self

    def raw(self, X, permute=None):
        Z = self.enc.transform(X)
        if permute is not None:
            Z = Z[:, permute]
        if self.kind == "regression":
            return np.exp(self.est.predict(Z))
        P = self.est.predict_proba(Z)
        if self.kind == "multiclass":
            order = [list(self.est.classes_).index(c) for c in self.classes]
            return P[:, order]
        return P[:, 1]


# ----------------------------------------------------------------------------- pipeline
