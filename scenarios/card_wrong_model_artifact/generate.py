"""The release served the wrong artifact: an experiment trained without class weights.

The registry's "latest" tag pointed at an experiment run that was trained on
the same features and data but without balanced class weights. Its scores are
calibrated to the ~13% fraud rate instead of being pushed up for the rare
class, so far fewer transactions reach the 0.5 threshold. The new version is
logged in ``model_version``. Data, features, labels: unchanged.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from causal_rca.scenarios import simulate as sim
from causal_rca.scenarios import worlds_common as common

N_ROWS = 8000
NEW_VERSION = "fraud-gbm-2024.03.0"


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world, (ref_src, ref_y), (cur_src, cur_y) = sim.standard_windows(seed, N_ROWS)
    train = world.training
    X = sim.model_matrix(train, train)
    wrong = sim.train_model(X, train["is_fraud"].to_numpy(), seed, balanced=False)
    released = replace(world, model=wrong, model_version=NEW_VERSION)
    frames = {
        "training": world.training,
        "reference": world.serve(ref_src, ref_y, id_prefix="ref"),
        "current": released.serve(cur_src, cur_y, id_prefix="cur"),
    }
    return common.attach_model(frames, with_model, wrong, lambda: sim.golden_set(world))
