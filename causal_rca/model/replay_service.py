"""An unobserved service put back: all the fields it sends, redrawn jointly on the rows whose call failed.

"Had the bureau answered" restores every field the bureau sends; a failed
call is told from a healthy answer by how many of its fields a row lost,
against the same count on the reference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.lineage import LineageGraph
from causal_rca.model.replay_context import ReplayContext
from causal_rca.model.replay_impute import impute
from causal_rca.model.replay_revert import lost_rows

HIT = 2.0  # rows with so many lost fields are this many times more common than in the reference: a failed call


def service_hits(ctx: ReplayContext, nodes: tuple[str, ...], frame: pd.DataFrame) -> np.ndarray:
    """Rows on which a service failed: they lost so many of its fields that healthy rows rarely do.

    A timeout hits every field of a call at once, some of them with defaults a
    healthy answer also gives (no delinquencies, no open accounts); per field
    those are invisible, per row they are not. The count of lost fields per row
    is compared with the same count on the reference: counts at least ``HIT``
    times more common now mark the failed calls, and a healthy row's natural
    null or zero stays as it was.
    """
    flags = [lost_rows(ctx, n, frame) for n in nodes]
    ref_count = np.sum([r for r, _ in flags], axis=0)
    cur_count = np.sum([c for _, c in flags], axis=0)
    hits = np.zeros(len(frame), dtype=bool)
    for level in range(1, len(nodes) + 1):
        now = (cur_count == level).mean()
        before = ((ref_count == level).sum() + 1) / (len(ref_count) + 1)
        if now > HIT * before:
            hits |= cur_count == level
    return hits


def replayed_nodes(graph: LineageGraph, node: str, observed: set[str] | dict) -> tuple[str, ...]:
    """What putting ``node`` back means in the logs: the node, or for an unobserved service, all its fields.

    "Had the bureau answered" restores every field the bureau sends, not only
    the ones whose change was large enough to be evidence."""
    if node in observed:
        return (node,)
    return tuple(sorted(c for c in graph.children(node) if c in observed))


def one_service(ctx: ReplayContext, nodes: tuple[str, ...]) -> bool:
    """Several fields fed by one unobserved node (a service's answer): they failed together, row by row."""
    if len(nodes) < 2:
        return False
    shared = set.intersection(*(set(ctx.graph.parents(n)) for n in nodes))
    return any(not ctx.graph.nodes[p].observed for p in shared)


def revert_service(ctx: ReplayContext, nodes: tuple[str, ...], frame: pd.DataFrame, rng: np.random.Generator,
                    seed: int) -> tuple[pd.DataFrame, bool, str]:
    """The fields of one failed service put back together, on the rows whose call failed.

    Each field of a hit row is drawn in turn from the reference's P(field |
    the other inputs, the fields drawn before it, the outcome): a joint draw of
    the whole answer the service would have given. Other rows keep every field.
    """
    order = sorted(nodes, key=ctx.graph.topological_order().index)
    hits = service_hits(ctx, tuple(order), frame)
    how = "the service's fields redrawn jointly on the rows its calls failed"
    if not hits.any():
        return frame, False, how
    for i, node in enumerate(order):
        categorical = ctx.dtypes[node] not in ("numeric", "boolean", "datetime")
        col = frame[node].astype(object) if categorical else frame[node].astype(float)
        col[hits] = impute(ctx, node, frame, hits, rng, seed, categorical, frozenset(order[i + 1:]),
                            natural_nulls=True)
        frame[node] = col
    return frame, True, how
