"""The prep-time job stopped; the feature store kept serving its last values for two weeks.

The hourly job that materialises each restaurant's 7-day average preparation
time into the online store failed silently on the first day of the current
window (its scheduler lost the job after a cluster upgrade), and the store went
on serving the last values it had, with their original computation time. As
days pass, restaurants change (autumn menus, staffing, new kitchens), so the
frozen average drifts further from the truth: the model's ETAs get noisier,
and more orders arrive after the promised time. Values are old, and it shows
in ``prep_time_7d_avg_at``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import worlds_delivery as wd

N_ROWS = 8000
LAST_RUN = wd.CURRENT_START + pd.Timedelta(hours=20)
DRIFT_PER_SQRT_DAY = 0.15  # log-scale drift of a restaurant's prep time since the last run


def frozen_cache(rng: np.random.Generator, orders: pd.DataFrame, store: pd.DataFrame) -> pd.DataFrame:
    out = store.copy()
    t = orders["order_time"]
    frozen = (t >= LAST_RUN).to_numpy()
    days = np.clip((t - LAST_RUN).dt.total_seconds().to_numpy() / 86400.0, 0.0, None)
    drift = np.exp(rng.normal(0.0, DRIFT_PER_SQRT_DAY * np.sqrt(days + 0.25)))
    served = np.round(out["prep_time_7d_avg"].to_numpy(dtype=float) * drift, 2)
    out["prep_time_7d_avg"] = np.where(frozen, served, out["prep_time_7d_avg"].to_numpy(dtype=float))
    last_computed = LAST_RUN - pd.to_timedelta(rng.uniform(5.0, 70.0, len(out)), unit="min").round("s")
    out["prep_time_7d_avg_at"] = out["prep_time_7d_avg_at"].where(~frozen, pd.Series(last_computed, index=out.index))
    return out


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wd.build_delivery_world(seed)
    ref = wd.draw_delivery_window(world, "reference", N_ROWS, start=wd.REFERENCE_START)
    cur = wd.draw_delivery_window(world, "current", N_ROWS, start=wd.CURRENT_START)
    cur_store = frozen_cache(world.rng("frozen-cache"), cur, world.store(cur, "current"))
    return {
        "training": world.training,
        "reference": world.serve(ref, world.true_minutes(ref, "reference"), world.store(ref, "reference"), id_prefix="ref"),
        "current": world.serve(cur, world.true_minutes(cur, "current"), cur_store, id_prefix="cur"),
    }
