"""Small helpers shared by the scenario worlds (churn, delivery ETA, credit).

Same rules as ``simulate``: every draw comes from a named, seeded stream
(``stream_rng``), nothing touches the global RNG, and models are fitted on one
thread so the same seed gives the same frames everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from causal_rca.scenarios.simulate import stream_rng

__all__ = [
    "choice",
    "event_times",
    "freshness_times",
    "ids",
    "logistic",
    "single_thread",
    "stream_rng",
    "TargetEncoder",
]


def single_thread() -> threadpool_limits:
    """One OpenMP/BLAS thread: deterministic and fast enough on a few thousand rows."""
    return threadpool_limits(limits=1)


def logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))


def choice(rng: np.random.Generator, values: np.ndarray | list, p: np.ndarray | list, n: int) -> np.ndarray:
    """Categorical draws by inverse CDF (one uniform per row)."""
    p = np.asarray(p, dtype=float)
    cdf = np.cumsum(p / p.sum())
    cdf[-1] = 1.0
    return np.asarray(values)[np.searchsorted(cdf, rng.random(n), side="right")]


def event_times(
    rng: np.random.Generator,
    n: int,
    start: pd.Timestamp,
    days: float,
    hour_weights: np.ndarray | None = None,
) -> tuple[pd.Series, np.ndarray]:
    """Row timestamps over ``days`` days with an hour-of-day profile; returns (times, hour)."""
    weights = np.ones(24) if hour_weights is None else np.asarray(hour_weights, dtype=float)
    hour = choice(rng, np.arange(24), weights, n).astype(np.int64)
    day = rng.integers(0, max(int(days), 1), n)
    seconds = rng.integers(0, 3600, n)
    times = (
        start
        + pd.to_timedelta(day, unit="D")
        + pd.to_timedelta(hour, unit="h")
        + pd.to_timedelta(seconds, unit="s")
    )
    return pd.Series(times), hour


def freshness_times(event_time: pd.Series, staleness_minutes: np.ndarray) -> pd.Series:
    """When a served value was computed: ``event_time`` minus its staleness."""
    lag = pd.to_timedelta(np.round(np.asarray(staleness_minutes, dtype=float) * 60.0), unit="s")
    return pd.Series(pd.to_datetime(event_time).to_numpy() - lag.to_numpy(), index=event_time.index)


def ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}-{i:06d}" for i in range(n)]


class TargetEncoder:
    """Category → smoothed mean of a target, learned once on training data and stored.

    Unseen categories get the training prior, as deployed target encoders do:
    a renamed or new category is silently treated as "average".
    """

    def __init__(self, mapping: dict, prior: float) -> None:
        self.mapping = dict(mapping)
        self.prior = float(prior)

    @classmethod
    def fit(cls, categories: pd.Series | np.ndarray, target: np.ndarray, smoothing: float = 20.0) -> "TargetEncoder":
        frame = pd.DataFrame({"c": np.asarray(categories, dtype=object), "y": np.asarray(target, dtype=float)})
        prior = float(frame["y"].mean())
        grouped = frame.groupby("c")["y"].agg(["sum", "count"])
        mapping = {
            key: float((row["sum"] + smoothing * prior) / (row["count"] + smoothing))
            for key, row in grouped.iterrows()
        }
        return cls(mapping, prior)

    def transform(self, categories: pd.Series | np.ndarray) -> np.ndarray:
        values = pd.Series(np.asarray(categories, dtype=object))
        return values.map(self.mapping).fillna(self.prior).to_numpy(dtype=float)



def attach_model(frames: dict, with_model: bool, model, golden) -> dict:
    """A scenario's frames, plus (when asked) ``model``: the fitted model that served the
    current window, and ``golden``: a trusted labelled set drawn like the reference.

    ``golden`` is a zero-argument callable so nothing is drawn unless asked: the
    frames of a plain ``generate(seed)`` stay exactly what they were.
    """
    if not with_model:
        return frames
    return {**frames, "model": model, "golden": golden()}


def mcc_as_text(sources: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """A card world's upstream type change: merchant codes on ``rows`` arrive as 'MCC-<code>' strings
    (the coerced-nulls scenario and the quickstart's incident)."""
    out = sources.copy()
    raw = out["merchant_category"].astype(object)
    raw[rows] = [f"MCC-{int(code)}" for code in out.loc[rows, "merchant_category"]]
    out["merchant_category"] = raw
    return out
