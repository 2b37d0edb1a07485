"""A new kind of product: large appliances arrive in a catalogue that never had any.

This month the marketplace opened to sellers of washing machines, fridges and
dryers: electronics weighing 60 to 120 kg, where every electronic item the
model learned from weighed a few kilograms and the heaviest listings of any
kind were furniture. One listing in six is now such an appliance; the model,
which reads weight as the strongest sign of furniture, files most of them
under furniture. Everything else (other listings, the title service, the
model, the catalogue team) is unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.scenarios import worlds_common as common
from causal_rca.scenarios import worlds_products as wp

N_ROWS = 6000
APPLIANCE_SHARE = 1 / 6


def _with_appliances(seed: int, listings: pd.DataFrame) -> pd.DataFrame:
    rng = common.stream_rng(seed, "appliances")
    rows = np.flatnonzero(rng.random(len(listings)) < APPLIANCE_SHARE)
    appliances = wp.draw_listings(seed, "appliance-listings", len(rows), np.array(["electronics"] * len(rows)))
    appliances["weight_kg"] = np.round(85.0 * np.exp(rng.normal(0.0, 0.2, len(rows))), 3)
    appliances["price"] = np.round(650.0 * np.exp(rng.normal(0.0, 0.3, len(rows))), 2)
    out = listings.copy()
    out.iloc[rows] = appliances.to_numpy()
    return out.astype(listings.dtypes.to_dict())


def generate(seed: int) -> dict:
    world = wp.build_product_world(seed)
    ref = wp.draw_listings(seed, "reference", N_ROWS)
    cur = _with_appliances(seed, wp.draw_listings(seed, "current", N_ROWS))
    return {
        "training": wp.training_log(world),
        "reference": wp.serve(world, ref, ref["category"], "reference", wp.REFERENCE_START),
        "current": wp.serve(world, cur, cur["category"], "current", wp.CURRENT_START),
    }
