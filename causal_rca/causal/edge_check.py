"""Edges an imported graph guessed and the data does not support: suggested removals.

An importer without column lineage for a dataset falls back to "each column
depends on every input column" (``x-lineage``, lineage/importers/build.py).
Most of those edges are wrong. For such a node, each observed declared parent
is tested the other way round from ``graph_check``: does it predict the node on
held-out rows beyond the node's other parents? Where it does not (no
significant gain after Benjamini–Hochberg, and under ``MIN_GAIN`` of the
node's spread), the edge is a suggested removal.

No evidence of dependence is not proof of independence: a parent that matters
only in rare rows, or only when it fails, looks removable here. The suggestion
is printed for a person to judge, never applied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from causal_rca.causal.encoding import effective_parents
from causal_rca.causal.graph_check import (
    ALPHA, MIN_GAIN, benjamini_hochberg, encode_predictor, encode_target, node_tests,
)
from causal_rca.lineage.graph import LineageGraph

GUESSED = "every input column"  # how the importers' fallback rule says itself in x-lineage


@dataclass(frozen=True)
class Removal:
    node: str
    parent: str
    p_value: float  # adjusted: no evidence that the node depends on the parent beyond its other parents
    gain: float
    parents: tuple[str, ...]  # the node's declared parents

    def message(self) -> str:
        return (f"{self.node} shows no dependence on {self.parent} beyond its other parents "
                f"(p = {self.p_value:.2g}, explains {max(self.gain, 0.0):.1%} of it on held-out rows)")



def guessed_nodes(graph: LineageGraph) -> list[str]:
    """Observed nodes whose parents the importer guessed (every input column)."""
    return [n for n in graph.topological_order()
            if graph.nodes[n].observed and GUESSED in str(graph.nodes[n].extras.get("x-lineage", ""))]


def unsupported_edges(graph: LineageGraph, frame: pd.DataFrame, dtypes: dict[str, str], seed: int = 0,
                      nodes: list[str] | None = None, alpha: float = ALPHA) -> list[Removal]:
    """Observed parent edges of ``nodes`` (default: the guessed ones) that the data does not support."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(frame))
    fit, test = order[: len(frame) // 2], order[len(frame) // 2:]
    raw: list[tuple[str, str, float, float]] = []
    for node in nodes if nodes is not None else guessed_nodes(graph):
        target = encode_target(frame[node], dtypes[node]) if node in dtypes else None
        if target is None:
            continue
        declared = [p for p in graph.nodes[node].parents if p in dtypes]
        for parent in declared:
            rest = [p for p in effective_parents(graph, node) if p in dtypes and p != parent]
            tests = node_tests(target[0], target[1], [encode_predictor(frame[p], dtypes[p]) for p in rest],
                               {parent: encode_predictor(frame[parent], dtypes[parent])}, fit, test, seed, candidates=1)
            # A parent unrelated even to the residuals is not tested at all: no gain, nothing to adjust.
            p, gain = (tests[0][1], tests[0][2]) if tests else (1.0, 0.0)
            raw.append((node, parent, p, gain))
    adjusted = benjamini_hochberg(np.array([r[2] for r in raw]))
    return [Removal(node, parent, float(q), gain, graph.nodes[node].parents)
            for (node, parent, _, gain), q in zip(raw, adjusted) if q > alpha and gain < MIN_GAIN]
