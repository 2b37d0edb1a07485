"""Control: the current window is a fresh draw from the same process, nothing broken.

Whatever the metric does here is sampling noise; an engine that reports a
significant drop with a cause is raising a false alarm.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.scenarios import simulate as sim
from causal_rca.scenarios import worlds_common as common

N_ROWS = 8000


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world, (ref_src, ref_y), (cur_src, cur_y) = sim.standard_windows(seed, N_ROWS)
    frames = {
        "training": world.training,
        "reference": world.serve(ref_src, ref_y, id_prefix="ref"),
        "current": world.serve(cur_src, cur_y, id_prefix="cur"),
    }
    return common.attach_model(frames, with_model, world.model, lambda: sim.golden_set(world))
