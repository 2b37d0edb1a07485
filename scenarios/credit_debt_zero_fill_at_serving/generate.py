"""Training-serving skew: a missing debt record is filled with 0 at serving, the median at training.

About a fifth of applicants have no debt on their bureau file (``monthly_debt``
is null): their debts sit with lenders that do not report (buy-now-pay-later,
payday and private loans), so they are in truth heavier borrowers. The training
pipeline (pandas) filled their debt-to-income with the training median. The
online feature service, rewritten in Go for latency, fills a missing ratio with
0: to the model these applicants now carry no debt at all. Bureau data, the
other features and the model are unchanged; only how ``debt_to_income`` is
computed from its parents differs. A subtle fault: the ranking degrades by a
few points of AUC, measured on 20,000 applications per window.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.scenarios import worlds_credit as wc

N_ROWS = 20000


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wc.build_credit_world(seed)
    ref, ref_y = wc.draw_credit_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_credit_window(world, "current", N_ROWS, start=wc.CURRENT_START)

    def zero_fill(apps: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
        """The serving code path: ``if debt == nil { ratio = 0 }``."""
        return features.assign(debt_to_income=world.features.debt_to_income(apps, fill=0.0).round(5))

    return {
        "training": world.training,
        "reference": world.serve(ref, ref_y, id_prefix="ref"),
        "current": world.serve(cur, cur_y, id_prefix="cur", serve_features=zero_fill),
    }
