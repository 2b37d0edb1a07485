"""Long time-stamped logs with a fault that starts at a known time (for `watch` and `--split auto`).

Built on the churn world and the bug of the scenario ``churn_scaler_refit_per_partition``
(the scoring job refits the bill's scaler per plan partition: ``pipeline_skew`` at
``charges_z``). Each day is freshly drawn subscribers scored overnight. An abrupt fault
hits every row from the change day on; a gradual one hits a share of rows that grows
linearly over ``ramp_days`` (a progressive rollout of the ported job). No fault: the same
log without the bug. The truth is returned beside the log, never inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from causal_rca.scenarios import worlds_churn as wc
from causal_rca.scenarios.library import Truth, get_scenario, load_truth, scenario_module
from causal_rca.scenarios.worlds_common import stream_rng

FAULT_SCENARIO = "churn_scaler_refit_per_partition"
START = pd.Timestamp("2024-06-03")


@dataclass(frozen=True)
class TimelineCase:
    log: pd.DataFrame
    graph_path: Path
    metric: str
    change: pd.Timestamp | None  # when the fault started (None: no fault)
    ramp_end: pd.Timestamp | None  # when it reached every row (gradual faults)
    truth: Truth

    @property
    def span_seconds(self) -> float:
        t = self.log["scored_at"]
        return float((t.max() - t.min()).total_seconds())


def churn_timeline(seed: int, *, days: int = 90, rows_per_day: int = 1000, change_day: int | None = 60,
                   ramp_days: int = 0) -> TimelineCase:
    """A ``days``-long churn scoring log; the fault starts on ``change_day`` (None: no fault)."""
    scenario = get_scenario(FAULT_SCENARIO)
    fault = scenario_module(scenario).refit_per_plan_partition
    world = wc.build_churn_world(seed)
    rng = stream_rng(seed, "timeline")
    parts = []
    for day in range(days):
        start = START + pd.Timedelta(days=day)
        customers = wc.draw_customers(rng, rows_per_day, start=start, days=1.0)
        labels = wc.draw_churn_labels(rng, customers)
        share = _fault_share(day, change_day, ramp_days)
        hit = rng.random(rows_per_day) < share
        for rows, serve_features, tag in ((~hit, None, "ok"), (hit, fault, "bug")):
            if rows.any():
                part = customers[rows].reset_index(drop=True)
                parts.append(world.serve(part, labels[rows], id_prefix=f"d{day}{tag}", serve_features=serve_features))
    log = pd.concat(parts, ignore_index=True).sort_values("scored_at", kind="stable").reset_index(drop=True)
    truth = load_truth(scenario) if change_day is not None else Truth(scenario.metric, False, None, None)
    change = START + pd.Timedelta(days=change_day) if change_day is not None else None
    ramp_end = change + pd.Timedelta(days=ramp_days) if change is not None and ramp_days else None
    return TimelineCase(log, scenario.graph_path, scenario.metric, change, ramp_end, truth)


def _fault_share(day: int, change_day: int | None, ramp_days: int) -> float:
    if change_day is None or day < change_day:
        return 0.0
    if ramp_days <= 0:
        return 1.0
    return float(min(1.0, (day - change_day + 1) / ramp_days))
