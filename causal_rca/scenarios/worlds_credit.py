"""A consumer-lending world with a ~40-node lineage graph: application, bureau, open banking.

One row per scored personal-loan application. Fields come from three
systems: the application form (channel, age, income, employment, loan,
purpose, housing, region, ...), the credit bureau (score, history length,
accounts, delinquencies, utilisation, inquiries, monthly debt payments; a
``bureau_api`` infra node with no column) and an open-banking aggregator
(balances, salary deposits, overdraft days; ``open_banking_api``). Features
are computed with statistics stored at training time (target encodings, a
median fill for missing debt records, ratios); the model is a gradient-boosted
classifier of the probability of default; applications are approved when
that probability is below ``APPROVAL_CUTOFF``.

Everything hangs on a latent creditworthiness per applicant, so sources are
correlated the way real credit files are; the true default (90+ days past due
within 12 months) depends on it and on the observed fields.

    world = build_credit_world(seed)
    apps = draw_applications(world.rng("reference"), 20000, start=REFERENCE_START)
    y = draw_defaults(world.rng("reference-labels"), apps)
    log = world.serve(apps, y, id_prefix="ref")
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

from causal_rca.scenarios.worlds_common import (
    TargetEncoder, choice, event_times, freshness_times, ids, logistic, single_thread, stream_rng,
)

#: (share, true default log-odds offset) per category.
CHANNELS: dict[str, tuple[float, float]] = {
    "branch": (0.25, -0.25), "web": (0.40, 0.0), "mobile": (0.27, 0.1), "broker": (0.08, 0.75),
}
EMPLOYMENT: dict[str, tuple[float, float]] = {
    "salaried": (0.57, 0.0), "self_employed": (0.15, 1.0), "contractor": (0.12, 1.5),
    "retired": (0.08, -0.7), "part_time": (0.08, 1.6),
}
#: income multiplier per employment type
EMPLOYMENT_INCOME = {"salaried": 1.0, "self_employed": 1.15, "contractor": 1.05, "retired": 0.7, "part_time": 0.45}
PURPOSES: dict[str, tuple[float, float]] = {
    "debt_consolidation": (0.38, 0.15), "car": (0.18, -0.3), "home_improvement": (0.16, -0.25),
    "medical": (0.07, 0.3), "vacation": (0.06, 0.4), "business": (0.07, 0.55), "other": (0.08, 0.2),
}
HOUSING: dict[str, tuple[float, float]] = {"rent": (0.42, 0.2), "mortgage": (0.40, 0.0), "own": (0.18, -0.2)}
REGIONS: dict[str, tuple[float, float]] = {
    "north": (0.18, 0.1), "south": (0.20, 0.05), "east": (0.15, -0.05), "west": (0.17, 0.0),
    "central": (0.18, -0.1), "coastal": (0.12, 0.15),
}

TRAINING_START = pd.Timestamp("2023-01-02")
REFERENCE_START = pd.Timestamp("2023-09-04")
CURRENT_START = pd.Timestamp("2023-10-02")
WINDOW_DAYS = 28.0
MODEL_VERSION = "credit-gbm-2023.08"
APPROVAL_CUTOFF = 0.12
APR = 0.11
MIN_HISTORY_MONTHS = 24  # lending policy at training time: thinner files were declined before scoring

#: Office-hours shaped application traffic (web and mobile also in the evening).
HOUR_WEIGHTS = np.array(
    [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.5, 3.8, 3.6,
     3.4, 3.6, 3.5, 3.3, 3.0, 2.8, 2.9, 3.1, 2.8, 2.0, 1.2, 0.6]
)

BUREAU_FIELDS = (
    "credit_score", "credit_history_months", "open_accounts", "delinquencies_2y",
    "revolving_utilization", "inquiries_6m", "monthly_debt",
)
OPEN_BANKING_FIELDS = ("avg_balance_90d", "salary_deposits_90d", "overdraft_days_90d")

MODEL_FEATURES = (
    "log_income", "debt_to_income", "loan_to_income", "installment_to_income",
    "employment_risk", "purpose_risk", "region_risk", "channel_risk", "housing_risk",
    "income_verification_ratio", "balance_cover",
    "credit_score", "credit_history_months", "open_accounts", "delinquencies_2y",
    "revolving_utilization", "inquiries_6m", "overdraft_days_90d",
    "applicant_age", "employment_years", "loan_term_months", "months_at_address", "existing_customer",
)


def _names(table: dict) -> np.ndarray:
    return np.array(list(table), dtype=object)


def _shares(table: dict) -> np.ndarray:
    return np.array([v[0] for v in table.values()])


def installment(loan_amount: np.ndarray, term_months: np.ndarray, apr: float = APR) -> np.ndarray:
    """Monthly annuity payment of the loan."""
    r = apr / 12.0
    return loan_amount * r / (1.0 - (1.0 + r) ** (-term_months))


def draw_applications(
    rng: np.random.Generator,
    n: int,
    *,
    start: pd.Timestamp = REFERENCE_START,
    days: float = WINDOW_DAYS,
    channel_shares: dict[str, float] | None = None,
    min_history_months: int = MIN_HISTORY_MONTHS,
    newcomer_share: float = 0.04,
) -> pd.DataFrame:
    """Scored applications: raw fields of the three systems plus the hidden truth (``_`` columns).

    Applications whose bureau file is thinner than ``min_history_months`` are
    declined by policy before scoring, so they never reach the log.
    """
    pool = int(n * 1.6) + 200
    channels = _names(CHANNELS)
    shares = _shares(CHANNELS) if channel_shares is None else np.array([channel_shares[c] for c in channels])
    channel = choice(rng, channels, shares, pool)
    broker = channel == "broker"
    z = rng.normal(0.0, 1.0, pool)  # latent creditworthiness
    age = np.clip(np.round(18 + rng.gamma(2.3, 8.5, pool) - 2.0 * broker), 18, 80).astype(np.int64)
    employment = choice(rng, _names(EMPLOYMENT), _shares(EMPLOYMENT), pool)
    employment = np.where(age >= 63, np.where(rng.random(pool) < 0.7, "retired", employment), employment)
    employment = np.where((age < 63) & (employment == "retired"), "salaried", employment).astype(object)
    emp_mult = pd.Series(employment).map(EMPLOYMENT_INCOME).to_numpy(dtype=float)
    employment_years = np.round(np.minimum(age - 18, rng.gamma(1.6, 4.0, pool)), 1)
    true_income = 46000.0 * emp_mult * np.exp(0.22 * z + rng.normal(0.0, 0.38, pool)) * (1 + 0.008 * np.minimum(age - 18, 30))
    inflated = rng.random(pool) < np.where(broker, 0.22, 0.06)
    stated_income = np.round(true_income * np.where(inflated, rng.uniform(1.25, 1.7, pool), 1.0), -2)
    loan_amount = np.clip(np.round(true_income * np.exp(rng.normal(np.log(0.22), 0.5, pool)) * np.where(broker, 1.25, 1.0), -2),
                          1000, 60000)
    term = np.where(rng.random(pool) < 0.55, 36, 60).astype(np.int64)
    purpose = choice(rng, _names(PURPOSES), _shares(PURPOSES), pool)
    housing = choice(rng, _names(HOUSING), _shares(HOUSING), pool)
    housing = np.where((age < 25) & (housing == "own"), "rent", housing).astype(object)
    region = choice(rng, _names(REGIONS), _shares(REGIONS), pool)
    months_at_address = np.clip(np.round(rng.gamma(1.5, 22.0, pool)), 1, 12 * (age - 17)).astype(np.int64)
    existing = (rng.random(pool) < np.where(channel == "branch", 0.6, 0.3)).astype(np.int64)

    # Bureau file.
    max_history = 12 * (age - 18) + 6
    history = np.clip(np.round(max_history * rng.beta(2.2, 1.3, pool)), 0, None).astype(np.int64)
    # Newcomers to credit (recent immigrants, first-time borrowers): a file of a few months only.
    newcomer = rng.random(pool) < newcomer_share
    history = np.where(newcomer, rng.integers(0, 24, pool), history).astype(np.int64)
    thin = np.clip((36.0 - history) / 36.0, 0.0, 1.0)  # bureau scores mean less on thin files
    score_signal = (1.0 - 0.7 * thin) * z + 0.7 * thin * rng.normal(0.0, 1.0, pool)
    credit_score = np.clip(np.round(690 + 62 * score_signal + 0.25 * np.minimum(history, 240) / 12 + rng.normal(0, 18, pool)),
                           300, 850).astype(np.int64)
    open_accounts = rng.poisson(1.5 + np.minimum(history, 300) / 40.0).astype(np.int64)
    delinquencies = rng.poisson(np.exp(-1.7 - 0.85 * z)).astype(np.int64)
    utilization = np.round(np.clip(logistic(-0.6 - 0.9 * z + rng.normal(0, 0.6, pool)) * 1.1, 0.0, 1.2), 3)
    inquiries = rng.poisson(0.7 + 0.5 * np.maximum(-z, 0) + 0.8 * broker).astype(np.int64)
    true_dti = np.exp(rng.normal(np.log(0.17), 0.5, pool) - 0.12 * z)
    # Debts the bureau has no record of (BNPL, payday and private loans): heavier, riskier borrowers.
    no_record = rng.random(pool) < 0.2
    true_dti = np.where(no_record, true_dti * 1.6, true_dti)
    monthly_debt = np.where(no_record, np.nan, np.round(true_dti * true_income / 12.0, 0))

    # Open banking (90 days of the main current account).
    avg_balance = np.round(true_income / 12.0 * np.exp(rng.normal(np.log(0.55), 0.8, pool) + 0.45 * z), 0)
    salary_deposits = np.round(3 * true_income / 12.0 * 0.74 * np.exp(rng.normal(0.0, 0.08, pool)), 0)
    overdraft_days = np.clip(rng.poisson(np.exp(0.6 - 1.0 * z)), 0, 90).astype(np.int64)

    frame = pd.DataFrame(
        {
            "application_channel": channel,
            "applicant_age": age,
            "annual_income": stated_income,
            "employment_type": employment,
            "employment_years": employment_years,
            "loan_amount": loan_amount,
            "loan_term_months": term,
            "loan_purpose": purpose,
            "home_ownership": housing,
            "region": region,
            "months_at_address": months_at_address,
            "existing_customer": existing,
            "credit_score": credit_score,
            "credit_history_months": history,
            "open_accounts": open_accounts,
            "delinquencies_2y": delinquencies,
            "revolving_utilization": utilization,
            "inquiries_6m": inquiries,
            "monthly_debt": monthly_debt,
            "avg_balance_90d": avg_balance,
            "salary_deposits_90d": salary_deposits,
            "overdraft_days_90d": overdraft_days,
            "_z": z,
            "_true_income": true_income,
            "_true_dti": true_dti,
            "_inflated": inflated,
        }
    )
    frame = frame[frame["credit_history_months"] >= min_history_months].head(n).reset_index(drop=True)
    if len(frame) < n:  # pragma: no cover - the pool is sized so this does not happen
        raise RuntimeError("application pool too small")
    times, _ = event_times(rng, n, start, days, HOUR_WEIGHTS)
    frame.insert(0, "applied_at", times.to_numpy())
    pulled = rng.uniform(0.5, 20.0, n)  # bureau report pulled 0.5 to 20 seconds before scoring
    frame.insert(1, "bureau_pulled_at", freshness_times(frame["applied_at"], pulled / 60.0).to_numpy())
    return frame.sort_values("applied_at", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class DefaultConcept:
    """True P(90+ days past due within 12 months | applicant)."""

    intercept: float = -4.6
    latent: float = -0.75
    dti: float = 7.0
    payment_burden: float = 6.0     # per unit of installment / true monthly income
    delinquencies: float = 0.3
    utilization: float = 0.9
    inquiries: float = 0.12
    overdraft: float = 0.12         # per sqrt(overdraft day)
    thin_file: float = 1.6          # extra risk of files under two years, steep
    young: float = 0.35
    inflated_income: float = 0.8
    category_scale: float = 1.0     # times the channel / employment / purpose / housing / region offsets

    def logit(self, apps: pd.DataFrame) -> np.ndarray:
        inc = apps["_true_income"].to_numpy(dtype=float)
        pay = installment(apps["loan_amount"].to_numpy(dtype=float), apps["loan_term_months"].to_numpy(dtype=float))
        history = apps["credit_history_months"].to_numpy(dtype=float)
        offsets = sum(
            pd.Series(apps[col].astype(object)).map({k: v[1] for k, v in table.items()}).fillna(0.0).to_numpy(dtype=float)
            for col, table in (("application_channel", CHANNELS), ("employment_type", EMPLOYMENT),
                               ("loan_purpose", PURPOSES), ("home_ownership", HOUSING), ("region", REGIONS))
        )
        return (
            self.intercept
            + self.latent * apps["_z"].to_numpy(dtype=float)
            + self.dti * (apps["_true_dti"].to_numpy(dtype=float) - 0.17)
            + self.payment_burden * (pay / (inc / 12.0) - 0.06)
            + self.delinquencies * np.minimum(apps["delinquencies_2y"].to_numpy(dtype=float), 5)
            + self.utilization * (apps["revolving_utilization"].to_numpy(dtype=float) - 0.4)
            + self.inquiries * apps["inquiries_6m"].to_numpy(dtype=float)
            + self.overdraft * np.sqrt(apps["overdraft_days_90d"].to_numpy(dtype=float))
            + self.thin_file * np.clip((30.0 - history) / 30.0, 0.0, 1.0) ** 1.5
            + self.young * (apps["applicant_age"].to_numpy() < 25)
            + self.inflated_income * apps["_inflated"].to_numpy(dtype=float)
            + self.category_scale * offsets
        )


REFERENCE_DEFAULT = DefaultConcept()


def default_probability(apps: pd.DataFrame, concept: DefaultConcept = REFERENCE_DEFAULT) -> np.ndarray:
    return logistic(concept.logit(apps))


def draw_defaults(rng: np.random.Generator, apps: pd.DataFrame, concept: DefaultConcept = REFERENCE_DEFAULT) -> np.ndarray:
    return (rng.random(len(apps)) < default_probability(apps, concept)).astype(np.int64)


@dataclass(frozen=True)
class CreditFeatures:
    """Feature code with statistics learned on the training split and stored."""

    encoders: dict[str, TargetEncoder] = field(default_factory=dict)
    dti_fill: float = 0.0  # training fill for applicants without a debt record: the median DTI

    ENCODED = {
        "employment_risk": "employment_type", "purpose_risk": "loan_purpose", "region_risk": "region",
        "channel_risk": "application_channel", "housing_risk": "home_ownership",
    }

    @classmethod
    def fit(cls, apps: pd.DataFrame, labels: np.ndarray) -> "CreditFeatures":
        encoders = {feat: TargetEncoder.fit(apps[col], labels, smoothing=50.0) for feat, col in cls.ENCODED.items()}
        dti = apps["monthly_debt"].to_numpy(dtype=float) * 12.0 / apps["annual_income"].to_numpy(dtype=float)
        return cls(encoders=encoders, dti_fill=float(np.nanmedian(dti)))

    def debt_to_income(self, apps: pd.DataFrame, fill: float | None = None) -> np.ndarray:
        dti = apps["monthly_debt"].to_numpy(dtype=float) * 12.0 / apps["annual_income"].to_numpy(dtype=float)
        return np.where(np.isnan(dti), self.dti_fill if fill is None else fill, dti)

    def transform(self, apps: pd.DataFrame) -> pd.DataFrame:
        income = apps["annual_income"].to_numpy(dtype=float)
        loan = apps["loan_amount"].to_numpy(dtype=float)
        pay = installment(loan, apps["loan_term_months"].to_numpy(dtype=float))
        out = {
            "log_income": np.log(income),
            "debt_to_income": self.debt_to_income(apps),
            "loan_to_income": loan / income,
            "installment_to_income": pay * 12.0 / income,
            "income_verification_ratio": apps["salary_deposits_90d"].to_numpy(dtype=float) * 4.0 / income,
            "balance_cover": apps["avg_balance_90d"].to_numpy(dtype=float) / pay,
        }
        for feat, col in self.ENCODED.items():
            out[feat] = self.encoders[feat].transform(apps[col])
        return pd.DataFrame({k: np.round(np.asarray(v, dtype=float), 5) for k, v in out.items()}, index=apps.index)


def credit_model(seed: int, **overrides) -> Pipeline:
    params = dict(
        max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=100,
        l2_regularization=1.0, early_stopping=False, random_state=seed % (2**32),
    )
    params.update(overrides)
    return Pipeline([("impute", SimpleImputer(strategy="median")), ("gbm", HistGradientBoostingClassifier(**params))])


def model_matrix(apps: pd.DataFrame, feats: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.to_numeric(feats[c] if c in feats else apps[c], errors="coerce").astype(float) for c in MODEL_FEATURES}
    )


@dataclass(frozen=True)
class CreditWorld:
    seed: int
    features: CreditFeatures
    model: Pipeline
    training: pd.DataFrame
    model_version: str = MODEL_VERSION

    def rng(self, stream: str) -> np.random.Generator:
        return stream_rng(self.seed, f"credit/{stream}")

    def serve(
        self,
        apps: pd.DataFrame,
        labels: np.ndarray,
        *,
        id_prefix: str = "app",
        serve_features: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame] | None = None,
    ) -> pd.DataFrame:
        """The decision log: raw fields, features the model received, PD, decision, version, outcome."""
        feats = self.features.transform(apps)
        if serve_features is not None:
            feats = serve_features(apps, feats)
        X = model_matrix(apps, feats)
        with single_thread():
            pd_score = self.model.predict_proba(X)[:, 1]
        log = apps[[c for c in apps.columns if not c.startswith("_")]].copy()
        log.insert(0, "application_id", ids(id_prefix, len(apps)))
        for col in feats.columns:
            log[col] = feats[col].to_numpy()
        log["pd_score"] = np.round(pd_score, 6)
        log["approved"] = (pd_score < APPROVAL_CUTOFF).astype(np.int64)
        log["model_version"] = self.model_version
        log["defaulted"] = np.asarray(labels, dtype=np.int64)
        return log


def build_credit_world(seed: int, n_training: int = 12000) -> CreditWorld:
    apps = draw_applications(stream_rng(seed, "credit/training"), n_training, start=TRAINING_START, days=200)
    labels = draw_defaults(stream_rng(seed, "credit/training-labels"), apps)
    features = CreditFeatures.fit(apps, labels)
    model = credit_model(seed)
    with single_thread():
        model.fit(model_matrix(apps, features.transform(apps)), labels)
    world = CreditWorld(seed=seed, features=features, model=model, training=pd.DataFrame())
    return replace(world, training=world.serve(apps, labels, id_prefix="train"))


def draw_credit_window(
    world: CreditWorld,
    name: str,
    n: int,
    *,
    start: pd.Timestamp,
    concept: DefaultConcept = REFERENCE_DEFAULT,
    **application_options,
) -> tuple[pd.DataFrame, np.ndarray]:
    apps = draw_applications(world.rng(name), n, start=start, **application_options)
    return apps, draw_defaults(world.rng(f"{name}-labels"), apps, concept)


def golden_set(world: CreditWorld, n: int = 6000) -> pd.DataFrame:
    """A trusted labelled set: reference-period applications with features and outcome, no score."""
    apps, labels = draw_credit_window(world, "golden", n, start=REFERENCE_START)
    return world.serve(apps, labels, id_prefix="gold").drop(columns=["pd_score", "approved", "model_version"])
