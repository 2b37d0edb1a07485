"""The default definition changes from 90+ to 60+ days past due.

To align with a new regulatory reporting standard, collections now flags an
account as defaulted at 60 days past due instead of 90. Accounts that reach 60
days and later cure count as defaults too, so the default rate of the current
cohort rises by about half. These extra "defaults" are only loosely tied to
risk (a missed payment during a move, a salary paid late), so the model's
probabilities, calibrated on the 90-day definition, are now too low across the
board. Applicants, features and model are unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import worlds_credit as wc

N_ROWS = 20000


def sixty_days_past_due(rng: np.random.Generator, apps: pd.DataFrame, defaulted_90: np.ndarray) -> np.ndarray:
    """90+ DPD defaults plus accounts that went 60 days past due and cured."""
    p90 = wc.default_probability(apps)
    cured_60 = rng.random(len(apps)) < 0.45 * p90 + 0.025
    return np.where(cured_60, 1, defaulted_90).astype(np.int64)


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wc.build_credit_world(seed)
    ref, ref_y = wc.draw_credit_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_credit_window(world, "current", N_ROWS, start=wc.CURRENT_START)
    cur_y = sixty_days_past_due(world.rng("definition-60dpd"), cur, cur_y)
    return {
        "training": world.training,
        "reference": world.serve(ref, ref_y, id_prefix="ref"),
        "current": world.serve(cur, cur_y, id_prefix="cur"),
    }
