"""A serving deploy sends the raw 24h transaction count where the model expects the normalised one.

The source ``txn_count_24h`` is unchanged; the feature ``txn_count_norm`` is
served without the stored training mean/std, so its values are several times
larger (0..15 instead of about -1.4..6). The model reads nearly every card as a
high-velocity card and flags far too many transactions: alert precision falls.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.scenarios import simulate as sim
from causal_rca.scenarios import worlds_common as common

N_ROWS = 8000


def serve_raw_counts(sources: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """The bug: the normalisation step was dropped from the serving path."""
    out = features.copy()
    out["txn_count_norm"] = sources["txn_count_24h"].astype(float).to_numpy()
    return out


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world, (ref_src, ref_y), (cur_src, cur_y) = sim.standard_windows(seed, N_ROWS)
    frames = {
        "training": world.training,
        "reference": world.serve(ref_src, ref_y, id_prefix="ref"),
        "current": world.serve(cur_src, cur_y, id_prefix="cur", serve_features=serve_raw_counts),
    }
    return common.attach_model(frames, with_model, world.model, lambda: sim.golden_set(world))
