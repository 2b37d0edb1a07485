"""Rows on the image of the reference's values under one factor: arithmetic, not a population.

A population of larger or smaller events is a scaled copy of the reference too, so between ×0.1
and ×10 a mixture's factor near a conversion is no evidence on its own (``units.partial_conversion``).
Arithmetic leaves a mark a population does not: when the reference's values are few (a count) and
the log keeps more digits than they need, the rescaled rows land exactly, to the log's rounding,
on the reference's values times the factor (a 7-day count served as a daily rate: 3/7, 4/7, ...
logged as 0.429, 0.571, ...). How often values the reference never held land on that lattice by
chance is the share of the log's grid points near each value that the lattice covers; the tail
of the hits, over the distinct new values, is the evidence. A continuous reference covers
the grid densely and gives none.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from causal_rca.signals.rounding import fewest_decimals, logged_decimals

MIN_VALUES = 10  # distinct values the reference never held, needed before their lattice is read
NEIGHBOURHOOD = 50  # grid steps either side of a value over which the lattice's density is read


def off_lattice_by_chance(reference: np.ndarray, current: np.ndarray, factor: float) -> float:
    """p that the current values the reference never held land on its values × ``factor`` (as the
    log rounds them) as often as they do by chance; 1.0 when there is nothing to judge."""
    reference, current = reference[np.isfinite(reference)], current[np.isfinite(current)]
    decimals = logged_decimals(current)
    if decimals is None or len(reference) == 0 or not factor > 0:
        return 1.0  # logged at full precision: no grid to measure chance against
    held = np.unique(np.round(reference, decimals))
    logged = np.round(current, decimals)
    new = np.unique(logged[~np.isin(logged, held)])
    # Only values that need the log's every decimal: a whole number among three-decimal values sits
    # on a coarser grid, where images of whole numbers crowd (any factor k/m maps multiples of m to
    # whole numbers), and is no evidence either way.
    new = new[fewest_decimals(new) >= decimals]
    if len(new) < MIN_VALUES:
        return 1.0
    images = np.unique(np.round(held * factor, decimals))
    hits = int(np.isin(new, images).sum())
    # Each value's chance of a hit is the lattice's density around it: the share of the log's grid
    # points within NEIGHBOURHOOD steps that are images (a skewed reference's images crowd at one end).
    reach = NEIGHBOURHOOD * 10.0 ** -decimals * (1 + 1e-9)
    around = np.searchsorted(images, new + reach, side="right") - np.searchsorted(images, new - reach, side="left")
    chance = np.minimum(1.0, around / (2 * NEIGHBOURHOOD + 1))
    # The hits are a sum of Bernoulli draws at these chances; a Poisson tail of their sum bounds it.
    return float(stats.poisson.sf(hits - 1, float(chance.sum()))) if hits else 1.0
