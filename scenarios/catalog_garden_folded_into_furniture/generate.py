"""A multi-class label re-definition: the catalogue retires 'garden' and files it under furniture.

The taxonomy team merged the garden category into furniture at the start of
the month ("garden furniture and tools are furniture now"); reviewers assign
furniture to every listing they would have called garden. The categoriser was
trained on the old taxonomy and still answers garden for them. Listings, the
title service and the model are unchanged: only the meaning of the labels moved.
"""

from __future__ import annotations

import numpy as np

from causal_rca.scenarios import worlds_products as wp

N_ROWS = 6000


def generate(seed: int) -> dict:
    world = wp.build_product_world(seed)
    ref = wp.draw_listings(seed, "reference", N_ROWS)
    cur = wp.draw_listings(seed, "current", N_ROWS)
    relabelled = np.where(cur["category"] == "garden", "furniture", cur["category"])
    return {
        "training": wp.training_log(world),
        "reference": wp.serve(world, ref, ref["category"], "reference", wp.REFERENCE_START),
        "current": wp.serve(world, cur, relabelled, "current", wp.CURRENT_START),
    }
