"""Control: both cohorts are fresh draws of the same applicant and default process.

Nothing changed; any movement of the log loss is sampling noise.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.scenarios import worlds_credit as wc

N_ROWS = 20000


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wc.build_credit_world(seed)
    ref, ref_y = wc.draw_credit_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_credit_window(world, "current", N_ROWS, start=wc.CURRENT_START)
    return {
        "training": world.training,
        "reference": world.serve(ref, ref_y, id_prefix="ref"),
        "current": world.serve(cur, cur_y, id_prefix="cur"),
    }
