"""The 7-day average is computed over incomplete windows and served hours late.

After the ingestion migration the transaction stream lands about four hours
late in the feature store's source table. The hourly aggregation job kept
running on schedule over whatever had landed, so from day 2 of the current
window each card's 7-day average is computed over an incomplete window (recent
purchases missing, low-activity cards averaged over one or two purchases: a
noisier, slightly low estimate of the card's usual spend) and the value served
was computed 4 to 7 hours before the transaction (``amount_7d_avg_at``; the
contract allows 2 hours). Fraud labels follow the card's real spending: the
model compares amounts with a wrong baseline and raises more false alerts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import simulate as sim
from causal_rca.scenarios import worlds_common as common

N_ROWS = 20000
DELAY_START = sim.CURRENT_START + pd.Timedelta(days=2)
ESTIMATE_NOISE = 0.45   # log-scale error of an average over an incomplete window
ESTIMATE_BIAS = -0.10   # the most recent (missing) purchases pull the complete average up


def incomplete_windows(rng: np.random.Generator, sources: pd.DataFrame) -> pd.DataFrame:
    out = sources.copy()
    n = len(out)
    late = (out["event_time"] >= DELAY_START).to_numpy()
    error = np.exp(rng.normal(ESTIMATE_BIAS, ESTIMATE_NOISE, n))
    served = np.round(out["amount_7d_avg"].to_numpy(dtype=float) * error, 2)
    out["amount_7d_avg"] = np.where(late, np.maximum(served, 0.5), out["amount_7d_avg"].to_numpy(dtype=float))
    staleness_min = rng.uniform(240.0, 420.0, n)  # 4h ingestion delay + up to 3h of queue and refresh
    computed = out["event_time"] - pd.to_timedelta(np.round(staleness_min * 60), unit="s")
    out["amount_7d_avg_at"] = out["amount_7d_avg_at"].where(~late, computed)
    return out


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world, (ref_src, ref_y), (cur_src, cur_y) = sim.standard_windows(seed, N_ROWS)
    cur_src = incomplete_windows(world.rng("ingestion-delay"), cur_src)
    frames = {
        "training": world.training,
        "reference": world.serve(ref_src, ref_y, id_prefix="ref"),
        "current": world.serve(cur_src, cur_y, id_prefix="cur"),
    }
    return common.attach_model(frames, with_model, world.model, lambda: sim.golden_set(world))
