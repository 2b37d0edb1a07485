"""Training-serving skew: the ported scoring job refits the scaler on each partition.

At training the monthly bill was standardised with the training mean and std,
stored with the model. The Spark port calls ``fit_transform`` on each partition
of the scoring data, and the scoring table is partitioned by plan: every plan
is now standardised with its own production mean and std. A premium bill of
$100 becomes an average bill (z about 0 instead of +1.5), a basic bill of $30
too (instead of -0.9). The raw bill, the other inputs and the model file are
unchanged; only the way ``charges_z`` is computed at serving differs.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.scenarios import worlds_churn as wc
from causal_rca.scenarios import worlds_common as common

N_ROWS = 8000


def refit_per_plan_partition(customers: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """The bug: a StandardScaler fitted on each plan partition of the production batch."""
    out = features.copy()
    charges = customers["monthly_charges"].astype(float)
    grouped = charges.groupby(customers["plan"])
    mean = grouped.transform("mean")
    std = grouped.transform(lambda x: x.std(ddof=0))
    out["charges_z"] = ((charges - mean) / std).to_numpy()
    return out


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world = wc.build_churn_world(seed)
    ref, ref_y = wc.draw_churn_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_churn_window(world, "current", N_ROWS, start=wc.CURRENT_START)
    frames = {
        "training": world.training,
        "reference": world.serve(ref, ref_y, id_prefix="ref"),
        "current": world.serve(cur, cur_y, id_prefix="cur", serve_features=refit_per_plan_partition),
    }
    return common.attach_model(frames, with_model, world.model, lambda: wc.golden_set(world))
