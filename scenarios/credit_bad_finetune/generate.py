"""A bad fine-tune: the production model is "refreshed" on a small recent sample.

To "adapt to recent applicants", the team warm-started the production gradient
boosting model and added 40 boosting rounds at a high learning rate (0.3) on
the 1,500 most recent matured applications. The extra trees fit the noise of a
tiny sample; the fine-tuned model shipped as a new version at the start of the
current window and ranks applicants worse. Applicants, features and the default
process are unchanged. A subtle fault, measured on 20,000 applications per window.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import pandas as pd

from causal_rca.scenarios import worlds_common as common
from causal_rca.scenarios import worlds_credit as wc

N_ROWS = 20000
FINETUNE_ROWS = 1500
NEW_VERSION = "credit-gbm-2023.09-ft"


def fine_tune(world: wc.CreditWorld) -> wc.CreditWorld:
    recent, recent_y = wc.draw_credit_window(world, "finetune-sample", FINETUNE_ROWS, start=wc.REFERENCE_START)
    model = copy.deepcopy(world.model)
    base_rounds = model.named_steps["gbm"].max_iter
    model.named_steps["gbm"].set_params(warm_start=True, max_iter=base_rounds + 40, learning_rate=0.3)
    with common.single_thread():
        model.fit(wc.model_matrix(recent, world.features.transform(recent)), recent_y)
    return replace(world, model=model, model_version=NEW_VERSION)


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world = wc.build_credit_world(seed)
    ref, ref_y = wc.draw_credit_window(world, "reference", N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_credit_window(world, "current", N_ROWS, start=wc.CURRENT_START)
    released = fine_tune(world)
    frames = {
        "training": world.training,
        "reference": world.serve(ref, ref_y, id_prefix="ref"),
        "current": released.serve(cur, cur_y, id_prefix="cur"),
    }
    return common.attach_model(frames, with_model, released.model, lambda: wc.golden_set(world))
