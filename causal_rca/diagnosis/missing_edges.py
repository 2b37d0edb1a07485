"""Would a missing edge explain the top cause? The ``graph_warnings`` of a diagnosis.

A node whose true parent the graph omits looks as if its own mechanism
changed when that parent moves: given its declared parents, its values no
longer follow the reference. For each of the top few causes the step asks two
questions of one undeclared column at a time (a column that moved in this
diagnosis, is not among the node's parents and is not below it):

1. Does the reference window already say the node depends on it beyond its
   parents? (The held-out test of ``validate --check-graph``, on a bounded
   sample.) A column that only moved together with the node in the current
   window (a sibling behind one failing service) is no missing parent.
2. Does the node's mechanism change vanish once it is added as a parent? (The
   engine's own mechanism test, run again with the column among the parents.)

When both hold, the cause's evidence says so, its score is halved, and the
diagnosis lists the suspected edge in ``graph_warnings``. Runs after ranking,
on the samples already read; the causes are re-sorted by the lowered scores.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from causal_rca.causal.encoding import EncodedWindows
from causal_rca.causal.graph_check import ALPHA, MIN_GAIN, encode_predictor, encode_target, determined_by, node_tests
from causal_rca.causal.mechanism import (
    MIN_EFFECT, SIGNIFICANCE, MechanismResult, conditional_test, fallback_value,
)
from causal_rca.diagnosis.model import Cause, Evidence
from causal_rca.lineage.graph import LineageGraph
from causal_rca.signals.detect import Signal

TOP_CAUSES = 3  # causes examined
CANDIDATES = 3  # undeclared columns tried per cause, the most changed first
REFERENCE_ROWS = 4000  # rows of the reference sample for the dependence test
PENALTY = 0.5  # a cause whose change a missing edge explains keeps this share of its score


@dataclass(frozen=True)
class MissingEdge:
    node: str
    parent: str  # the undeclared column
    p_value: float  # reference window: the node depends on it beyond its parents
    gain: float  # share of the node's spread it explains there
    detail: str

    def to_dict(self) -> dict:
        return {"node": self.node, "parent": self.parent, "p_value": self.p_value, "gain": self.gain,
                "detail": self.detail}


def _moved(signals: list[Signal], mechanisms: dict[str, MechanismResult]) -> dict[str, float]:
    """Columns that moved in this diagnosis, with the strongest evidence (smallest p) of it."""
    out: dict[str, float] = {}
    for s in signals:
        if s.anomalous:
            out[s.node] = min(out.get(s.node, 1.0), s.p_adjusted)
    for n, m in mechanisms.items():
        if m.changed:
            out[n] = min(out.get(n, 1.0), m.p_adjusted)
    return out


def _depends_in_reference(node: str, parents: tuple[str, ...], other: str, reference: pd.DataFrame,
                          dtypes: dict[str, str], seed: int) -> tuple[float, float] | None:
    """(p, gain) of the held-out test that ``node`` depends on ``other`` given ``parents``; None if untestable."""
    sample = reference.iloc[:REFERENCE_ROWS]
    target = encode_target(sample[node], dtypes[node])
    if target is None:
        return None
    rows = np.random.default_rng(seed).permutation(len(sample))
    fit, test = rows[: len(rows) // 2], rows[len(rows) // 2:]
    tests = node_tests(target[0], target[1], [encode_predictor(sample[p], dtypes[p]) for p in parents],
                       {other: encode_predictor(sample[other], dtypes[other])}, fit, test, seed, candidates=1)
    return (tests[0][1], tests[0][2]) if tests else None


def _vanishes(node: str, parents: tuple[str, ...], other: str, enc: EncodedWindows, signals: list[Signal],
              seed: int, outcome: bool, other_rows: np.ndarray | None = None) -> MechanismResult | None:
    """The mechanism test with ``other`` among the parents, when the change is gone; else None.

    ``other_rows``: when ``other`` itself broke, the rows where it still behaves as before, as the
    engine tests the children of a broken node (what a child inherits is not its own change).
    """
    result = conditional_test(node, (*parents, other), enc, seed, fallback_value(node, signals), other_rows,
                               outcome=outcome)
    if result.method == "skipped":  # the new parent left the reference's support: nothing to say
        return None
    return result if (result.p_value >= SIGNIFICANCE or result.effect < MIN_EFFECT) else None


def missing_edges(graph: LineageGraph, causes: list[Cause], mechanisms: dict[str, MechanismResult],
                  signals: list[Signal], enc: EncodedWindows, reference: pd.DataFrame, dtypes: dict[str, str],
                  seed: int) -> tuple[list[Cause], list[MissingEdge]]:
    """The causes (scores lowered and re-ranked where a missing edge explains them) and the warnings."""
    moved = _moved(signals, mechanisms)
    found: dict[str, MissingEdge] = {}
    for cause in causes[:TOP_CAUSES]:
        mech = mechanisms.get(cause.node)
        if (cause.children or mech is None or not mech.parents or not mech.changed
                or mech.method not in ("regression", "classification")):
            continue
        excluded = graph.descendants(cause.node) | determined_by(graph, set(mech.parents)) | {cause.node}
        candidates = sorted((n for n in moved if n not in excluded and n in enc.reference.columns
                             and n in dtypes and n in reference.columns), key=lambda n: (moved[n], n))
        for i, other in enumerate(candidates[:CANDIDATES]):
            dependence = _depends_in_reference(cause.node, mech.parents, other, reference, dtypes, seed + i)
            if dependence is None or dependence[0] > ALPHA or dependence[1] < MIN_GAIN:
                continue
            broke = mechanisms.get(other)
            after = _vanishes(cause.node, mech.parents, other, enc, signals, seed + i,
                              graph.nodes[cause.node].kind == "label",
                              broke.consistent if broke is not None and broke.changed else None)
            if after is None:
                continue
            found[cause.node] = MissingEdge(
                cause.node, other, dependence[0], dependence[1],
                f"{cause.node} depends on {other} beyond its declared parents in the reference window "
                f"(p = {dependence[0]:.2g}), and its change given its parents vanishes once {other} is added "
                f"as a parent (p = {after.p_value:.2g}): the graph may be missing the edge {other} → "
                f"{cause.node}, and the change may be {other}'s, not {cause.node}'s")
            break
    if not found:
        return causes, []
    lowered = []
    for cause in causes:
        edge = found.get(cause.node)
        if edge is not None:
            cause = replace(cause, score=round(cause.score * PENALTY, 4),
                            evidence=[*cause.evidence, Evidence("missing_edge", None, None, edge.p_value,
                                                                edge.detail)])
        lowered.append(cause)
    lowered.sort(key=lambda c: (-c.score, c.rank))
    return [replace(c, rank=i) for i, c in enumerate(lowered, 1)], list(found.values())
