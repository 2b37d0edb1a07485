"""The pieces a random pipeline is made of (``random_family``): sources, concept terms, the true
concept, features, the served model, the world that holds them and a fault; and the small helpers
they and the modules that draw them share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from benchmarks.cases.random_vocabulary import MISSING
from causal_rca.scenarios.simulate import stream_rng

# --------------------------------------------------------------------------- world pieces


@dataclass(frozen=True)
class Source:
    name: str
    kind: str                          # gaussian | lognormal | count | bounded | categorical
    a: float = 0.0
    b: float = 1.0
    labels: tuple = ()                 # categorical: logged value per category index
    shares: tuple[float, ...] = ()     # categorical: reference shares (set the cut points on the latent)
    int_codes: bool = False
    null_rate: float = 0.0
    u_mean: float = 0.0                # count: stats of log1p(count) for the concept
    u_std: float = 1.0
    train_max: float = 0.0

    @property
    def categorical(self) -> bool:
        return self.kind == "categorical"

    def values(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """True values from the latent (category index for categorical sources)."""
        if self.kind == "gaussian":
            return np.round(self.a + self.b * z, 2)
        if self.kind == "lognormal":
            return np.round(np.exp(self.a + self.b * z), 2)
        if self.kind == "count":
            return rng.poisson(np.exp(self.a + self.b * np.clip(z, -6, 6))).astype(np.int64)
        if self.kind == "bounded":
            return np.round(100.0 * ndtr(z), 1)
        cuts = ndtri(np.clip(np.cumsum(self.shares)[:-1], 1e-9, 1 - 1e-9))
        return np.searchsorted(cuts, z).astype(np.int64)

    def concept_input(self, x: np.ndarray) -> np.ndarray:
        """What the true concept reads: a standardised value (or the category index)."""
        x = np.asarray(x, dtype=float)
        if self.kind == "gaussian":
            u = (x - self.a) / self.b
        elif self.kind == "lognormal":
            u = (np.log(np.maximum(x, 1e-9)) - self.a) / self.b
        elif self.kind == "count":
            u = (np.log1p(x) - self.u_mean) / self.u_std
        elif self.kind == "bounded":
            u = ndtri(np.clip(x / 100.0, 5e-4, 1 - 5e-4))
        else:
            return x
        return np.clip(u, -8.0, 8.0)

    def logged(self, x: np.ndarray) -> np.ndarray:
        """The value as the upstream system sends it."""
        if self.categorical:
            labels = np.array(self.labels, dtype=object)
            out = labels[x]
            return out.astype(np.int64) if self.int_codes else out
        return x


@dataclass(frozen=True)
class Term:
    kind: str                 # linear | step | hump | square | cat | inter
    sources: tuple[str, ...]
    w: float
    c: float = 0.0
    effects: tuple[float, ...] = ()

    def value(self, U: dict[str, np.ndarray]) -> np.ndarray:
        u = U[self.sources[0]]
        if self.kind == "linear":
            return self.w * u
        if self.kind == "step":
            return self.w * (u > self.c)
        if self.kind == "hump":
            return self.w * np.exp(-0.5 * (u - self.c) ** 2)
        if self.kind == "square":
            return self.w * np.minimum(0.5 * (u * u - 1.0), 6.0)
        if self.kind == "cat":
            eff = np.asarray(self.effects)
            idx = u.astype(np.int64)
            return self.w * eff[np.clip(idx, 0, len(eff) - 1)]
        v = U[self.sources[1]]
        return self.w * 0.5 * np.clip(u, -3, 3) * np.clip(v, -3, 3)


@dataclass(frozen=True)
class Concept:
    """The true outcome given the label node's parents (sources): logistic or linear."""

    task: str
    terms: tuple[Term, ...]
    intercept: float = 0.0
    scale: float = 1.0           # regression: y = offset + scale * (sum of terms) + noise
    noise: float = 0.0           # classification: share of labels flipped; regression: noise sd
    extra_positive: float = 0.0  # label-definition change: share of negatives counted positive
    drop_positive: float = 0.0   # label-definition change: share of positives no longer counted
    floor: float | None = None   # regression: the label's least value in units of scale (a duration, a cost)

    def signal(self, U: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(U.values())))
        out = np.zeros(n)
        for t in self.terms:
            out = out + t.value(U)
        return out

    def draw(self, rng: np.random.Generator, U: dict[str, np.ndarray]) -> np.ndarray:
        s = self.signal(U)
        n = len(s)
        r1, r2, r3 = rng.random(n), rng.random(n), rng.random(n)
        if self.task == "regression":
            y = np.round(self.intercept + self.scale * s + self.noise * ndtri(np.clip(r1, 1e-12, 1 - 1e-12)), 3)
            return y if self.floor is None else np.maximum(y, self.floor * self.scale)
        p = 1.0 / (1.0 + np.exp(-np.clip(self.intercept + s, -35, 35)))
        y = (r1 < p).astype(np.int64)
        y = np.where(r2 < self.noise, 1 - y, y)
        if self.extra_positive:
            y = np.where((y == 0) & (r3 < self.extra_positive), 1, y)
        if self.drop_positive:
            y = np.where((y == 1) & (r3 < self.drop_positive), 0, y)
        return y


@dataclass
class Feature:
    name: str
    transform: str            # z | log_z | ratio | bucket | rate | combo | agg
    parents: tuple[str, ...]  # data parents (sources or features)
    infra: str | None = None
    freshness: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def default(self) -> float:
        """The fallback a serving path returns when its service times out."""
        if self.transform == "rate":
            return float(self.stats["prior"])
        if self.transform == "agg":
            return float(round(self.stats["mean"], 3))
        return 0.0


@dataclass
class ServedModel:
    pipeline: Pipeline
    num_cols: tuple[str, ...]
    cat_cols: tuple[str, ...]
    task: str
    version: str
    swap: tuple[str, str] | None = None   # a wrong artifact: two inputs read in each other's place

    def frame(self, values: dict[str, Any]) -> pd.DataFrame:
        cols: dict[str, Any] = {}
        for c in self.num_cols:
            cols[c] = as_numbers(values[c])
        for c in self.cat_cols:
            cols[c] = _cat_text(values[c])
        X = pd.DataFrame(cols)
        if self.swap is not None:
            a, b = self.swap
            X[a], X[b] = X[b].to_numpy(), X[a].to_numpy()
        return X

    def predict(self, values: dict[str, Any]) -> np.ndarray:
        X = self.frame(values)
        with threadpool_limits(limits=1, user_api="openmp"):
            if self.task == "classification":
                return np.round(self.pipeline.predict_proba(X)[:, 1], 6)
            if self.task == "multiclass":  # rows × classes, in the order of ``classes_``
                return np.round(self.pipeline.predict_proba(X), 6)
            return np.round(self.pipeline.predict(X), 4)


@dataclass
class World:
    seed: int
    attempt: int
    task: str
    metric: str
    sources: list[Source]
    loadings: np.ndarray
    infra: list[str]
    infra_base_rate: dict[str, float]
    features: list[Feature]
    model_inputs: tuple[str, ...]
    model_kind: str
    model_name: str
    label: str
    concept: Concept
    n_train: int
    model: ServedModel | None = None
    positive_rate: float = 0.0
    label_sd: float = 1.0
    classes: tuple[str, ...] = ()                         # multi-class: the label's classes, sorted
    metric_keys: dict[str, Any] = field(default_factory=dict)  # multi-class: metric, average, class, k

    def rng(self, stream: str) -> np.random.Generator:
        return stream_rng(self.seed, f"world{self.attempt}/{stream}")

    def source(self, name: str) -> Source:
        return next(s for s in self.sources if s.name == name)

    def feature(self, name: str) -> Feature:
        return next(f for f in self.features if f.name == name)


@dataclass(frozen=True)
class Fault:
    mode: str
    node: str
    params: dict[str, Any]


# --------------------------------------------------------------------------- helpers


def as_numbers(values: Any) -> np.ndarray:
    """The parser the pipeline always had: anything that does not parse becomes NaN, silently."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        return values.astype(float)
    return pd.to_numeric(pd.Series(values), errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _cat_text(values: Any) -> np.ndarray:
    s = pd.Series(values, dtype=object)
    return s.where(s.notna(), MISSING).astype(str).to_numpy(dtype=object)


def solve_intercept(signal: np.ndarray, rate: float) -> float:
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if np.mean(1.0 / (1.0 + np.exp(-np.clip(mid + signal, -35, 35)))) < rate:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def pick_one(rng: np.random.Generator, items: list, weights: list[float] | None = None):
    if weights is None:
        return items[int(rng.integers(len(items)))]
    p = np.asarray(weights, dtype=float)
    return items[int(rng.choice(len(items), p=p / p.sum()))]
