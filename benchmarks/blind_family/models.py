"""The model node: a real scikit-learn model fitted on the training window,
applied to each window's (possibly faulted) inputs, as in production.

A model_change fault swaps the serving model for some or all rows (a bad
fine-tune, an old artifact trained on fewer inputs, a miscalibrated
release), and the version column, when the graph has one, says which rows
the new version served.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .pipeline import Node

ESTIMATORS = ("logistic", "boosting", "forest")


def _estimator(kind, task, seed):
    if task == "binary":
        if kind == "logistic":
            return LogisticRegression(max_iter=400, C=1.0)
        if kind == "boosting":
            return HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=15,
                                                  learning_rate=0.1, random_state=seed)
        return RandomForestClassifier(n_estimators=50, max_depth=8, min_samples_leaf=5,
                                      n_jobs=1, random_state=seed)
    if kind == "logistic":
        return Ridge(alpha=1.0)
    if kind == "boosting":
        return HistGradientBoostingRegressor(max_iter=60, max_leaf_nodes=15,
                                             learning_rate=0.1, random_state=seed)
    return RandomForestRegressor(n_estimators=50, max_depth=8, min_samples_leaf=5,
                                 n_jobs=1, random_state=seed)


def _design(frame, numeric, categorical):
    X = pd.DataFrame(index=frame.index)
    for c in numeric:
        X[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    for c in categorical:
        X[c] = [("missing" if pd.isna(v) else str(v)) for v in frame[c]]
    return X


def fit_model(frame, y, numeric, categorical, kind, task, seed):
    pre = ColumnTransformer(
        [("num", make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                               StandardScaler()), list(numeric)),
         ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(categorical))],
        remainder="drop")
    model = make_pipeline(pre, _estimator(kind, task, seed))
    model.fit(_design(frame, numeric, categorical), y)
    return model


def predict(model, frame, numeric, categorical, task):
    X = _design(frame, numeric, categorical)
    if task == "binary":
        return model.predict_proba(X)[:, 1]
    return model.predict(X)


def model_node(id, column, inputs, label_column, task, kind, seed, version_column=None,
               spec=None) -> Node:
    """``inputs``: list of (column, "numeric"|"categorical")."""
    numeric = [c for c, t in inputs if t != "categorical"]
    categorical = [c for c, t in inputs if t == "categorical"]

    def fn(ctx):
        if ctx.window == "train" or id not in ctx.state:
            fit_rows = ~ctx.frame.get("_warm", pd.Series(False, index=ctx.frame.index)).to_numpy(bool)
            tr = ctx.frame[fit_rows]
            y = tr[label_column].to_numpy()
            ctx.state[id] = fit_model(tr, y, numeric, categorical, kind, task, seed)
            ctx.state[id + ":train"] = (tr[numeric + categorical].copy(), y)
        s = predict(ctx.state[id], ctx.frame, numeric, categorical, task)
        version = np.full(len(s), "v3.2", dtype=object)
        f = ctx.fault_at(id)
        if f is not None:
            new = ctx.rng.random(len(s)) < f.params["share"]
            s2 = _changed_scores(ctx, f.params, s, numeric, categorical, task, kind)
            s = np.where(new, s2, s)
            version[new] = "v3.3"
        if version_column:
            ctx.frame[version_column] = version
        return s

    spec = dict(spec or {})
    if version_column:
        spec["version_column"] = version_column
    return Node(id, "model", [c for c, _ in inputs], column, fn, spec, {"model"})


def _changed_scores(ctx, p, s, numeric, categorical, task, kind):
    var = p["variant"]
    X, y = ctx.state[ctx.fault.node + ":train"]
    rng = np.random.default_rng(p["seed"])
    if var == "miscalibrated":
        if task == "binary":
            z = np.log(np.clip(s, 1e-6, 1 - 1e-6) / np.clip(1 - s, 1e-6, 1))
            return 1 / (1 + np.exp(-(z * p["slope"] + p["shift"])))
        sd = float(np.std(y)) or 1.0
        return s * p["slope"] + p["shift"] * sd
    if var == "bad_finetune":
        idx = rng.choice(len(y), size=min(len(y), p["rows"]), replace=False)
        yy = np.array(y[idx], copy=True)
        flip = rng.random(len(yy)) < p["noise"]
        if task == "binary":
            yy[flip] = 1 - yy[flip]
        else:
            yy = yy.astype(float)
            yy[flip] = rng.permutation(yy[flip]) if flip.sum() > 1 else yy[flip]
            yy = yy + rng.normal(0, p["noise"] * (np.std(yy) or 1.0), len(yy))
        if task == "binary" and len(np.unique(yy)) < 2:
            yy[0] = 1 - yy[0]
        m = fit_model(X.iloc[idx], yy, numeric, categorical, kind, task, int(p["seed"]) % 2**31)
        return predict(m, ctx.frame, numeric, categorical, task)
    if var == "old_artifact":
        drop = set(p["drop"])
        num2 = [c for c in numeric if c not in drop]
        cat2 = [c for c in categorical if c not in drop]
        if not num2 and not cat2:
            num2 = numeric[:1]
        m = fit_model(X, y, num2, cat2, kind, task, int(p["seed"]) % 2**31)
        return predict(m, ctx.frame, num2, cat2, task)
    raise ValueError(var)
