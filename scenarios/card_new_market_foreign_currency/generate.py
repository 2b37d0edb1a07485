"""A new market: a quarter of the transactions are in yen, far outside the training amounts.

Cards issued in the new market transact in JPY; the processor sends the amount
in the transaction currency (as it always did: all earlier traffic was in USD),
so about 25% of the current amounts are ~150 times larger than anything in
training, and so are those cards' own 7-day averages. The fraud process is the
same (fraud is about amounts unusual *for the card*), but the model has never
seen amounts in this range: ``amount_z`` lands 5-8 standard deviations out and
the trees read it as extreme, flagging many legitimate purchases.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import simulate as sim
from causal_rca.scenarios import worlds_common as common

N_ROWS = 8000
NEW_MARKET_SHARE = 0.25
JPY_PER_USD = 150.0


def new_market(rng: np.random.Generator, sources: pd.DataFrame) -> pd.DataFrame:
    out = sources.copy()
    jp = rng.random(len(out)) < NEW_MARKET_SHARE
    rate = np.where(jp, JPY_PER_USD, 1.0)
    amount = out["amount"].to_numpy(dtype=float) * rate
    avg = out["amount_7d_avg"].to_numpy(dtype=float) * rate
    out["amount"] = np.where(jp, np.round(amount, 0), amount)  # yen have no cents
    out["amount_7d_avg"] = np.where(jp, np.round(avg, 0), avg)
    return out


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world, (ref_src, ref_y), (cur_src, _) = sim.standard_windows(seed, N_ROWS)
    cur_src = new_market(world.rng("new-market"), cur_src)
    # fraud depends on amounts relative to the card's own spending: same concept, any currency
    cur_y = sim.draw_labels(world.rng("current-labels"), cur_src)
    frames = {
        "training": world.training,
        "reference": world.serve(ref_src, ref_y, id_prefix="ref"),
        "current": world.serve(cur_src, cur_y, id_prefix="cur"),
    }
    return common.attach_model(frames, with_model, world.model, lambda: sim.golden_set(world))
