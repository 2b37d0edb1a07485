"""Fraud rings switch from account takeover to card testing; the inputs do not move.

Every source and feature is drawn from the same process in both windows; only
the true P(fraud | amount, amount_7d_avg, merchant, hour, velocity) changes:
large amounts at risky merchants matter less, small amounts at night in bursts
(card testing) matter much more. The model, trained on the old pattern, misses
the new fraud: recall falls while the base rate stays about the same.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.scenarios import simulate as sim
from causal_rca.scenarios import worlds_common as common

N_ROWS = 8000


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world, (ref_src, ref_y), (cur_src, cur_y) = sim.standard_windows(
        seed, N_ROWS, current_concept=sim.CARD_TESTING_CONCEPT
    )
    frames = {
        "training": world.training,
        "reference": world.serve(ref_src, ref_y, id_prefix="ref"),
        "current": world.serve(cur_src, cur_y, id_prefix="cur"),
    }
    return common.attach_model(frames, with_model, world.model, lambda: sim.golden_set(world))
