"""The routing service's v2 API returns distances in miles; the pipeline still reads kilometres.

The routing team migrated to a vendor API that reports road distance in miles.
The field kept its name in the order event, so ``distance_km`` now holds miles
for every order of the current window: every value is 0.62 times what it
should be, the shape of the distribution is unchanged. ``travel_time_est`` is
computed from it and shrinks too. Deliveries take as long as ever, so the model
promises times that are too short on long trips.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import worlds_delivery as wd

N_ROWS = 8000
KM_PER_MILE = 1.609344


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wd.build_delivery_world(seed)
    ref = wd.draw_delivery_window(world, "reference", N_ROWS, start=wd.REFERENCE_START)
    cur = wd.draw_delivery_window(world, "current", N_ROWS, start=wd.CURRENT_START)
    cur_minutes = world.true_minutes(cur, "current")  # the real trip is unchanged
    cur_store = world.store(cur, "current")
    served = cur.assign(distance_km=np.round(cur["distance_km"].to_numpy(dtype=float) / KM_PER_MILE, 2))
    return {
        "training": world.training,
        "reference": world.serve(ref, world.true_minutes(ref, "reference"), world.store(ref, "reference"), id_prefix="ref"),
        "current": world.serve(served, cur_minutes, cur_store, id_prefix="cur"),
    }
