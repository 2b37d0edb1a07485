"""Is the lineage graph consistent with the data? Test its local Markov conditions.

A lineage graph claims, for every node it derives from declared parents,
that the node depends on nothing else upstream once its parents are known:
each observed node is independent of its observed non-descendants given its
observed parents (looking through unobserved nodes as ``effective_parents``
does). A feature that reads an undeclared column breaks that claim, and the
diagnosis then blames the feature's own mechanism for what its missing parent
did.

The test is predictive and held out: on a bounded seeded sample split in
two halves, a gradient-boosted model predicts X from its parents, and from
its parents plus one candidate Y; Y violates the condition when the second
model predicts the held-out rows better (one-sided paired t-test on the
per-row losses, Benjamini–Hochberg across every test, and a minimum
improvement so that a tiny but "significant" gain on many rows is not
reported). Only the few candidates that best explain the parents-only
model's training residuals are tested per node, so it runs in seconds.

Sources are not tested (a graph does not declare how the world's inputs
relate to each other); a computed node with no observed parent is tested for
independence of every observed non-descendant. Two kinds of
candidate are left out because the graph itself declares them dependent on the
node, or independent for a reason no finite sample can show: a column the graph
computes from the node's own parents (a model score is a function of the label's
inputs; a better-fitting function of the parents is not a missing edge, and if
the column reads something undeclared its own condition says so), and a column
sharing an unobserved source with the node (a declared latent common cause).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from causal_rca.causal.encoding import category_codes, category_vocabulary, effective_parents, finite_or_nan
from causal_rca.lineage.graph import LineageGraph

if TYPE_CHECKING:
    from causal_rca.causal.graph_baseline import Baseline

ALPHA = 0.05  # false discovery rate across every tested condition
SAMPLE_ROWS = 6000  # rows read from the window: half to fit, half to test
CANDIDATES = 3  # non-descendants tested per node, the strongest first
# Held-out loss under this share of a node's spread: the data shows it computed from its parents
# (tree fits of a ratio or of a model score leave 2-9% on the scenarios; a card's 7-day average 30%).
COMPUTED_SHARE = 0.1
TREES = 40  # boosting iterations per fit (learning rate 8 / TREES: the same total shrinkage as 80 × 0.1)
MIN_GAIN = 0.01  # a violation must explain at least this share of the node's own held-out loss (its spread)
MAX_CLASSES = 10  # a categorical target keeps its most frequent classes; the rest are one "other"
MAX_LEVELS = 60  # a categorical predictor keeps this many levels; the rest are one "other"


@dataclass(frozen=True)
class Violation:
    """``node`` depends on ``other`` given its declared parents."""

    node: str
    other: str
    p_value: float  # after Benjamini–Hochberg
    gain: float  # share of the node's spread (loss knowing nothing) that ``other`` explains beyond the parents
    parents: tuple[str, ...]  # the node's declared parents, as the graph writes them

    def message(self) -> str:
        return f"{self.node} depends on {self.other} given its parents (p = {self.p_value:.2g}, " \
               f"explains {self.gain:.0%} more of it on held-out rows)"

    def suggestion(self) -> str:
        return f"{self.node}: parents: [{', '.join((*self.parents, self.other))}]"


@dataclass(frozen=True)
class GraphCheck:
    rows: int  # rows the tests read
    tested_nodes: tuple[str, ...]
    tests: int  # conditions tested (node, candidate) pairs
    violations: tuple[Violation, ...]  # strongest evidence first
    skipped: tuple[str, ...] = ()  # why some nodes were not tested
    baseline: "Baseline | None" = None  # the permutation baseline (graph_baseline.py), when it was run


def encode_predictor(values: pd.Series, dtype: str) -> tuple[np.ndarray, bool]:
    """Floats for a predictor (NaN kept: the trees route it), and whether the codes are categories."""
    if dtype in ("numeric", "boolean", "datetime"):
        return finite_or_nan(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)), dtype == "boolean"
    codes = category_codes(values, category_vocabulary(values))
    codes = np.where(codes >= MAX_LEVELS, MAX_LEVELS, codes)
    return np.where(codes < 0, np.nan, codes), True


def encode_target(values: pd.Series, dtype: str) -> tuple[np.ndarray, bool] | None:
    """The node as a prediction target: normal scores of a number, or class codes; None when constant."""
    if dtype in ("numeric", "datetime"):
        x = finite_or_nan(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float))
        ok = ~np.isnan(x)
        if np.unique(x[ok]).size < 2:
            return None
        # Ranks to normal scores: one heavy tail cannot dominate the squared losses.
        y = np.full(len(x), np.nan)
        y[ok] = stats.norm.ppf((stats.rankdata(x[ok]) - 0.5) / ok.sum())
        if np.isnan(x).any():
            # A missing value is a value to predict too (a fallback may depend on an undeclared column).
            y[~ok] = y[ok].min() - 1.0
        return y, False
    codes = category_codes(values.astype(object).where(values.notna(), "<null>"),
                           category_vocabulary(values.astype(object).where(values.notna(), "<null>")))
    codes = np.where(codes >= MAX_CLASSES, MAX_CLASSES, codes)
    if np.unique(codes).size < 2:
        return None
    return codes, True


def _model(classify: bool, categorical: list[bool], seed: int, max_iter: int = 80):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kind = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
    # Fewer trees learn faster: the same 80 × 0.1 of shrinkage at most, so a short fit still converges.
    return kind(max_iter=max_iter, learning_rate=min(0.3, 8.0 / max_iter), max_leaf_nodes=15, min_samples_leaf=40,
                early_stopping=False,
                categorical_features=np.array(categorical, dtype=bool) if any(categorical) else None,
                random_state=seed)


def _losses(model, X: np.ndarray, y: np.ndarray, classify: bool) -> np.ndarray:
    if not classify:
        return (model.predict(X) - y) ** 2
    proba = model.predict_proba(X)
    index = {c: i for i, c in enumerate(model.classes_)}
    p = np.array([proba[i, index[c]] if c in index else 0.0 for i, c in enumerate(y)])
    return -np.log(np.clip(p, 1e-6, 1.0))


def _fit_losses(X_fit, y_fit, X_test, y_test, classify, categorical, seed,
                max_iter: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """Held-out losses, and in-sample residuals (what is left to explain) of one model."""
    if X_fit.shape[1] == 0:
        X_fit, X_test, categorical = np.zeros((len(y_fit), 1)), np.zeros((len(y_test), 1)), [False]
    model = _model(classify, categorical, seed, max_iter).fit(X_fit, y_fit)
    if classify:
        residual = _losses(model, X_fit, y_fit, True)
    else:
        residual = y_fit - model.predict(X_fit)
    return _losses(model, X_test, y_test, classify), residual


def _strength(residual: np.ndarray, candidate: np.ndarray, categorical: bool) -> float:
    """How much of the residual a candidate could explain: |Spearman|, or the correlation ratio of a category."""
    ok = ~np.isnan(candidate)
    if ok.sum() < 30:
        return 0.0
    r, c = residual[ok], candidate[ok]
    if np.unique(c).size < 2 or np.std(r) == 0:
        return 0.0
    if categorical:
        frame = pd.DataFrame({"r": r, "c": c})
        means = frame.groupby("c")["r"].transform("mean").to_numpy()
        return float(np.sqrt(np.var(means) / np.var(r)))
    rho = stats.spearmanr(r, c).statistic
    return 0.0 if np.isnan(rho) else abs(float(rho))


def _entropy(codes: np.ndarray) -> float:
    share = np.unique(codes, return_counts=True)[1] / len(codes)
    return float(-(share * np.log(share)).sum())


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Adjusted p-values (step-up, monotone)."""
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * p.size / np.arange(1, p.size + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(p)
    out[order] = np.minimum(adjusted, 1.0)
    return out


COMPUTED = frozenset({"feature", "model"})  # kinds the pipeline computes from their parents


def determined_by(graph: LineageGraph, given: set[str], computed: set[str] | None = None) -> set[str]:
    """Nodes computed from ``given`` alone: features and models whose every parent is given or
    determined, through unobserved services (an unobserved infra node with no parents is constant).

    ``computed``: the observed nodes the data shows to be functions of their parents; without it the
    graph is trusted. A "feature" the graph says is computed from the row (a rolling average of the
    card's history) often is not, and trusting it would hide the very edges it lacks.
    """
    done: set[str] = set(given)
    for n in graph.topological_order():
        node = graph.nodes[n]
        if n in done:
            continue
        constant_service = node.kind == "infra" and not node.observed and not node.parents
        kind_computed = (node.kind in COMPUTED or (node.kind == "infra" and not node.observed)) and bool(node.parents)
        shown = computed is None or not node.observed or n in computed
        if constant_service or (kind_computed and shown and all(p in done for p in node.parents)):
            done.add(n)
    return done


def latent_relatives(graph: LineageGraph, node: str) -> set[str]:
    """Observed nodes sharing an unobserved source with ``node`` (reached through unobserved nodes only)."""
    latents: set[str] = set()
    stack = list(graph.nodes[node].parents)
    while stack:
        p = stack.pop()
        if graph.nodes[p].observed or p in latents:
            continue
        if graph.nodes[p].kind in ("source", "label"):
            latents.add(p)
        stack.extend(graph.nodes[p].parents)
    return {d for u in latents for d in graph.descendants(u) if graph.nodes[d].observed}


def candidates_for(graph: LineageGraph, node: str, parents: list[str], observed: list[str],
                   computed: set[str] | None = None) -> list[str]:
    """The observed non-descendants of ``node`` its local Markov condition says it is independent of."""
    excluded = graph.descendants(node) | determined_by(graph, set(parents), computed) | latent_relatives(graph, node)
    return [n for n in observed if n != node and n not in excluded]


def node_tests(y: np.ndarray, classify: bool, parents: list[tuple[np.ndarray, bool]],
               others: dict[str, tuple[np.ndarray, bool]], fit: np.ndarray, test: np.ndarray, seed: int,
               candidates: int = CANDIDATES, max_iter: int = 80,
               base: tuple[np.ndarray, np.ndarray] | None = None) -> list[tuple[str, float, float]]:
    """(candidate, one-sided p, gain) for the ``candidates`` strongest of ``others``: does each
    predict the held-out ``y`` better together with the parents than the parents alone?

    Encoded columns are (values, is_category) as ``encode_predictor`` gives them; ``fit`` and ``test``
    are row indices. Candidates are chosen on the fitting rows only, so the p-values stay valid.
    ``base``: the parents-only fit's held-out losses and residuals, when already computed.
    """
    X = np.column_stack([v for v, _ in parents]) if parents else np.empty((len(y), 0))
    cat = [c for _, c in parents]
    base_loss, residual = base or _fit_losses(X[fit], y[fit], X[test], y[test], classify, cat, seed, max_iter)
    strength = {o: _strength(residual, v[fit], c) for o, (v, c) in others.items()}
    ranked = sorted((o for o in others if strength[o] > 0), key=lambda o: -strength[o])[:candidates]
    # The loss of knowing nothing: a deterministic feature's tiny loss is no yardstick.
    spread = float(np.var(y[test])) if not classify else float(_entropy(y[test]))
    out = []
    for other in ranked:
        Xo = np.column_stack([X, others[other][0]])
        loss, _ = _fit_losses(Xo[fit], y[fit], Xo[test], y[test], classify, cat + [others[other][1]], seed,
                              max_iter)
        d = base_loss - loss
        sd = float(d.std(ddof=1))
        if sd == 0:
            p = 0.5 if d.mean() <= 0 else 0.0
        else:
            p = float(stats.t.sf(d.mean() / (sd / np.sqrt(d.size)), df=d.size - 1))
        out.append((other, p, float(d.mean() / spread) if spread > 0 else 0.0))
    return out


def check_graph_frame(graph: LineageGraph, frame: pd.DataFrame, dtypes: dict[str, str], seed: int = 0,
                      alpha: float = ALPHA, candidates: int = CANDIDATES, min_gain: float = MIN_GAIN,
                      baseline: bool = True) -> GraphCheck:
    """Test the local Markov conditions of ``graph`` on ``frame`` (one column per observed node, by node id),
    and with ``baseline`` whether the graph does better than column-shuffled copies of itself."""
    from threadpoolctl import threadpool_limits

    from causal_rca.causal.graph_baseline import permutation_baseline

    # Small fits: OpenMP threads cost more than they give, and on a busy machine far more.
    with threadpool_limits(limits=1):
        result = _check(graph, frame, dtypes, seed, alpha, candidates, min_gain)
        if baseline:
            result = replace(result, baseline=permutation_baseline(graph, frame, dtypes, seed))
    return result


def _check(graph: LineageGraph, frame: pd.DataFrame, dtypes: dict[str, str], seed: int, alpha: float,
           candidates: int, min_gain: float) -> GraphCheck:
    rng = np.random.default_rng(seed)
    rows = len(frame)
    order = rng.permutation(rows)
    fit, test = order[: rows // 2], order[rows // 2:]
    observed = [n for n in graph.topological_order() if n in dtypes]
    encoded = {n: encode_predictor(frame[n], dtypes[n]) for n in observed}
    skipped: list[str] = []
    # First every node's parents-only fit: it also shows which nodes the data confirms as computed.
    bases: dict[str, tuple] = {}
    computed: set[str] = set()
    for node in observed:
        if graph.nodes[node].kind == "source":
            continue
        # A computed node with no observed parent claims more, not less: it depends on nothing observed.
        parents = [p for p in effective_parents(graph, node) if p in dtypes]
        target = encode_target(frame[node], dtypes[node])
        if target is None:
            skipped.append(f"{node}: constant")
            continue
        y, classify = target
        X = np.column_stack([encoded[p][0] for p in parents]) if parents else np.empty((rows, 0))
        cat = [encoded[p][1] for p in parents]
        base = _fit_losses(X[fit], y[fit], X[test], y[test], classify, cat, seed, TREES)
        spread = float(np.var(y[test])) if not classify else float(_entropy(y[test]))
        if spread > 0 and float(base[0].mean()) < COMPUTED_SHARE * spread:
            computed.add(node)
        bases[node] = (parents, target, base)
    tested: list[str] = []
    raw: list[tuple[str, str, float, float]] = []  # node, candidate, p, gain
    for node, (parents, (y, classify), base) in bases.items():
        others = candidates_for(graph, node, parents, observed, computed)
        if not others:
            continue
        tested.append(node)
        raw += [(node, other, p, gain) for other, p, gain in node_tests(
            y, classify, [encoded[p] for p in parents], {o: encoded[o] for o in others}, fit, test, seed, candidates,
            max_iter=TREES, base=base)]
    adjusted = benjamini_hochberg(np.array([r[2] for r in raw]))
    violations = [Violation(node, other, float(q), gain, graph.nodes[node].parents)
                  for (node, other, _, gain), q in zip(raw, adjusted) if q <= alpha and gain >= min_gain]
    violations.sort(key=lambda v: (v.p_value, -v.gain))
    return GraphCheck(rows, tuple(tested), len(raw), tuple(violations), tuple(skipped))


def check_graph(graph: LineageGraph | str | Path, data, seed: int = 0, sample_rows: int = SAMPLE_ROWS,
                alpha: float = ALPHA, baseline: bool = True) -> GraphCheck:
    """Is ``graph`` consistent with ``data``?

    Reads a seeded sample, tests the graph's local Markov conditions (does a node depend on a
    column it does not declare, given its declared parents?) and, with ``baseline``, compares the
    graph with column-shuffled copies of itself. Nothing is changed: each violation carries the
    ``parents:`` line to paste (docs/graph-check.md).

    Parameters
    ----------
    graph : LineageGraph, str or Path
        The lineage graph, or the path of its YAML file.
    data : str, Path or pandas.DataFrame
        A reference window holding the graph's columns (CSV or Parquet path, or a table).
    seed : int, default 0
        Seeds the sample and every fit.
    sample_rows : int, default 6000
        Rows read from ``data``: half to fit, half to test.
    alpha : float, default 0.05
        False discovery rate across every tested condition.
    baseline : bool, default True
        Also run the permutation baseline (is the graph better than chance?).

    Returns
    -------
    GraphCheck
        The rows read, the conditions tested and the violations, strongest first.

    Examples
    --------
    >>> from causal_rca import check_graph
    >>> from causal_rca.scenarios import generate, get_scenario
    >>> s = get_scenario("credit_bureau_timeouts")
    >>> result = check_graph(s.graph_path, generate(s)["reference"], sample_rows=2000, baseline=False)
    >>> result.tests > 0
    True
    """
    from causal_rca.lineage import load_graph

    if not isinstance(graph, LineageGraph):
        graph = load_graph(graph)
    frame, dtypes = read_sample(graph, data, seed, sample_rows)
    return check_graph_frame(graph, frame, dtypes, seed=seed, alpha=alpha, baseline=baseline)


def read_sample(graph: LineageGraph, data, seed: int = 0,
                sample_rows: int = SAMPLE_ROWS) -> tuple[pd.DataFrame, dict[str, str]]:
    """A seeded sample of ``data``, one column per observed non-metric node, and the nodes' dtypes."""
    from causal_rca.windows.frames import node_sample, resolve_dtypes
    from causal_rca.windows.tables import open_table

    window = open_table(graph, data, "data")
    dtypes = resolve_dtypes(graph, window)
    dtypes = {n: d for n, d in dtypes.items() if graph.nodes[n].kind != "metric"}
    return node_sample(window, graph, dtypes, sample_rows, seed), dtypes
