"""A new merchant population: digital-goods merchants (MCC 5816) arrive through a partnership.

The world changed, not the pipeline: 30% of the current transactions are small
in-app and game purchases (about $8) at a merchant category the model has
never seen. Fraud is common there (stolen cards are cashed out in digital goods
that resell instantly), but ``merchant_risk`` gives an unseen code the
training prior, so the model treats these merchants as average and misses much
of their fraud. The feature code, the model and the true relation between a
transaction and fraud are unchanged; only the population moved.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.scenarios import simulate as sim
from causal_rca.scenarios import worlds_common as common

N_ROWS = 8000
NEW_MCC = 5816            # digital goods: games
NEW_SHARE = 0.30
NEW_TYPICAL_AMOUNT = 8.0  # in-app purchases, game top-ups
NEW_FRAUD_OFFSET = 2.0    # true fraud log-odds offset of the category (like quasi-cash)


def generate(seed: int, *, with_model: bool = False) -> dict:
    """The windows; ``with_model`` adds the model that served the current window and a golden set."""
    world, (ref_src, ref_y), (cur_src, _) = sim.standard_windows(seed, N_ROWS)
    cur_src = sim.add_merchant_population(world.rng("new-merchants"), cur_src, NEW_SHARE, NEW_MCC, NEW_TYPICAL_AMOUNT)
    cur_y = sim.draw_labels_with_offsets(world.rng("current-labels"), cur_src, sim.REFERENCE_CONCEPT,
                                         {NEW_MCC: NEW_FRAUD_OFFSET})
    frames = {
        "training": world.training,
        "reference": world.serve(ref_src, ref_y, id_prefix="ref"),
        "current": world.serve(cur_src, cur_y, id_prefix="cur"),
    }
    return common.attach_model(frames, with_model, world.model, lambda: sim.golden_set(world))
