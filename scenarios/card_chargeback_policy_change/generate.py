"""Fraud-ops changes the labelling policy: disputed "friendly fraud" now counts as fraud.

From the start of the current window, customer disputes that the old policy
closed as "first-party / friendly fraud" (the cardholder made the purchase and
later disputed it) are confirmed as fraud too. They happen on about 5% of
ordinary transactions (8% at online merchants) and have nothing of account
takeover about them, so the base rate rises and the model, which never learned
this definition, scores the new positives low. Inputs, features and model are
unchanged: only the label's definition moved.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import simulate as sim
from causal_rca.scenarios import worlds_common as common

N_ROWS = 8000
DISPUTE_RATE = 0.05
DISPUTE_RATE_ONLINE = 0.08


def relabel_disputes(rng: np.random.Generator, sources: pd.DataFrame, labels: np.ndarray) -> np.ndarray:
    online = np.isin(sources["merchant_category"].to_numpy(), sim.ONLINE_MCCS)
    disputed = rng.random(len(labels)) < np.where(online, DISPUTE_RATE_ONLINE, DISPUTE_RATE)
    return np.where(disputed, 1, labels).astype(np.int64)


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world, (ref_src, ref_y), (cur_src, cur_y) = sim.standard_windows(seed, N_ROWS)
    cur_y = relabel_disputes(world.rng("friendly-fraud-policy"), cur_src, cur_y)
    frames = {
        "training": world.training,
        "reference": world.serve(ref_src, ref_y, id_prefix="ref"),
        "current": world.serve(cur_src, cur_y, id_prefix="cur"),
    }
    return common.attach_model(frames, with_model, world.model, lambda: sim.golden_set(world))
