"""The cheap part of a draw: which family, data set, failure mode, metric and
strength a seed gets.  No data is touched here, so coverage over any seed
range can be computed instantly; draw_case realises exactly this plan.

Seeds are planned in aligned blocks of BLOCK consecutive seeds.  Each block
holds exactly CONTROLS_PER_BLOCK controls, four cases of every failure mode
(two on real data, two synthetic; plus one extra mode drawn per block) and
REAL_PER_BLOCK real-data cases, in an order shuffled by the block number.  Any aligned range of whole blocks is
therefore balanced by construction.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import (BINARY_METRICS, BLOCK, CONTROLS_PER_BLOCK, FAILURE_MODES,
                        LABEL_MODES, MULTICLASS_METRICS, REAL_DATASETS,
                        REAL_PER_BLOCK, REGRESSION_METRICS)

STRENGTHS = ("subtle", "moderate", "strong")


@dataclass(frozen=True)
class Plan:
    seed: int
    family: str            # "synthetic" | "real"
    dataset: str | None    # real data set name, None for synthetic
    task: str              # "binary" | "regression" | "multiclass"
    mode: str | None       # failure mode, None for a control
    metric: str            # metric kind of the metric node to explain
    strength: str          # "subtle" | "moderate" | "strong"

    @property
    def kind(self) -> str:
        return "synthetic" if self.family == "synthetic" else f"real:{self.dataset}"


def _block_layout(block: int):
    rng = np.random.default_rng([0xB11D, block])
    n_fault = BLOCK - CONTROLS_PER_BLOCK
    per_mode = n_fault // len(FAILURE_MODES)              # 4: two real, two synthetic
    slots = [(m, fam) for m in FAILURE_MODES for fam in ("real", "synthetic")
             for _ in range(per_mode // 2)]
    extra = [str(m) for m in rng.choice(FAILURE_MODES, size=n_fault - len(slots), replace=False)]
    n_real = sum(f == "real" for _, f in slots)
    real_controls = min(CONTROLS_PER_BLOCK, max(0, REAL_PER_BLOCK - n_real - len(extra) // 2
                                                - (block % 2)))
    for i, m in enumerate(extra):                         # fill the real quota first
        fam = "real" if n_real + real_controls < REAL_PER_BLOCK else "synthetic"
        slots.append((m, fam))
        n_real += fam == "real"
    real_controls = REAL_PER_BLOCK - n_real
    slots += [(None, "real")] * real_controls + [(None, "synthetic")] * (CONTROLS_PER_BLOCK - real_controls)
    slots = [slots[i] for i in rng.permutation(BLOCK)]
    modes = [m for m, _ in slots]
    families = [f for _, f in slots]
    names = sorted(REAL_DATASETS)
    cycle = [names[i] for i in rng.permutation(len(names))]
    datasets, k = [], 0
    for fam in families:
        if fam == "real":
            datasets.append(cycle[k % len(cycle)])
            k += 1
        else:
            datasets.append(None)
    return modes, families, datasets


def plan_case(seed: int, include_multiclass: bool = False) -> Plan:
    """The plan of one seed (deterministic, cheap).

    ``include_multiclass``: multi-class cases are not generated yet (the
    engine does not support multi-class metrics); True raises.
    """
    if include_multiclass:
        raise NotImplementedError("multi-class cases are not generated yet")
    seed = int(seed)
    block, slot = divmod(seed, BLOCK)
    modes, families, datasets = _block_layout(block)
    mode, family, dataset = modes[slot], families[slot], datasets[slot]
    rng = np.random.default_rng([0x9A1, seed])
    if family == "real":
        task = REAL_DATASETS[dataset]
    else:
        task = "binary" if rng.random() < 0.65 else "regression"
    if task == "binary":
        menu = list(BINARY_METRICS) + ["mean"]
        weights = np.array([3, 2, 2, 2, 2, 1.5, 1.5])
        if mode in LABEL_MODES:
            weights[-1] = 0.5   # the mean metric then follows losses, see synthetic.py
    elif task == "regression":
        menu = list(REGRESSION_METRICS)
        weights = np.array([3, 2.0])
    else:  # pragma: no cover - no multi-class plan is drawn yet
        menu = list(MULTICLASS_METRICS)
        weights = np.ones(len(menu))
    metric = str(rng.choice(menu, p=weights / weights.sum()))
    strength = str(rng.choice(STRENGTHS, p=[0.3, 0.4, 0.3]))
    return Plan(seed, family, dataset, task, mode, metric, strength)
