"""Synthetic family: event logs of entities (customers, borrowers, shoppers,
couriers, policy holders), with features over each entity's history.

Population: entities with a multi-level segment, an age, an income that
depends on age and segment (correlated sources, declared as parents), a
credit limit that depends on income, a 1-5 rating, and a hidden risk; each
entity emits timed events (a value, a channel, an item count).  Features:
rolling mean over the last N events per key, count over the last 24 h, a
time-decayed average, a lag, hours since the last event, an imputation of
the history mean, ratios and logs of those (chains), age bands, z-scores,
a cached per-segment aggregate.  A feature store (infra) serves the history
features.  The label depends on sources and the hidden risk; the model is a
scikit-learn model on the features.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import history as H
from . import transforms as T
from .models import ESTIMATORS, model_node
from .pipeline import Fault, Node
from .world import World

DOMAINS = [
    dict(name="card-payments", entity="customer_id", value="amount", channel="channel",
         channels=["web", "app", "pos", "phone"], segment="customer_tier",
         segments=["basic", "silver", "gold", "student", "business"], rating="app_rating",
         label="is_fraud", reg_label="chargeback_cost", new_channel="partner_api",
         new_segment="gig_worker"),
    dict(name="consumer-lending", entity="borrower_id", value="loan_amount", channel="origination",
         channels=["branch", "online", "broker", "partner"], segment="employment",
         segments=["salaried", "self_employed", "retired", "contract", "public_sector", "unemployed"],
         rating="bureau_grade", label="defaulted", reg_label="loss_given_default",
         new_channel="bnpl_widget", new_segment="platform_worker"),
    dict(name="online-retail", entity="shopper_id", value="basket_value", channel="device",
         channels=["ios", "android", "desktop", "tablet", "smart_tv"], segment="loyalty_level",
         segments=["new", "bronze", "silver", "gold"], rating="review_score",
         label="returned", reg_label="refund_amount", new_channel="voice_assistant",
         new_segment="wholesale"),
    dict(name="food-delivery", entity="courier_id", value="order_value", channel="vehicle",
         channels=["bike", "scooter", "car", "walk"], segment="city_zone",
         segments=["center", "north", "south", "east", "west", "suburbs", "airport"],
         rating="courier_rating", label="late", reg_label="delivery_minutes",
         new_channel="drone", new_segment="new_district"),
]


class SyntheticWorld(World):
    def __init__(self, plan, rng):
        self.plan = plan
        self.task = plan.task
        self.metric_kind = plan.metric
        d = DOMAINS[int(rng.integers(len(DOMAINS)))]
        self.d = d
        self.time_column = "event_time"
        self.key_column = d["entity"]
        k = len(d["segments"])
        self.seg_p = rng.dirichlet(np.full(k, 4.0))
        self.seg_age = rng.uniform(28, 55, k)
        self.seg_inc = rng.normal(0, 0.3, k)
        self.seg_risk = rng.normal(0, 0.6, k)
        self.seg_rating = rng.normal(0, 0.6, k)
        self.chan_eff = rng.normal(0, 0.5, len(d["channels"]))
        self.chan_base = rng.dirichlet(np.full(len(d["channels"]), 3.0))
        self.b0 = float(rng.uniform(-3.6, -2.4))
        self.start = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 500)))
        self.levels, self.level_shares = {}, {}
        self.info = {"domain": d["name"]}
        self._build(rng)

    # -- population --------------------------------------------------------------
    def _offset_days(self, window):
        return {"train": 0, "reference": 35, "current": 70}[window]

    def population(self, window, n, rng, fault):
        d = self.d
        f = fault if (fault is not None and window == "current") else None
        fp = f.params if f is not None and f.mode in ("distribution_shift", "out_of_distribution") else {}
        days, warm = 10.0, 3.0
        mean_rate = 0.75
        n_ent = max(60, int(n / (mean_rate * days)))
        pool = n_ent * (3 if fp.get("variant") == "age_tilt" else 1)
        seg_p = self.seg_p
        if fp.get("variant") == "segment_mix":
            seg_p = seg_p * np.exp(fp["gamma"])
            seg_p = seg_p / seg_p.sum()
        seg = rng.choice(len(seg_p), size=pool, p=seg_p)
        age = np.clip(np.round(rng.normal(self.seg_age[seg], 11)), 18, 75)
        if fp.get("variant") == "age_tilt":
            # tilt age within each segment: the segment mix is unchanged,
            # P(age | segment) moves, income and limits follow through their parents
            w = np.exp(fp["beta"] * (age - 42) / 13)
            keep = []
            for k in range(len(seg_p)):
                members = np.flatnonzero(seg == k)
                m = int((seg[:n_ent] == k).sum())
                if m and len(members):
                    keep.append(rng.choice(members, size=min(m, len(members)), replace=False,
                                           p=w[members] / w[members].sum()))
            keep = np.sort(np.concatenate(keep))
            seg, age = seg[keep], age[keep]
            n_ent = len(keep)
        seg_names = np.array(d["segments"], dtype=object)[seg]
        if fp.get("variant") == "new_segment":
            new = rng.random(n_ent) < fp["share"]
            seg_names[new] = d["new_segment"]
        if fp.get("variant") == "old_ages":
            old = rng.random(n_ent) < fp["share"]
            age = np.where(old, np.round(rng.uniform(78, 96, n_ent)), age)
        risk = rng.normal(self.seg_risk[seg], 1.0)
        risk = np.where(seg_names == d["new_segment"], risk + fp.get("effect", 0.0), risk)
        log_inc = 10.4 + 0.025 * (age - 40) - 0.0009 * (age - 40) ** 2 + self.seg_inc[seg] \
            + rng.normal(0, 0.35, n_ent)
        income = np.round(np.exp(log_inc), -2)
        limit = np.round(income * np.exp(rng.normal(-1.4, 0.3, n_ent)), -2)
        rating = np.clip(np.round(3.4 + self.seg_rating[seg] - 0.35 * risk + rng.normal(0, 0.8, n_ent)), 1, 5)
        typ = np.exp(3.2 + 0.45 * (log_inc - 10.4) + rng.normal(0, 0.3, n_ent))
        rate = mean_rate * np.exp(0.9 * risk - 0.4) * rng.uniform(0.6, 1.4, n_ent)
        n_ev = rng.poisson(rate * (days + warm))
        ent = np.repeat(np.arange(n_ent), n_ev)
        m = len(ent)
        t0 = self.start + pd.Timedelta(days=self._offset_days(window) - warm)
        secs = rng.uniform(0, (days + warm) * 86400, m)
        time = t0 + pd.to_timedelta(np.round(secs), unit="s")
        warm_flag = secs < warm * 86400
        chans = np.array(d["channels"], dtype=object)
        young = (age[ent] < 35).astype(float)
        cp = np.tile(self.chan_base, (m, 1))
        cp[:, 1] *= 1 + young          # the app-like channel is younger
        if fp.get("variant") == "channel_mix":
            cp = cp * np.exp(fp["gamma"])
        cp /= cp.sum(1, keepdims=True)
        ch_idx = (cp.cumsum(1) > rng.random((m, 1))).argmax(1)
        channel = chans[ch_idx]
        ch_eff = self.chan_eff[ch_idx]
        if fp.get("variant") == "new_channel":
            new = rng.random(m) < fp["share"]
            channel = channel.copy()
            channel[new] = d["new_channel"]
            ch_eff = np.where(new, fp["effect"], ch_eff)
        spike = rng.random(m) < 1 / (1 + np.exp(-(risk[ent] - 3.2)))
        value = typ[ent] * np.exp(rng.normal(0, 0.45, m)) * np.where(spike, rng.uniform(3, 9, m), 1.0)
        if fp.get("variant") == "value_mix":
            big = rng.random(m) < fp["share"]
            value = np.where(big, value * np.exp(rng.normal(fp["mu"], 0.3, m)), value)
        items = 1 + rng.poisson(np.log1p(value) / 2.5)
        inc_obs = np.where(rng.random(n_ent) < 0.06, np.nan, income)
        frame = pd.DataFrame({
            "event_time": time, d["entity"]: np.array([f"{d['entity'][:1].upper()}{i:05d}" for i in range(n_ent)])[ent],
            d["value"]: np.round(value, 2), d["channel"]: channel, "items": items,
            d["segment"]: seg_names[ent], "age": age[ent], "income": inc_obs[ent],
            "credit_limit": limit[ent], d["rating"]: rating[ent],
            "_risk": risk[ent], "_spike": spike, "_typ": typ[ent], "_cheff": ch_eff,
            "_warm": warm_flag,
        })
        # the true values (the label depends on these, whatever the log says)
        for c, h in ((d["value"], "_value"), ("age", "_age"), (d["rating"], "_rating"), ("items", "_items")):
            frame[h] = frame[c].to_numpy(float)
        return frame.sort_values("event_time", kind="mergesort").reset_index(drop=True)

    def population_fault(self, mode, s, rng, seed):
        d = self.d
        anc = self.model_ancestors
        if mode == "distribution_shift":
            opts = ["age_tilt", "segment_mix", "channel_mix", "value_mix"]
            var = opts[int(rng.integers(len(opts)))]
            if var == "age_tilt":
                beta = (0.5 + 1.5 * s) * (1 if rng.random() < 0.5 else -1)
                return Fault(mode, "age", dict(seed=seed, variant=var, beta=beta),
                             f"population tilted along age (beta {beta:+.2f}); income and limits follow")
            if var == "segment_mix":
                g = rng.normal(0, 0.6 + 1.6 * s, len(d["segments"]))
                return Fault(mode, d["segment"], dict(seed=seed, variant=var, gamma=g),
                             f"{d['segment']} mix changed")
            if var == "channel_mix":
                g = rng.normal(0, 0.6 + 1.6 * s, len(d["channels"]))
                return Fault(mode, d["channel"], dict(seed=seed, variant=var, gamma=g),
                             f"{d['channel']} mix changed")
            return Fault(mode, d["value"], dict(seed=seed, variant=var, share=0.2 + 0.5 * s,
                                                 mu=float(0.3 + 0.5 * s)),
                         f"{d['value']}: a new population of larger events")
        # out_of_distribution
        opts = []
        if d["channel"] in anc:
            opts.append("new_channel")
        if d["segment"] in anc:
            opts.append("new_segment")
        opts.append("old_ages")
        var = opts[int(rng.integers(len(opts)))]
        share = 0.12 + 0.4 * s
        sign = 1 if (self.task != "binary" or rng.random() < 0.75) else -1
        effect = sign * (1.5 + 1.5 * s)
        node = {"new_channel": d["channel"], "new_segment": d["segment"], "old_ages": "age"}[var]
        return Fault(mode, node, dict(seed=seed, variant=var, share=share, effect=effect),
                     f"{node}: {share:.0%} of rows outside the training support ({var})")

    # -- pipeline ----------------------------------------------------------------
    def _build(self, rng):
        d, task = self.d, self.task
        V, S, C, R = d["value"], d["segment"], d["channel"], d["rating"]
        nodes: list[Node] = []
        use_limit = rng.random() < 0.6
        use_income = rng.random() < 0.8
        age_as_band = rng.random() < 0.5
        with_infra = self.plan.mode == "infrastructure" or rng.random() < 0.6
        infra_col = rng.random() < 0.5
        fresh_needed = self.plan.mode == "stale_values" or rng.random() < 0.6
        # sources
        # sources; declared parents say which logged columns depend on which
        # (correlated sources are connected, as a careful user would write them)
        nodes.append(T.source(S, "categorical", tags={"categorical"}))
        nodes.append(T.source("age", "numeric", tags={"discrete", "scalable"}, parents=[S]))
        if use_income:
            nodes.append(T.source("income", "numeric", tags={"scalable"}, parents=["age", S]))
            if use_limit:
                nodes.append(T.source("credit_limit", "numeric", tags={"scalable"}, parents=["income"]))
        nodes.append(T.source(R, "numeric", tags={"discrete", "scalable"}, parents=[S]))
        nodes.append(T.source(C, "categorical", tags={"categorical"}, parents=["age"]))
        nodes.append(T.source(V, "numeric", parents=["income" if use_income else "age"],
                              tags={"scalable"},
                              spec={"contract": {"dtype": "numeric", "min": 0}}
                              if rng.random() < 0.5 else None))
        nodes.append(T.source("items", "numeric", tags={"discrete", "scalable"}, parents=[V]))
        self.levels = {C: list(d["channels"]), S: list(d["segments"])}
        infra_id = "feature_store"
        if with_infra:
            nodes.append(T.infra(infra_id, "feature_store_latency_ms" if infra_col else None,
                                 spec={"description": "online feature store serving history aggregates"}))
        ip = [infra_id] if with_infra else []
        # history features
        n_last = int(rng.choice([5, 10, 20]))
        avg_id = f"{V}_avg_last{n_last}"
        hist = []
        # each history feature also knows how it looks when only events older
        # than ``delay`` seconds have arrived (ingestion delay: stale_values)
        hist.append(self._hist(avg_id, [V] + ip, lambda c, n=n_last: H.rolling_mean(c, V, n),
                               {"short_window": lambda c, n=n_last: H.rolling_mean(c, V, max(2, n // 4)),
                                "include_current": lambda c, n=n_last: H.rolling_mean(c, V, n, True)},
                               fallback=0.0,
                               late=lambda c, dl, n=n_last: H.rolling_mean(c, V, n, delay=dl)))
        hist.append(self._hist("events_24h", [V] + ip, lambda c: H.count_window(c, 86400),
                               {"hour_window": lambda c: H.count_window(c, 3600),
                                "utc_shift": lambda c: H.count_window(c, 86400, offset=6 * 3600)},
                               fallback=0.0, discrete=True,
                               late=lambda c, dl: H.count_window(c, 86400 - dl, offset=dl)))
        extra = [x for x in ["decay", "lag", "since"] if rng.random() < 0.5]
        if "decay" in extra:
            hist.append(self._hist(f"{V}_decayed_avg", [V] + ip,
                                   lambda c: H.decayed_mean(c, V, 2 * 86400),
                                   {"short_halflife": lambda c: H.decayed_mean(c, V, 1800)}, fallback=0.0))
        if "lag" in extra:
            hist.append(self._hist(f"prev_{V}", [V] + ip, lambda c: H.lag(c, V, 1),
                                   {"lag2": lambda c: H.lag(c, V, 2)}, fallback=np.nan,
                                   late=lambda c, dl: H.lag(c, V, 1, delay=dl)))
        if "since" in extra:
            hist.append(self._hist("hours_since_last", ip or [V], lambda c: H.hours_since_last(c),
                                   {"same_day_only": lambda c: H.hours_since_last(c, True)}, fallback=0.0,
                                   late=lambda c, dl: H.hours_since_last(c, delay=dl)))
        if fresh_needed:
            k = 1 + int(rng.random() < 0.4)
            order = sorted(rng.permutation(len(hist)), key=lambda i: hist[i].late is None)
            if self.plan.mode == "stale_values":   # the 24 h count is always cached then
                order = [1] + [i for i in order if i != 1]
            for h in [hist[i] for i in order[:k]]:
                h.spec["freshness"] = f"{h.id}_at"
                if rng.random() < 0.4:
                    h.spec["contract"] = {"max_staleness": "2h"}
        nodes.extend(hist)
        # chains
        filled = T.impute(f"{avg_id}_filled", avg_id)
        nodes.append(filled)
        vs = T.ratio(f"{V}_vs_avg", V, filled.id)
        nodes.append(vs)
        inputs = [(filled.id, "n"), (vs.id, "n"), ("events_24h", "n"), (C, "categorical")]
        for h in hist[2:]:
            inputs.append((h.id, "n"))
        if rng.random() < 0.5:
            lr = T.log1p(f"log_{V}_vs_avg", vs.id)
            nodes.append(lr)
            inputs[1] = (lr.id, "n")
        lv = T.log1p(f"log_{V}", V)
        nodes.append(lv)
        inputs.append((lv.id, "n"))
        if age_as_band:
            ab = T.band("age_band", "age", [25, 35, 45, 55, 65],
                        ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"])
            nodes.append(ab)
            inputs.append((ab.id, "categorical"))
            self.levels["age_band"] = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
        else:
            inputs.append(("age", "n"))
        if rng.random() < 0.7:
            inputs.append((S, "categorical"))
        else:
            gm = T.group_mean(f"{V}_mean_by_{S}", V, S)
            nodes.append(gm)
            inputs.append((gm.id, "n"))
        inputs.append((R, "n"))
        if rng.random() < 0.5:
            inputs.append(("items", "n"))
        if use_income:
            inf = T.impute("income_filled", "income")
            nodes.append(inf)
            if rng.random() < 0.5:
                z = T.zscore("income_z", inf.id)
                nodes.append(z)
                inputs.append((z.id, "n"))
            else:
                inputs.append((inf.id, "n"))
            if use_limit:
                u = T.ratio("limit_utilization", V, "credit_limit")
                nodes.append(u)
                inputs.append((u.id, "n"))
        # label, model, metric
        label_col = d["label"] if task == "binary" else d["reg_label"]
        label_parents = [V, C, S, R, "age"] + (["items"] if task != "binary" else [])
        nodes.append(Node(label_col, "label", label_parents, label_col, self._label_fn(),
                          {}, {"label"}))
        kind = ESTIMATORS[int(rng.integers(len(ESTIMATORS)))]
        mid = {"binary": "risk_model"}.get(task, "value_model")
        col = "score" if task == "binary" else f"predicted_{label_col}"
        inputs = [(c, "categorical" if t == "categorical" else "numeric") for c, t in inputs]
        vcol = "model_version" if rng.random() < 0.5 else None
        nodes.append(model_node(mid, col, inputs, label_col, task, kind,
                                int(rng.integers(2**31)), vcol))
        self.info.update(estimator=kind, history_window=n_last, infra=with_infra,
                         infra_observed=bool(with_infra and infra_col))
        self.nodes = nodes
        self.label_column = label_col
        self.segments = [C, S] if rng.random() < 0.5 else None

    def _hist(self, id, parents, fn, variants, fallback, discrete=False, late=None):
        tags = {"feature", "numeric", "history", "scalable"} | ({"discrete"} if discrete else set())
        return Node(id, "feature", parents, id, lambda c: fn(c), {}, tags, variants, fallback, late)

    def _label_fn(self):
        d, task = self.d, self.task

        def fn(ctx):
            fr = ctx.frame
            age = fr["_age"].to_numpy(float)
            value = fr["_value"].to_numpy(float)
            dev = np.log(value) - np.log(fr["_typ"].to_numpy(float))
            rating = fr["_rating"].to_numpy(float)
            core = (0.9 * fr["_risk"].to_numpy() + 1.8 * fr["_spike"].to_numpy(float) + 0.8 * dev
                    + fr["_cheff"].to_numpy() + 0.25 * (3 - rating)
                    + 0.16 * np.maximum(age - 75, 0))
            if task == "binary":
                p = 1 / (1 + np.exp(-(self.b0 + core)))
                return (ctx.rng.random(len(fr)) < p).astype(int)
            items = fr["_items"].to_numpy(float)
            y = 30 + 6 * np.log(value) + 5 * core + 2 * items \
                + ctx.rng.normal(0, 6, len(fr))
            return np.round(np.maximum(y, 0), 2)
        return fn
