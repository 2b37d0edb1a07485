"""An acquirer's processor starts sending MCC codes as text ("MCC-5411").

The log keeps the RAW value, so in the current window ``merchant_category``
mixes integers (processor acq-a) and strings (acq-b, ~30% of rows). The
feature code parses it with ``pd.to_numeric(errors="coerce")`` as it always
did: the strings silently become NaN, so ``merchant_risk`` is NaN for those
rows, the model's median imputer fills it with a low-risk value, and fraud at
risky merchants slips through.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import simulate as sim
from causal_rca.scenarios import worlds_common as common

N_ROWS = 8000
BROKEN_PROCESSOR = "acq-b"


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world, (ref_src, ref_y), (cur_src, cur_y) = sim.standard_windows(seed, N_ROWS)
    broken = (cur_src["processor"] == BROKEN_PROCESSOR).to_numpy()
    cur_src = common.mcc_as_text(cur_src, broken)
    frames = {
        "training": world.training,
        "reference": world.serve(ref_src, ref_y, id_prefix="ref"),
        "current": world.serve(cur_src, cur_y, id_prefix="cur"),
    }
    return common.attach_model(frames, with_model, world.model, lambda: sim.golden_set(world))
