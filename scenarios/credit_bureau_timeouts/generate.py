"""The bureau service degrades: calls time out and the decision service fills its defaults.

From day 7 to day 24 of the current window the credit bureau's report service
answered slowly after a data-centre move; about half of the calls exceeded the
decision service's 3-second timeout. On a timeout the decision service does not
fail the application: it fills the bureau fields from its fallback config, all
at once: score 650, no open accounts, no delinquencies, no utilisation, no
inquiries, and unknown (null) history and monthly debt; no bureau pull time is
recorded. The application and open-banking fields, and the bureau itself when it
answers, are fine. The model ranks the affected applicants on application data
alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import worlds_common as common
from causal_rca.scenarios import worlds_credit as wc

N_ROWS = 20000
DEGRADED_FROM = wc.CURRENT_START + pd.Timedelta(days=7)
DEGRADED_UNTIL = wc.CURRENT_START + pd.Timedelta(days=25)
TIMEOUT_RATE = 0.5
FALLBACKS = {
    "credit_score": 650,
    "open_accounts": 0,
    "delinquencies_2y": 0,
    "revolving_utilization": 0.0,
    "inquiries_6m": 0,
    "credit_history_months": np.nan,
    "monthly_debt": np.nan,
}


def bureau_timeouts(rng: np.random.Generator, apps: pd.DataFrame) -> pd.DataFrame:
    out = apps.copy()
    t = out["applied_at"]
    degraded = ((t >= DEGRADED_FROM) & (t < DEGRADED_UNTIL)).to_numpy()
    failed = degraded & (rng.random(len(out)) < TIMEOUT_RATE)
    for column, value in FALLBACKS.items():
        values = out[column].astype(float) if np.isnan(value) else out[column]
        out[column] = values.where(~failed, value)
    out["bureau_pulled_at"] = out["bureau_pulled_at"].where(~failed, pd.NaT)
    return out


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world = wc.build_credit_world(seed)
    ref, ref_y = wc.draw_credit_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_credit_window(world, "current", N_ROWS, start=wc.CURRENT_START)
    # the outcome depends on the real credit file; only what was served changes
    cur = bureau_timeouts(world.rng("bureau-timeouts"), cur)
    frames = {
        "training": world.training,
        "reference": world.serve(ref, ref_y, id_prefix="ref"),
        "current": world.serve(cur, cur_y, id_prefix="cur"),
    }
    return common.attach_model(frames, with_model, world.model, lambda: wc.golden_set(world))
