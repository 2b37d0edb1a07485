"""The online feature store slows down at rush hours; lookups time out and fall back to defaults.

After a storage node of the online feature store was lost on day 3 of the
current window, the cluster ran on reduced capacity for a week. At lunch and
dinner peaks most lookups exceeded the 50 ms client timeout, and the client
served its configured fallbacks for the whole lookup: ``couriers_nearby`` = 6
and ``zone_congestion`` = 1.0, together, on the same orders. Zone and hour (the
features' observed inputs) are unchanged, and the store itself has no column in
the log. ``travel_time_est`` is computed from the congestion that was served.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import worlds_delivery as wd

N_ROWS = 8000
DEGRADED_FROM = wd.CURRENT_START + pd.Timedelta(days=3)
DEGRADED_UNTIL = wd.CURRENT_START + pd.Timedelta(days=10)
PEAK_HOURS = (11, 12, 13, 17, 18, 19, 20, 21)
TIMEOUT_RATE_AT_PEAK = 0.7
TIMEOUT_RATE_OFF_PEAK = 0.05


def timed_out(rng: np.random.Generator, orders: pd.DataFrame) -> np.ndarray:
    t = orders["order_time"]
    degraded = ((t >= DEGRADED_FROM) & (t < DEGRADED_UNTIL)).to_numpy()
    peak = np.isin(orders["hour"].to_numpy(), PEAK_HOURS)
    rate = np.where(peak, TIMEOUT_RATE_AT_PEAK, TIMEOUT_RATE_OFF_PEAK)
    return degraded & (rng.random(len(orders)) < rate)


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wd.build_delivery_world(seed)
    ref = wd.draw_delivery_window(world, "reference", N_ROWS, start=wd.REFERENCE_START)
    cur = wd.draw_delivery_window(world, "current", N_ROWS, start=wd.CURRENT_START)
    failed = timed_out(world.rng("store-timeouts"), cur)

    def fallbacks(orders: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
        out = features.copy()
        out.loc[failed, "couriers_nearby"] = wd.COURIER_FALLBACK
        out.loc[failed, "zone_congestion"] = wd.CONGESTION_FALLBACK
        return out

    return {
        "training": world.training,
        "reference": world.serve(ref, world.true_minutes(ref, "reference"), world.store(ref, "reference"), id_prefix="ref"),
        "current": world.serve(cur, world.true_minutes(cur, "current"), world.store(cur, "current"), id_prefix="cur",
                               serve_features=fallbacks),
    }
