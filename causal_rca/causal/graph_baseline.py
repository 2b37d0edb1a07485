"""Is the graph better than chance? The node-permutation baseline.

A share of violated conditions means little alone: a graph that implies few
independences violates few. Following Eulig et al. ("Toward Falsifying Causal
Graphs Using a Permutation-Based Test", as ``dowhy.gcm.falsify_graph`` does),
the same structure with its columns shuffled among the nodes is a graph of the
same shape that knows nothing about the data; the given graph is better than
chance when it violates a smaller share of its conditions than (nearly) every
such permuted graph.

To stay within seconds, every graph (the given one and each permutation) is
judged by the same cheap test, not the gradient-boosted one of
``graph_check``: at every node with parents, the non-descendant most
correlated with the parents-only residuals is added to a least-squares fit
(piecewise-linear in the normal scores of numbers, indicators of the frequent categories, a target's
classes as indicators), and the held-out squared errors are compared (paired
one-sided t-test, raw p against the level: the shares are compared with each
other, not read as findings). A linear test misses some violations, the same
for every graph, so the comparison stays fair.
As DoWhy does, the
baseline also counts the permutations that are Markov equivalent to the graph
(same skeleton and colliders): they imply the same independences, so a graph
with many of them (a chain read backwards is one) cannot beat chance however
right it is; the message says how many. When the structure implies no
testable condition there is no baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from scipy import stats

from causal_rca.causal.encoding import effective_parents
from causal_rca.causal.graph_check import (
    ALPHA, MIN_GAIN, determined_by, encode_predictor, encode_target, latent_relatives,
)
from causal_rca.lineage.graph import LineageGraph

PERMUTATIONS = 49  # better than every permutation: p = 0.02
POSITIONS = 40  # nodes with parents tested per graph, at most
ROWS = 4000  # half to fit, half to test
KNOTS = (-1.0, -0.3, 0.3, 1.0)  # hinges of a number's piecewise-linear term, in normal scores
LEVELS = 8  # indicators of a categorical column's most frequent values (the rest share the intercept)


@dataclass(frozen=True)
class Baseline:
    positions: int  # conditions tested per graph
    share: float  # share of the given graph's conditions violated
    permuted: tuple[float, ...]  # the same share for each permuted graph
    p_value: float  # (1 + permutations doing as well or better) / (1 + permutations)
    equivalent: int = 0  # permutations Markov equivalent to the graph: the same independences, indistinguishable

    def better_than_chance(self, alpha: float = ALPHA) -> bool:
        return self.p_value <= alpha

    def message(self) -> str:
        median = float(np.median(self.permuted))
        verdict = "better than chance" if self.better_than_chance() else "not shown better than chance"
        same = (f"; {self.equivalent} of them imply the same independences, so no data can tell them from it"
                if self.equivalent else "")
        return (f"the graph is {verdict}: it violates {self.share:.0%} of {self.positions} sampled conditions, "
                f"graphs of the same shape with shuffled columns {median:.0%} (median of {len(self.permuted)}; "
                f"p = {self.p_value:.2g}{same})")


def _structure(graph: LineageGraph, nodes: list[str]) -> dict[str, list[str]]:
    """Observed parents of each tested node (through unobserved nodes), in topological order."""
    return {n: [p for p in effective_parents(graph, n) if p in nodes] for n in nodes}


def _skeleton_and_colliders(edges: set[tuple[str, str]]) -> tuple[frozenset, frozenset]:
    """What a DAG's Markov equivalence class is made of: its undirected edges and its unshielded colliders."""
    skeleton = frozenset(frozenset(e) for e in edges)
    parents: dict[str, set[str]] = {}
    for p, c in edges:
        parents.setdefault(c, set()).add(p)
    colliders = frozenset((frozenset((a, b)), c) for c, ps in parents.items() for a in ps for b in ps
                          if a < b and frozenset((a, b)) not in skeleton)
    return skeleton, colliders


def basis_columns(values: np.ndarray, categorical: bool) -> np.ndarray:
    """Columns of a least-squares design: normal scores (null as 0, plus an indicator), or level indicators."""
    if categorical:
        return np.column_stack([values == k for k in range(LEVELS)]).astype(float)
    ok = ~np.isnan(values)
    scores = np.zeros(len(values))
    if ok.sum() > 1:
        scores[ok] = stats.norm.ppf((stats.rankdata(values[ok]) - 0.5) / ok.sum())
    # A piecewise-linear curve in the normal scores: bends where the data has rows to show them.
    return np.column_stack([scores, *(np.maximum(scores - k, 0.0) for k in KNOTS), ~ok]).astype(float)


def _response(target: tuple[np.ndarray, bool]) -> np.ndarray:
    y, classify = target
    return basis_columns(y, True) if classify else y[:, None]


def _losses(A: np.ndarray, Y: np.ndarray, fit: np.ndarray, test: np.ndarray) -> np.ndarray:
    A = np.column_stack([np.ones(len(A)), A])
    coef, *_ = np.linalg.lstsq(A[fit], Y[fit], rcond=None)
    return ((A[test] @ coef - Y[test]) ** 2).sum(axis=1)


def _violated(Y: np.ndarray, parents: np.ndarray, others: list[tuple[np.ndarray, np.ndarray]], fit: np.ndarray,
              test: np.ndarray) -> bool:
    """Does the non-descendant most correlated with the parents-only residuals predict ``Y`` beyond them?

    ``others``: (design, orthonormal basis of [1, design] on the fitting rows) per candidate.
    """
    base = _losses(parents, Y, fit, test)
    A = np.column_stack([np.ones(len(parents)), parents])
    coef, *_ = np.linalg.lstsq(A[fit], Y[fit], rcond=None)
    residual = Y[fit] - A[fit] @ coef
    # What each candidate explains of the residuals: the squared norm of their projection on its columns.
    explained = [float(((q.T @ residual) ** 2).sum()) for _, q in others]
    if not others or max(explained) <= 0:
        return False
    best = others[int(np.argmax(explained))][0]
    d = base - _losses(np.column_stack([parents, best]), Y, fit, test)
    spread = float(((Y[test] - Y[test].mean(axis=0)) ** 2).sum(axis=1).mean())
    sd = float(d.std(ddof=1))
    if sd == 0 or spread == 0:
        return False
    p = float(stats.t.sf(d.mean() / (sd / np.sqrt(d.size)), df=d.size - 1))
    return p <= ALPHA and d.mean() / spread >= MIN_GAIN


def _share(columns: dict[str, str], structure: dict[str, list[str]], positions: list[str],
           excluded_at: dict[str, set[str]], responses: dict, designs: dict, fit: np.ndarray,
           test: np.ndarray) -> float:
    """Share of violated conditions when column ``columns[v]`` sits at position ``v``."""
    violated = 0
    for v in positions:
        Y = responses[columns[v]]
        excluded = excluded_at[v] | set(structure[v]) | {v}
        others = [designs[columns[o]] for o in structure if o not in excluded]
        if Y is None or not others:
            continue
        violated += _violated(Y, np.column_stack([designs[columns[p]][0] for p in structure[v]]), others, fit, test)
    return violated / len(positions)


def permutation_baseline(graph: LineageGraph, frame: pd.DataFrame, dtypes: dict[str, str], seed: int = 0,
                         permutations: int = PERMUTATIONS, positions: int = POSITIONS,
                         rows: int = ROWS) -> Baseline | None:
    """The given graph's violated share against ``permutations`` column-shuffled copies of its structure.

    None when the structure has no node with observed parents and non-descendants to test.
    """
    rng = np.random.default_rng(seed + 7919)
    nodes = [n for n in graph.topological_order() if n in dtypes]
    structure = _structure(graph, nodes)
    dag = nx.DiGraph([(p, n) for n, ps in structure.items() for p in ps])
    dag.add_nodes_from(nodes)
    # What a position's condition leaves out: its descendants, and what the graph declares dependent on it
    # (computed from its parents' positions, or sharing an unobserved source): the shape, not the columns.
    descendants = {n: nx.descendants(dag, n) | determined_by(graph, set(structure[n])) | latent_relatives(graph, n)
                   for n in nodes}
    testable = [n for n in nodes if structure[n] and set(nodes) - descendants[n] - set(structure[n]) - {n}]
    if not testable:
        return None
    chosen = sorted(rng.choice(len(testable), size=min(positions, len(testable)), replace=False))
    chosen_nodes = [testable[i] for i in chosen]
    sample = frame.iloc[rng.permutation(len(frame))[:rows]].reset_index(drop=True)
    half = len(sample) // 2
    fit, test = np.arange(half), np.arange(half, len(sample))
    encoded = {n: encode_predictor(sample[n], dtypes[n]) for n in nodes}
    designs = {}
    for n in nodes:  # each column's design, and its basis on the fitting rows, once for every permutation
        design = basis_columns(*encoded[n])
        varying = design[fit][:, design[fit].std(axis=0) > 0]  # a constant column would add a spurious direction
        designs[n] = (design, np.linalg.qr(np.column_stack([np.ones(len(fit)), varying]))[0])
    responses = {}
    for n in nodes:
        target = encode_target(sample[n], dtypes[n])
        responses[n] = None if target is None else _response(target)
    args = (structure, chosen_nodes, descendants, responses, designs, fit, test)
    given = _share({n: n for n in nodes}, *args)
    edges = {(p, n) for n, ps in structure.items() for p in ps}
    mec = _skeleton_and_colliders(edges)
    shuffled, equivalent = [], 0
    for _ in range(permutations):
        order = rng.permutation(len(nodes))
        columns = {n: nodes[j] for n, j in zip(nodes, order)}
        equivalent += _skeleton_and_colliders({(columns[p], columns[n]) for p, n in edges}) == mec
        shuffled.append(_share(columns, *args))
    p = (1 + sum(s <= given for s in shuffled)) / (1 + permutations)
    return Baseline(len(chosen_nodes), given, tuple(shuffled), p, equivalent)
