"""A new store type the model never saw: grocery and convenience stores join the marketplace.

The marketplace launched a grocery vertical at the start of the current
window: supermarkets and convenience stores now make up about a fifth of the
orders. ``store_category`` takes a value, ``grocery``, that never appeared in
training; the serving code's target encoding gives an unseen category the
training prior (``store_category_enc``), and the restaurant-prep batch job
measures the store's picking time as it does a kitchen's preparation time
(``prep_time_7d_avg`` is right for these stores). Baskets stay within the usual
sizes. What the model cannot know is that grocery orders take longer at the
door: bags carried up to the flat, an ID check for alcohol, so the hand-off
takes 4 minutes plus 0.8 per extra item longer than a meal's. Those orders are
promised too early and arrive late.

Restaurants' orders are drawn from the same process as before and follow the
same delivery times. The cause is the input whose values lie outside what the
model was trained on: ``store_category`` (out_of_distribution), not the
features computed from it (they do what they always did with what they get)
and not the label.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import worlds_delivery as wd

N_ROWS = 8000
#: (share weight next to the restaurants' 1.0, typical picking minutes, mean extra items)
GROCERY = (0.25, 7.0, 1.9)
HANDOFF_EXTRA_MIN = 4.0
HANDOFF_PER_ITEM_MIN = 0.8


def generate(seed: int) -> dict[str, pd.DataFrame]:
    world = wd.build_delivery_world(seed)
    ref = wd.draw_delivery_window(world, "reference", N_ROWS, start=wd.REFERENCE_START)
    categories = {**wd.STORE_CATEGORIES, "grocery": GROCERY}
    cur = wd.draw_delivery_window(world, "current", N_ROWS, start=wd.CURRENT_START, categories=categories)
    minutes = world.true_minutes(cur, "current")
    grocery = (cur["store_category"] == "grocery").to_numpy()
    extra = HANDOFF_EXTRA_MIN + HANDOFF_PER_ITEM_MIN * (cur["order_items"].to_numpy(dtype=float) - 1.0)
    minutes = np.round(np.where(grocery, minutes + extra, minutes), 1)
    return {
        "training": world.training,
        "reference": world.serve(ref, world.true_minutes(ref, "reference"), world.store(ref, "reference"), id_prefix="ref"),
        "current": world.serve(cur, minutes, world.store(cur, "current"), id_prefix="cur"),
    }
