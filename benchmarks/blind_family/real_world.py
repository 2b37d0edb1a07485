"""Real-data family: a pipeline built around one real data set and its real
label.

The rows are split once into a training half (the model's training sample
is drawn from it) and a serving half (reference and current windows are
drawn from it), so the model is scored out of sample.  Windows are
bootstrap resamples of the half to the window size, with a small Gaussian
jitter (4% of the column's standard deviation, clipped to the observed
range) on continuous columns only; discrete and categorical columns and the
label are never jittered.  One continuous column gets 3-12% missing values
in every window (the imputation step has something to do).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import transforms as T
from .models import ESTIMATORS, model_node
from .pipeline import Fault, Node
from .real_data import load
from .world import World


class RealWorld(World):
    def __init__(self, plan, rng):
        self.plan = plan
        self.df, self.spec = load(plan.dataset)
        self.task = plan.task
        self.metric_kind = plan.metric
        self.time_column = "event_time"
        self.key_column = None
        self.start = pd.Timestamp("2023-06-01") + pd.Timedelta(days=int(rng.integers(0, 600)))
        n = len(self.df)
        perm = rng.permutation(n)
        self.train_idx, self.serve_idx = perm[: n // 2], perm[n // 2:]
        spec = self.spec
        self.sd = {c: float(self.df[c].std()) for c, k in spec.columns.items() if k == "numeric"}
        self.lo = {c: float(self.df[c].min()) for c in self.sd}
        self.hi = {c: float(self.df[c].max()) for c in self.sd}
        self._choose_sources(rng)
        self.ood = self._choose_ood(rng) if plan.mode == "out_of_distribution" else None
        self.levels, self.level_shares = {}, {}
        self.info = {"dataset": plan.dataset, "rows_in_dataset": n}
        self._build(rng)

    # -- sources -----------------------------------------------------------------
    def _choose_sources(self, rng):
        spec = self.spec
        cols = list(spec.columns)
        want = set(spec.label_parents)
        others = [c for c in cols if c not in want]
        k = int(rng.integers(max(0, 4 - len(want)), len(others) + 1))
        want |= set(rng.choice(others, size=k, replace=False).tolist()) if k else set()
        # close under declared parents (correlated columns stay connected)
        todo = list(want)
        while todo:
            for p in spec.parents.get(todo.pop(), []):
                if p not in want:
                    want.add(p)
                    todo.append(p)
        self.sources = [c for c in cols if c in want]
        cont = [c for c in self.sources if spec.columns[c] == "numeric"]
        self.missing_col = cont[int(rng.integers(len(cont)))] if cont else None
        self.missing_rate = float(rng.uniform(0.03, 0.12))

    def _choose_ood(self, rng):
        spec, df = self.spec, self.df
        cands = []
        for c in self.sources:
            if spec.columns[c] == "categorical":
                sh = df[c].value_counts(normalize=True)
                for lv, v in sh.items():
                    if 0.02 <= v <= 0.4 and len(sh) > 2:
                        cands.append(dict(column=c, levels=[lv]))
            else:
                x = df[c].to_numpy(float)
                for upper in (True, False):
                    q = float(rng.uniform(0.75, 0.88)) if upper else float(rng.uniform(0.12, 0.25))
                    cut = np.quantile(x, q)
                    reg = x > cut if upper else x < cut
                    if 0.05 <= reg.mean() <= 0.35:
                        cands.append(dict(column=c, upper=upper, cut=float(cut)))
        strong = [c for c in cands if c["column"] in spec.label_parents]
        pool = strong if (strong and rng.random() < 0.8) else cands
        return pool[int(rng.integers(len(pool)))]

    def _in_ood(self, rows):
        o = self.ood
        v = self.df[o["column"]].to_numpy()[rows]
        if "levels" in o:
            return np.isin(v, o["levels"])
        v = v.astype(float)
        return v > o["cut"] if o["upper"] else v < o["cut"]

    # -- population --------------------------------------------------------------
    def population(self, window, n, rng, fault):
        spec, df = self.spec, self.df
        pool = self.train_idx if window == "train" else self.serve_idx
        f = fault if (fault is not None and window == "current") else None
        inside = self._in_ood(pool) if self.ood is not None else np.zeros(len(pool), bool)
        w = np.where(inside, 0.0, 1.0)
        if f is not None and f.mode == "out_of_distribution":
            share = f.params["share"]
            w = np.where(inside, share / max(inside.sum(), 1), (1 - share) / max((~inside).sum(), 1))
        if f is not None and f.mode == "distribution_shift":
            c = f.node
            if spec.columns[c] == "categorical":
                lv = f.params["levels"]
                g = dict(zip(lv, f.params["gamma"]))
                w = w * np.exp(np.array([g.get(v, 0.0) for v in df[c].to_numpy()[pool]]))
            else:
                x = df[c].to_numpy(float)[pool]
                z = (x - np.mean(x)) / (np.std(x) or 1.0)
                w = w * np.exp(f.params["beta"] * z)
        rows = pool[rng.choice(len(pool), size=n, replace=True, p=w / w.sum())]
        out = pd.DataFrame(index=np.arange(n))
        secs = np.sort(rng.uniform(0, 14 * 86400, n))
        off = {"train": 0, "reference": 30, "current": 60}[window]
        out["event_time"] = self.start + pd.Timedelta(days=off) + pd.to_timedelta(np.round(secs), unit="s")
        for c in self.sources:
            v = df[c].to_numpy()[rows]
            if spec.columns[c] == "numeric":
                v = v.astype(float) + rng.normal(0, 0.04 * self.sd[c], n)
                v = np.round(np.clip(v, self.lo[c], self.hi[c]), 4)
            out[c] = v
        label = spec.label
        out[label] = df[label].to_numpy()[rows]
        if self.missing_col:
            miss = rng.random(n) < self.missing_rate
            out.loc[miss, self.missing_col] = np.nan
        return out

    def population_fault(self, mode, s, rng, seed):
        spec = self.spec
        if mode == "out_of_distribution":
            o = self.ood
            share = 0.2 + 0.55 * s
            where = (f"new category {o['levels'][0]!r}" if "levels" in o else
                     f"values {'above' if o['upper'] else 'below'} {o['cut']:.4g}")
            return Fault(mode, o["column"], dict(seed=seed, share=share),
                         f"{o['column']}: {share:.0%} of rows with {where}, never seen in training")
        anc = self.model_ancestors
        roots = [c for c in self.sources if not [p for p in spec.parents.get(c, []) if p in self.sources]
                 and c in anc]
        with_children = [c for c in roots if any(c in spec.parents.get(o, []) for o in self.sources)]
        pool = with_children if (with_children and rng.random() < 0.7) else roots
        c = pool[int(rng.integers(len(pool)))]
        if spec.columns[c] == "categorical":
            lv = sorted(self.df[c].dropna().unique().tolist())
            g = rng.normal(0, 0.7 + 1.6 * s, len(lv))
            return Fault(mode, c, dict(seed=seed, levels=lv, gamma=g.tolist()), f"{c}: population mix changed")
        beta = (0.45 + 1.3 * s) * (1 if rng.random() < 0.5 else -1)
        return Fault(mode, c, dict(seed=seed, beta=beta),
                     f"population tilted along {c} (beta {beta:+.2f}); correlated columns follow")

    # -- pipeline ----------------------------------------------------------------
    def _build(self, rng):
        spec, plan = self.spec, self.plan
        nodes: list[Node] = []
        for c in self.sources:
            kind = spec.columns[c]
            dtype = "categorical" if kind == "categorical" else "numeric"
            tags = {"categorical"} if kind == "categorical" else (
                {"scalable"} | ({"discrete"} if kind == "discrete" else set()))
            extra = {}
            if rng.random() < 0.25 and kind != "categorical":
                extra["contract"] = {"dtype": "numeric", "max_null_rate": 0.2}
            nodes.append(T.source(c, dtype, tags, [p for p in spec.parents.get(c, []) if p in self.sources],
                                  extra))
            if kind == "categorical":
                self.levels[c] = sorted(self.df[c].dropna().unique().tolist())
        feats: list[Node] = []
        inputs: list[tuple] = []
        num_src = [c for c in self.sources if spec.columns[c] != "categorical"]
        for c in self.sources:
            if spec.columns[c] == "categorical":
                if rng.random() < 0.3:
                    f = T.category_passthrough(f"{c}_code", c)
                    feats.append(f)
                    inputs.append((f.id, "categorical"))
                else:
                    inputs.append((c, "categorical"))
                continue
            base = c
            if c == self.missing_col:
                f = T.impute(f"{c}_filled", c)
                feats.append(f)
                base = f.id
            r = rng.random()
            if r < 0.35:
                inputs.append((base, "numeric"))
            elif r < 0.5:
                f = T.zscore(f"{c}_z", base)
                feats.append(f)
                inputs.append((f.id, "numeric"))
            elif r < 0.65 and c in spec.nonneg:
                f = T.log1p(f"log_{c}", base)
                feats.append(f)
                if rng.random() < 0.4:      # chain: a feature of a feature of a source
                    g = T.zscore(f"log_{c}_z", f.id)
                    feats.append(g)
                    inputs.append((g.id, "numeric"))
                else:
                    inputs.append((f.id, "numeric"))
            elif r < 0.8:
                f = T.clip(f"{c}_clipped", base)
                feats.append(f)
                inputs.append((f.id, "numeric"))
            else:
                x = self.df[c].to_numpy(float)
                edges = sorted(set(np.round(np.nanquantile(x, [0.2, 0.4, 0.6, 0.8]), 4).tolist()))
                if rng.random() < 0.5:
                    labels = [f"b{i}" for i in range(len(edges) + 1)]
                    f = T.band(f"{c}_band", base, edges, labels)
                    self.levels[f.id] = labels
                    inputs.append((f.id, "categorical"))
                else:
                    f = T.band(f"{c}_band", base, edges)
                    inputs.append((f.id, "numeric"))
                feats.append(f)
        # a ratio of two related columns (and sometimes its log)
        pairs = [(c, p) for c in num_src for p in spec.parents.get(c, []) if p in num_src]
        if not pairs and len(num_src) >= 2:
            pairs = [(num_src[0], num_src[1])]
        if pairs:
            a, b = pairs[int(rng.integers(len(pairs)))]
            f = T.ratio(f"{a}_per_{b}", a, b)
            feats.append(f)
            if rng.random() < 0.4 and a in spec.nonneg and b in spec.nonneg:
                g = T.log1p(f"log_{a}_per_{b}", f.id)
                feats.append(g)
                inputs.append((g.id, "numeric"))
            else:
                inputs.append((f.id, "numeric"))
        cats = [c for c in self.sources if spec.columns[c] == "categorical"]
        if cats and num_src and rng.random() < 0.5:
            g, v = cats[int(rng.integers(len(cats)))], num_src[int(rng.integers(len(num_src)))]
            f = T.group_mean(f"{v}_mean_by_{g}", v, g)
            feats.append(f)
            inputs.append((f.id, "numeric"))
        # infra: an enrichment service computing some features, with fallbacks
        with_infra = plan.mode == "infrastructure" or rng.random() < 0.5
        if with_infra:
            served = [f for f in feats if "numeric" in f.tags and "imputation" not in f.tags]
            if len(served) < 2:
                extra = [c for c in num_src if c not in [x.id for x in served]]
                for c in extra[: 2 - len(served)]:
                    f = T.zscore(f"{c}_std", c)
                    feats.append(f)
                    inputs.append((f.id, "numeric"))
                    served.append(f)
            k = min(len(served), int(rng.integers(2, 4)))
            infra_col = rng.random() < 0.5
            inode = T.infra("enrichment_service", "enrichment_latency_ms" if infra_col else None,
                            spec={"description": "service computing the derived features"})
            nodes.append(inode)
            for f in [served[i] for i in rng.choice(len(served), size=k, replace=False)]:
                f.parents = f.parents + [inode.id]
                f.fallback = 0.0
            self.info["infra_observed"] = bool(infra_col)
        if plan.mode == "stale_values" or rng.random() < 0.5:
            cand = [f for f in feats if "numeric" in f.tags]
            for f in [cand[i] for i in rng.choice(len(cand), size=min(len(cand), 1 + int(rng.random() < 0.3)),
                                                 replace=False)]:
                f.spec["freshness"] = f"{f.id}_at"
        nodes.extend(feats)
        label = spec.label
        lp = [c for c in spec.label_parents if c in self.sources]
        nodes.append(Node(label, "label", lp, label, lambda ctx: ctx.frame[label].to_numpy(), {}, {"label"}))
        kind = ESTIMATORS[int(rng.integers(len(ESTIMATORS)))]
        col = "score" if self.task == "binary" else f"predicted_{label}"
        vcol = "model_version" if rng.random() < 0.5 else None
        nodes.append(model_node(f"{plan.dataset}_model", col, inputs, label, self.task, kind,
                                int(rng.integers(2**31)), vcol))
        self.nodes = nodes
        self.label_column = label
        self.segments = cats[:2] if cats and rng.random() < 0.5 else None
        self.info.update(estimator=kind, sources=len(self.sources), missing_column=self.missing_col,
                         infra=with_infra)
