"""A family of random ML pipelines, each with one known fault (or none): cases for benchmarks.

The hand-written scenarios test one realistic story each; this module draws
many pipelines of different shapes from a seed so that a method can be
scored on hundreds of cases it was never tuned on. Each case is built the
way a real pipeline is:

* **sources** (2+): numeric (gaussian, log-normal amounts, Poisson counts,
  bounded percentages) and categorical (integer codes or names), correlated
  through a few latent factors, with small baseline null rates;
* **infra** nodes (0–2, no column): services such as a feature store that
  several features are served through; an outage makes them fall back to
  defaults on the same rows;
* **features** from 1–3 parents, computed with statistics STORED on a
  training split (standardisation, log-standardisation, clipped ratios,
  quantile buckets, smoothed category→rate maps, weighted risk indices, and
  smoothed aggregates with a ``freshness`` column);
* a **model**: a real scikit-learn Pipeline with an imputer
  (LogisticRegression or HistGradientBoostingClassifier, or Ridge /
  HistGradientBoostingRegressor for regression cases), trained on the
  training split, logged with a ``version_column``;
* a **label** drawn from a ground-truth concept over some sources (the label
  node's parents) with noise, and a **metric** node.

Then one fault from the vocabulary of ``spec/diagnosis.md`` is applied to the
current window at an eligible node with a random strength, or none (about
10% of cases are controls). Faulty cases whose true metric change is not
significant (by ``causal_rca.metrics.compare_windows`` on the logged
prediction and label, at the case seed) are discarded and redrawn, which is
deterministic from the seed. The truth is returned beside the data and is
never part of what a method is shown.

Every draw comes from named streams of ``simulate.stream_rng``: the same
seed gives the same graph and frames, byte for byte.

Multi-class models and regressions scored by mape or r2 are drawn by
``random_kinds`` from streams this module's own draws never read, through the
``kind`` hooks of ``_build_world`` and ``draw_world_case``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from causal_rca.errors import InputError
from causal_rca.metrics import MetricSpec, compare_windows, metric_frame
from causal_rca.scenarios.library import FAILURE_MODES
from causal_rca.scenarios.simulate import stream_rng

__all__ = ["CaseTruth", "RandomCase", "draw_case", "planned_failure_mode", "FAILURE_MODES", "CONTROL_SHARE"]

CONTROL_SHARE = 0.10
MIN_NODES, MAX_NODES = 6, 40
MIN_ROWS, MAX_ROWS = 2000, 10000
MAX_WORLDS = 20         # fresh pipelines tried before giving up
MAX_FAULTS = 6          # fault redraws on one pipeline before drawing a new one
CLASSIFICATION_METRICS = ("recall", "precision", "accuracy", "f1", "roc_auc", "log_loss")
REGRESSION_METRICS = ("mae", "rmse")
MISSING = "__missing__"
TIME = "event_time"
KEY = "event_id"

# --------------------------------------------------------------------------- vocabulary

#: (name, kind) of numeric sources; the kind fits the name.
NUMERIC_SOURCES: tuple[tuple[str, str], ...] = (
    ("amount", "lognormal"), ("balance", "lognormal"), ("tenure_days", "lognormal"),
    ("age", "gaussian"), ("income", "lognormal"), ("session_seconds", "lognormal"),
    ("num_items", "count"), ("basket_value", "lognormal"), ("distance_km", "lognormal"),
    ("logins_24h", "count"), ("page_views", "count"), ("credit_limit", "lognormal"),
    ("utilisation_pct", "bounded"), ("days_since_order", "lognormal"), ("latency_ms", "lognormal"),
    ("discount_pct", "bounded"), ("txn_count_24h", "count"), ("avg_rating", "gaussian"),
    ("support_tickets", "count"), ("price", "lognormal"), ("weight_kg", "lognormal"),
    ("clicks_7d", "count"), ("refunds_90d", "count"), ("screen_time_min", "lognormal"),
    ("temperature_c", "gaussian"), ("credit_score", "gaussian"), ("battery_pct", "bounded"),
    ("signal_dbm", "gaussian"), ("ticket_length", "count"), ("cpu_load_pct", "bounded"),
)

#: (name, vocabulary or None for integer codes) of categorical sources.
CATEGORICAL_SOURCES: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("country", ("DE", "FR", "GB", "US", "ES", "IT", "NL", "PL", "BR", "IN", "JP", "SE")),
    ("device_type", ("ios", "android", "web", "tablet", "smart_tv", "desktop_app")),
    ("channel", ("organic", "paid_search", "social", "email", "affiliate", "direct", "display")),
    ("merchant_category", None),
    ("plan", ("free", "basic", "plus", "pro", "team", "enterprise")),
    ("payment_method", ("card", "paypal", "bank_transfer", "wallet", "bnpl", "gift_card")),
    ("region", ("north", "south", "east", "west", "central", "islands")),
    ("store_id", None),
    ("product_line", ("apparel", "electronics", "home", "beauty", "toys", "sports", "grocery", "books")),
    ("browser", ("chrome", "safari", "firefox", "edge", "samsung", "opera")),
    ("language", ("en", "de", "fr", "es", "it", "pt", "nl", "pl", "ja")),
    ("carrier", ("dhl", "ups", "fedex", "dpd", "gls", "postnl", "hermes")),
    ("postcode_area", None),
    ("account_type", ("personal", "business", "student", "joint", "minor")),
)

INFRA_NAMES = ("feature_store", "profile_service", "geo_lookup_api", "risk_cache", "enrichment_service")
CLASS_LABELS = ("is_fraud", "churned", "converted", "defaulted", "clicked", "returned", "is_spam")
REGRESSION_LABELS = ("delivery_minutes", "claim_cost", "spend_next_30d", "resolution_hours")
NONNEG_KINDS = ("lognormal", "count", "bounded")


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class CaseTruth:
    """What really happened: ``significant`` is False for controls (node and mode are None)."""

    significant: bool
    node: str | None
    failure_mode: str | None


@dataclass
class RandomCase:
    """One drawn case: what a method is shown (graph, windows, metric) and the truth (never shown)."""

    seed: int
    graph: dict
    reference: pd.DataFrame
    current: pd.DataFrame
    metric: str
    truth: CaseTruth
    details: dict[str, Any] = field(default_factory=dict)  # generator-side: fault parameters, attempts


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
            cols[c] = _num(values[c])
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


def _num(values: Any) -> np.ndarray:
    """The parser the pipeline always had: anything that does not parse becomes NaN, silently."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        return values.astype(float)
    return pd.to_numeric(pd.Series(values), errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _cat_text(values: Any) -> np.ndarray:
    s = pd.Series(values, dtype=object)
    return s.where(s.notna(), MISSING).astype(str).to_numpy(dtype=object)


def _solve_intercept(signal: np.ndarray, rate: float) -> float:
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if np.mean(1.0 / (1.0 + np.exp(-np.clip(mid + signal, -35, 35)))) < rate:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _uniq(name: str, taken: set[str]) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name}{k}", k + 1
    taken.add(out)
    return out


def pick_one(rng: np.random.Generator, items: list, weights: list[float] | None = None):
    if weights is None:
        return items[int(rng.integers(len(items)))]
    p = np.asarray(weights, dtype=float)
    return items[int(rng.choice(len(items), p=p / p.sum()))]


def _rows(rng: np.random.Generator, n: int, share: float, times: np.ndarray, how: str) -> np.ndarray:
    """Which rows a fault hits: at random, or every row since a moment inside the window."""
    if how == "since":
        order = np.argsort(times, kind="stable")
        mask = np.zeros(n, dtype=bool)
        mask[order[int(round(n * (1.0 - share))):]] = True
        return mask
    return rng.random(n) < share


# --------------------------------------------------------------------------- building a world


def _plan_sizes(rng: np.random.Generator, mode: str | None) -> tuple[int, int, int]:
    """(sources, infra nodes, features) for a total of 6–40 nodes (+ model, label, metric)."""
    total = int(rng.integers(MIN_NODES, MAX_NODES + 1))
    n_infra = int(rng.choice([0, 1, 2], p=[0.5, 0.35, 0.15]))
    if mode == "infrastructure":
        n_infra = max(1, n_infra)
        total = max(total, 8)
    while True:
        rest = total - 3 - n_infra
        n_src = max(2, int(round(rest * rng.uniform(0.3, 0.55))))
        n_feat = rest - n_src
        need = max(1, 2 * n_infra)
        if n_feat < need and n_src > 2:
            n_src = max(2, rest - need)
            n_feat = rest - n_src
        if n_feat >= need:
            return n_src, n_infra, n_feat
        if n_infra > (1 if mode == "infrastructure" else 0):
            n_infra -= 1
        else:
            total += 1


def _make_sources(rng: np.random.Generator, n_src: int, mode: str | None) -> list[Source]:
    n_cat = int(rng.binomial(n_src, 0.35))
    n_cat = min(n_cat, n_src - 1)  # at least one numeric source
    if mode == "out_of_distribution":
        n_cat = min(n_cat, n_src - 1)
    num_pool = list(range(len(NUMERIC_SOURCES)))
    cat_pool = list(range(len(CATEGORICAL_SOURCES)))
    num_idx = rng.permutation(num_pool)[: n_src - n_cat]
    cat_idx = rng.permutation(cat_pool)[:n_cat]
    sources: list[Source] = []
    taken: set[str] = set()
    for i in num_idx:
        name, kind = NUMERIC_SOURCES[int(i)]
        if kind == "gaussian":
            a, b = float(rng.uniform(-20, 120)), float(rng.uniform(2, 25))
        elif kind == "lognormal":
            a, b = float(rng.uniform(1.0, 6.0)), float(rng.uniform(0.3, 1.0))
        elif kind == "count":
            a, b = float(rng.uniform(0.3, 2.5)), float(rng.uniform(0.3, 0.7))
        else:
            a, b = 0.0, 1.0
        null_rate = float(rng.choice([0.0, 0.0, 0.002, 0.005, 0.01]))
        sources.append(Source(_uniq(name, taken), kind, a, b, null_rate=null_rate))
    for i in cat_idx:
        name, vocab = CATEGORICAL_SOURCES[int(i)]
        if vocab is None:
            k = int(rng.integers(4, 13))
            labels = tuple(int(c) for c in rng.choice(np.arange(1000, 9999), size=k, replace=False))
            int_codes = True
        else:
            k = int(rng.integers(3, len(vocab) + 1))
            labels = tuple(vocab[j] for j in sorted(rng.choice(len(vocab), size=k, replace=False)))
            int_codes = False
        shares = rng.dirichlet(np.full(k, 2.0))
        shares = np.maximum(shares, 0.02)
        shares = shares / shares.sum()
        null_rate = float(rng.choice([0.0, 0.0, 0.003]))
        sources.append(Source(_uniq(name, taken), "categorical", labels=labels,
                              shares=tuple(float(s) for s in shares), int_codes=int_codes, null_rate=null_rate))
    order = rng.permutation(len(sources))
    return [sources[int(i)] for i in order]


def _make_features(rng: np.random.Generator, sources: list[Source], n_feat: int, mode: str | None,
                   taken: set[str]) -> list[Feature]:
    numeric = [s for s in sources if not s.categorical]
    nonneg = [s for s in numeric if s.kind in NONNEG_KINDS]
    cats = [s for s in sources if s.categorical]
    unused = [s.name for s in sources]
    reserved: set[str] = set()
    done: set[tuple[str, str]] = set()
    features: list[Feature] = []

    def suffix_name(base: str) -> str:
        return _uniq(base, taken)

    for i in range(n_feat):
        options: list[str] = ["z", "bucket", "agg"]
        weights: list[float] = [3, 1.5, 1.5]
        if nonneg:
            options.append("log_z"); weights.append(2)
        if len(numeric) >= 2 and nonneg:
            options.append("ratio"); weights.append(1.5)
        if cats:
            options.append("rate"); weights.append(1.5 + 0.5 * len(cats))
        if len(numeric) + len(features) >= 2:
            options.append("combo"); weights.append(1.2 if features else 0.6)
        if i == 0 and mode == "stale_values":
            transform = "agg"
        else:
            # favour transforms that consume a source nobody uses yet
            fresh_cats = [c for c in cats if c.name in unused]
            transform = "rate" if fresh_cats and rng.random() < 0.7 else pick_one(rng, options, weights)

        def pick_source(pool: list[Source]) -> Source:
            # A stale-values case keeps its aggregate the only view of its source: aggregates
            # often are the only representation of a signal, and a redundant one cannot move a metric.
            pool = [s for s in pool if s.name not in reserved] or pool
            # the same transform of the same source twice is rare (a second version): avoid it
            pool = [s for s in pool if (transform, s.name) not in done] or pool
            fresh = [s for s in pool if s.name in unused]
            return pick_one(rng, fresh if fresh and rng.random() < 0.8 else pool)

        if transform == "rate":
            src = pick_source(cats)
            feat = Feature(suffix_name(f"{src.name}_rate"), "rate", (src.name,))
        elif transform == "log_z":
            src = pick_source(nonneg)
            feat = Feature(suffix_name(f"{src.name}_log_z"), "log_z", (src.name,))
        elif transform == "ratio":
            num_src = pick_source(numeric)
            den_pool = [s for s in nonneg if s.name != num_src.name] or nonneg
            den = pick_source(den_pool)
            if den.name == num_src.name:
                transform = "z"
                feat = Feature(suffix_name(f"{num_src.name}_z"), "z", (num_src.name,))
            else:
                feat = Feature(suffix_name(f"{num_src.name}_per_{den.name}"), "ratio", (num_src.name, den.name))
        elif transform == "combo":
            pool = [s.name for s in numeric if s.name not in reserved] + [f.name for f in features
                                                                          if f.transform != "agg" or not reserved]
            if len(pool) < 2:
                pool = [s.name for s in numeric] + [f.name for f in features]
            k = int(min(len(pool), rng.integers(2, 4)))
            parents = tuple(str(p) for p in rng.choice(pool, size=k, replace=False))
            fresh = [s.name for s in numeric if s.name in unused and s.name not in parents]
            if fresh and rng.random() < 0.6:
                parents = (fresh[0],) + parents[1:]
            feat = Feature(suffix_name(f"risk_index_{len(features) + 1}"), "combo", parents)
        elif transform == "bucket":
            pool_nodes = [s.name for s in numeric if s.name not in reserved] + \
                [f.name for f in features if f.transform in ("z", "log_z", "combo")]
            if not pool_nodes:
                pool_nodes = [s.name for s in numeric]
            fresh = [s.name for s in numeric if s.name in unused and s.name not in reserved]
            parent = fresh[0] if fresh and rng.random() < 0.7 else str(pick_one(rng, pool_nodes))
            feat = Feature(suffix_name(f"{parent}_bucket"), "bucket", (parent,))
        elif transform == "agg":
            src = pick_source(numeric)
            window = pick_one(rng, ["7d_avg", "30d_avg", "24h_avg", "7d_mean"])
            name = suffix_name(f"{src.name}_{window}")
            feat = Feature(name, "agg", (src.name,), freshness=f"{name}_at")
        else:
            src = pick_source(numeric)
            feat = Feature(suffix_name(f"{src.name}_z"), "z", (src.name,))
        for p in feat.parents:
            if p in unused:
                unused.remove(p)
        if i == 0 and mode == "stale_values":
            reserved.add(feat.parents[0])
        done.add((feat.transform, feat.parents[0]))
        features.append(feat)
    return features


def make_concept(rng: np.random.Generator, task: str, sources: list[Source], parents: list[str],
                  monotone: frozenset[str] = frozenset()) -> Concept:
    terms: list[Term] = []
    numeric_parents = [p for p in parents if not next(s for s in sources if s.name == p).categorical]
    for p in parents:
        src = next(s for s in sources if s.name == p)
        sign = 1.0 if rng.random() < 0.5 else -1.0
        if src.categorical:
            eff = rng.normal(0.0, 1.0, len(src.labels))
            terms.append(Term("cat", (p,), float(rng.uniform(0.6, 1.4)), effects=tuple(float(e) for e in eff)))
            continue
        shape = pick_one(rng, ["linear", "linear", "step", "hump", "square"])
        if p in monotone:
            shape = "linear"
        w = sign * float(rng.uniform(0.5, 1.5))
        c = float(rng.uniform(-1.0, 1.0))
        if shape == "step":
            w *= 2.0
        if shape == "hump":
            w *= 2.0
        terms.append(Term(shape, (p,), w, c))
    if len(numeric_parents) >= 2 and rng.random() < 0.3:
        a, b = rng.choice(numeric_parents, size=2, replace=False)
        terms.append(Term("inter", (str(a), str(b)), float(rng.choice([-1, 1]) * rng.uniform(0.5, 1.2))))
    noise = float(rng.uniform(0.0, 0.03)) if task == "classification" else 0.0
    return Concept(task, tuple(terms), noise=noise)


def _build_world(seed: int, attempt: int, mode: str | None, kind: Any = None) -> World:
    """``kind`` (``random_kinds.Kind``) draws a multi-class or regression world's task, concept, label
    and metric instead of the family's own draws (which it leaves untouched when None)."""
    rng = stream_rng(seed, f"world{attempt}/structure")
    task = "regression" if rng.random() < 0.18 else "classification"
    if kind is not None:
        task = kind.task
    elif mode == "model_change" and task == "regression" and rng.random() < 0.5:
        task = "classification"
    metric = pick_one(rng, list(CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS)) \
        if kind is None else ""
    n_src, n_infra, n_feat = _plan_sizes(rng, mode)
    sources = _make_sources(rng, n_src, mode)
    taken = {s.name for s in sources}

    k = int(rng.integers(1, 4))
    L = rng.uniform(-0.7, 0.7, size=(n_src, k))
    norms = np.sqrt((L ** 2).sum(axis=1))
    L = L * np.minimum(1.0, 0.85 / np.maximum(norms, 1e-9))[:, None]

    features = _make_features(rng, sources, n_feat, mode, taken)

    # Label parents: 1–4 sources (at least one numeric); a stale aggregate's source among them.
    k_label = int(min(n_src, rng.integers(1, 5)))
    label_parents = [str(p) for p in rng.choice([s.name for s in sources], size=k_label, replace=False)]
    if not any(not next(s for s in sources if s.name == p).categorical for p in label_parents):
        numeric_names = [s.name for s in sources if not s.categorical]
        label_parents.append(str(pick_one(rng, numeric_names)))
    if mode == "stale_values":
        agg_source = next(f for f in features if f.transform == "agg").parents[0]
        if agg_source not in label_parents:
            label_parents.append(agg_source)

    infra: list[str] = []
    infra_rate: dict[str, float] = {}
    free = [f for f in features if len(f.parents) < 3]  # a feature has 1–3 parents, infra included
    for j in range(n_infra):
        if len(free) < 2:
            break
        name = _uniq(str(INFRA_NAMES[int(rng.integers(len(INFRA_NAMES)))]), taken)
        weights = [(3.0 if f.transform in ("agg", "rate") else 1.0)
                   * (3.0 if _source_ancestors(features, f.name) & set(label_parents) else 1.0) for f in free]
        k_children = int(min(len(free), rng.integers(2, 6)))
        idx = rng.choice(len(free), size=k_children, replace=False, p=np.asarray(weights) / sum(weights))
        for i in sorted(int(i) for i in idx):
            free[i].infra = name
        free = [f for f in free if f.infra is None]
        infra.append(name)
        infra_rate[name] = float(rng.choice([0.0, 0.001, 0.003, 0.005]))

    # Model inputs: every feature no other feature reads, some others, unused or chosen sources.
    feature_parents = {p for f in features for p in f.parents}
    inputs = [f.name for f in features if f.name not in feature_parents or rng.random() < 0.5]
    used = feature_parents
    for s in sources:
        if s.name not in used:
            inputs.append(s.name)
        elif not s.categorical and rng.random() < 0.15 and not (
                mode == "stale_values" and s.name == features[0].parents[0]):
            inputs.append(s.name)
        elif s.categorical and rng.random() < 0.12:
            inputs.append(s.name)
    # a stale aggregate's source acts on the outcome monotonically, so a linear model can use it too
    monotone = frozenset([features[0].parents[0]]) if mode == "stale_values" else frozenset()
    extra: dict[str, Any] = {}
    if kind is None:
        concept = make_concept(rng, task, sources, label_parents, monotone)
        label = _uniq(str(pick_one(rng, list(CLASS_LABELS if task == "classification" else REGRESSION_LABELS))), taken)
    else:
        concept, stem, metric, extra = kind.parts(rng, sources, label_parents, monotone)
        label = _uniq(stem, taken)
    stem = label.replace("is_", "").split("_")[0]
    model_name = _uniq(f"{stem}_model", taken)
    model_kind = pick_one(rng, ["linear", "gbm"]) if task != "regression" else pick_one(rng, ["linear", "gbm", "gbm"])
    n_train = int(rng.integers(3000, 6001))
    world = World(seed=seed, attempt=attempt, task=task, metric=metric, sources=sources, loadings=L,
                  infra=infra, infra_base_rate=infra_rate, features=features, model_inputs=tuple(inputs),
                  model_kind=model_kind, model_name=model_name, label=label, concept=concept, n_train=n_train,
                  **extra)
    _fit_world(world, rng)
    return world


def _source_ancestors(features: list[Feature], node: str) -> set[str]:
    """Sources upstream of a node (the node itself when it is a source)."""
    by_name = {f.name: f for f in features}
    out: set[str] = set()
    frontier = [node]
    while frontier:
        x = frontier.pop()
        if x in by_name:
            frontier.extend(by_name[x].parents)
        else:
            out.add(x)
    return out


def _latent(world: World, rng: np.random.Generator, n: int) -> np.ndarray:
    k = world.loadings.shape[1]
    f = rng.standard_normal((n, k))
    resid = np.sqrt(np.maximum(1.0 - (world.loadings ** 2).sum(axis=1), 0.05))
    return f @ world.loadings.T + rng.standard_normal((n, len(world.sources))) * resid


def _fit_world(world: World, rng: np.random.Generator) -> None:
    """Draw the training split, settle the concept, fit the stored statistics and the model."""
    n = world.n_train
    data_rng = world.rng("training")
    z = _latent(world, data_rng, n)
    true = {s.name: s.values(z[:, i], data_rng) for i, s in enumerate(world.sources)}
    # count sources: the concept reads log1p(count) standardised on the training split
    for i, s in enumerate(world.sources):
        extra: dict[str, Any] = {"train_max": float(np.max(true[s.name])) if not s.categorical else 0.0}
        if s.kind == "count":
            v = np.log1p(true[s.name].astype(float))
            extra.update(u_mean=float(v.mean()), u_std=float(max(v.std(), 1e-3)))
        world.sources[i] = replace(s, **extra)
    U = {s.name: world.source(s.name).concept_input(true[s.name]) for s in world.sources}
    concept = world.concept
    used_U = {p: U[p] for t in concept.terms for p in t.sources}
    signal = concept.signal(used_U)
    sd = float(np.std(signal)) or 1.0
    if world.task == "classification":
        target_sd = float(rng.uniform(1.2, 2.3))
        terms = tuple(replace(t, w=t.w * target_sd / sd) for t in concept.terms)
        concept = replace(concept, terms=terms)
        rate = float(rng.uniform(0.05, 0.4))
        concept = replace(concept, intercept=_solve_intercept(concept.signal(used_U), rate))
    elif world.task == "multiclass":
        concept = concept.settled(rng, used_U)
    else:
        terms = tuple(replace(t, w=t.w / sd) for t in concept.terms)
        scale = float(rng.uniform(5.0, 30.0))
        concept = replace(concept, terms=terms, scale=scale, intercept=float(rng.uniform(3, 6)) * scale,
                          noise=float(rng.uniform(0.3, 0.8)) * scale)
    world.concept = concept
    y = concept.draw(world.rng("training-labels"), used_U)
    if world.task == "classification":
        world.positive_rate = float(np.mean(y))
    rate_target = y
    if world.task == "multiclass":  # category-rate features encode the first class against the rest
        rate_target = (y == world.classes[0]).astype(float)
    else:
        world.label_sd = float(np.std(y)) or 1.0

    logged = _logged_sources(world, true, data_rng, n)
    values: dict[str, Any] = dict(logged)
    feat_rng = world.rng("training-features")
    for f in world.features:
        _fit_feature(f, values, rate_target, world.task, rng)
        values[f.name] = _compute_feature(f, values, feat_rng, n)
    world.model = _train_model(world, values, y, world.model_kind, world.rng("model"), version=_version(world, 0))


def _version(world: World, bump: int) -> str:
    base = 2024 + world.seed % 3
    month = 1 + world.seed % 9
    return f"{world.model_name.replace('_', '-')}-{base}.{month:02d}.{1 + bump}"


def _with_nulls(s: Source, v: Any, rows: np.ndarray) -> Any:
    """The column with ``rows`` missing, in the type a log would hold it."""
    if not rows.any():
        return v
    if s.categorical and s.int_codes:
        out = pd.array(pd.Series(v).astype(object).where(~rows, None), dtype="Int64") \
            if pd.Series(v).dtype.kind in "iu" or str(pd.Series(v).dtype) == "Int64" else None
        if out is not None:
            return out
    if s.categorical or pd.Series(v).dtype == object:
        out = np.array(pd.Series(v).astype(object), dtype=object)
        out[rows] = None
        return out
    out = np.asarray(v, dtype=float).copy()
    out[rows] = np.nan
    return out


def _logged_sources(world: World, true: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in world.sources:
        v = s.logged(true[s.name])
        if s.null_rate > 0:
            v = _with_nulls(s, v, rng.random(n) < s.null_rate)
        out[s.name] = v
    return out


def _fit_feature(f: Feature, values: dict[str, Any], y: np.ndarray, task: str, rng: np.random.Generator) -> None:
    st: dict[str, Any] = {}
    if f.transform in ("z", "agg", "bucket"):
        x = _num(values[f.parents[0]])
        st["mean"], st["std"] = float(np.nanmean(x)), float(np.nanstd(x) or 1.0)
        if f.transform == "bucket":
            k = int(rng.integers(4, 11))
            st["edges"] = np.unique(np.nanquantile(x, np.linspace(0, 1, k + 1)[1:-1]))
        if f.transform == "agg":
            st["alpha"] = float(rng.uniform(0.5, 0.95))
            st["lag_scale_min"] = float(rng.uniform(3.0, 20.0))
    elif f.transform == "log_z":
        v = np.log1p(np.clip(_num(values[f.parents[0]]), 0, None))
        st["mean"], st["std"] = float(np.nanmean(v)), float(np.nanstd(v) or 1.0)
    elif f.transform == "ratio":
        a, b = _num(values[f.parents[0]]), _num(values[f.parents[1]])
        st["offset"] = float(0.1 * np.nanmedian(np.abs(b)) + 1e-3)
        r = a / (np.abs(b) + st["offset"])
        st["lo"], st["hi"] = float(np.nanquantile(r, 0.005)), float(np.nanquantile(r, 0.995))
    elif f.transform == "rate":
        raw = pd.Series(values[f.parents[0]])
        st["int_keys"] = raw.dtype.kind in "iuf" or str(raw.dtype) == "Int64"
        key = _rate_key(raw, st["int_keys"])
        frame = pd.DataFrame({"k": key, "y": np.asarray(y, dtype=float)}).dropna()
        prior = float(frame["y"].mean())
        m = float(rng.choice([10.0, 30.0, 100.0]))
        g = frame.groupby("k")["y"].agg(["sum", "count"])
        st["map"] = {k: float((r["sum"] + m * prior) / (r["count"] + m)) for k, r in g.iterrows()}
        st["prior"] = prior
        st["smoothing"] = m
    elif f.transform == "combo":
        st["means"], st["stds"] = [], []
        for p in f.parents:
            x = _num(values[p])
            st["means"].append(float(np.nanmean(x)))
            st["stds"].append(float(np.nanstd(x) or 1.0))
        st["weights"] = [float(rng.choice([-1, 1]) * rng.uniform(0.3, 1.0)) for _ in f.parents]
    f.stats = st


def _rate_key(values: Any, int_keys: bool) -> pd.Series:
    """Category keys as the feature code reads them: integer codes go through the numeric parser
    (text that does not parse becomes NaN, silently), names are kept as they are."""
    s = pd.Series(values)
    if int_keys:
        return pd.to_numeric(s.astype(object), errors="coerce").astype(float)
    return s.astype(object)


def _compute_feature(f: Feature, values: dict[str, Any], rng: np.random.Generator, n: int,
                     stats: dict[str, Any] | None = None) -> np.ndarray:
    st = stats if stats is not None else f.stats
    t = f.transform
    if t == "z":
        out = (_num(values[f.parents[0]]) - st["mean"]) / st["std"]
    elif t == "log_z":
        out = (np.log1p(np.clip(_num(values[f.parents[0]]), 0, None)) - st["mean"]) / st["std"]
    elif t == "ratio":
        a, b = _num(values[f.parents[0]]), _num(values[f.parents[1]])
        out = np.clip(a / (np.abs(b) + st["offset"]), st["lo"], st["hi"])
    elif t == "bucket":
        x = _num(values[f.parents[0]])
        out = np.searchsorted(st["edges"], x, side="right").astype(float)
        out[np.isnan(x)] = np.nan
    elif t == "rate":
        key = _rate_key(values[f.parents[0]], st["int_keys"])
        mapped = key.map(st["map"]).astype(float)
        out = mapped.where(key.isna() | mapped.notna(), st["prior"]).to_numpy(dtype=float)
    elif t == "combo":
        out = np.zeros(n)
        for p, m, s, w in zip(f.parents, st["means"], st["stds"], st["weights"]):
            out = out + w * (_num(values[p]) - m) / s
    else:  # agg: the row's value smoothed with the entity's history (history is independent noise)
        x = _num(values[f.parents[0]])
        alpha = st["alpha"]
        zx = np.nan_to_num((x - st["mean"]) / st["std"], nan=0.0)
        hist = rng.standard_normal(n)
        weight = np.where(np.isnan(x), 0.0, alpha)
        out = st["mean"] + st["std"] * (weight * zx + np.sqrt(1.0 - weight ** 2) * hist)
        return np.round(out, 3)
    return np.round(out, 5)


def _train_model(world: World, values: dict[str, Any], y: np.ndarray, kind: str, rng: np.random.Generator,
                 *, version: str, class_weight: str | None = "balanced", strength: float = 1.0,
                 rows: np.ndarray | None = None) -> ServedModel:
    cat_cols = tuple(c for c in world.model_inputs if _is_categorical_input(world, c))
    num_cols = tuple(c for c in world.model_inputs if c not in cat_cols)
    transformers = []
    if num_cols:
        num_steps = [("impute", SimpleImputer(strategy="median"))]
        if kind == "linear":
            num_steps.append(("scale", StandardScaler()))
        transformers.append(("num", Pipeline(num_steps), list(num_cols)))
    if cat_cols:
        transformers.append(("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=20, sparse_output=False), list(cat_cols)))
    prep = ColumnTransformer(transformers)
    random_state = int(rng.integers(0, 2**31 - 1))
    if world.task != "regression":
        if kind == "linear":
            est = LogisticRegression(C=float(strength), class_weight=class_weight, max_iter=500)
        else:
            est = HistGradientBoostingClassifier(max_iter=max(2, int(80 * strength)), learning_rate=0.1,
                                                 max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
                                                 class_weight=class_weight, early_stopping=False,
                                                 random_state=random_state)
    else:
        if kind == "linear":
            est = Ridge(alpha=1.0 / max(strength, 1e-6))
        else:
            est = HistGradientBoostingRegressor(max_iter=max(2, int(80 * strength)), learning_rate=0.1,
                                                max_leaf_nodes=15, min_samples_leaf=40, early_stopping=False,
                                                random_state=random_state)
    pipe = Pipeline([("prep", prep), ("model", est)])
    served = ServedModel(pipe, num_cols, cat_cols, world.task, version)
    X = served.frame(values)
    yy = np.asarray(y)
    if rows is not None:
        X, yy = X[rows].reset_index(drop=True), yy[rows]
    with threadpool_limits(limits=1, user_api="openmp"):
        pipe.fit(X, yy)
    return served


def _is_categorical_input(world: World, col: str) -> bool:
    return any(s.name == col and s.categorical for s in world.sources)


# --------------------------------------------------------------------------- windows


def _draw_window(world: World, name: str, n: int, start: pd.Timestamp, days: float,
                 fault: Fault | None = None) -> pd.DataFrame:
    """One prediction log: sources as logged, served features, score, version, label."""
    rng = world.rng(name)
    label_rng = world.rng(f"{name}-labels")
    feat_rng = world.rng(f"{name}-features")
    fault_rng = stream_rng(world.seed, f"world{world.attempt}/{name}-fault-{fault.params.get('attempt', 0)}") \
        if fault is not None else None
    mode = fault.mode if fault else None
    p = fault.params if fault else {}

    seconds = np.sort(rng.integers(0, int(days * 86400), n))
    times = (start + pd.to_timedelta(seconds, unit="s")).to_numpy()
    z = _latent(world, rng, n)
    sources = list(world.sources)
    concept = world.concept

    # -- the world changes (true values): distribution shift, out-of-distribution inputs
    ood_rows = None
    if mode == "distribution_shift":
        i = next(j for j, s in enumerate(sources) if s.name == fault.node)
        z[:, i] = z[:, i] * p["scale"] + p["shift"]
    true = {s.name: s.values(z[:, i], rng) for i, s in enumerate(sources)}
    if mode == "distribution_shift" and p.get("new_category_share"):
        i = next(j for j, s in enumerate(sources) if s.name == fault.node)
        s = sources[i]
        new_label = p["new_label"]
        sources[i] = s = replace(s, labels=s.labels + (new_label,))
        rows = fault_rng.random(n) < p["new_category_share"]
        true[s.name] = np.where(rows, len(s.labels) - 1, true[s.name])
        concept = replace(concept, terms=tuple(
            replace(t, effects=t.effects + (p["new_effect"],)) if t.kind == "cat" and t.sources[0] == s.name else t
            for t in concept.terms))
    if mode == "out_of_distribution":
        s = world.source(fault.node)
        ood_rows = fault_rng.random(n) < p["share"]
        k = int(ood_rows.sum())
        mag = fault_rng.uniform(p["low"], p["low"] + 3.0, k)
        if s.kind == "gaussian":
            far = s.a + s.b * p["side"] * mag
            vals = np.round(far, 2)
        elif s.kind == "lognormal":
            vals = np.round(np.exp(s.a + s.b * mag), 2)
        else:  # count
            vals = np.round(s.train_max * (1.0 + 0.6 * mag)).astype(np.int64)
        x = true[s.name].copy()
        x[ood_rows] = vals.astype(x.dtype)
        true[s.name] = x
    src_by_name = {s.name: s for s in sources}

    # -- the true outcome
    U = {pname: src_by_name[pname].concept_input(true[pname]) for t in concept.terms for pname in t.sources}
    if mode == "concept_drift":
        concept = _drifted_concept(world, concept, p, U)
    if mode == "label_shift":
        concept = _shifted_label(world, concept, p, U)
    y = concept.draw(label_rng, U)

    # -- what upstream systems log
    logged = _logged_sources(replace(world, sources=sources), true, rng, n)
    if mode == "missing_values" and fault.node in logged:
        rows = _rows(fault_rng, n, p["share"], times, p["rows"])
        logged[fault.node] = _with_nulls(src_by_name[fault.node], logged[fault.node], rows)
    if mode == "schema_change":
        logged[fault.node] = _schema_changed(src_by_name[fault.node], logged[fault.node], p, fault_rng, times, n)

    # -- the serving pipeline
    values: dict[str, Any] = dict(logged)
    freshness: dict[str, np.ndarray] = {}
    outage: dict[str, np.ndarray] = {}
    for name_i in world.infra:
        base = rng.random(n) < world.infra_base_rate[name_i]
        if mode == "infrastructure" and fault.node == name_i:
            base = base | _rows(fault_rng, n, p["share"], times, p["rows"])
        outage[name_i] = base
    for f in world.features:
        out = _compute_feature(f, values, feat_rng, n)
        lag_min = None
        if f.freshness:
            lag_min = np.clip(feat_rng.gamma(2.0, f.stats["lag_scale_min"], n), 0.5, None)
        if f.infra is not None:
            out = np.where(outage[f.infra], f.default, out)
        if fault is not None and fault.node == f.name:
            out, lag_min = _feature_fault(f, out, values, p, mode, fault_rng, times, n, lag_min)
        values[f.name] = out
        if f.freshness:
            freshness[f.freshness] = times - pd.to_timedelta(np.round(lag_min * 60.0), unit="s").to_numpy()

    model = world.model
    score = model.predict(values)
    version = np.full(n, model.version, dtype=object)
    if mode == "model_change":
        new = p["model"]
        rows = _rows(fault_rng, n, p["share"], times, "since") if p["share"] < 1 else np.ones(n, dtype=bool)
        score = np.where(rows.reshape((-1,) + (1,) * (score.ndim - 1)), new.predict(values), score)
        version[rows] = new.version

    cols: dict[str, Any] = {KEY: np.arange(n, dtype=np.int64) + (0 if name == "reference" else 10_000_000),
                            TIME: times}
    for s in world.sources:
        cols[s.name] = logged[s.name]
    for f in world.features:
        cols[f.name] = values[f.name]
        if f.freshness:
            cols[f.freshness] = freshness[f.freshness]
    cols.update(_output_columns(world, score))
    cols["model_version"] = version
    cols[world.label] = y
    return pd.DataFrame(cols)


def _output_columns(world: World, output: np.ndarray) -> dict[str, np.ndarray]:
    """The model's logged columns: a score, a predicted value, or a class and one probability per class."""
    if world.task != "multiclass":
        return {"score" if world.task == "classification" else "prediction": output}
    classes = np.array(world.classes, dtype=object)
    return {_prediction_column(world): classes[output.argmax(axis=1)],
            **{f"p_{c}": output[:, i] for i, c in enumerate(world.classes)}}


def _prediction_column(world: World) -> str:
    return {"classification": "score", "regression": "prediction"}.get(world.task, f"predicted_{world.label}")


def _schema_changed(s: Source, v: Any, p: dict, rng: np.random.Generator, times: np.ndarray, n: int) -> Any:
    if s.categorical and not s.int_codes:
        renamed = set(p["renamed"])
        scheme = p["scheme"]

        def rename(c: Any) -> Any:
            if c is None or (isinstance(c, float) and math.isnan(c)) or c not in renamed:
                return c
            if scheme == "upper":
                return str(c).upper()
            if scheme == "prefix":
                return f"v2_{c}"
            return f"{str(c)[:3]}-{len(str(c))}"

        return np.array(pd.Series(v, dtype=object).map(rename), dtype=object)
    rows = _rows(rng, n, p["share"], times, p["rows"])
    out = np.array(pd.Series(v).astype(object), dtype=object)
    fmt = p.get("format")
    for i in np.flatnonzero(rows):
        x = out[i]
        if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
            continue
        if s.categorical:
            out[i] = f"{p['prefix']}-{int(x)}"
        elif fmt == "unit":
            out[i] = f"{x} {p['unit']}"
        elif fmt == "comma":
            out[i] = f"{float(x):.2f}".replace(".", ",")
        else:
            out[i] = f"{float(x):,.2f}".replace(",", " ")  # thousands separated by spaces
            if " " not in out[i]:
                out[i] = f"~{out[i]}"
    return out


def _feature_fault(f: Feature, out: np.ndarray, values: dict[str, Any], p: dict, mode: str,
                   rng: np.random.Generator, times: np.ndarray, n: int, lag_min: np.ndarray | None):
    rows = _rows(rng, n, p.get("share", 1.0), times, p.get("rows", "random"))
    st = f.stats
    if mode == "scale_change":
        if p["kind"] == "raw" and f.transform in ("z", "log_z"):
            new = np.round(out * st["std"] + st["mean"], 5)
        else:
            new = np.round(out * p["factor"] + p["offset"], 5)
        out = np.where(rows, new, out)
    elif mode == "missing_values":
        out = np.where(rows, np.nan if p["fill"] == "null" else p["fill_value"], out)
    elif mode == "pipeline_skew":
        new = _skewed(f, out, values, p, rng, n)
        out = np.where(rows, new, out)
    elif mode == "stale_values":
        # values come from a cache computed over an incomplete window (history only), repeated per block
        block = int(p["block"])
        ids = np.arange(n) // block
        hist = rng.standard_normal(ids.max() + 1)
        cached = np.round(st["mean"] + st["std"] * hist[ids], 3)
        out = np.where(rows, cached, out)
        if lag_min is not None:
            lag_min = np.where(rows, lag_min + p["lag_hours"] * 60.0 * rng.uniform(0.7, 1.3, n), lag_min)
    return out, lag_min


def _skewed(f: Feature, out: np.ndarray, values: dict[str, Any], p: dict, rng: np.random.Generator,
            n: int) -> np.ndarray:
    """The serving path computes the node differently from training (never just an affine map)."""
    st = f.stats
    kind = p["kind"]
    if kind == "winsorize":
        return np.clip(out, p["lo"], p["hi"])
    if kind == "coarse":
        step = p["step"]
        return np.round(np.round(out / step) * step, 5)
    if kind == "log_before_scaling":  # z feature: serving logs the raw value first
        x = _num(values[f.parents[0]])
        return np.round((np.sign(x) * np.log1p(np.abs(x)) - st["mean"]) / st["std"], 5)
    if kind == "no_log":  # log_z feature: serving forgot the log
        x = _num(values[f.parents[0]])
        return np.round((x - st["mean"]) / st["std"], 5)
    if kind == "permuted_map":
        keys = list(st["map"])
        perm = p["perm"]
        new_map = {keys[i]: st["map"][keys[perm[i]]] for i in range(len(keys))}
        return _compute_feature(f, values, rng, n, {**st, "map": new_map})
    if kind == "other_edges":
        x = _num(values[f.parents[0]])
        edges = np.nanquantile(x[~np.isnan(x)], np.linspace(0, 1, p["bins"] + 1)[1:-1]) if np.isfinite(x).any() \
            else st["edges"]
        new = np.searchsorted(np.unique(edges), x, side="right").astype(float)
        new[np.isnan(x)] = np.nan
        return new
    if kind == "no_clip":
        a, b = _num(values[f.parents[0]]), _num(values[f.parents[1]])
        return np.round(a / (np.abs(b) + 1e-3), 5)
    if kind == "old_weights":
        return _compute_feature(f, values, rng, n, {**st, "weights": p["weights"]})
    if kind == "raw_value":  # agg: served the row's own value instead of the smoothed aggregate
        x = _num(values[f.parents[0]])
        return np.round(np.where(np.isnan(x), out, x), 3)
    raise AssertionError(kind)


def _drifted_concept(world: World, concept: Concept, p: dict, U: dict[str, np.ndarray]) -> Concept:
    if concept.task == "multiclass":
        return concept.drifted(p, U)
    old_signal = concept.signal(U)
    old_rate = None
    if concept.task == "classification":
        old_rate = float(np.mean(1 / (1 + np.exp(-np.clip(concept.intercept + old_signal, -35, 35)))))
    terms = list(concept.terms)
    kind = p["kind"]
    lam = p["lambda"]
    if kind == "reverse":
        contrib = [float(np.std(t.value(U))) for t in terms]
        order = np.argsort(contrib)[::-1][: p["k"]]
        for i in order:
            terms[i] = replace(terms[i], w=terms[i].w * (1 - 2 * lam))
    elif kind == "permute":
        i = next(j for j, t in enumerate(terms) if t.kind == "cat")
        eff = np.asarray(terms[i].effects)
        terms[i] = replace(terms[i], effects=tuple((1 - lam) * eff + lam * eff[p["perm"][: len(eff)]]))
    else:  # new pattern: a new shape on one parent; the old terms weaken
        sd = float(np.std(old_signal)) or 1.0
        terms = [replace(t, w=t.w * (1 - 0.7 * lam)) for t in terms]
        new = Term(p["shape"], (p["source"],), 1.0, p["c"])
        nsd = float(np.std(new.value(U))) or 1.0
        terms.append(replace(new, w=p["sign"] * lam * 1.3 * sd / nsd))
    drifted = replace(concept, terms=tuple(terms))
    if old_rate is not None:
        drifted = replace(drifted, intercept=_solve_intercept(drifted.signal(U), old_rate))
    else:
        drifted = replace(drifted, intercept=concept.intercept + concept.scale * float(
            np.mean(old_signal) - np.mean(drifted.signal(U))))
    return drifted


def _shifted_label(world: World, concept: Concept, p: dict, U: dict[str, np.ndarray]) -> Concept:
    if concept.task == "multiclass":
        return concept.shifted(p, U)
    if concept.task == "regression":
        return replace(concept, intercept=concept.intercept + p["shift"] * world.label_sd)
    if p["kind"] == "prior":
        return replace(concept, intercept=concept.intercept + p["shift"])
    if p["kind"] == "broader":
        return replace(concept, extra_positive=p["share"])
    return replace(concept, drop_positive=p["share"])


# --------------------------------------------------------------------------- faults


def _ancestors_of_model(world: World) -> set[str]:
    parents = {f.name: set(f.parents) | ({f.infra} if f.infra else set()) for f in world.features}
    seen: set[str] = set()
    frontier = list(world.model_inputs)
    while frontier:
        x = frontier.pop()
        if x in seen:
            continue
        seen.add(x)
        frontier.extend(parents.get(x, ()))
    return seen


def _eligible(world: World, mode: str) -> list[str]:
    upstream = _ancestors_of_model(world)
    srcs = [s for s in world.sources if s.name in upstream]
    feats = [f for f in world.features if f.name in upstream]
    if mode == "distribution_shift":
        return [s.name for s in world.sources]
    if mode == "out_of_distribution":
        return [s.name for s in srcs if s.kind in ("gaussian", "lognormal", "count")]
    if mode in ("scale_change", "pipeline_skew"):
        return [f.name for f in feats]
    if mode == "stale_values":
        return [f.name for f in feats if f.freshness]
    if mode == "missing_values":
        return [s.name for s in srcs] + [f.name for f in feats]
    if mode == "schema_change":
        return [s.name for s in srcs]
    if mode in ("concept_drift", "label_shift"):
        return [world.label]
    if mode == "model_change":
        return [world.model_name]
    if mode == "infrastructure":
        return [i for i in world.infra if sum(f.infra == i for f in world.features) >= 2]
    raise AssertionError(mode)


def _draw_fault(world: World, mode: str, attempt: int, ref_values: dict[str, Any] | None) -> Fault | None:
    rng = stream_rng(world.seed, f"world{world.attempt}/fault-{attempt}")
    nodes = _eligible(world, mode)
    if not nodes:
        return None
    # Faults that reach what the outcome depends on are the ones that move a metric (and get
    # investigated): weight those nodes up; the others stay possible.
    label_parents = {pn for t in world.concept.terms for pn in t.sources}

    def relevant(node: str) -> bool:
        if node in world.infra:
            return any(_source_ancestors(world.features, f.name) & label_parents
                       for f in world.features if f.infra == node)
        return bool(_source_ancestors(world.features, node) & label_parents)

    node = str(pick_one(rng, nodes, [4.0 if relevant(n) else 1.0 for n in nodes]))
    p: dict[str, Any] = {"attempt": attempt}
    sign = 1.0 if rng.random() < 0.5 else -1.0
    how = "since" if rng.random() < 0.35 else "random"
    if mode == "distribution_shift":
        s = world.source(node)
        p["shift"] = sign * float(rng.uniform(0.4, 1.5))
        p["scale"] = float(rng.uniform(0.6, 1.6)) if rng.random() < 0.3 else 1.0
        if s.categorical and rng.random() < 0.5:
            p["new_category_share"] = float(rng.uniform(0.05, 0.3))
            p["new_label"] = (max(s.labels) + int(rng.integers(1, 50))) if s.int_codes else f"{s.labels[0]}_new"
            p["new_effect"] = float(rng.normal(0.0, 1.2))
            if rng.random() < 0.5:
                p["shift"] = 0.0
    elif mode == "out_of_distribution":
        p["share"] = float(rng.uniform(0.08, 0.35))
        p["low"] = float(rng.uniform(4.5, 6.0))
        p["side"] = sign
    elif mode == "scale_change":
        f = world.feature(node)
        p["share"] = 1.0 if rng.random() < 0.75 else float(rng.uniform(0.3, 0.9))
        p["rows"] = how
        p["kind"] = "raw" if f.transform in ("z", "log_z") and rng.random() < 0.5 else "factor"
        factor, offset = pick_one(rng, [(100.0, 0.0), (1000.0, 0.0), (0.01, 0.0), (0.001, 0.0), (60.0, 0.0),
                                     (1 / 60, 0.0), (24.0, 0.0), (3.6, 0.0), (10.0, 0.0), (0.1, 0.0), (1.8, 32.0)])
        p["factor"], p["offset"] = factor, offset
    elif mode == "pipeline_skew":
        f = world.feature(node)
        kinds = ["winsorize", "coarse"]
        specific = {"z": "log_before_scaling", "log_z": "no_log", "rate": "permuted_map", "bucket": "other_edges",
                    "ratio": "no_clip", "combo": "old_weights", "agg": "raw_value"}[f.transform]
        kind = specific if rng.random() < 0.6 else pick_one(rng, kinds)
        p["kind"] = kind
        p["share"] = 1.0 if rng.random() < 0.6 else float(rng.uniform(0.4, 0.9))
        p["rows"] = how
        ref_f = _num(ref_values[node]) if ref_values is not None else None
        if kind == "winsorize":
            lo_q, hi_q = float(rng.uniform(0.1, 0.3)), float(rng.uniform(0.7, 0.9))
            p["lo"], p["hi"] = float(np.nanquantile(ref_f, lo_q)), float(np.nanquantile(ref_f, hi_q))
        elif kind == "coarse":
            p["step"] = float(np.nanstd(ref_f) * rng.uniform(0.6, 1.5)) or 1.0
        elif kind == "permuted_map":
            p["perm"] = [int(i) for i in rng.permutation(len(f.stats["map"]))]
        elif kind == "other_edges":
            p["bins"] = int(rng.integers(2, 4)) if rng.random() < 0.5 else int(rng.integers(14, 25))
        elif kind == "old_weights":
            p["weights"] = [float(rng.choice([-1, 1]) * rng.uniform(0.3, 1.0)) for _ in f.parents]
    elif mode == "stale_values":
        p["share"] = float(rng.uniform(0.3, 0.9))
        p["rows"] = how
        p["block"] = int(rng.integers(5, 31))
        p["lag_hours"] = float(rng.uniform(3.0, 72.0))
    elif mode == "missing_values":
        p["share"] = float(rng.uniform(0.1, 0.6))
        p["rows"] = how
        is_feature = any(f.name == node for f in world.features)
        p["fill"] = "default" if is_feature and rng.random() < 0.4 else "null"
        p["fill_value"] = float(pick_one(rng, [0.0, -1.0, 0.0]))
    elif mode == "schema_change":
        s = world.source(node)
        p["share"] = float(rng.uniform(0.2, 1.0))
        p["rows"] = how
        if s.categorical and not s.int_codes:
            order = rng.permutation(len(s.labels))
            k = int(rng.integers(max(1, len(s.labels) // 2), len(s.labels) + 1))
            p["renamed"] = [s.labels[int(i)] for i in order[:k]]
            p["scheme"] = pick_one(rng, ["upper", "prefix", "abbrev"])
        elif s.categorical:
            p["prefix"] = pick_one(rng, ["MCC", "CODE", "C", "ID"])
        else:
            p["format"] = pick_one(rng, ["unit", "comma", "spaced"])
            p["unit"] = pick_one(rng, ["USD", "EUR", "ms", "units", "km"])
    elif mode == "concept_drift":
        has_cat = any(t.kind == "cat" for t in world.concept.terms)
        kind = pick_one(rng, ["reverse", "new_pattern", "permute"] if has_cat else ["reverse", "new_pattern"])
        p["kind"] = kind
        p["lambda"] = float(rng.uniform(0.5, 1.0))
        p["k"] = int(rng.integers(1, 3))
        numeric_parents = [pn for t in world.concept.terms for pn in t.sources
                           if not world.source(pn).categorical]
        if kind == "new_pattern":
            p["source"] = str(pick_one(rng, numeric_parents))
            p["shape"] = pick_one(rng, ["step", "hump", "square", "linear"])
            p["c"] = float(rng.uniform(-1.0, 1.0))
            p["sign"] = sign
        if kind == "permute":
            t = next(t for t in world.concept.terms if t.kind == "cat")
            p["perm"] = [int(i) for i in rng.permutation(len(t.effects))]
        if world.task == "multiclass":
            p["class"] = int(rng.integers(len(world.classes)))
    elif mode == "label_shift":
        if world.task == "multiclass":
            p.update(world.concept.shift_params(rng))
        elif world.task == "regression":
            p["shift"] = sign * float(rng.uniform(0.2, 1.0))
        else:
            kind = pick_one(rng, ["prior", "prior", "broader", "narrower"])
            p["kind"] = kind
            if kind == "prior":
                p["shift"] = sign * float(rng.uniform(0.5, 1.5))
            elif kind == "broader":
                p["share"] = float(rng.uniform(0.03, 0.12))
            else:
                p["share"] = float(rng.uniform(0.2, 0.5))
    elif mode == "model_change":
        p["share"] = 1.0 if rng.random() < 0.6 else float(rng.uniform(0.4, 0.9))
        p["variant"] = pick_one(rng, ["noisy_finetune", "underfit", "wrong_artifact"] +
                             (["no_class_weight"] if world.task != "regression" else []))
        p["model"] = _new_model(world, p, rng)
    elif mode == "infrastructure":
        p["share"] = float(rng.uniform(0.15, 0.7))
        p["rows"] = how
    return Fault(mode, node, p)


def _new_model(world: World, p: dict, rng: np.random.Generator) -> ServedModel:
    """A worse model under a new version: a bad fine-tune, an underfit retrain, or a wrong artifact."""
    variant = p["variant"]
    version = _version(world, int(rng.integers(1, 4)))
    if variant == "wrong_artifact":
        num = list(world.model.num_cols)
        if len(num) >= 2:
            a, b = rng.choice(len(num), size=2, replace=False)
            return replace(world.model, version=version, swap=(num[int(a)], num[int(b)]))
        variant = "underfit"
    n = int(rng.integers(800, 2001))
    data_rng = stream_rng(world.seed, f"world{world.attempt}/finetune-{p['attempt']}")
    z = _latent(world, data_rng, n)
    true = {s.name: s.values(z[:, i], data_rng) for i, s in enumerate(world.sources)}
    U = {pn: world.source(pn).concept_input(true[pn]) for t in world.concept.terms for pn in t.sources}
    y = world.concept.draw(data_rng, U)
    logged = _logged_sources(world, true, data_rng, n)
    values: dict[str, Any] = dict(logged)
    for f in world.features:
        out = _compute_feature(f, values, data_rng, n)
        values[f.name] = out
    kind = world.model_kind
    if variant == "noisy_finetune":
        noise = float(rng.uniform(0.2, 0.45))
        if world.task == "classification":
            flip = data_rng.random(n) < noise
            y = np.where(flip, 1 - y, y)
        elif world.task == "multiclass":  # a fine-tune on labels that file part of one class elsewhere
            y = world.concept.mislabelled(y, data_rng, 2 * noise)
        else:
            y = y + data_rng.standard_normal(n) * world.label_sd * noise * 6
        return _train_model(world, values, y, kind, rng, version=version)
    if variant == "no_class_weight":
        return _train_model(world, values, y, kind, rng, version=version, class_weight=None)
    strength = 0.002 if kind == "linear" else 0.04
    return _train_model(world, values, y, kind, rng, version=version, strength=strength)


# --------------------------------------------------------------------------- the case


def _metric_spec(world: World) -> MetricSpec:
    if world.task == "multiclass":
        keys = world.metric_keys
        return MetricSpec(keys["metric"], multiclass=True, average=keys.get("average"),
                          target_class=keys.get("class"), k=keys.get("k"), classes=world.classes)
    return MetricSpec(world.metric_keys.get("metric", world.metric), threshold=0.5, positive=1)


def _comparison(world: World, ref: pd.DataFrame, cur: pd.DataFrame, seed: int):
    spec = _metric_spec(world)
    pred = _prediction_column(world)
    scores = [w[[f"p_{c}" for c in world.classes]] if spec.needs_class_scores else None for w in (ref, cur)]
    frames = [metric_frame(spec, w[pred], w[world.label], scores=sc) for w, sc in zip((ref, cur), scores)]
    return compare_windows(spec, frames[0], frames[1], seed)


def _graph_dict(world: World, rng: np.random.Generator) -> dict:
    nodes: dict[str, dict] = {}
    owners = ["data-platform", "payments-ingest", "ml-platform", "growth-analytics", "risk-ml", "crm-ingest"]
    for s in world.sources:
        node: dict[str, Any] = {"kind": "source", "column": s.name}
        if s.categorical:
            node["dtype"] = "categorical"
        if rng.random() < 0.5:
            node["owner"] = str(pick_one(rng, owners))
        contract: dict[str, Any] = {}
        if not s.categorical and s.kind in NONNEG_KINDS and rng.random() < 0.3:
            contract["min"] = 0.0
        if rng.random() < 0.3:
            contract["max_null_rate"] = 0.02
        if contract:
            node["contract"] = contract
        nodes[s.name] = node
    for i in world.infra:
        nodes[i] = {"kind": "infra", "description": f"{i.replace('_', ' ')} the features are served through"}
    for f in world.features:
        parents = list(f.parents) + ([f.infra] if f.infra else [])
        node = {"kind": "feature", "parents": parents, "column": f.name}
        if f.freshness:
            node["freshness"] = f.freshness
            if rng.random() < 0.5:
                node["contract"] = {"max_staleness": str(pick_one(rng, ["2h", "6h", "1d"]))}
        nodes[f.name] = node
    pred = _prediction_column(world)
    kind = {"linear": "logistic regression" if world.task != "regression" else "ridge regression",
            "gbm": "gradient boosting"}[world.model_kind]
    nodes[world.model_name] = {"kind": "model", "parents": list(world.model_inputs), "column": pred,
                               "version_column": "model_version",
                               "description": f"{kind} in a scikit-learn Pipeline with a median imputer"}
    label_parents = sorted({pn for t in world.concept.terms for pn in t.sources},
                           key=[s.name for s in world.sources].index)
    nodes[world.label] = {"kind": "label", "parents": label_parents, "column": world.label}
    metric_node: dict[str, Any] = {"kind": "metric", "parents": [world.model_name, world.label],
                                   "metric": world.metric}
    if world.task == "classification" and world.metric not in ("roc_auc", "log_loss"):
        metric_node.update(threshold=0.5, positive=1)
    if world.metric_keys:  # the new kinds: the metric node's id is not always the metric's name
        metric_node.update(world.metric_keys)
    if world.task == "multiclass":
        nodes[world.model_name]["scores"] = {c: f"p_{c}" for c in world.classes}
        nodes[world.label]["classes"] = list(world.classes)
    nodes[world.metric] = metric_node
    return {
        "version": 1,
        "name": f"random-pipeline-{world.seed}",
        "description": f"Randomly drawn {world.task} pipeline ({len(nodes)} nodes).",
        "time_column": TIME,
        "key_column": KEY,
        "nodes": nodes,
    }


def planned_failure_mode(seed: int) -> str | None:
    """The failure mode ``draw_case(seed)`` will inject (None for a control), without drawing the case."""
    plan = stream_rng(int(seed), "plan")
    if plan.random() < CONTROL_SHARE:
        return None
    return str(FAILURE_MODES[int(plan.integers(len(FAILURE_MODES)))])


def _true_mode(mode: str, fault: Any) -> str:
    """The spec's name for what was injected: only unseen categories arriving, the known ones' mix
    unmoved, is an input outside the training support (out_of_distribution, issue 18 point 5)."""
    p = fault.params
    if mode == "distribution_shift" and p.get("new_category_share") and p.get("shift") == 0.0 and p.get("scale") == 1.0:
        return "out_of_distribution"
    return mode


def draw_case(seed: int) -> RandomCase:
    """One random pipeline and its two windows, with one fault (or none) and the truth.

    >>> case = draw_case(7)                                    # doctest: +SKIP
    >>> case.truth.node, case.truth.failure_mode               # doctest: +SKIP
    """
    seed = checked_seed(seed)
    return draw_world_case(seed, planned_failure_mode(seed))


def checked_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def draw_world_case(seed: int, mode: str | None, kind: Any = None, first_attempt: int = 0) -> RandomCase:
    """The case of ``seed`` with fault ``mode`` (None: a control): pipelines are drawn from world
    streams ``first_attempt`` on until the fault moves the metric significantly.

    ``kind`` (``random_kinds.Kind``) draws multi-class or regression worlds; with the default
    ``first_attempt`` 0 and no kind this is the family's own draw, byte for byte."""
    control = mode is None
    tried = 0
    for world_attempt in range(first_attempt, first_attempt + MAX_WORLDS):
        world = _build_world(seed, world_attempt, mode, kind)
        wrng = world.rng("windows")
        n_ref, n_cur = (int(wrng.integers(MIN_ROWS, MAX_ROWS + 1)) for _ in range(2))
        days = float(wrng.integers(7, 29))
        ref_start = pd.Timestamp("2025-01-06") + pd.Timedelta(days=int(wrng.integers(0, 300)))
        cur_start = ref_start + pd.Timedelta(days=days + int(wrng.integers(0, 15)))
        ref = _draw_window(world, "reference", n_ref, ref_start, days)
        graph = _graph_dict(world, world.rng("graph"))
        if control:
            cur = _draw_window(world, "current", n_cur, cur_start, days)
            try:
                _comparison(world, ref, cur, seed)
            except InputError:
                continue
            return RandomCase(seed, graph, ref, cur, world.metric, CaseTruth(False, None, None),
                              {"task": world.task, "world_attempt": world_attempt, "model": world.model_kind,
                               **_kind_detail(kind)})
        ref_values = {f.name: ref[f.name].to_numpy() for f in world.features}
        for fault_attempt in range(MAX_FAULTS):
            tried += 1
            fault = _draw_fault(world, mode, fault_attempt, ref_values)
            if fault is None:
                break
            cur = _draw_window(world, "current", n_cur, cur_start, days, fault)
            try:
                comparison = _comparison(world, ref, cur, seed)
            except InputError:
                continue
            worse = (comparison.change < 0) == _metric_spec(world).higher_is_better
            if comparison.significant and (worse or mode != "model_change"):  # a new version that is worse
                params = {k: v for k, v in fault.params.items() if k not in ("model", "perm")}
                if mode == "model_change":
                    params["new_version"] = fault.params["model"].version
                truth = CaseTruth(True, fault.node, _true_mode(mode, fault))
                return RandomCase(seed, graph, ref, cur, world.metric, truth,
                                  {"task": world.task, "world_attempt": world_attempt, "fault_attempts": tried,
                                   "model": world.model_kind, "params": params, "change": comparison.change,
                                   **_kind_detail(kind)})
    raise RuntimeError(f"seed {seed}: no significant {mode} case after {MAX_WORLDS} pipelines")


def _kind_detail(kind: Any) -> dict[str, str]:
    return {} if kind is None else {"kind": kind.name}
