"""The card's 7-day average amount falls back to a default of 0 during a feature-table outage.

A migration dropped and recreated the feature store's table of 7-day card
aggregates; for five days (days 4 to 8 of the current window, about a third of
the transactions) every lookup found no row and the serving client returned
its configured default, 0.0, with no computation time. Everything else is
unchanged. To the model a card whose usual spend is $0 makes every purchase
look enormous, so it flags far too many legitimate transactions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import simulate as sim
from causal_rca.scenarios import worlds_common as common

N_ROWS = 8000
OUTAGE_START = sim.CURRENT_START + pd.Timedelta(days=4)
OUTAGE_END = sim.CURRENT_START + pd.Timedelta(days=9)
FALLBACK = 0.0


def during_outage(sources: pd.DataFrame) -> np.ndarray:
    t = sources["event_time"]
    return ((t >= OUTAGE_START) & (t < OUTAGE_END)).to_numpy()


def serve_defaults(sources: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """What the feature-store client returned: the default value, never computed."""
    out = sources.copy()
    out.loc[rows, "amount_7d_avg"] = FALLBACK
    out["amount_7d_avg_at"] = out["amount_7d_avg_at"].where(~rows, pd.NaT)
    return out


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world, (ref_src, ref_y), (cur_src, cur_y) = sim.standard_windows(seed, N_ROWS)
    # labels were drawn from the true card history; only what was served changes
    cur_src = serve_defaults(cur_src, during_outage(cur_src))
    frames = {
        "training": world.training,
        "reference": world.serve(ref_src, ref_y, id_prefix="ref"),
        "current": world.serve(cur_src, cur_y, id_prefix="cur"),
    }
    return common.attach_model(frames, with_model, world.model, lambda: sim.golden_set(world))
