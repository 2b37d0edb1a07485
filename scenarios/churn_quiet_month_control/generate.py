"""Control: both windows are fresh draws from the same subscriber process; nothing broke.

Any movement of accuracy is sampling noise, so an engine that reports a
significant drop with a cause raises a false alarm.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.scenarios import worlds_churn as wc

N_ROWS = 8000


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wc.build_churn_world(seed)
    ref, ref_y = wc.draw_churn_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_churn_window(world, "current", N_ROWS, start=wc.CURRENT_START)
    return {
        "training": world.training,
        "reference": world.serve(ref, ref_y, id_prefix="ref"),
        "current": world.serve(cur, cur_y, id_prefix="cur"),
    }
