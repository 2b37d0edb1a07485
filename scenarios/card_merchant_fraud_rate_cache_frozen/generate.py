"""A cached per-merchant fraud rate stops refreshing; the store keeps serving the last values.

Every hour a batch job recomputes each merchant's confirmed-fraud rate over the
last 7 days (smoothed towards the overall rate) and writes it, with its
computation time, to the online feature store; the fraud model reads it at
scoring time as ``merchant_fraud_rate_7d`` (``merchant_fraud_rate_7d_at`` is
logged with it: feature stores keep the write timestamp of every value, and
the scoring service logs it next to the value it read).

Merchants get compromised (a skimmer on a terminal, a breached web shop): for
4 to 12 days their fraud odds are ~16 times higher, until the breach is found.
The fresh 7-day rate picks such a merchant up within a day or two, and the
model, which learned on fresh rates, flags its transactions.

On the second day of the current window the job's service account expired and
every run failed; the store went on serving the values of the last successful
run, with their old computation time. Breaches that start after that are
invisible to the model, and merchants whose breach was found keep a high rate:
recall falls. Sources, the merchants' mix, the model and the concept are
unchanged; the node whose values are old is the computed feature
``merchant_fraud_rate_7d`` (stale_values), not the model that reads it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from causal_rca.scenarios.worlds_common import choice, freshness_times, ids, logistic, single_thread, stream_rng

DAY0 = pd.Timestamp("2024-08-05")
TRAINING_DAYS = (7, 49)
REFERENCE_DAYS = (63, 77)
CURRENT_DAYS = (84, 98)
FREEZE = DAY0 + pd.Timedelta(days=CURRENT_DAYS[0] + 1, hours=6)
N_DAYS = 98
N_MERCHANTS = 300
N_ROWS = 12000
N_TRAINING = 16000
MODEL_VERSION = "fraud-gbm-merchant-2024.09"
BREACH_START_PER_DAY = 0.006
BREACH_LOG_ODDS = 2.8
WINDOW = 7
SMOOTHING = 20.0
#: category -> (share of merchants, typical amount in $, fraud log-odds offset)
CATEGORIES: dict[str, tuple[float, float, float]] = {
    "grocery": (0.25, 45.0, -0.8), "restaurant": (0.25, 30.0, -0.6), "fuel": (0.15, 40.0, -0.2),
    "electronics": (0.15, 220.0, 0.6), "online_retail": (0.20, 60.0, 0.5),
}
CATEGORY_NAMES = list(CATEGORIES)
HOUR_WEIGHTS = np.array(
    [1.0, 0.7, 0.5, 0.4, 0.4, 0.6, 1.2, 2.2, 3.2, 3.8, 4.2, 4.6,
     5.0, 4.8, 4.4, 4.3, 4.5, 4.9, 5.2, 4.8, 4.0, 3.2, 2.3, 1.5]
)
MODEL_INPUTS = ("amount", "hour", "merchant_category_code", "merchant_fraud_rate_7d")


class MerchantWorld:
    """Merchants with a daily fraud log-odds (breaches included) and the fresh 7-day rate per day."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        rng = stream_rng(seed, "merchants/world")
        cat_idx = choice(rng, np.arange(len(CATEGORIES)), [v[0] for v in CATEGORIES.values()], N_MERCHANTS)
        self.category = np.array(CATEGORY_NAMES, dtype=object)[cat_idx]
        self.typical = np.array([v[1] for v in CATEGORIES.values()])[cat_idx]
        self.popularity = np.exp(rng.normal(0.0, 0.9, N_MERCHANTS))
        base = -3.3 + np.array([v[2] for v in CATEGORIES.values()])[cat_idx] + rng.normal(0.0, 0.4, N_MERCHANTS)
        breached = np.zeros((N_MERCHANTS, N_DAYS), dtype=bool)
        for day in range(N_DAYS):
            for m in np.flatnonzero(rng.random(N_MERCHANTS) < BREACH_START_PER_DAY):
                breached[m, day:day + int(rng.integers(4, 13))] = True
        self.log_odds = base[:, None] + BREACH_LOG_ODDS * breached            # [merchant, day]
        # all card traffic of the merchant (not only the logged sample), and its confirmed fraud
        volume = rng.poisson(self.popularity[:, None] * 40.0, (N_MERCHANTS, N_DAYS))
        frauds = rng.binomial(volume, logistic(self.log_odds))
        prior = frauds.sum() / volume.sum()
        kernel = np.ones(WINDOW)
        rate = np.full((N_MERCHANTS, N_DAYS), prior)
        for m in range(N_MERCHANTS):   # rate served on day d: days d-7 .. d-1
            f = np.convolve(frauds[m], kernel)[:N_DAYS]
            v = np.convolve(volume[m], kernel)[:N_DAYS]
            rate[m, 1:] = (f[:-1] + SMOOTHING * prior) / (v[:-1] + SMOOTHING)
        self.rate = np.round(rate, 5)
        self.model = None

    def rng(self, stream: str) -> np.random.Generator:
        return stream_rng(self.seed, f"merchants/{stream}")

    def draw(self, rng: np.random.Generator, n: int, days: tuple[int, int]) -> pd.DataFrame:
        merchant = choice(rng, np.arange(N_MERCHANTS), self.popularity, n)
        day = rng.integers(days[0], days[1], n)
        hour = choice(rng, np.arange(24), HOUR_WEIGHTS, n).astype(np.int64)
        times = (DAY0 + pd.to_timedelta(day, unit="D") + pd.to_timedelta(hour, unit="h")
                 + pd.to_timedelta(rng.integers(0, 3600, n), unit="s"))
        amount = np.round(np.maximum(self.typical[merchant] * np.exp(rng.normal(0.0, 0.8, n)), 0.5), 2)
        night = (hour < 6) | (hour >= 22)
        logit = (self.log_odds[merchant, day] + 0.4 * np.clip(np.log(amount / self.typical[merchant]), -1.0, 3.0)
                 + 0.6 * night)
        frame = pd.DataFrame({
            "event_time": times,
            "merchant_id": [f"m-{m:04d}" for m in merchant],
            "merchant_category": self.category[merchant],
            "amount": amount,
            "hour": hour,
            "merchant_fraud_rate_7d": self.rate[merchant, day],
            "merchant_fraud_rate_7d_at": freshness_times(pd.Series(times), rng.uniform(5.0, 65.0, n)),
            "_fraud": (rng.random(n) < logistic(logit)).astype(np.int64),
            "_merchant": merchant,
        })
        return frame.sort_values("event_time", kind="stable").reset_index(drop=True)

    def frozen(self, rng: np.random.Generator, tx: pd.DataFrame) -> pd.DataFrame:
        """From ``FREEZE`` on, every merchant's value and timestamp are those of the last successful run."""
        out = tx.copy()
        last_day = (FREEZE - DAY0).days
        last_run = FREEZE - pd.to_timedelta(rng.uniform(0.0, 60.0, N_MERCHANTS), unit="min").round("s")
        late = (out["event_time"] >= FREEZE).to_numpy()
        m = out["_merchant"].to_numpy()
        out["merchant_fraud_rate_7d"] = np.where(late, self.rate[m, last_day], out["merchant_fraud_rate_7d"])
        out["merchant_fraud_rate_7d_at"] = out["merchant_fraud_rate_7d_at"].where(
            ~late, pd.Series(last_run[m], index=out.index))
        return out

    @staticmethod
    def matrix(tx: pd.DataFrame) -> pd.DataFrame:
        code = tx["merchant_category"].map({c: i for i, c in enumerate(CATEGORY_NAMES)})
        return pd.DataFrame({
            "amount": tx["amount"].to_numpy(dtype=float), "hour": tx["hour"].to_numpy(dtype=float),
            "merchant_category_code": code.to_numpy(dtype=float),
            "merchant_fraud_rate_7d": tx["merchant_fraud_rate_7d"].to_numpy(dtype=float),
        })[list(MODEL_INPUTS)]

    def fit(self, tx: pd.DataFrame) -> None:
        self.model = HistGradientBoostingClassifier(
            max_iter=100, learning_rate=0.06, max_leaf_nodes=10, min_samples_leaf=100, l2_regularization=1.0,
            categorical_features=[False, False, True, False], class_weight="balanced",
            early_stopping=False, random_state=self.seed % (2**32),
        )
        with single_thread():
            self.model.fit(self.matrix(tx), tx["_fraud"].to_numpy())

    def serve(self, tx: pd.DataFrame, prefix: str) -> pd.DataFrame:
        with single_thread():
            score = self.model.predict_proba(self.matrix(tx))[:, 1]
        log = tx[[c for c in tx.columns if not c.startswith("_")]].copy()
        log.insert(0, "transaction_id", ids(prefix, len(tx)))
        log["score"] = np.round(score, 6)
        log["model_version"] = MODEL_VERSION
        log["is_fraud"] = tx["_fraud"].to_numpy()
        return log


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = MerchantWorld(seed)
    train = world.draw(world.rng("training"), N_TRAINING, TRAINING_DAYS)
    world.fit(train)
    ref = world.draw(world.rng("reference"), N_ROWS, REFERENCE_DAYS)
    cur = world.frozen(world.rng("freeze"), world.draw(world.rng("current"), N_ROWS, CURRENT_DAYS))
    return {
        "training": world.serve(train, "train"),
        "reference": world.serve(ref, "ref"),
        "current": world.serve(cur, "cur"),
    }
