"""A regression's upstream outage: the triglyceride results stop arriving for half the visits.

A certificate on the lab's triglyceride endpoint expired mid-month; for about half
of the visits the feed returns nothing for that test, and the serving code, as
always, fills the training mean (the other lab values arrive). The log holds what
the model was given. The measured progression is unaffected, but the forecasts
lose their second-best predictor. Real patients: scikit-learn's bundled diabetes
data (worlds_clinic.py).
"""

from __future__ import annotations

import numpy as np

from causal_rca.scenarios import worlds_clinic as wcl
from causal_rca.scenarios import worlds_common as common

N_ROWS = 4000
LOST_SHARE = 0.5


def generate(seed: int) -> dict:
    world = wcl.build_clinic_world(seed)
    ref, cur = wcl.draw_visits(world, "reference", N_ROWS), wcl.draw_visits(world, "current", N_ROWS)
    lost = common.stream_rng(seed, "outage").random(N_ROWS) < LOST_SHARE
    served = cur.assign(ltg=np.where(lost, round(float(world.means["ltg"]), 2), cur["ltg"]))
    return {"reference": wcl.serve(world, ref, ref, "reference", wcl.REFERENCE_START),
            "current": wcl.serve(world, served, cur, "current", wcl.CURRENT_START)}
