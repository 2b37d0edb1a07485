"""Building a random pipeline's structure (``random_family``): its size, sources, features, infra
nodes, model inputs, label and true concept; ``build_world`` then fits it (``random_training``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks.cases.random_pieces import Concept, Feature, Source, Term, World, pick_one
from benchmarks.cases.random_training import fit_world
from benchmarks.cases.random_vocabulary import (
    CATEGORICAL_SOURCES,
    CLASS_LABELS,
    CLASSIFICATION_METRICS,
    INFRA_NAMES,
    MAX_NODES,
    MIN_NODES,
    NONNEG_KINDS,
    NUMERIC_SOURCES,
    REGRESSION_LABELS,
    REGRESSION_METRICS,
)
from causal_rca.scenarios.simulate import stream_rng


def _uniq(name: str, taken: set[str]) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name}{k}", k + 1
    taken.add(out)
    return out


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


def build_world(seed: int, attempt: int, mode: str | None, kind: Any = None) -> World:
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
                   * (3.0 if source_ancestors(features, f.name) & set(label_parents) else 1.0) for f in free]
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
    fit_world(world, rng)
    return world


def source_ancestors(features: list[Feature], node: str) -> set[str]:
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
