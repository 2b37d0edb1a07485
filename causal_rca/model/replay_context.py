"""What a replay reads (``ReplayContext``), and the node codes every replay step fits and predicts on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from causal_rca.causal.encoding import category_codes, category_vocabulary, finite_or_nan
from causal_rca.lineage import LineageGraph
from causal_rca.metrics import MetricSpec

if TYPE_CHECKING:
    from causal_rca.model.replay_mechanisms import NumericMechanism

FIT_ROWS = 6000  # reference rows a replay mechanism is fitted on


@dataclass(frozen=True)
class ReplayContext:
    """Everything a replay reads: the graph, both windows' node-keyed samples and the model."""

    graph: LineageGraph
    spec: MetricSpec
    dtypes: dict[str, str]
    reference: pd.DataFrame
    current: pd.DataFrame
    model_node: str
    label_node: str | None
    inputs: tuple[str, ...]
    score: object  # callable: node-keyed frame -> scores (the artifact through model.inputs)
    reference_value: float
    reference_ci: tuple[float, float]
    seed: int
    vocabularies: dict[str, dict[str, int]] = field(default_factory=dict, compare=False, repr=False)  # a cache
    # Fitted numeric mechanisms by (node, inputs, rows, seed): one context replayed or injected many times
    # (prevention/window.py) fits each only once.
    mechanisms: dict[tuple, "NumericMechanism"] = field(default_factory=dict, compare=False, repr=False)


def node_codes(ctx: ReplayContext, frame: pd.DataFrame, nodes: tuple[str, ...]) -> np.ndarray:
    """Numeric codes of ``nodes`` in ``frame`` with the reference's vocabulary (unseen → -1).

    The same as ``encode_windows`` gives, without re-encoding the reference for every fit."""
    if not nodes:
        return np.zeros((len(frame), 0))
    columns = []
    for n in nodes:
        if ctx.dtypes[n] in ("numeric", "boolean", "datetime"):
            columns.append(finite_or_nan(frame[n].to_numpy(dtype=float)))
        else:
            if n not in ctx.vocabularies:
                ctx.vocabularies[n] = category_vocabulary(ctx.reference[n])
            columns.append(category_codes(frame[n], ctx.vocabularies[n]))
    return np.column_stack(columns)


def fit_rows(n: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions of at most ``FIT_ROWS`` of ``n`` reference rows, drawn with ``rng``: a mechanism's fit rows."""
    return np.sort(rng.choice(n, FIT_ROWS, replace=False)) if n > FIT_ROWS else np.arange(n)
