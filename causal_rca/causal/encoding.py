"""Numeric encodings of node values for the causal models.

Both windows are encoded with the *reference's* vocabulary, so that a value
the reference never saw is visible as such (code -1) instead of silently
getting a new code that a model would read as ordinary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from causal_rca.lineage.graph import LineageGraph

UNSEEN = -1.0


@dataclass(frozen=True)
class EncodedWindows:
    reference: pd.DataFrame  # float columns, one per observed node
    current: pd.DataFrame
    categorical: frozenset[str]  # nodes whose codes are categories, not magnitudes


def effective_parents(graph: LineageGraph, node_id: str) -> tuple[str, ...]:
    """Observed parents, looking through unobserved nodes to their observed ancestors.

    A feature read from an unobserved feature store still depends on what
    the store was fed; conditioning on that keeps the test honest.
    """
    out: list[str] = []
    stack = list(graph.nodes[node_id].parents)
    seen: set[str] = set()
    while stack:
        p = stack.pop(0)
        if p in seen:
            continue
        seen.add(p)
        if graph.nodes[p].observed:
            out.append(p)
        else:
            stack.extend(graph.nodes[p].parents)
    return tuple(out)


def _codes(values: pd.Series, vocabulary: dict[str, int]) -> np.ndarray:
    out = np.full(len(values), np.nan)
    mask = values.notna().to_numpy()
    keys = values[mask].astype(str)
    out[mask] = keys.map(lambda k: vocabulary.get(k, UNSEEN)).to_numpy(dtype=float)
    return out


def encode_windows(
    ref: pd.DataFrame,
    cur: pd.DataFrame,
    dtypes: dict[str, str],
    binary_overrides: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> EncodedWindows:
    """Floats for every observed node; categories coded by reference frequency.

    ``binary_overrides`` replaces a node's encoding (the label becomes
    "is positive" 0/1, which is what the metric reads).
    """
    ref_out: dict[str, np.ndarray] = {}
    cur_out: dict[str, np.ndarray] = {}
    categorical: set[str] = set()
    for node_id, dtype in dtypes.items():
        if binary_overrides and node_id in binary_overrides:
            ref_out[node_id], cur_out[node_id] = binary_overrides[node_id]
            categorical.add(node_id)
        elif dtype in ("numeric", "boolean", "datetime"):
            ref_out[node_id] = ref[node_id].to_numpy(dtype=float)
            cur_out[node_id] = cur[node_id].to_numpy(dtype=float)
            if dtype == "boolean":
                categorical.add(node_id)
        else:
            counts = ref[node_id].dropna().astype(str).value_counts()
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            vocabulary = {k: i for i, (k, _) in enumerate(ordered)}
            ref_out[node_id] = _codes(ref[node_id], vocabulary)
            cur_out[node_id] = _codes(cur[node_id], vocabulary)
            categorical.add(node_id)
    return EncodedWindows(pd.DataFrame(ref_out), pd.DataFrame(cur_out), frozenset(categorical))


def support_mask(ref: np.ndarray, cur: np.ndarray, categorical: bool) -> np.ndarray:
    """Rows of ``cur`` whose value lies where the reference has data.

    A mechanism can only be judged where it was seen: a model never shown a
    null must not be blamed for what it does with one.
    """
    from causal_rca.signals.statistics import support_bounds

    ref_null_share = float(np.isnan(ref).mean()) if len(ref) else 0.0
    null_ok = ref_null_share >= 0.01
    isnan = np.isnan(cur)
    if categorical:
        inside = ~isnan & (cur != UNSEEN)
    else:
        lo, hi = support_bounds(ref)
        with np.errstate(invalid="ignore"):
            inside = ~isnan & (cur >= lo) & (cur <= hi)
    return inside | (isnan & null_ok)
