"""Where the rows come from: synthetic domains and real data sets used as sources.

A world draws the *true* values of its sources (what really happened), before any
logging, feature code or model touches them. Real data sets are resampled rows with a
small jitter; synthetic domains use typed generators (amounts, counts, rates, scores,
categories, flags), some numeric sources depending on a categorical one.
"""
from __future__ import annotations

import functools
import os

import numpy as np
import pandas as pd

DATA_ROOT = os.environ.get("SPEC_FAMILY_DATA", "/work/shared/datasets/dowhy-examples")

DOMAIN_VOCAB = {
    "payments": dict(
        entity="customer_id", activity="txn_amount",
        num=[("account_age_days", "duration"), ("prev_txn_count", "count"), ("device_trust", "rate"),
             ("session_seconds", "duration"), ("ip_distance_km", "money"), ("basket_items", "count"),
             ("velocity_1h", "count"), ("bin_risk_score", "score")],
        cat=[("merchant_category", ["grocery", "travel", "electronics", "fashion", "gaming", "fuel"]),
             ("channel", ["web", "ios", "android", "pos"]),
             ("country", ["DE", "FR", "ES", "IT", "NL", "PL"])],
        flag=["is_international", "has_3ds"],
        binary="is_fraud", multi=("dispute_reason", ["fraud", "not_received", "defective", "duplicate", "subscription", "other"]),
        regression="chargeback_eur", mean="net_revenue", model="fraud_model"),
    "telecom": dict(
        entity="subscriber_id", activity="monthly_spend",
        num=[("tenure_months", "count"), ("data_gb", "money"), ("support_calls", "count"),
             ("dropped_call_rate", "rate"), ("contract_months_left", "count"), ("late_payments", "count"),
             ("network_score", "score")],
        cat=[("plan_type", ["prepaid", "basic", "plus", "premium", "family"]),
             ("region", ["north", "south", "east", "west", "central"]),
             ("device_os", ["ios", "android", "other"])],
        flag=["autopay", "has_tv_bundle"],
        binary="churned_90d", multi=("next_action", ["stay", "downgrade", "upgrade", "port_out", "pause"]),
        regression="next_month_arpu", mean="retained_revenue", model="churn_model"),
    "lending": dict(
        entity="applicant_id", activity="requested_amount",
        num=[("annual_income", "money"), ("dti_ratio", "rate"), ("credit_lines", "count"),
             ("months_employed", "duration"), ("bureau_score", "score"), ("inquiries_6m", "count")],
        cat=[("loan_purpose", ["debt_consolidation", "home", "car", "education", "business", "medical"]),
             ("employment_type", ["salaried", "self_employed", "contractor", "retired"]),
             ("state", ["CA", "TX", "NY", "FL", "IL", "WA"])],
        flag=["has_mortgage", "prior_default_flag"],
        binary="defaulted_12m", multi=("risk_grade", ["A", "B", "C", "D", "E", "F"]),
        regression="months_to_repay", mean="portfolio_profit", model="credit_model"),
    "logistics": dict(
        entity="shipper_id", activity="parcel_value",
        num=[("distance_km", "money"), ("weight_kg", "duration"), ("items", "count"),
             ("depot_load", "rate"), ("driver_tenure_days", "duration"), ("promised_hours", "count")],
        cat=[("service_level", ["standard", "express", "same_day", "economy"]),
             ("carrier", ["carrier_a", "carrier_b", "local_c", "local_d", "inhouse"]),
             ("origin_hub", ["hub_n", "hub_s", "hub_e", "hub_w"])],
        flag=["is_fragile", "needs_signature"],
        binary="late_delivery", multi=("delivery_outcome", ["on_time", "late_1d", "late_3d", "lost", "returned"]),
        regression="delivery_hours", mean="margin_per_parcel", model="eta_model"),
    "ads": dict(
        entity="advertiser_id", activity="bid_cpm",
        num=[("query_length", "count"), ("position", "count"), ("ctr_prior", "rate"),
             ("page_load_ms", "duration"), ("creative_age_days", "duration"), ("user_sessions_7d", "count"),
             ("relevance_score", "score")],
        cat=[("placement", ["search", "feed", "sidebar", "video"]),
             ("device", ["desktop", "mobile", "tablet"]),
             ("vertical", ["retail", "finance", "travel", "auto", "health", "games"])],
        flag=["is_retargeting", "has_video"],
        binary="clicked", multi=("conversion_type", ["none", "view", "signup", "purchase"]),
        regression="dwell_seconds", mean="revenue_per_impression", model="ctr_model"),
    "support": dict(
        entity="account_id", activity="account_mrr",
        num=[("message_length", "count"), ("prior_tickets", "count"), ("sentiment", "score"),
             ("attachments", "count"), ("first_reply_h", "duration"), ("kb_match", "rate")],
        cat=[("product_area", ["billing", "api", "dashboard", "mobile", "integrations"]),
             ("language", ["en", "de", "fr", "es", "ja"]),
             ("tier", ["free", "pro", "business", "enterprise"])],
        flag=["is_escalated", "has_screenshot"],
        binary="reopened", multi=("routing_queue", ["billing", "technical", "account", "sales", "abuse", "shipping"]),
        regression="handle_minutes", mean="csat_value", model="triage_model"),
    "insurance": dict(
        entity="policy_id", activity="claim_amount",
        num=[("policy_age_months", "count"), ("prior_claims", "count"), ("vehicle_age", "count"),
             ("garage_distance_km", "money"), ("adjuster_load", "rate"), ("photo_quality", "score")],
        cat=[("claim_type", ["collision", "theft", "glass", "weather", "liability"]),
             ("region", ["urban", "suburban", "rural"]),
             ("intake_channel", ["app", "phone", "broker", "web"])],
        flag=["police_report", "third_party"],
        binary="claim_fraud", multi=("claim_category", ["minor", "standard", "complex", "total_loss"]),
        regression="settlement_days", mean="net_claims_margin", model="claims_model"),
}


def _snake(s):
    return "".join(c if c.isalnum() else "_" for c in s.strip().lower()).strip("_")


@functools.lru_cache(maxsize=None)
def load_real(name):
    """(frame of source columns, dict col->'num'|'cat'|'bool', real label series or None, label kind)."""
    if name == "cps2015":
        d = pd.read_csv(os.path.join(DATA_ROOT, "cps2015_wage_gap", "cps2015.csv"))
        edu_cols = ["lhs", "hsg", "sc", "cg", "ad"]
        names = np.array(["less_hs", "high_school", "some_college", "college", "advanced"])
        edu = names[d[edu_cols].to_numpy().argmax(axis=1)]
        reg = np.array(["midwest", "south", "west", "northeast"])[d[["mw", "so", "we", "ne"]].to_numpy().argmax(axis=1)]
        f = pd.DataFrame({
            "experience_years": d["exp1"].astype(float),
            "education": edu,
            "occupation_group": ("occ" + d["occ2"].astype(str)).to_numpy(),
            "census_region": reg,
            "is_female": d["female"].astype(bool).to_numpy(),
            "is_married": d["married"].astype(bool).to_numpy(),
            "industry_group": ("ind" + d["ind2"].astype(str)).to_numpy(),
        })
        types = {"experience_years": "num", "education": "cat", "occupation_group": "cat",
                 "census_region": "cat", "is_female": "bool", "is_married": "bool", "industry_group": "cat"}
        return f, types, d["wage"].astype(float).to_numpy(), "wage"
    if name == "microservice":
        d = pd.read_csv(os.path.join(DATA_ROOT, "microservice_latency", "rca_microservice_architecture_latencies.csv"))
        d.columns = [_snake(c) + "_s" for c in d.columns]
        keep = ["product_db_s", "customer_db_s", "order_db_s", "shipping_cost_service_s", "auth_service_s",
                "caching_service_s"]
        f = d[keep].astype(float).copy()
        return f, {c: "num" for c in keep}, d["website_s"].to_numpy(float), "latency"
    from sklearn import datasets as skd
    if name == "wine":
        b = skd.load_wine()
        f = pd.DataFrame(b.data, columns=[_snake(c) for c in b.feature_names])
        keep = ["alcohol", "malic_acid", "magnesium", "flavanoids", "color_intensity", "hue", "proline",
                "total_phenols"]
        return f[keep].copy(), {c: "num" for c in keep}, np.array(["cultivar_a", "cultivar_b", "cultivar_c"])[b.target], "class"
    if name == "breast_cancer":
        b = skd.load_breast_cancer()
        f = pd.DataFrame(b.data, columns=[_snake(c) for c in b.feature_names])
        keep = ["mean_radius", "mean_texture", "mean_smoothness", "mean_concavity", "worst_area",
                "worst_concave_points", "mean_symmetry"]
        return f[keep].copy(), {c: "num" for c in keep}, (b.target == 0).astype(int), "binary"
    if name == "diabetes":
        b = skd.load_diabetes(scaled=False)
        f = pd.DataFrame(b.data, columns=["age", "sex", "bmi", "blood_pressure", "s1_tc", "s2_ldl", "s3_hdl",
                                          "s4_tch", "s5_ltg", "s6_glu"])
        f["sex"] = np.where(f["sex"] > 1.5, "f", "m")
        keep = ["age", "sex", "bmi", "blood_pressure", "s1_tc", "s3_hdl", "s5_ltg", "s6_glu"]
        types = {c: ("cat" if c == "sex" else "num") for c in keep}
        return f[keep].copy(), types, b.target.astype(float), "regression"
    raise KeyError(name)


class SourceSpec:
    """One synthetic source: its generator and parameters."""

    def __init__(self, name, gen, rng, levels=None, parent=None):
        self.name, self.gen, self.parent = name, gen, parent
        self.levels = levels
        if gen == "money":
            self.mu, self.sigma = rng.uniform(2.0, 6.5), rng.uniform(0.4, 1.0)
        elif gen == "duration":
            self.shape, self.scale = rng.uniform(1.5, 4.0), rng.uniform(2.0, 60.0)
        elif gen == "count":
            self.lam = rng.uniform(1.0, 18.0)
        elif gen == "rate":
            self.a, self.b = rng.uniform(1.2, 4.0), rng.uniform(1.5, 6.0)
        elif gen == "score":
            self.m, self.sd = float(rng.choice([0.0, 50.0, 600.0])), float(rng.choice([1.0, 10.0, 80.0]))
        elif gen == "cat":
            self.p = rng.dirichlet(np.full(len(levels), 2.0))
        elif gen == "flag":
            self.p = rng.uniform(0.1, 0.6)
        self.effect = None
        if parent is not None:
            self.effect = dict(zip(parent.levels, rng.normal(0, 0.35, len(parent.levels))))

    @property
    def kind(self):
        return {"cat": "cat", "flag": "bool"}.get(self.gen, "num")

    @property
    def nonneg(self):
        return self.gen in ("money", "duration", "count", "rate")

    def draw(self, n, rng, parent_values=None, cat_weights=None):
        eff = np.zeros(n)
        if self.effect is not None and parent_values is not None:
            eff = np.array([self.effect.get(v, 0.0) for v in parent_values])
        g = self.gen
        if g == "money":
            return np.round(np.exp(rng.normal(self.mu + eff, self.sigma)), 2)
        if g == "duration":
            return np.round(rng.gamma(self.shape, self.scale * np.exp(eff)), 2)
        if g == "count":
            return rng.poisson(self.lam * np.exp(eff)).astype(np.int64)
        if g == "rate":
            return np.round(rng.beta(self.a, self.b, n), 4)
        if g == "score":
            return np.round(rng.normal(self.m + eff * self.sd, self.sd), 3)
        if g == "cat":
            p = self.p if cat_weights is None else cat_weights
            return np.asarray(self.levels, dtype=object)[rng.choice(len(self.levels), n, p=p)]
        if g == "flag":
            return rng.random(n) < self.p
        raise ValueError(g)
