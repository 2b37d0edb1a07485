"""The metrics of the lineage spec, with row weights, and a Poisson bootstrap of them.

Written from spec/lineage.md only: binary metrics use `threshold` and `positive`,
multi-class ones `average` (macro, weighted, micro) or `class`, `k` for top-k.
"""
from __future__ import annotations

import numpy as np

LOWER_IS_BETTER = {"log_loss", "mae", "rmse", "mape"}
EPS = 1e-15


def _ranks(score):
    """Tie groups of the scores, in increasing order: (group of each row, number of groups)."""
    vals, inv = np.unique(score, return_inverse=True)
    return inv.reshape(np.shape(score)), len(vals)


def _auc(score, pos, w, ranks=None):
    """Weighted ROC AUC with ties counted half."""
    inv, nu = ranks if ranks is not None else _ranks(score)
    wp = np.bincount(inv, weights=w * pos, minlength=nu)
    wn = np.bincount(inv, weights=w * (1 - pos), minlength=nu)
    WP, WN = wp.sum(), wn.sum()
    if WP <= 0 or WN <= 0:
        return np.nan
    below = np.cumsum(wn) - wn
    return float(np.sum(wp * (below + 0.5 * wn)) / (WP * WN))


class Target:
    """A metric bound to its arrays, evaluated under row weights."""

    def __init__(self, spec: dict, kind: str, classes=None, business_lower_better=False):
        self.spec = dict(spec)
        self.kind = kind
        self.classes = list(classes) if classes is not None else None
        self.name = spec["metric"]
        if kind == "mean":
            self.lower_is_better = business_lower_better
        else:
            self.lower_is_better = self.name in LOWER_IS_BETTER

    def prepare(self, df, model_col, label_col, score_cols=None, mean_col=None):
        """Arrays the metric needs from one window."""
        a = {}
        if self.kind == "mean":
            a["v"] = df[mean_col].to_numpy(float)
        elif self.kind == "binary":
            a["y"] = (df[label_col].to_numpy() == self.spec.get("positive", 1)).astype(float)
            a["s"] = df[model_col].to_numpy(float)
            if self.name == "roc_auc":
                a["rank"], a["nu"] = _ranks(a["s"])
        elif self.kind == "regression":
            a["y"] = df[label_col].to_numpy(float)
            a["p"] = df[model_col].to_numpy(float)
        else:
            idx = {c: i for i, c in enumerate(self.classes)}
            K = len(self.classes)
            a["y"] = np.array([idx.get(v, K) for v in df[label_col].tolist()])
            a["pred"] = np.array([idx.get(v, K) for v in df[model_col].tolist()])
            if score_cols:
                a["P"] = np.column_stack([df[score_cols[c]].to_numpy(float) for c in self.classes])
                if self.name == "roc_auc":  # tie groups computed once, not per replicate
                    a["rankK"] = np.column_stack([_ranks(a["P"][:, c])[0] for c in range(K)])
                    a["nuK"] = [int(a["rankK"][:, c].max()) + 1 for c in range(K)]
                    r, nu = _ranks(a["P"])
                    a["rankM"], a["nuM"] = r, nu
                if self.name == "top_k_accuracy":  # the hit does not depend on the row weights
                    k = self.spec.get("k", 3)
                    a["hit"] = (np.argsort(-a["P"], axis=1)[:, :k] == a["y"][:, None]).any(axis=1)
        a["n"] = len(df)
        return a

    def value(self, a, w=None):
        n = a["n"]
        w = np.ones(n) if w is None else w
        m = self.name
        if self.kind == "mean":
            return float(np.sum(w * a["v"]) / np.sum(w))
        if self.kind == "regression":
            y, p = a["y"], a["p"]
            e = p - y
            W = w.sum()
            if m == "mae":
                return float(np.sum(w * np.abs(e)) / W)
            if m == "rmse":
                return float(np.sqrt(np.sum(w * e * e) / W))
            if m == "mape":
                return float(np.sum(w * np.abs(e) / np.maximum(np.abs(y), EPS)) / W)
            ybar = np.sum(w * y) / W
            return float(1 - np.sum(w * e * e) / np.sum(w * (y - ybar) ** 2))
        if self.kind == "binary":
            y, s = a["y"], a["s"]
            thr = self.spec.get("threshold", 0.5)
            pred = (s >= thr).astype(float)
            if m == "roc_auc":
                return _auc(s, y, w, (a["rank"], a["nu"]))
            if m == "log_loss":
                p = np.clip(s, EPS, 1 - EPS)
                return float(-np.sum(w * (y * np.log(p) + (1 - y) * np.log(1 - p))) / w.sum())
            tp = np.sum(w * pred * y)
            fp = np.sum(w * pred * (1 - y))
            fn = np.sum(w * (1 - pred) * y)
            tn = np.sum(w * (1 - pred) * (1 - y))
            if m == "accuracy":
                return float((tp + tn) / (tp + tn + fp + fn))
            if m == "balanced_accuracy":
                return float(0.5 * (tp / max(tp + fn, EPS) + tn / max(tn + fp, EPS)))
            if m == "precision":
                return float(tp / max(tp + fp, EPS))
            if m == "recall":
                return float(tp / max(tp + fn, EPS))
            if m == "f1":
                return float(2 * tp / max(2 * tp + fp + fn, EPS))
            raise ValueError(m)
        # multi-class
        y, pred = a["y"], a["pred"]
        K = len(self.classes)
        if m == "accuracy":
            return float(np.sum(w * (y == pred)) / w.sum())
        if m == "log_loss":
            P = a["P"]
            ok = y < K
            py = np.where(ok, P[np.arange(len(y)), np.minimum(y, K - 1)], 0.0)
            return float(np.sum(w * -np.log(np.clip(py, EPS, 1))) / w.sum())
        if m == "top_k_accuracy":
            return float(np.sum(w * a["hit"]) / w.sum())
        if m == "roc_auc":
            P = a["P"]
            avg = self.spec.get("average", "macro")
            if avg == "micro":
                Y = (y[:, None] == np.arange(K)[None, :]).astype(float)
                return _auc(P.ravel(), Y.ravel(), np.repeat(w, K), (a["rankM"].ravel(), a["nuM"]))
            aucs, sup = [], []
            for c in range(K):
                pos = (y == c).astype(float)
                aucs.append(_auc(P[:, c], pos, w, (a["rankK"][:, c], a["nuK"][c])))
                sup.append(np.sum(w * pos))
            aucs, sup = np.array(aucs), np.array(sup)
            ok = ~np.isnan(aucs)
            if avg == "weighted":
                return float(np.sum(aucs[ok] * sup[ok]) / np.sum(sup[ok]))
            return float(np.mean(aucs[ok]))
        # precision / recall / f1 from the confusion counts
        Kx = K + 1
        cm = np.bincount(y * Kx + pred, weights=w, minlength=Kx * Kx).reshape(Kx, Kx)
        tp = np.diag(cm)[:K]
        fp = cm[:, :K].sum(axis=0) - tp
        fn = cm[:K, :].sum(axis=1) - tp
        if "class" in self.spec:
            c = self.classes.index(self.spec["class"])
            tp, fp, fn = tp[c:c + 1], fp[c:c + 1], fn[c:c + 1]
            avg = "macro"
        else:
            avg = self.spec.get("average", "macro")
        if avg == "micro":
            tp, fp, fn = np.array([tp.sum()]), np.array([fp.sum()]), np.array([fn.sum()])
        if m == "precision":
            v = tp / np.maximum(tp + fp, EPS)
        elif m == "recall":
            v = tp / np.maximum(tp + fn, EPS)
        else:
            v = 2 * tp / np.maximum(2 * tp + fp + fn, EPS)
        if avg == "weighted":
            sup = tp + fn
            return float(np.sum(v * sup) / max(sup.sum(), EPS))
        return float(np.mean(v))

    def bootstrap(self, a, rng, B=80, cap=20_000):
        """Value and bootstrap standard error (Poisson weights on at most `cap` rows)."""
        v = self.value(a)
        n = a["n"]
        if n > cap:
            idx = rng.choice(n, cap, replace=False)
            sub = {k: (x[idx] if isinstance(x, np.ndarray) else x) for k, x in a.items()}
            sub["n"] = cap
        else:
            sub = a
        m = sub["n"]
        vals = []
        for _ in range(B):
            w = rng.poisson(1.0, m).astype(float)
            vals.append(self.value(sub, w))
        vals = np.array(vals, float)
        vals = vals[np.isfinite(vals)]
        se = float(np.std(vals, ddof=1)) * np.sqrt(m / n) if len(vals) > 2 else float("nan")
        return v, se


def worsening_z(target: Target, ref_arrays, cur_arrays, rng, ref_stats=None):
    """(reference value, current value, z of the move in the bad direction)."""
    r, se_r = ref_stats if ref_stats is not None else target.bootstrap(ref_arrays, rng)
    c, se_c = target.bootstrap(cur_arrays, rng)
    se = np.sqrt(se_r ** 2 + se_c ** 2)
    if not np.isfinite(se) or se <= 0:
        se = 1e-9
    z = (c - r) / se
    if not target.lower_is_better:
        z = -z
    return r, c, float(z)
