"""Concept drift: a rival's switching offer makes loyal subscribers leave too.

A competitor launched a "switch and we pay your exit fees, plus a loyalty
bonus" offer aimed at long-standing customers. Tenure no longer protects as it
did (its coefficient drops from -0.55 to -0.1 per log-month) and the overall
rate stays about the same. Every input is drawn from the same process in both
windows and the pipeline is unchanged: only P(churn | subscriber) moved, so the
model ranks subscribers slightly worse. A subtle fault, measured on 20,000
subscribers per window.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from causal_rca.scenarios import worlds_churn as wc

N_ROWS = 20000
SWITCHING_OFFER = replace(wc.REFERENCE_CHURN, tenure=-0.1, intercept=-1.75)


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wc.build_churn_world(seed)
    ref, ref_y = wc.draw_churn_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_churn_window(world, "current", N_ROWS, start=wc.CURRENT_START, concept=SWITCHING_OFFER)
    return {
        "training": world.training,
        "reference": world.serve(ref, ref_y, id_prefix="ref"),
        "current": world.serve(cur, cur_y, id_prefix="cur"),
    }
