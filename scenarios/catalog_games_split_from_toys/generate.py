"""A new class in the labels: the catalogue carves 'games' out of toys.

From the start of the month the taxonomy has a sixth category: board games,
puzzles and card games, which reviewers used to file under toys, are now
'games'. About half of what was toys gets the new label. The categoriser knows
five categories and answers toys for them. Listings, the title service and the
model are unchanged.
"""

from __future__ import annotations

import numpy as np

from causal_rca.scenarios import worlds_common as common
from causal_rca.scenarios import worlds_products as wp

N_ROWS = 6000
GAMES_SHARE_OF_TOYS = 0.5


def generate(seed: int) -> dict:
    world = wp.build_product_world(seed)
    ref = wp.draw_listings(seed, "reference", N_ROWS)
    cur = wp.draw_listings(seed, "current", N_ROWS)
    games = (cur["category"] == "toys").to_numpy() & (
        common.stream_rng(seed, "games").random(N_ROWS) < GAMES_SHARE_OF_TOYS)
    return {
        "training": wp.training_log(world),
        "reference": wp.serve(world, ref, ref["category"], "reference", wp.REFERENCE_START),
        "current": wp.serve(world, cur, np.where(games, "games", cur["category"]), "current", wp.CURRENT_START),
    }
