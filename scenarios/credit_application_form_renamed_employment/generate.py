"""Renamed categories: the new application form sends a new employment enum.

The redesigned application form (released on the first day of the current
window) sends ``employment_type`` from a shared enum of the HR-data vendor:
``EMPLOYED_FULL_TIME``, ``SELF_EMPLOYED``, ``CONTRACT``, ``RETIRED``,
``EMPLOYED_PART_TIME`` instead of ``salaried``, ``self_employed``, .... No
value matches the training categories any more, so the target encoder gives
every applicant the training prior: contractors and part-time workers look
average, and many more risky applications fall under the approval cutoff.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.scenarios import worlds_credit as wc

N_ROWS = 20000
NEW_ENUM = {
    "salaried": "EMPLOYED_FULL_TIME",
    "self_employed": "SELF_EMPLOYED",
    "contractor": "CONTRACT",
    "retired": "RETIRED",
    "part_time": "EMPLOYED_PART_TIME",
}


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wc.build_credit_world(seed)
    ref, ref_y = wc.draw_credit_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_credit_window(world, "current", N_ROWS, start=wc.CURRENT_START)
    cur = cur.assign(employment_type=cur["employment_type"].map(NEW_ENUM))
    return {
        "training": world.training,
        "reference": world.serve(ref, ref_y, id_prefix="ref"),
        "current": world.serve(cur, cur_y, id_prefix="cur"),
    }
