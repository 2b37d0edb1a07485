"""Building blocks for failure scenarios: a small, realistic card-fraud world.

Scenarios are the tests of truth, so the world they run in must look like a
real pipeline: correlated sources, features computed with statistics STORED at
training time (standardisation, a category→fraud-rate map, normalised counts),
a real scikit-learn model with its own imputer, and labels drawn from a known
ground-truth concept with noise. A scenario then breaks exactly one piece
(a source's format, a feature's serving code, the concept) and the truth is
known by construction.

Everything is a pure function of a ``numpy.random.Generator`` or a seed: the
same seed gives the same frames, byte for byte, and no global RNG is touched.

The pieces, in the order a generator uses them::

    world = build_world(seed)                          # training split + fitted pipeline + model
    src = draw_sources(world.rng("current"), 8000, start=CURRENT_START)
    y = draw_labels(world.rng("current-labels"), src, REFERENCE_CONCEPT)
    log = world.serve(src, y)                          # features, score, model_version, ids
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

# --------------------------------------------------------------------------- world constants

#: Merchant category codes (ISO 18245): (share of transactions, typical amount in $,
#: true fraud log-odds offset of the category).
MCC_PROFILE: dict[int, tuple[float, float, float]] = {
    5411: (0.22, 45.0, -0.9),   # grocery stores
    5812: (0.16, 30.0, -0.8),   # restaurants
    5541: (0.12, 40.0, -0.3),   # service stations
    4121: (0.08, 18.0, -0.4),   # taxis / rideshare
    5912: (0.07, 25.0, -0.5),   # drug stores
    5999: (0.10, 35.0, 0.6),    # misc. retail, mostly online
    5732: (0.08, 220.0, 1.2),   # electronics
    4829: (0.05, 150.0, 1.6),   # wire transfers / money orders
    7995: (0.07, 80.0, 1.9),    # gambling
    6051: (0.05, 120.0, 2.1),   # quasi-cash, crypto
}
MCC_CODES = np.array(list(MCC_PROFILE), dtype=np.int64)
ONLINE_MCCS = (5999, 5732, 7995, 6051)

#: Hour-of-day shape of card traffic: low at night, peaks at noon and early evening.
HOUR_WEIGHTS = np.array(
    [1.0, 0.7, 0.5, 0.4, 0.4, 0.6, 1.2, 2.2, 3.2, 3.8, 4.2, 4.6,
     5.0, 4.8, 4.4, 4.3, 4.5, 4.9, 5.2, 4.8, 4.0, 3.2, 2.3, 1.5]
)
HOUR_WEIGHTS = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()

#: Acquiring processors that forward the transactions; ``acq-b`` (the e-commerce
#: gateway) carries ~30% of traffic, most of it at online merchants.
PROCESSORS = ("acq-a", "acq-b")
ONLINE_SHARE_B = 0.6
OFFLINE_SHARE_B = 0.2

TRAINING_START = pd.Timestamp("2024-01-01")
REFERENCE_START = pd.Timestamp("2024-02-19")
CURRENT_START = pd.Timestamp("2024-03-18")
WINDOW_DAYS = 14.0
MODEL_VERSION = "fraud-gbm-2024.02.1"

#: Model inputs, in the order the model was trained on.
MODEL_FEATURES = ("amount_z", "amount_7d_avg", "merchant_risk", "txn_count_norm", "hour")


# --------------------------------------------------------------------------- sources


def draw_sources(
    rng: np.random.Generator,
    n: int,
    *,
    start: pd.Timestamp = REFERENCE_START,
    days: float = WINDOW_DAYS,
) -> pd.DataFrame:
    """Raw transactions as the upstream systems send them, before any feature code.

    Sources are correlated the way card traffic is: the merchant category sets
    the typical amount, online categories happen more at night, and the 7-day
    average (served by the feature store) tracks the card's own spending level.
    """
    shares = np.array([p[0] for p in MCC_PROFILE.values()])
    typical = np.array([p[1] for p in MCC_PROFILE.values()])
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS)
    night = (hour < 6) | (hour >= 22)
    # Online categories are twice as likely at night: correlated sources.
    online = np.isin(MCC_CODES, ONLINE_MCCS)
    p_day = shares / shares.sum()
    p_night = shares * np.where(online, 2.0, 1.0)
    p_night = p_night / p_night.sum()
    idx = np.where(night, _choice_rows(rng, p_night, n), _choice_rows(rng, p_day, n))
    mcc = MCC_CODES[idx]

    card_level = np.exp(rng.normal(0.0, 0.55, n))          # how big a spender the card is
    amount_7d_avg = typical[idx] * card_level * np.exp(rng.normal(0.0, 0.12, n))
    amount = typical[idx] * card_level * np.exp(rng.normal(0.0, 0.75, n))
    amount = np.round(np.maximum(amount, 0.5), 2)
    activity = np.exp(rng.normal(np.log(2.2), 0.45, n))
    txn_count_24h = rng.poisson(activity + 0.25 * night).astype(np.int64)

    day = rng.integers(0, int(days), n)
    seconds = rng.integers(0, 3600, n)
    event_time = start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(hour, unit="h") + pd.to_timedelta(seconds, unit="s")
    staleness_min = np.clip(rng.gamma(2.0, 9.0, n), 1.0, 95.0)   # feature store refresh lag
    computed_at = event_time - pd.to_timedelta(np.round(staleness_min * 60), unit="s")
    # acq-b is the e-commerce gateway: most online (riskier) merchants go through it.
    share_b = np.where(np.isin(mcc, ONLINE_MCCS), ONLINE_SHARE_B, OFFLINE_SHARE_B)
    processor = np.where(rng.random(n) < share_b, PROCESSORS[1], PROCESSORS[0])

    frame = pd.DataFrame(
        {
            "event_time": event_time,
            "processor": processor,
            "amount": amount,
            "merchant_category": mcc,
            "hour": hour.astype(np.int64),
            "txn_count_24h": txn_count_24h,
            "amount_7d_avg": np.round(amount_7d_avg, 2),
            "amount_7d_avg_at": computed_at,
        }
    )
    return frame.sort_values("event_time", kind="stable").reset_index(drop=True)


def _choice_rows(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """Index draws by inverse CDF: one uniform per row, so callers stay in lockstep."""
    cdf = np.cumsum(p)
    cdf[-1] = 1.0
    return np.searchsorted(cdf, rng.random(n), side="right")


# --------------------------------------------------------------------------- ground-truth concept


@dataclass(frozen=True)
class Concept:
    """The true P(fraud | sources) as a logistic model: what the label node depends on.

    The reference concept is classic account takeover: amounts far above the
    card's usual spend, at risky merchants, more at night. The card-testing
    terms (small amounts, bursts of transactions at night) are zero there and
    switched on by the concept-drift scenario.
    """

    intercept: float = -3.9
    relative_amount: float = 2.3      # per unit of log(amount / 7-day average), clipped
    merchant: float = 1.2             # times the MCC's fraud offset
    night: float = 0.9
    velocity: float = 0.3             # per transaction above 2 in the last 24h
    risky_and_large: float = 1.0      # large relative amount at a risky merchant
    card_testing: float = 0.0         # small amount at night with a burst of transactions
    card_testing_online: float = 0.0  # extra for card testing at online merchants
    label_noise: float = 0.004        # share of labels flipped (chargeback mistakes)

    def logit(self, sources: pd.DataFrame) -> np.ndarray:
        return self.logit_with_offsets(sources, None)

    def logit_with_offsets(self, sources: pd.DataFrame, extra_offsets: dict[int, float] | None) -> np.ndarray:
        """``logit`` for a world with merchant categories beyond ``MCC_PROFILE`` (code → fraud offset)."""
        amount = sources["amount"].to_numpy(dtype=float)
        avg = sources["amount_7d_avg"].to_numpy(dtype=float)
        mcc = pd.to_numeric(sources["merchant_category"], errors="coerce").to_numpy()
        hour = sources["hour"].to_numpy()
        count = sources["txn_count_24h"].to_numpy(dtype=float)
        offset_map = {k: v[2] for k, v in MCC_PROFILE.items()}
        if extra_offsets:
            offset_map.update(extra_offsets)
        offsets = pd.Series(mcc).map(offset_map).fillna(0.0).to_numpy(dtype=float)
        night = ((hour < 6) | (hour >= 22)).astype(float)
        rel = np.clip(np.log(amount / avg), -1.0, 3.0)
        large = np.clip(rel, 0.0, None)
        small = 1.0 / (1.0 + np.exp(np.clip((amount - 12.0) / 2.5, -30.0, 30.0)))  # ~1 below $6, ~0 above $20
        burst = np.clip(count - 2.0, 0.0, 6.0)
        online = np.isin(mcc, ONLINE_MCCS).astype(float)
        return (
            self.intercept
            + self.relative_amount * rel
            + self.merchant * offsets
            + self.night * night
            + self.velocity * burst
            + self.risky_and_large * large * (offsets > 1.0)
            + self.card_testing * small * (1.0 + 1.2 * night + 0.3 * burst)
            + self.card_testing_online * small * online
        )


REFERENCE_CONCEPT = Concept()

#: Fraud rings moved to card testing: small amounts, at night, in bursts, online.
#: The account-takeover terms weaken; the base rate stays about the same, and so
#: does every input distribution: only P(fraud | inputs) changes.
CARD_TESTING_CONCEPT = replace(
    REFERENCE_CONCEPT,
    intercept=-3.8,
    relative_amount=1.5,
    risky_and_large=0.5,
    card_testing=3.0,
    card_testing_online=1.0,
)


def draw_labels(rng: np.random.Generator, sources: pd.DataFrame, concept: Concept = REFERENCE_CONCEPT) -> np.ndarray:
    """Bernoulli labels from the concept, with a small share flipped (label noise)."""
    p = 1.0 / (1.0 + np.exp(-concept.logit(sources)))
    y = (rng.random(len(sources)) < p).astype(np.int64)
    flip = rng.random(len(sources)) < concept.label_noise
    return np.where(flip, 1 - y, y)


# --------------------------------------------------------------------------- feature pipeline


@dataclass(frozen=True)
class FeaturePipeline:
    """Feature code with statistics learned once on the training split and stored.

    Serving applies the stored statistics, never refits them: that is what
    makes a raw value served in place of a normalised one, or a code that
    no longer parses, a silent failure rather than a crash.
    """

    log_amount_mean: float
    log_amount_std: float
    count_mean: float
    count_std: float
    merchant_risk_map: dict[int, float] = field(default_factory=dict)
    merchant_prior: float = 0.0

    @classmethod
    def fit(cls, sources: pd.DataFrame, labels: np.ndarray, smoothing: float = 30.0) -> "FeaturePipeline":
        """Learn the statistics on training data (smoothed per-category fraud rate)."""
        log_amount = np.log1p(sources["amount"].to_numpy(dtype=float))
        count = sources["txn_count_24h"].to_numpy(dtype=float)
        prior = float(np.mean(labels))
        frame = pd.DataFrame({"mcc": pd.to_numeric(sources["merchant_category"]), "y": labels})
        grouped = frame.groupby("mcc")["y"].agg(["sum", "count"])
        risk = {
            int(mcc): float((row["sum"] + smoothing * prior) / (row["count"] + smoothing))
            for mcc, row in grouped.iterrows()
        }
        return cls(
            log_amount_mean=float(log_amount.mean()),
            log_amount_std=float(log_amount.std()),
            count_mean=float(count.mean()),
            count_std=float(count.std()),
            merchant_risk_map=risk,
            merchant_prior=prior,
        )

    def amount_z(self, amount: pd.Series) -> np.ndarray:
        return (np.log1p(pd.to_numeric(amount, errors="coerce").to_numpy(dtype=float)) - self.log_amount_mean) / self.log_amount_std

    def txn_count_norm(self, count: pd.Series) -> np.ndarray:
        return (pd.to_numeric(count, errors="coerce").to_numpy(dtype=float) - self.count_mean) / self.count_std

    def merchant_risk(self, merchant_category: pd.Series) -> np.ndarray:
        """Category → training fraud rate; unseen codes get the prior, unparseable ones NaN.

        ``pd.to_numeric(errors="coerce")`` is the parser the pipeline always had:
        harmless while the upstream sends integers, silent NaN when it does not.
        """
        codes = pd.to_numeric(merchant_category, errors="coerce")
        risk = codes.map(self.merchant_risk_map).astype(float)
        return risk.where(codes.isna() | risk.notna(), self.merchant_prior).to_numpy(dtype=float)

    def transform(self, sources: pd.DataFrame) -> pd.DataFrame:
        """The served features, one column per feature node."""
        return pd.DataFrame(
            {
                "amount_z": self.amount_z(sources["amount"]),
                "merchant_risk": self.merchant_risk(sources["merchant_category"]),
                "txn_count_norm": self.txn_count_norm(sources["txn_count_24h"]),
            },
            index=sources.index,
        )


def model_matrix(sources: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """The model's input columns, in training order (features plus pass-through sources)."""
    both = {**{c: sources[c] for c in ("amount_7d_avg", "hour")}, **{c: features[c] for c in features}}
    return pd.DataFrame({c: pd.to_numeric(both[c], errors="coerce").astype(float) for c in MODEL_FEATURES})


def train_model(X: pd.DataFrame, y: np.ndarray, seed: int, balanced: bool = True) -> Pipeline:
    """A gradient-boosted fraud model with its own median imputer, as usually shipped.

    Class weights are balanced (fraud is rare), so the 0.5 threshold gives the
    high-recall operating point fraud teams run at; ``balanced=False`` is the
    wrong artifact whose scores sit at the base rate.
    """
    model = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            (
                "gbm",
                HistGradientBoostingClassifier(
                    max_iter=120,
                    learning_rate=0.08,
                    max_leaf_nodes=15,
                    min_samples_leaf=40,
                    l2_regularization=1.0,
                    class_weight="balanced" if balanced else None,
                    early_stopping=False,
                    random_state=seed % (2**32),
                ),
            ),
        ]
    )
    with _single_thread():
        model.fit(X, y)
    return model


def _single_thread() -> threadpool_limits:
    """One OpenMP thread: as fast on 8,000 rows, immune to a busy machine, identical everywhere."""
    return threadpool_limits(limits=1, user_api="openmp")


# --------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class World:
    """A trained pipeline plus the seed streams its windows are drawn from."""

    seed: int
    features: FeaturePipeline
    model: Pipeline
    training: pd.DataFrame
    model_version: str = MODEL_VERSION

    def rng(self, stream: str) -> np.random.Generator:
        """An independent generator per named stream, so one window's draws never shift another's."""
        return stream_rng(self.seed, stream)

    def serve(
        self,
        sources: pd.DataFrame,
        labels: np.ndarray,
        *,
        id_prefix: str = "tx",
        serve_features: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame] | None = None,
    ) -> pd.DataFrame:
        """The prediction log: raw sources, served features, score, version and the label.

        ``serve_features(sources, features)`` lets a scenario change what the
        serving path actually sends to the model (the bug under test); the
        logged feature columns are whatever the model really received.
        """
        feats = self.features.transform(sources)
        if serve_features is not None:
            feats = serve_features(sources, feats)
        X = model_matrix(sources, feats)
        with _single_thread():
            score = self.model.predict_proba(X)[:, 1]
        log = sources.copy()
        log.insert(0, "transaction_id", [f"{id_prefix}-{i:06d}" for i in range(len(sources))])
        for col in feats.columns:
            log[col] = feats[col].to_numpy()
        log["score"] = np.round(score, 6)
        log["model_version"] = self.model_version
        log["is_fraud"] = np.asarray(labels, dtype=np.int64)
        return log


def stream_rng(seed: int, stream: str) -> np.random.Generator:
    """Seeded generator for a named stream (stable across runs and platforms)."""
    key = [int(b) for b in stream.encode("utf-8")]
    return np.random.default_rng(np.random.SeedSequence([int(seed) % (2**63), *key]))


def build_world(seed: int, n_training: int = 8000, concept: Concept = REFERENCE_CONCEPT) -> World:
    """Draw a training split from the reference process and fit features and model on it."""
    sources = draw_sources(stream_rng(seed, "training"), n_training, start=TRAINING_START, days=49)
    labels = draw_labels(stream_rng(seed, "training-labels"), sources, concept)
    features = FeaturePipeline.fit(sources, labels)
    model = train_model(model_matrix(sources, features.transform(sources)), labels, seed)
    world = World(seed=seed, features=features, model=model, training=pd.DataFrame())
    training_log = world.serve(sources, labels, id_prefix="train")
    return replace(world, training=training_log)


def draw_window(
    world: World,
    name: str,
    n: int,
    *,
    start: pd.Timestamp,
    concept: Concept = REFERENCE_CONCEPT,
    days: float = WINDOW_DAYS,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Sources and labels of one window, from its own named seed streams."""
    sources = draw_sources(world.rng(name), n, start=start, days=days)
    labels = draw_labels(world.rng(f"{name}-labels"), sources, concept)
    return sources, labels


def standard_windows(
    seed: int,
    n: int = 8000,
    *,
    current_concept: Concept = REFERENCE_CONCEPT,
) -> tuple[World, tuple[pd.DataFrame, np.ndarray], tuple[pd.DataFrame, np.ndarray]]:
    """The world plus a reference and a current window drawn from the (reference) process."""
    world = build_world(seed)
    ref = draw_window(world, "reference", n, start=REFERENCE_START)
    cur = draw_window(world, "current", n, start=CURRENT_START, concept=current_concept)
    return world, ref, cur


# --------------------------------------------------------------------------- additions for the wider library
#
# Used by scenarios added after the first four; nothing above depends on them.


def draw_labels_with_offsets(
    rng: np.random.Generator,
    sources: pd.DataFrame,
    concept: Concept = REFERENCE_CONCEPT,
    extra_offsets: dict[int, float] | None = None,
) -> np.ndarray:
    """``draw_labels`` for a world that also has merchant categories outside ``MCC_PROFILE``."""
    p = 1.0 / (1.0 + np.exp(-concept.logit_with_offsets(sources, extra_offsets)))
    y = (rng.random(len(sources)) < p).astype(np.int64)
    flip = rng.random(len(sources)) < concept.label_noise
    return np.where(flip, 1 - y, y)


def add_merchant_population(
    rng: np.random.Generator,
    sources: pd.DataFrame,
    share: float,
    mcc: int,
    typical_amount: float,
    *,
    online: bool = True,
) -> pd.DataFrame:
    """Move ``share`` of the transactions to a new merchant category with its own price level.

    The card and the time of the transaction are kept; the amount and the
    card's 7-day average are rescaled to the new merchants' typical basket, and
    online merchants go mostly through the e-commerce acquirer, as in
    ``draw_sources``.
    """
    out = sources.copy()
    n = len(out)
    chosen = rng.random(n) < share
    typical = pd.Series(out["merchant_category"]).map({k: v[1] for k, v in MCC_PROFILE.items()}).to_numpy(dtype=float)
    ratio = np.where(chosen, typical_amount / typical, 1.0)
    out["amount"] = np.round(np.maximum(out["amount"].to_numpy(dtype=float) * ratio, 0.5), 2)
    out["amount_7d_avg"] = np.round(out["amount_7d_avg"].to_numpy(dtype=float) * ratio, 2)
    out["merchant_category"] = np.where(chosen, mcc, out["merchant_category"].to_numpy()).astype(np.int64)
    share_b = ONLINE_SHARE_B if online else OFFLINE_SHARE_B
    moved = np.where(rng.random(n) < share_b, PROCESSORS[1], PROCESSORS[0])
    out["processor"] = np.where(chosen, moved, out["processor"].to_numpy())
    return out


def golden_set(world: World, n: int = 4000) -> pd.DataFrame:
    """A trusted labelled set: reference-process transactions with their features and label, no score.

    Drawn from its own seed stream, so it never shifts the windows' draws.
    """
    sources, labels = draw_window(world, "golden", n, start=REFERENCE_START)
    return world.serve(sources, labels, id_prefix="gold").drop(columns=["score", "model_version"])
