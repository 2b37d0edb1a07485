"""The weather vendor's API key expired: rainfall is null for most of the window.

On day 3 of the current window the API key of the weather vendor expired. The
enrichment step catches the 401, logs a warning and writes null, so from then
on ``rain_mm`` is empty on every order. The model's median imputer fills 0 mm:
fine on dry days, but on rainy hours the model now assumes dry roads, while
couriers are as slow as rain makes them. Everything else is unchanged. A subtle
fault (it only hurts when it rains), measured on 20,000 orders per window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import worlds_delivery as wd

N_ROWS = 20000
KEY_EXPIRED = wd.CURRENT_START + pd.Timedelta(days=3)


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wd.build_delivery_world(seed)
    ref = wd.draw_delivery_window(world, "reference", N_ROWS, start=wd.REFERENCE_START)
    cur = wd.draw_delivery_window(world, "current", N_ROWS, start=wd.CURRENT_START)
    cur_minutes = world.true_minutes(cur, "current")  # it really rained
    cur_store = world.store(cur, "current")
    outage = (cur["order_time"] >= KEY_EXPIRED).to_numpy()
    served = cur.assign(rain_mm=np.where(outage, np.nan, cur["rain_mm"].to_numpy(dtype=float)))
    return {
        "training": world.training,
        "reference": world.serve(ref, world.true_minutes(ref, "reference"), world.store(ref, "reference"), id_prefix="ref"),
        "current": world.serve(served, cur_minutes, cur_store, id_prefix="cur"),
    }
