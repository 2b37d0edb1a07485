"""A new population: a broker partnership floods the funnel with broker-sourced applications.

A comparison-site and broker partnership went live at the start of the current
window: brokers now bring 35% of the applications instead of 8%. Broker
customers default more (more inflated incomes, larger loans, more recent
inquiries), which the model knows: it scores them correctly and declines more
of them. Nothing in the pipeline is broken; the approval rate falls because the
applicant population moved.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.scenarios import worlds_credit as wc

N_ROWS = 20000
PARTNERSHIP_MIX = {"branch": 0.17, "web": 0.30, "mobile": 0.18, "broker": 0.35}


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wc.build_credit_world(seed)
    ref, ref_y = wc.draw_credit_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_credit_window(world, "current", N_ROWS, start=wc.CURRENT_START, channel_shares=PARTNERSHIP_MIX)
    return {
        "training": world.training,
        "reference": world.serve(ref, ref_y, id_prefix="ref"),
        "current": world.serve(cur, cur_y, id_prefix="cur"),
    }
