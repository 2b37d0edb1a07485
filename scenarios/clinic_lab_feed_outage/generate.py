"""A regression's upstream outage: the lab results feed times out for most visits.

The lab's results service was overloaded all month; for six visits in ten
the feed timed out and returned no lab panel, and the serving code, as always,
gave the model the training mean of each of the six serum values. The log holds
what the model was given. The measured progression is unaffected, but the
forecasts lose the lab values that carry most of their signal. Real patients:
scikit-learn's bundled diabetes data (worlds_clinic.py).
"""

from __future__ import annotations

import numpy as np

from causal_rca.scenarios import worlds_clinic as wcl
from causal_rca.scenarios import worlds_common as common

N_ROWS = 6000
LOST_SHARE = 0.6


def generate(seed: int) -> dict:
    world = wcl.build_clinic_world(seed)
    ref, cur = wcl.draw_visits(world, "reference", N_ROWS), wcl.draw_visits(world, "current", N_ROWS)
    lost = common.stream_rng(seed, "outage").random(N_ROWS) < LOST_SHARE
    served = cur.assign(**{c: np.where(lost, round(float(world.means[c]), 2), cur[c]) for c in wcl.LAB})
    return {"training": wcl.training_log(world),
            "reference": wcl.serve(world, ref, ref, "reference", wcl.REFERENCE_START),
            "current": wcl.serve(world, served, cur, "current", wcl.CURRENT_START)}
