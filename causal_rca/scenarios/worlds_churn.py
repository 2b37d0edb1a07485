"""A small subscription-churn world: 8 lineage nodes, a logistic-regression model.

A telecom scores its subscribers daily for the risk of cancelling in the next
30 days; retention calls go to the customers scored at or above 0.5. Four raw
fields come from billing and CRM (plan, tenure, monthly bill, support calls),
one feature is computed with a scaler fitted once on the training split and
stored, and the model is a class-balanced logistic regression.

    world = build_churn_world(seed)
    customers, y = draw_churn_window(world, "reference", 8000, start=REFERENCE_START)
    log = world.serve(customers, y, id_prefix="ref")
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from causal_rca.scenarios.worlds_common import event_times, ids, logistic, single_thread, stream_rng

#: plan → (share of subscribers, typical monthly bill in $, true churn log-odds offset)
PLANS: dict[str, tuple[float, float, float]] = {
    "basic": (0.50, 28.0, 0.0),
    "standard": (0.35, 56.0, -0.25),
    "premium": (0.15, 98.0, -0.8),
}
PLAN_NAMES = np.array(list(PLANS), dtype=object)

TRAINING_START = pd.Timestamp("2024-04-01")
REFERENCE_START = pd.Timestamp("2024-06-03")
CURRENT_START = pd.Timestamp("2024-07-01")
WINDOW_DAYS = 21.0
MODEL_VERSION = "churn-logreg-2024.05"

#: Scoring runs overnight.
HOUR_WEIGHTS = np.array([3, 5, 5, 4, 2] + [0] * 19, dtype=float)

MODEL_INPUTS = ("tenure_months", "charges_z", "support_calls_90d", "plan")


def draw_customers(rng: np.random.Generator, n: int, *, start: pd.Timestamp, days: float = WINDOW_DAYS) -> pd.DataFrame:
    """Subscribers as billing and CRM report them; the bill depends on the plan, calls on tenure."""
    shares = np.array([p[0] for p in PLANS.values()])
    base = np.array([p[1] for p in PLANS.values()])
    cdf = np.cumsum(shares / shares.sum())
    cdf[-1] = 1.0
    idx = np.searchsorted(cdf, rng.random(n), side="right")
    plan = PLAN_NAMES[idx]
    tenure = np.clip(np.round(rng.gamma(1.3, 16.0, n)) + 1, 1, 72).astype(np.int64)
    addons = rng.poisson(0.8, n) * 6.0
    charges = np.round(base[idx] * np.exp(rng.normal(0.0, 0.15, n)) + addons, 2)
    calls = rng.poisson(0.45 + 1.1 * np.exp(-tenure / 10.0) + 0.006 * np.maximum(charges - 60.0, 0.0), n).astype(np.int64)
    times, _ = event_times(rng, n, start, days, HOUR_WEIGHTS)
    frame = pd.DataFrame(
        {
            "scored_at": times,
            "plan": plan,
            "tenure_months": tenure,
            "monthly_charges": charges,
            "support_calls_90d": calls,
        }
    )
    return frame.sort_values("scored_at", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class ChurnConcept:
    """True P(churn in 30 days | subscriber): bill shock, early tenure and support pain drive it."""

    intercept: float = -0.55
    tenure: float = -0.55           # per unit of log1p(tenure in months)
    price: float = 0.035            # per $ of monthly bill above $50
    calls: float = 0.45             # per support call in the last 90 days
    new_and_unhappy: float = 0.5    # 3+ calls in the first year
    plan_scale: float = 1.0         # times the plan's offset
    label_noise: float = 0.01

    def logit(self, customers: pd.DataFrame) -> np.ndarray:
        tenure = customers["tenure_months"].to_numpy(dtype=float)
        charges = customers["monthly_charges"].to_numpy(dtype=float)
        calls = customers["support_calls_90d"].to_numpy(dtype=float)
        offset = pd.Series(customers["plan"]).map({k: v[2] for k, v in PLANS.items()}).fillna(0.0).to_numpy(dtype=float)
        return (
            self.intercept
            + self.tenure * np.log1p(tenure)
            + self.price * (charges - 50.0)
            + self.calls * calls
            + self.new_and_unhappy * ((calls >= 3) & (tenure < 12))
            + self.plan_scale * offset
        )


REFERENCE_CHURN = ChurnConcept()


def draw_churn_labels(rng: np.random.Generator, customers: pd.DataFrame, concept: ChurnConcept = REFERENCE_CHURN) -> np.ndarray:
    p = logistic(concept.logit(customers))
    y = (rng.random(len(customers)) < p).astype(np.int64)
    flip = rng.random(len(customers)) < concept.label_noise
    return np.where(flip, 1 - y, y)


@dataclass(frozen=True)
class ChargesScaler:
    """The one feature transform: (bill − training mean) / training std, stored at training time."""

    mean: float
    std: float

    @classmethod
    def fit(cls, charges: pd.Series) -> "ChargesScaler":
        values = charges.to_numpy(dtype=float)
        return cls(float(values.mean()), float(values.std()))

    def transform(self, charges: pd.Series) -> np.ndarray:
        return (charges.to_numpy(dtype=float) - self.mean) / self.std


def churn_model(seed: int) -> Pipeline:
    """Class-balanced logistic regression on log tenure, the scaled bill, calls and one-hot plan."""
    del seed  # lbfgs is deterministic; kept for a uniform signature
    columns = ColumnTransformer(
        [
            ("tenure", FunctionTransformer(np.log1p), ["tenure_months"]),
            ("num", "passthrough", ["charges_z", "support_calls_90d"]),
            ("plan", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["plan"]),
        ]
    )
    return Pipeline([("columns", columns), ("logreg", LogisticRegression(C=1.0, class_weight="balanced", max_iter=500))])


@dataclass(frozen=True)
class ChurnWorld:
    seed: int
    scaler: ChargesScaler
    model: Pipeline
    training: pd.DataFrame
    model_version: str = MODEL_VERSION

    def rng(self, stream: str) -> np.random.Generator:
        return stream_rng(self.seed, f"churn/{stream}")

    def features(self, customers: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"charges_z": self.scaler.transform(customers["monthly_charges"])}, index=customers.index)

    def serve(
        self,
        customers: pd.DataFrame,
        labels: np.ndarray,
        *,
        id_prefix: str = "cust",
        serve_features: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame] | None = None,
    ) -> pd.DataFrame:
        """The scoring log: raw fields, the feature the model received, score, version, label."""
        feats = self.features(customers)
        if serve_features is not None:
            feats = serve_features(customers, feats)
        X = pd.concat([customers[["tenure_months", "support_calls_90d", "plan"]], feats], axis=1)[list(MODEL_INPUTS)]
        with single_thread():
            score = self.model.predict_proba(X)[:, 1]
        log = customers.copy()
        log.insert(0, "customer_id", ids(id_prefix, len(customers)))
        log["charges_z"] = np.round(feats["charges_z"].to_numpy(dtype=float), 6)
        log["churn_score"] = np.round(score, 6)
        log["model_version"] = self.model_version
        log["churned"] = np.asarray(labels, dtype=np.int64)
        return log


def build_churn_world(seed: int, n_training: int = 12000) -> ChurnWorld:
    customers = draw_customers(stream_rng(seed, "churn/training"), n_training, start=TRAINING_START, days=56)
    labels = draw_churn_labels(stream_rng(seed, "churn/training-labels"), customers)
    scaler = ChargesScaler.fit(customers["monthly_charges"])
    model = churn_model(seed)
    X = customers[["tenure_months", "support_calls_90d", "plan"]].assign(charges_z=scaler.transform(customers["monthly_charges"]))
    with single_thread():
        model.fit(X[list(MODEL_INPUTS)], labels)
    world = ChurnWorld(seed=seed, scaler=scaler, model=model, training=pd.DataFrame())
    return replace(world, training=world.serve(customers, labels, id_prefix="train"))


def draw_churn_window(
    world: ChurnWorld,
    name: str,
    n: int,
    *,
    start: pd.Timestamp,
    concept: ChurnConcept = REFERENCE_CHURN,
) -> tuple[pd.DataFrame, np.ndarray]:
    customers = draw_customers(world.rng(name), n, start=start)
    return customers, draw_churn_labels(world.rng(f"{name}-labels"), customers, concept)


def golden_set(world: ChurnWorld, n: int = 6000) -> pd.DataFrame:
    """A trusted labelled set: reference-period customers with the feature and outcome, no score."""
    customers, labels = draw_churn_window(world, "golden", n, start=REFERENCE_START)
    return world.serve(customers, labels, id_prefix="gold").drop(columns=["churn_score", "model_version"])
