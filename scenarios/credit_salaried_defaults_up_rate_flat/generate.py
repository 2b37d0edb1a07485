"""The relation between employment and default turned around; the default rate stayed flat.

A wave of redundancies at large employers hit salaried borrowers (the safe
segment of the scorecard), while a new income-protection scheme for gig and
contract workers, plus the buoyant freelance market, made the self-employed,
contractors and part-timers repay better than they used to. The risk of
salaried applicants rises, the risk of the other employment types falls, and
the intercept is set so that the expected default rate of the window equals the
reference concept's on the very same applicants: the base rate moves only by
sampling noise. Every input (application form, bureau, open banking) is drawn
from the same process as the reference; features and model are unchanged. Only
P(default | applicant) changed: the true cause is the label ``defaulted``, whose
mechanism given its parents changed (concept_drift). The scorecard still ranks
salaried applicants as safest, so its ranking (ROC AUC) degrades.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import worlds_credit as wc
from causal_rca.scenarios import worlds_common as common

N_ROWS = 20000
#: Change in true default log-odds per employment type (reference offsets in ``wc.EMPLOYMENT``).
EMPLOYMENT_SHIFT = {"salaried": 0.7, "retired": 0.0, "self_employed": -1.0, "contractor": -1.6, "part_time": -1.6}


def _matched_intercept(base: np.ndarray, shift: np.ndarray) -> float:
    """The intercept change that keeps the expected default rate on these applicants (bisection)."""
    target = common.logistic(base).mean()
    lo, hi = -3.0, 3.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if common.logistic(base + shift + mid).mean() > target:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def drifted_defaults(rng: np.random.Generator, apps: pd.DataFrame) -> np.ndarray:
    base = wc.REFERENCE_DEFAULT.logit(apps)
    shift = apps["employment_type"].map(EMPLOYMENT_SHIFT).fillna(0.0).to_numpy(dtype=float)
    p = common.logistic(base + shift + _matched_intercept(base, shift))
    return (rng.random(len(apps)) < p).astype(np.int64)


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wc.build_credit_world(seed)
    ref, ref_y = wc.draw_credit_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur = wc.draw_applications(world.rng("current"), N_ROWS, start=wc.CURRENT_START)
    cur_y = drifted_defaults(world.rng("current-labels"), cur)
    return {
        "training": world.training,
        "reference": world.serve(ref, ref_y, id_prefix="ref"),
        "current": world.serve(cur, cur_y, id_prefix="cur"),
    }
