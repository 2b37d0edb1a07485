"""The plan of the field family: which failure mode, kind and metric each seed gets.

Computed from the seed alone, without drawing any data. Seeds are taken in
blocks of 48: every block holds each of the 11 failure modes once per model
kind (44 faulty cases) and one control per kind (4 controls, ~8%), in an order
shuffled per block. The metric of a case rotates with the block and the mode
through every metric the spec lists for its kind.
"""

from __future__ import annotations

import numpy as np

EVALUATION_SEED = 9_100_000
EVALUATION_CASES = 200
DEVELOPMENT_SEEDS = range(4_000_000, 4_001_000)

FAILURE_MODES = (
    "distribution_shift",
    "scale_change",
    "missing_values",
    "schema_change",
    "stale_values",
    "pipeline_skew",
    "concept_drift",
    "label_shift",
    "model_change",
    "out_of_distribution",
    "infrastructure",
)

KINDS = ("binary", "multiclass", "regression", "mean")

#: where each failure mode lives (the kind of the truth node), from diagnosis.md
MODE_NODE_KINDS = {
    "distribution_shift": ("source",),
    "scale_change": ("source", "feature"),
    "missing_values": ("source", "feature"),
    "schema_change": ("source", "feature"),
    "stale_values": ("feature",),
    "pipeline_skew": ("feature",),
    "concept_drift": ("label",),
    "label_shift": ("label",),
    "model_change": ("model",),
    "out_of_distribution": ("source", "feature"),
    "infrastructure": ("infra",),
}

#: every metric the spec lists per kind, as (metric, extra keys); "CLASS" is
#: replaced by one of the case's classes
METRICS = {
    "binary": [
        ("accuracy", {}),
        ("balanced_accuracy", {}),
        ("precision", {}),
        ("recall", {}),
        ("f1", {}),
        ("roc_auc", {}),
        ("log_loss", {}),
    ],
    "multiclass": [
        ("accuracy", {}),
        ("balanced_accuracy", {}),
        ("f1", {"average": "macro"}),
        ("recall", {"class": "CLASS"}),
        ("precision", {"average": "weighted"}),
        ("roc_auc", {"average": "macro"}),
        ("log_loss", {}),
        ("top_k_accuracy", {"k": 2}),
        ("f1", {"average": "micro"}),
        ("precision", {"class": "CLASS"}),
        ("roc_auc", {"average": "weighted"}),
        ("recall", {"average": "macro"}),
    ],
    "regression": [
        ("mae", {}),
        ("rmse", {}),
        ("mape", {}),
        ("r2", {}),
    ],
    "mean": [
        ("mean", {}),
    ],
}

BLOCK = 48
_FAMILY_TAG = 0xF1E1D


def _index(seed: int) -> tuple[str, int]:
    """(range tag, position) of a seed: evaluation, development or other."""
    seed = int(seed)
    if EVALUATION_SEED <= seed < EVALUATION_SEED + 100_000:
        return "eval", seed - EVALUATION_SEED
    if DEVELOPMENT_SEEDS.start <= seed < DEVELOPMENT_SEEDS.start + 100_000:
        return "dev", seed - DEVELOPMENT_SEEDS.start
    return "other", seed


def plan_case(seed: int) -> dict:
    """What the case of ``seed`` will be, without drawing data."""
    tag, i = _index(seed)
    block, pos = divmod(i, BLOCK)
    tag_id = {"eval": 1, "dev": 2, "other": 3}[tag]
    order = np.random.default_rng([_FAMILY_TAG, tag_id, block]).permutation(BLOCK)
    slot = int(order[pos])
    if slot < len(FAILURE_MODES) * len(KINDS):
        mode_index, kind_index = divmod(slot, len(KINDS))
        mode = FAILURE_MODES[mode_index]
    else:
        mode_index, kind_index = len(FAILURE_MODES), slot - len(FAILURE_MODES) * len(KINDS)
        mode = None
    kind = KINDS[kind_index]
    metrics = METRICS[kind]
    metric_name, metric_keys = metrics[(block * 5 + mode_index * 3 + tag_id) % len(metrics)]
    # the case's metric sits on the second model (reading shared features) now and then
    second = kind != "mean" and (block + mode_index + tag_id) % 4 == 3
    return {
        "seed": int(seed),
        "range": tag,
        "block": int(block),
        "slot": slot,
        "failure_mode": mode,
        "kind": kind,
        "metric_name": metric_name,
        "metric_keys": dict(metric_keys),
        "metric_on_second_model": bool(second),
        "control": mode is None,
    }
