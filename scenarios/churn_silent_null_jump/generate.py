"""A silent data fault: a logged column's null rate jumps from 26% to 48%; accuracy does not move.

Both windows are fresh draws from the same subscriber process (as in the quiet-month
control). ``app_sessions_30d`` is logged beside the score for the next model version
but is no input of the current model, so the metric only moves by sampling noise. The
diagnosis must say "no significant change" and still list the null-rate jump (and the
broken ``max_null_rate`` contract) under data quality.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import worlds_churn as wc

N_ROWS = 8000
NULL_SHARE = {"reference": 0.26, "current": 0.48}


def with_app_sessions(frame: pd.DataFrame, rng: np.random.Generator, null_share: float) -> pd.DataFrame:
    sessions = rng.poisson(12.0, len(frame)).astype(float)
    sessions[rng.random(len(frame)) < null_share] = np.nan
    return frame.assign(app_sessions_30d=sessions)


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wc.build_churn_world(seed)
    rng = np.random.default_rng([seed, 31])
    ref, ref_y = wc.draw_churn_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_churn_window(world, "current", N_ROWS, start=wc.CURRENT_START)
    return {
        "training": with_app_sessions(world.training, rng, NULL_SHARE["reference"]),
        "reference": with_app_sessions(world.serve(ref, ref_y, id_prefix="ref"), rng, NULL_SHARE["reference"]),
        "current": with_app_sessions(world.serve(cur, cur_y, id_prefix="cur"), rng, NULL_SHARE["current"]),
    }
