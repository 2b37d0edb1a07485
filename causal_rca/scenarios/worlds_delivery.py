"""A food-delivery ETA world: a gradient-boosted regressor predicts delivery minutes.

One row per delivered order. Raw fields come from the order service (zone,
hour, store category, basket size), the routing service (distance) and a
weather vendor (rain). Real-time features (couriers near the store, zone
congestion) come from an online feature store, the restaurant's 7-day
average preparation time from an hourly batch job (with its computation time
logged), and a target-encoded store category and a travel-time estimate are
computed in the serving code with statistics stored at training time.

The true delivery time is preparation (restaurant-specific, slower at rush
hours and for big baskets) or the wait for a courier, whichever is longer,
plus travel (distance over a speed that congestion and rain lower) plus the
hand-off, with noise: the model can only learn it through the logged
features. An order is "late" when it arrives after the promised time (the
prediction plus 5 minutes of buffer).

    world = build_delivery_world(seed)
    orders = draw_orders(world.rng("reference"), 8000, start=REFERENCE_START)
    log = world.serve(orders, id_prefix="ref")
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline

from causal_rca.scenarios.worlds_common import choice, event_times, freshness_times, ids, single_thread, stream_rng

#: zone → (share of orders, typical distance in km, congestion at rush hour, courier density)
ZONES: dict[str, tuple[float, float, float, float]] = {
    "downtown": (0.20, 2.0, 0.75, 1.4),
    "midtown": (0.16, 2.6, 0.55, 1.2),
    "harbour": (0.10, 3.0, 0.45, 0.9),
    "university": (0.12, 2.2, 0.35, 1.1),
    "riverside": (0.11, 3.4, 0.30, 0.8),
    "northgate": (0.10, 4.2, 0.25, 0.7),
    "eastside": (0.11, 3.8, 0.30, 0.8),
    "westpark": (0.10, 4.6, 0.20, 0.6),
}
ZONE_NAMES = np.array(list(ZONES), dtype=object)

#: store category → (share of orders, typical preparation minutes, items per order (mean extra))
STORE_CATEGORIES: dict[str, tuple[float, float, float]] = {
    "pizza": (0.22, 16.0, 1.2),
    "burger": (0.20, 11.0, 1.4),
    "asian": (0.18, 14.0, 1.6),
    "sushi": (0.10, 18.0, 1.8),
    "healthy": (0.10, 9.0, 0.8),
    "bakery": (0.08, 6.0, 1.5),
    "dessert": (0.12, 8.0, 1.0),
}

#: Orders peak at lunch and dinner.
HOUR_WEIGHTS = np.array(
    [0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 0.8, 1.2, 1.3, 1.6, 3.2,
     5.0, 4.2, 2.2, 1.6, 1.8, 3.0, 5.2, 5.8, 4.6, 2.8, 1.4, 0.7]
)
RUSH_HOURS = (11, 12, 13, 18, 19, 20)

TRAINING_START = pd.Timestamp("2024-08-05")
REFERENCE_START = pd.Timestamp("2024-09-23")
CURRENT_START = pd.Timestamp("2024-10-14")
WINDOW_DAYS = 14.0
MODEL_VERSION = "eta-gbm-2024.09.2"
PROMISE_BUFFER_MIN = 5.0

#: The feature store client's configured fallbacks when a lookup times out.
COURIER_FALLBACK = 6.0
CONGESTION_FALLBACK = 1.0

MODEL_FEATURES = (
    "distance_km", "order_items", "hour", "rain_mm", "couriers_nearby", "zone_congestion",
    "prep_time_7d_avg", "store_category_enc", "travel_time_est",
)


def _rush(hour: np.ndarray) -> np.ndarray:
    """0 off-peak, 1 at the peak of lunch and dinner."""
    h = hour.astype(float)
    return np.exp(-0.5 * ((h - 12.4) / 1.1) ** 2) + np.exp(-0.5 * ((h - 19.2) / 1.3) ** 2)


def rain_by_hour(rng: np.random.Generator, start: pd.Timestamp, days: float) -> pd.Series:
    """Hourly rainfall (mm) over the window: a wet city, showers of a few hours on almost half the days."""
    hours = int(np.ceil(days)) * 24
    index = pd.date_range(start, periods=hours, freq="h")
    rain = np.zeros(hours)
    for day in range(int(np.ceil(days))):
        if rng.random() < 0.45:
            begin = day * 24 + int(rng.integers(6, 20))
            length = int(rng.integers(3, 10))
            rain[begin:begin + length] = np.round(rng.gamma(1.6, 1.4, len(rain[begin:begin + length])) + 0.2, 1)
    return pd.Series(rain, index=index)


def draw_orders(
    rng: np.random.Generator,
    n: int,
    *,
    start: pd.Timestamp = REFERENCE_START,
    days: float = WINDOW_DAYS,
    categories: dict[str, tuple[float, float, float]] | None = None,
) -> pd.DataFrame:
    """Orders with the raw fields and the hidden state (true prep, couriers, congestion) behind them.

    Hidden columns start with ``_``: they drive the true delivery time and the
    feature store's values, and are dropped from the log.
    """
    categories = STORE_CATEGORIES if categories is None else categories
    rain_series = rain_by_hour(rng, start, days)
    times, hour = event_times(rng, n, start, days, HOUR_WEIGHTS)
    zone_idx = choice(rng, np.arange(len(ZONES)), [z[0] for z in ZONES.values()], n)
    zprof = np.array(list(ZONES.values()))
    cat_names = np.array(list(categories), dtype=object)
    cprof = np.array(list(categories.values()))
    cat_idx = choice(rng, np.arange(len(categories)), cprof[:, 0], n)

    distance = np.clip(zprof[zone_idx, 1] * np.exp(rng.normal(0.0, 0.45, n)), 0.3, 9.5)
    items = (1 + rng.poisson(cprof[cat_idx, 2], n)).astype(np.int64)
    rush = _rush(hour)
    # Restaurant-specific speed: the 7-day average is the pipeline's estimate of it.
    restaurant_prep = cprof[cat_idx, 1] * np.exp(rng.normal(0.0, 0.28, n))
    couriers = rng.poisson(np.maximum(9.0 * zprof[zone_idx, 3] * (1.0 - 0.45 * np.minimum(rush, 1.0)), 0.3)).astype(float)
    congestion = 1.0 + zprof[zone_idx, 2] * np.minimum(rush, 1.0) * 1.3 + rng.gamma(2.0, 0.05, n)
    slot = pd.DatetimeIndex(times).floor("h")
    rain = rain_series.reindex(slot).fillna(0.0).to_numpy()

    frame = pd.DataFrame(
        {
            "order_time": times,
            "zone": ZONE_NAMES[zone_idx],
            "hour": hour,
            "store_category": cat_names[cat_idx],
            "order_items": items,
            "distance_km": np.round(distance, 2),
            "rain_mm": rain,
            "_restaurant_prep": restaurant_prep,
            "_couriers": couriers,
            "_congestion": congestion,
        }
    )
    return frame.sort_values("order_time", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class DeliveryConcept:
    """How long an order really takes (minutes)."""

    speed_kmh: float = 21.0
    rain_slowdown: float = 0.14       # per mm of rain, capped at 50% slower
    prep_per_item: float = 0.07       # +7% prep per extra item
    prep_rush: float = 0.30           # +30% prep at the peak of a rush
    courier_wait: float = 16.0        # minutes / (1 + couriers nearby)
    handoff: float = 4.0
    noise_sd: float = 2.5

    def minutes(self, rng: np.random.Generator, orders: pd.DataFrame) -> np.ndarray:
        n = len(orders)
        items = orders["order_items"].to_numpy(dtype=float)
        rush = np.minimum(_rush(orders["hour"].to_numpy()), 1.0)
        prep = orders["_restaurant_prep"].to_numpy() * (1 + self.prep_per_item * (items - 1)) * (1 + self.prep_rush * rush)
        prep = prep * rng.gamma(16.0, 1 / 16.0, n)
        wait = self.courier_wait / (1.0 + orders["_couriers"].to_numpy())
        rain = orders["rain_mm"].to_numpy(dtype=float)
        speed = self.speed_kmh / orders["_congestion"].to_numpy() * (1.0 - np.minimum(self.rain_slowdown * rain, 0.5))
        travel = orders["distance_km"].to_numpy(dtype=float) / speed * 60.0
        total = np.maximum(prep, wait + 3.0) + travel + self.handoff + rng.normal(0.0, self.noise_sd, n)
        return np.round(np.maximum(total, 5.0), 1)


REFERENCE_DELIVERY = DeliveryConcept()


@dataclass(frozen=True)
class DeliveryFeatures:
    """Serving-side feature code with statistics stored at training time."""

    category_minutes: dict[str, float] = field(default_factory=dict)
    prior_minutes: float = 0.0
    reference_speed_kmh: float = 20.0

    @classmethod
    def fit(cls, orders: pd.DataFrame, minutes: np.ndarray, smoothing: float = 50.0) -> "DeliveryFeatures":
        frame = pd.DataFrame({"c": orders["store_category"].astype(object), "y": minutes})
        prior = float(frame["y"].mean())
        grouped = frame.groupby("c")["y"].agg(["sum", "count"])
        enc = {str(k): float((r["sum"] + smoothing * prior) / (r["count"] + smoothing)) for k, r in grouped.iterrows()}
        return cls(category_minutes=enc, prior_minutes=prior)

    def store_category_enc(self, category: pd.Series) -> np.ndarray:
        return category.astype(object).map(self.category_minutes).fillna(self.prior_minutes).to_numpy(dtype=float)

    def travel_time_est(self, distance_km: pd.Series, congestion: pd.Series) -> np.ndarray:
        return distance_km.to_numpy(dtype=float) * congestion.to_numpy(dtype=float) / self.reference_speed_kmh * 60.0


def feature_store_values(rng: np.random.Generator, orders: pd.DataFrame) -> pd.DataFrame:
    """What the online and batch stores serve: live courier count and congestion, 7-day prep average.

    The 7-day average is refreshed hourly, so it is 5 to 70 minutes old at serving.
    """
    n = len(orders)
    staleness = rng.uniform(5.0, 70.0, n)
    prep_avg = orders["_restaurant_prep"].to_numpy() * np.exp(rng.normal(0.0, 0.07, n)) * 1.08
    return pd.DataFrame(
        {
            "couriers_nearby": orders["_couriers"].to_numpy(dtype=float),
            "zone_congestion": np.round(orders["_congestion"].to_numpy(), 3),
            "prep_time_7d_avg": np.round(prep_avg, 2),
            "prep_time_7d_avg_at": freshness_times(orders["order_time"], staleness),
        },
        index=orders.index,
    )


def delivery_model(seed: int) -> Pipeline:
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            (
                "gbm",
                HistGradientBoostingRegressor(
                    loss="absolute_error",
                    max_iter=150,
                    learning_rate=0.08,
                    max_leaf_nodes=15,
                    min_samples_leaf=50,
                    early_stopping=False,
                    random_state=seed % (2**32),
                ),
            ),
        ]
    )


@dataclass(frozen=True)
class DeliveryWorld:
    seed: int
    features: DeliveryFeatures
    model: Pipeline
    training: pd.DataFrame
    concept: DeliveryConcept = REFERENCE_DELIVERY
    model_version: str = MODEL_VERSION

    def rng(self, stream: str) -> np.random.Generator:
        return stream_rng(self.seed, f"delivery/{stream}")

    def store(self, orders: pd.DataFrame, stream: str) -> pd.DataFrame:
        """Feature-store values for a window (own seed stream)."""
        return feature_store_values(self.rng(f"{stream}-store"), orders)

    def true_minutes(self, orders: pd.DataFrame, stream: str, concept: DeliveryConcept | None = None) -> np.ndarray:
        return (concept or self.concept).minutes(self.rng(f"{stream}-labels"), orders)

    def serve(
        self,
        orders: pd.DataFrame,
        minutes: np.ndarray,
        store: pd.DataFrame,
        *,
        id_prefix: str = "ord",
        serve_features: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame] | None = None,
    ) -> pd.DataFrame:
        """The prediction log: raw fields, the features the model received, prediction, version, outcome."""
        feats = store.copy()
        feats["store_category_enc"] = self.features.store_category_enc(orders["store_category"])
        feats["travel_time_est"] = self.features.travel_time_est(orders["distance_km"], feats["zone_congestion"])
        if serve_features is not None:
            feats = serve_features(orders, feats)
            # travel time is always computed from what the store actually returned
            feats["travel_time_est"] = self.features.travel_time_est(orders["distance_km"], feats["zone_congestion"])
        X = pd.DataFrame(
            {c: pd.to_numeric((feats[c] if c in feats else orders[c]), errors="coerce").astype(float)
             for c in MODEL_FEATURES}
        )
        with single_thread():
            pred = self.model.predict(X)
        log = orders[[c for c in orders.columns if not c.startswith("_")]].copy()
        log.insert(0, "order_id", ids(id_prefix, len(orders)))
        for col in ("couriers_nearby", "zone_congestion", "prep_time_7d_avg", "prep_time_7d_avg_at",
                    "store_category_enc"):
            log[col] = feats[col].to_numpy()
        log["travel_time_est"] = np.round(feats["travel_time_est"].to_numpy(dtype=float), 3)
        log["store_category_enc"] = np.round(log["store_category_enc"].to_numpy(dtype=float), 4)
        log["eta_minutes"] = np.round(pred, 2)
        log["model_version"] = self.model_version
        log["delivery_minutes"] = np.asarray(minutes, dtype=float)
        log["late"] = (log["delivery_minutes"] > log["eta_minutes"] + PROMISE_BUFFER_MIN).astype(np.int64)
        return log


def build_delivery_world(seed: int, n_training: int = 10000) -> DeliveryWorld:
    """Training orders from the reference process; features and model fitted on them."""
    orders = draw_orders(stream_rng(seed, "delivery/training"), n_training, start=TRAINING_START, days=42)
    minutes = REFERENCE_DELIVERY.minutes(stream_rng(seed, "delivery/training-labels"), orders)
    features = DeliveryFeatures.fit(orders, minutes)
    world = DeliveryWorld(seed=seed, features=features, model=delivery_model(seed), training=pd.DataFrame())
    store = feature_store_values(stream_rng(seed, "delivery/training-store"), orders)
    feats = store.assign(
        store_category_enc=features.store_category_enc(orders["store_category"]),
        travel_time_est=features.travel_time_est(orders["distance_km"], store["zone_congestion"]),
    )
    X = pd.DataFrame({c: (feats[c] if c in feats else orders[c]).astype(float) for c in MODEL_FEATURES})
    with single_thread():
        world.model.fit(X, minutes)
    return replace(world, training=world.serve(orders, minutes, store, id_prefix="train"))


def draw_delivery_window(
    world: DeliveryWorld,
    name: str,
    n: int,
    *,
    start: pd.Timestamp,
    categories: dict[str, tuple[float, float, float]] | None = None,
) -> pd.DataFrame:
    """Orders of one window (hidden state included), from the window's own seed stream."""
    return draw_orders(world.rng(name), n, start=start, categories=categories)
