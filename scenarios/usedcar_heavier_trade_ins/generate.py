"""A tilted population over correlated sources: the cars traded in got heavier.

A dealer group prices trade-ins with a model of the resale price. Curb weight,
horsepower and cylinder count are correlated the way real cars are (heavier
cars have bigger engines with more cylinders), but the lineage graph has no
edge between them: they are three fields of the same vehicle record.

After fuel prices fell and a rival's pickup and SUV trade-in offer ended, the
vehicles coming in are heavier: the current window is the same vehicle
process, resampled with weights ``exp(TILT * standardised curb weight)`` from a
pool four times its size. P(horsepower, cylinders | weight), P(age), and the
resale price given the car are all unchanged; horsepower and cylinders move
only because they go with weight. The model and its feature code are the same
and the cars stay inside the training range, but heavier cars are dearer, so
the absolute errors in dollars grow. The source whose own distribution changed
(given the others) is ``curb_weight_kg``: distribution_shift.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from causal_rca.scenarios.worlds_common import ids, single_thread, stream_rng

N_ROWS = 10000
N_TRAINING = 14000
POOL = 4
TILT = 0.6
TRAINING_START = pd.Timestamp("2024-01-02")
REFERENCE_START = pd.Timestamp("2024-04-01")
CURRENT_START = pd.Timestamp("2024-05-06")
WINDOW_DAYS = 28
MODEL_VERSION = "tradein-gbm-2024.03"
MODEL_INPUTS = ("curb_weight_kg", "horsepower", "cylinders", "vehicle_age_years", "power_to_weight")
WEIGHT_MEAN, WEIGHT_SD = 1450.0, 300.0


def draw_vehicles(rng: np.random.Generator, n: int) -> pd.DataFrame:
    weight = np.clip(rng.normal(WEIGHT_MEAN, WEIGHT_SD, n), 850.0, 2700.0)
    latent = (weight - WEIGHT_MEAN) / WEIGHT_SD + rng.normal(0.0, 0.6, n)
    cylinders = np.select([latent < -1.3, latent < 0.8, latent < 1.9], [3, 4, 6], 8).astype(np.int64)
    hp = np.exp(np.log(110.0) + 0.9 * np.log(weight / WEIGHT_MEAN) + 0.09 * (cylinders - 4) + rng.normal(0.0, 0.15, n))
    age = np.clip(np.round(rng.gamma(2.2, 2.6, n)), 0, 20).astype(np.int64)
    mileage = (age + 0.3) * 13000.0 * np.exp(rng.normal(0.0, 0.35, n))
    return pd.DataFrame({
        "curb_weight_kg": np.round(weight, 0),
        "horsepower": np.round(hp, 0),
        "cylinders": cylinders,
        "vehicle_age_years": age,
        "_mileage": mileage,
    })


def tilted(rng: np.random.Generator, n: int, tilt: float) -> pd.DataFrame:
    """``n`` vehicles of a pool ``POOL`` times larger, drawn with weights exp(tilt * z(weight))."""
    pool = draw_vehicles(rng, POOL * n)
    w = np.exp(tilt * (pool["curb_weight_kg"].to_numpy() - WEIGHT_MEAN) / WEIGHT_SD)
    pick = rng.choice(len(pool), size=n, replace=False, p=w / w.sum())
    return pool.iloc[np.sort(pick)].reset_index(drop=True)


def resale_price(rng: np.random.Generator, cars: pd.DataFrame) -> np.ndarray:
    hp = cars["horsepower"].to_numpy(dtype=float)
    weight = cars["curb_weight_kg"].to_numpy(dtype=float)
    age = cars["vehicle_age_years"].to_numpy(dtype=float)
    price = (32000.0 * (hp / 110.0) ** 0.8 * (weight / WEIGHT_MEAN) ** 0.5
             * np.exp(-0.11 * age - 0.25 * cars["_mileage"].to_numpy() / 100000.0 + rng.normal(0.0, 0.12, len(cars))))
    return np.round(np.maximum(price, 500.0), -1)


def with_times(rng: np.random.Generator, cars: pd.DataFrame, start: pd.Timestamp, days: int) -> pd.DataFrame:
    n = len(cars)
    hour = rng.integers(9, 19, n)
    times = (start + pd.to_timedelta(rng.integers(0, days, n), unit="D") + pd.to_timedelta(hour, unit="h")
             + pd.to_timedelta(rng.integers(0, 3600, n), unit="s"))
    out = cars.copy()
    out.insert(0, "appraised_at", times)
    return out.sort_values("appraised_at", kind="stable").reset_index(drop=True)


class TradeInWorld:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        rng = stream_rng(seed, "cars/training")
        cars = with_times(rng, draw_vehicles(rng, N_TRAINING), TRAINING_START, 70)
        price = resale_price(stream_rng(seed, "cars/training-labels"), cars)
        self.model = HistGradientBoostingRegressor(
            loss="absolute_error", max_iter=150, learning_rate=0.08, max_leaf_nodes=15, min_samples_leaf=50,
            early_stopping=False, random_state=seed % (2**32),
        )
        with single_thread():
            self.model.fit(self.matrix(cars), price)
        self.training = self.serve(cars, price, "train")

    def rng(self, stream: str) -> np.random.Generator:
        return stream_rng(self.seed, f"cars/{stream}")

    @staticmethod
    def matrix(cars: pd.DataFrame) -> pd.DataFrame:
        X = cars[["curb_weight_kg", "horsepower", "cylinders", "vehicle_age_years"]].astype(float)
        return X.assign(power_to_weight=np.round(1000.0 * X["horsepower"] / X["curb_weight_kg"], 3))[list(MODEL_INPUTS)]

    def serve(self, cars: pd.DataFrame, price: np.ndarray, prefix: str) -> pd.DataFrame:
        X = self.matrix(cars)
        with single_thread():
            pred = self.model.predict(X)
        log = cars[[c for c in cars.columns if not c.startswith("_")]].copy()
        log.insert(0, "appraisal_id", ids(prefix, len(cars)))
        log["power_to_weight"] = X["power_to_weight"].to_numpy()
        log["predicted_price"] = np.round(pred, 0)
        log["model_version"] = MODEL_VERSION
        log["sale_price"] = price
        return log


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = TradeInWorld(seed)
    rng_ref, rng_cur = world.rng("reference"), world.rng("current")
    ref = with_times(rng_ref, tilted(rng_ref, N_ROWS, 0.0), REFERENCE_START, WINDOW_DAYS)
    cur = with_times(rng_cur, tilted(rng_cur, N_ROWS, TILT), CURRENT_START, WINDOW_DAYS)
    return {
        "training": world.training,
        "reference": world.serve(ref, resale_price(world.rng("reference-labels"), ref), "ref"),
        "current": world.serve(cur, resale_price(world.rng("current-labels"), cur), "cur"),
    }
