"""Serving fills a missing merchant distance with 0 instead of the training median; a history feature inherits it.

Card-present transactions carry the distance between the merchant terminal
and the card's home address; card-not-present (online) transactions have no
terminal location, so the raw ``merchant_distance_km`` is null on about 18% of
rows. The feature code fills the gap (``merchant_distance_filled``): at
training with the training median, and so it did at serving until the scoring
service was rewritten at the start of the current window; the new service
fills a missing distance with 0. The streaming job that maintains
``distance_avg_last10`` (mean of the card's previous 10 filled distances, per
``card_id`` in ``event_time`` order, the current row excluded) consumes the
served values, so every card's history average is pulled down by its online
purchases, and it moves in a way the row's own filled distance does not explain.

Which node broke? The raw distance is logged and unchanged (same null rate,
same values). The history feature's code is unchanged: it averages what it is
given. The node whose computation changed at serving is the imputation
``merchant_distance_filled``: per the spec's table, "computed differently at
serving than at training (... other null handling)" is ``pipeline_skew``, and
the cause is that node, not its downstream history aggregate. Online fraud now
looks like a purchase next door, and in-person purchases look far from a
history average shrunk towards 0: recall falls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from causal_rca.scenarios.worlds_common import choice, ids, logistic, single_thread, stream_rng

TRAINING_START = pd.Timestamp("2024-05-06")
REFERENCE_START = pd.Timestamp("2024-06-24")
CURRENT_START = pd.Timestamp("2024-07-15")
WARMUP_DAYS = 21          # history the streaming job already holds when a window starts
WINDOW_DAYS = 14
TRAINING_DAYS = 28
CARDS = 1200
TRAINING_CARDS = 900
HISTORY = 10
ONLINE_SHARE = 0.18
MODEL_VERSION = "fraud-gbm-geo-2024.06"
MODEL_INPUTS = ("amount", "hour", "merchant_distance_filled", "distance_avg_last10")
HOUR_WEIGHTS = np.array(
    [1.0, 0.7, 0.5, 0.4, 0.4, 0.6, 1.2, 2.2, 3.2, 3.8, 4.2, 4.6,
     5.0, 4.8, 4.4, 4.3, 4.5, 4.9, 5.2, 4.8, 4.0, 3.2, 2.3, 1.5]
)


def draw_transactions(rng: np.random.Generator, cards: int, start: pd.Timestamp, days: int) -> pd.DataFrame:
    """All transactions of ``cards`` cards from ``start - WARMUP_DAYS`` to ``start + days``, with hidden truth."""
    total_days = WARMUP_DAYS + days
    rate = np.exp(rng.normal(np.log(0.6), 0.5, cards))                 # purchases per day
    radius = np.exp(rng.normal(np.log(6.0), 0.6, cards))              # how far from home the card usually shops
    n = int(rng.poisson(rate.sum() * total_days))
    card = choice(rng, np.arange(cards), rate, n)
    hour = choice(rng, np.arange(24), HOUR_WEIGHTS, n).astype(np.int64)
    t0 = start - pd.Timedelta(days=WARMUP_DAYS)
    times = (t0 + pd.to_timedelta(rng.integers(0, total_days, n), unit="D") + pd.to_timedelta(hour, unit="h")
             + pd.to_timedelta(rng.integers(0, 3600, n), unit="s"))
    online = rng.random(n) < ONLINE_SHARE
    r = radius[card]
    travel = rng.random(n) < 0.05
    distance = r * np.exp(rng.normal(0.0, 0.8, n)) * np.where(travel, np.exp(rng.normal(np.log(15.0), 0.8, n)), 1.0)
    amount = np.round(np.maximum(np.exp(rng.normal(np.log(40.0), 0.9, n)) * np.where(online, 1.3, 1.0), 0.5), 2)
    frame = pd.DataFrame({
        "event_time": times,
        "card_id": [f"card-{c:05d}" for c in card],
        "amount": amount,
        "hour": hour,
        "merchant_distance_km": np.where(online, np.nan, np.round(distance, 2)),
        "_online": online,
        "_radius": r,
    })
    return frame.sort_values("event_time", kind="stable").reset_index(drop=True)


def draw_fraud(rng: np.random.Generator, tx: pd.DataFrame) -> np.ndarray:
    """Fraud: purchases far from where the card usually shops, online purchases, large amounts, nights."""
    d = tx["merchant_distance_km"].to_numpy(dtype=float)
    r = tx["_radius"].to_numpy(dtype=float)
    rel = np.where(np.isnan(d), 0.0, np.clip(np.log((d + 0.5) / (r + 0.5)), -1.0, 4.0))
    hour = tx["hour"].to_numpy()
    logit = (-3.7 + 1.1 * rel + 1.6 * tx["_online"].to_numpy(dtype=float)
             + 0.4 * (np.log(tx["amount"].to_numpy(dtype=float)) - np.log(40.0))
             + 0.6 * ((hour < 6) | (hour >= 22)))
    return (rng.random(len(tx)) < logistic(logit)).astype(np.int64)


def fill_distance(tx: pd.DataFrame, training_median: float, zero_fill_from: pd.Timestamp | None) -> np.ndarray:
    """The imputation: training median, or 0 on rows served by the rewritten service."""
    raw = tx["merchant_distance_km"].to_numpy(dtype=float)
    fill = np.full(len(tx), training_median)
    if zero_fill_from is not None:
        fill = np.where(tx["event_time"] >= zero_fill_from, 0.0, fill)
    return np.where(np.isnan(raw), fill, raw)


def history_average(tx: pd.DataFrame, filled: np.ndarray) -> np.ndarray:
    """Mean of the card's previous ``HISTORY`` filled distances (current row excluded), in event-time order."""
    values = pd.Series(filled, index=tx.index)
    prev = values.groupby(tx["card_id"]).transform(lambda s: s.shift(1).rolling(HISTORY, min_periods=1).mean())
    return np.round(prev.to_numpy(dtype=float), 3)


class GeoFraudWorld:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        tx = draw_transactions(stream_rng(seed, "geo/training"), TRAINING_CARDS, TRAINING_START, TRAINING_DAYS)
        self.median = float(np.nanmedian(tx["merchant_distance_km"]))
        y = draw_fraud(stream_rng(seed, "geo/training-labels"), tx)
        feats = self.features(tx, None)
        keep = (tx["event_time"] >= TRAINING_START).to_numpy()
        self.model = HistGradientBoostingClassifier(
            max_iter=100, learning_rate=0.06, max_leaf_nodes=10, min_samples_leaf=150, l2_regularization=1.0,
            class_weight="balanced", early_stopping=False, random_state=seed % (2**32),
        )
        with single_thread():
            self.model.fit(self.matrix(tx, feats)[keep], y[keep])
        self.training = self.serve(tx, y, feats, "train", TRAINING_START)

    def rng(self, stream: str) -> np.random.Generator:
        return stream_rng(self.seed, f"geo/{stream}")

    def features(self, tx: pd.DataFrame, zero_fill_from: pd.Timestamp | None) -> pd.DataFrame:
        filled = np.round(fill_distance(tx, self.median, zero_fill_from), 2)
        return pd.DataFrame({"merchant_distance_filled": filled, "distance_avg_last10": history_average(tx, filled)},
                            index=tx.index)

    @staticmethod
    def matrix(tx: pd.DataFrame, feats: pd.DataFrame) -> pd.DataFrame:
        both = {"amount": tx["amount"], "hour": tx["hour"], **{c: feats[c] for c in feats}}
        return pd.DataFrame({c: both[c].to_numpy(dtype=float) for c in MODEL_INPUTS})

    def serve(self, tx: pd.DataFrame, y: np.ndarray, feats: pd.DataFrame, prefix: str,
              start: pd.Timestamp) -> pd.DataFrame:
        """The scoring log of the window (warm-up rows are history only, never logged)."""
        with single_thread():
            score = self.model.predict_proba(self.matrix(tx, feats))[:, 1]
        log = tx[[c for c in tx.columns if not c.startswith("_")]].copy()
        log["merchant_distance_filled"] = feats["merchant_distance_filled"].to_numpy()
        log["distance_avg_last10"] = feats["distance_avg_last10"].to_numpy()
        log["score"] = np.round(score, 6)
        log["model_version"] = MODEL_VERSION
        log["is_fraud"] = np.asarray(y, dtype=np.int64)
        log = log[(log["event_time"] >= start).to_numpy()].reset_index(drop=True)
        log.insert(0, "transaction_id", ids(prefix, len(log)))
        return log


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = GeoFraudWorld(seed)
    ref = draw_transactions(world.rng("reference"), CARDS, REFERENCE_START, WINDOW_DAYS)
    cur = draw_transactions(world.rng("current"), CARDS, CURRENT_START, WINDOW_DAYS)
    ref_y = draw_fraud(world.rng("reference-labels"), ref)
    cur_y = draw_fraud(world.rng("current-labels"), cur)
    return {
        "training": world.training,
        "reference": world.serve(ref, ref_y, world.features(ref, None), "ref", REFERENCE_START),
        "current": world.serve(cur, cur_y, world.features(cur, CURRENT_START), "cur", CURRENT_START),
    }
