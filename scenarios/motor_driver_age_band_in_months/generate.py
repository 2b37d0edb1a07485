"""A ×12 unit change on a banded column: the quote platform now sends the driver's age band in months.

A motor insurer scores each new policy for the chance of an at-fault claim in
the first year; policies scored at or above 0.5 are sent to underwriting review.
The driver's age reaches the model as a band (lower bound of the decade: 20,
30, ..., 70), as the quote form has always collected it. The new release of the
quote platform computes the age in months (needed by a new product for learner
drivers) and bands it in months: 20 becomes 240, 70 becomes 840. Every band is
exactly twelve times its old value; the population, the other inputs, the
claims and the model are unchanged. A tree model reads every band of 240 or more
as "beyond the oldest band it saw" and scores young drivers, the riskiest, like
drivers of 70+: most of their claims go unflagged. The node whose mechanism
broke is the source ``driver_age_band``: its values are rescaled (scale_change).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from causal_rca.scenarios.worlds_common import choice, event_times, ids, logistic, single_thread, stream_rng

N_ROWS = 10000
N_TRAINING = 12000
TRAINING_START = pd.Timestamp("2024-01-08")
REFERENCE_START = pd.Timestamp("2024-03-11")
CURRENT_START = pd.Timestamp("2024-04-08")
WINDOW_DAYS = 21
MODEL_VERSION = "motor-claims-gbm-2024.02"
MONTHS_PER_YEAR = 12

#: age band (lower bound, years) -> (share of policies, true claim log-odds offset): a U shape
AGE_BANDS: dict[int, tuple[float, float]] = {
    20: (0.13, 1.25), 30: (0.20, 0.35), 40: (0.22, 0.0), 50: (0.20, -0.1), 60: (0.15, 0.1), 70: (0.10, 0.55),
}
#: Quotes come in during the day and evening.
HOUR_WEIGHTS = np.array([0.2] * 7 + [1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.5, 4.0, 4.0, 3.0, 1.5, 0.5])
MODEL_INPUTS = ("driver_age_band", "vehicle_group", "mileage_z", "prior_claims_3y")


def draw_policies(rng: np.random.Generator, n: int, start: pd.Timestamp, days: int) -> pd.DataFrame:
    bands = np.array(list(AGE_BANDS), dtype=np.int64)
    age = choice(rng, bands, [v[0] for v in AGE_BANDS.values()], n).astype(np.int64)
    young = age == 20
    group = np.clip(np.round(rng.normal(10.0 - 1.5 * young, 4.0, n)), 1, 20).astype(np.int64)
    mileage = np.round(np.exp(rng.normal(np.log(11000.0), 0.45, n) + 0.08 * (age == 30) - 0.2 * (age == 70)), -2)
    prior = rng.poisson(0.22 + 0.18 * young, n).astype(np.int64)
    times, _ = event_times(rng, n, start, days, HOUR_WEIGHTS)
    frame = pd.DataFrame(
        {"quoted_at": times, "driver_age_band": age, "vehicle_group": group,
         "annual_mileage_km": mileage, "prior_claims_3y": prior}
    )
    return frame.sort_values("quoted_at", kind="stable").reset_index(drop=True)


def draw_claims(rng: np.random.Generator, policies: pd.DataFrame) -> np.ndarray:
    """True chance of an at-fault claim in year one: age band (in years), car group, mileage, history."""
    offset = policies["driver_age_band"].map({k: v[1] for k, v in AGE_BANDS.items()}).to_numpy(dtype=float)
    logit = (
        -2.75
        + offset
        + 0.07 * (policies["vehicle_group"].to_numpy(dtype=float) - 10.0)
        + 0.9 * (np.log(policies["annual_mileage_km"].to_numpy(dtype=float)) - np.log(11000.0))
        + 0.55 * policies["prior_claims_3y"].to_numpy(dtype=float)
    )
    return (rng.random(len(policies)) < logistic(logit)).astype(np.int64)


class MotorWorld:
    """Features with a stored log-mileage standardisation and a class-balanced GBM, fitted on training."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        policies = draw_policies(stream_rng(seed, "motor/training"), N_TRAINING, TRAINING_START, 56)
        claims = draw_claims(stream_rng(seed, "motor/training-labels"), policies)
        log_miles = np.log(policies["annual_mileage_km"].to_numpy(dtype=float))
        self.mileage_mean, self.mileage_std = float(log_miles.mean()), float(log_miles.std())
        self.model = HistGradientBoostingClassifier(
            max_iter=80, learning_rate=0.06, max_leaf_nodes=8, min_samples_leaf=150, l2_regularization=1.0,
            class_weight="balanced", early_stopping=False, random_state=seed % (2**32),
        )
        with single_thread():
            self.model.fit(self._matrix(policies), claims)
        self.training = self.serve(policies, claims, "train")

    def rng(self, stream: str) -> np.random.Generator:
        return stream_rng(self.seed, f"motor/{stream}")

    def _matrix(self, policies: pd.DataFrame) -> pd.DataFrame:
        mileage_z = (np.log(policies["annual_mileage_km"].to_numpy(dtype=float)) - self.mileage_mean) / self.mileage_std
        return pd.DataFrame({
            "driver_age_band": policies["driver_age_band"].to_numpy(dtype=float),
            "vehicle_group": policies["vehicle_group"].to_numpy(dtype=float),
            "mileage_z": mileage_z,
            "prior_claims_3y": policies["prior_claims_3y"].to_numpy(dtype=float),
        })[list(MODEL_INPUTS)]

    def serve(self, policies: pd.DataFrame, claims: np.ndarray, prefix: str) -> pd.DataFrame:
        X = self._matrix(policies)
        with single_thread():
            score = self.model.predict_proba(X)[:, 1]
        log = policies.copy()
        log.insert(0, "policy_id", ids(prefix, len(policies)))
        log["mileage_z"] = np.round(X["mileage_z"].to_numpy(), 6)
        log["claim_score"] = np.round(score, 6)
        log["model_version"] = MODEL_VERSION
        log["claim_12m"] = np.asarray(claims, dtype=np.int64)
        return log


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = MotorWorld(seed)
    ref = draw_policies(world.rng("reference"), N_ROWS, REFERENCE_START, WINDOW_DAYS)
    cur = draw_policies(world.rng("current"), N_ROWS, CURRENT_START, WINDOW_DAYS)
    ref_y = draw_claims(world.rng("reference-labels"), ref)
    cur_y = draw_claims(world.rng("current-labels"), cur)  # claims follow the real age, in years
    served = cur.assign(driver_age_band=cur["driver_age_band"] * MONTHS_PER_YEAR)  # the band now arrives in months
    return {
        "training": world.training,
        "reference": world.serve(ref, ref_y, "ref"),
        "current": world.serve(served, cur_y, "cur"),
    }
