"""The plan of a case: kind, failure mode and metric, drawn cheaply from the seed.

Seeds are planned in blocks of 40 consecutive seeds (block = seed // 40), so that each
block holds, by construction, 4 controls, 3 cases of each of the 11 failure modes and
3 spare cases of modes drawn for the block, spread over the kinds 16 binary,
10 multi-class, 10 regression and 4 `mean`.
"""
from __future__ import annotations

import numpy as np

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

EVALUATION_SEED = 8_800_000
DEVELOPMENT_SEEDS = range(3_000_000, 3_000_500)
BLOCK = 40
KIND_COUNTS = {"binary": 16, "multiclass": 10, "regression": 10, "mean": 4}
CONTROLS_PER_BLOCK = 4
PER_MODE = 3

BINARY_METRICS = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")
MULTICLASS_METRICS = ("accuracy", "f1", "recall", "precision", "roc_auc", "log_loss", "top_k_accuracy")
REGRESSION_METRICS = ("mae", "rmse", "mape", "r2")
DOMAINS = ("payments", "telecom", "lending", "logistics", "ads", "support", "insurance")
REAL_SETS = ("cps2015", "microservice", "wine", "breast_cancer", "diabetes")


def _block_slots(block: int):
    rng = np.random.default_rng([7_919, block])
    modes = ["control"] * CONTROLS_PER_BLOCK
    for m in FAILURE_MODES:
        modes += [m] * PER_MODE
    spare = rng.choice(len(FAILURE_MODES), size=BLOCK - len(modes), replace=False)
    modes += [FAILURE_MODES[i] for i in spare]
    kinds = []
    for k, c in KIND_COUNTS.items():
        kinds += [k] * c
    modes = [modes[i] for i in rng.permutation(BLOCK)]
    kinds = [kinds[i] for i in rng.permutation(BLOCK)]
    # metric rotation per kind inside the block, so each block uses the whole vocabulary
    counters = {k: int(rng.integers(0, 100)) for k in KIND_COUNTS}
    metrics = []
    for k in kinds:
        i = counters[k]
        counters[k] += 1
        metrics.append(i)
    return modes, kinds, metrics


def plan_case(seed: int) -> dict:
    """The cheap plan of case `seed`: no data is drawn."""
    seed = int(seed)
    block, pos = divmod(seed, BLOCK)
    modes, kinds, mindex = _block_slots(block)
    mode, kind, mi = modes[pos], kinds[pos], mindex[pos]
    rng = np.random.default_rng([104_729, seed])
    spec: dict = {"metric": None}
    if kind == "binary":
        spec["metric"] = BINARY_METRICS[mi % len(BINARY_METRICS)]
        if rng.random() < 0.3:
            spec["threshold"] = float(rng.choice([0.3, 0.35, 0.4, 0.6]))
    elif kind == "multiclass":
        name = MULTICLASS_METRICS[mi % len(MULTICLASS_METRICS)]
        spec["metric"] = name
        if name in ("f1", "recall", "precision"):
            r = rng.random()
            if r < 0.3:
                spec["class"] = "PICK"  # resolved to one class of the label when drawn
            else:
                spec["average"] = str(rng.choice(["macro", "weighted", "micro"]))
        elif name == "roc_auc":
            spec["average"] = str(rng.choice(["macro", "weighted", "micro"]))
        elif name == "top_k_accuracy":
            spec["k"] = 2
    elif kind == "regression":
        spec["metric"] = REGRESSION_METRICS[mi % len(REGRESSION_METRICS)]
    else:
        spec["metric"] = "mean"
    real = None
    if rng.random() < 0.35:
        real = str(rng.choice(REAL_SETS))
    domain = str(rng.choice(DOMAINS))
    failure_mode = None if mode == "control" else mode
    return {
        "seed": seed,
        "block": block,
        "position": pos,
        "kind": kind,
        "failure_mode": failure_mode,
        "control": failure_mode is None,
        "metric_spec": spec,
        "metric": spec["metric"],
        "domain": domain,
        "real_data": real,
    }
