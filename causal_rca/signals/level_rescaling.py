"""Discrete columns whose levels moved: a rescaling of all rows or of a share of them.

A population that moves keeps the values a discrete column can take (a rating is still 1–5, a
count still an integer, a band still one of the bands): only the shares of the levels move.
New levels that are an exact affine image of the reference's levels — every one of them on one
line (R² ≥ LEVELS_R2 over at least three levels) with a factor far from 1 — are arithmetic on
the values: a change of units (×12, ×1000, °C → °F) or a rating put on another scale (1–5 →
20–100). This is the evidence a continuous column lacks, where any population moving by its
level and spread also puts its quantiles on a line (signals/units.py).

- *All rows* moved when no current row is left on a reference level that is not also the image
  of a level (a rescaling leaves a count's 0 in place under ×12 and puts rating 4 on 1 under
  ×0.25). The shares may have moved too, a population move on top of the rescaling; the new
  levels still tell.
  When the windows hold different level sets (a rare level absent, shares crossing the floor),
  the levels are paired by value instead (``level_pairing.py``): a line maps a reference level
  onto every current level, with a chance test of such a hit at the column's number of levels.
- *A share of rows* moved (one serving version in other units): the rows on levels the
  reference never had are then a rescaled copy of the reference. Their levels lie on the line
  and either keep the reference's shares (chi-square of the paired counts at the windows'
  sizes, ``statistics.level_affine_fit``, not rejected at 1%) or the line is a known conversion.
  A new population on new levels has neither: it is not a copy of the reference's levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from causal_rca.signals import statistics as st
from causal_rca.signals.level_pairing import value_paired_line
from causal_rca.signals.levels import MAX_LEVELS, reference_levels
from causal_rca.signals.units import unit_conversion, value_spread

LEVELS_R2 = 0.999  # levels on a line as exact as a change of units makes them
SAME_SHARES = 0.01  # chi-square p at or above this: the paired levels keep their shares
FAR_FROM_ONE = 0.17  # |log10 factor|: about 1.5 or more, the scale signal's own floor
MIN_ROWS = 10  # rows on new levels needed before their levels are read
# Levels are paired from the bottom: every level (a rare level, 0.9% of the moved rows, or one a
# moved population left under 1%, must not shift the pairing by one), else those of 1% share or
# more in both windows (a rare top level in one window only; ``statistics.level_affine_fit``).
PAIRINGS = (0.0, 0.01)


@dataclass(frozen=True)
class LevelRescaling:
    scale: float
    shift: float
    r2: float
    p_shares: float  # do the paired levels keep the reference's shares
    share: float  # of current rows on the rescaled levels
    units: str | None  # the conversion the line is, if a known one


def on_conversion_line(levels: tuple[float, float, float, float], cur: np.ndarray) -> bool:
    """The levels' line (``statistics.level_affine_fit``) is a known change of units."""
    return levels[0] != 1.0 and unit_conversion(levels[0], levels[1], value_spread(cur)) is not None


def _on_line(ref: np.ndarray, moved: np.ndarray, share: float, min_share: float = 0.01) -> LevelRescaling | None:
    fit = st.level_affine_fit(ref, moved, min_share=min_share)
    if fit is None:
        return None
    scale, shift, r2, p_shares = fit
    if r2 < LEVELS_R2 or scale <= 0 or abs(math.log10(scale)) < FAR_FROM_ONE:
        return None
    return LevelRescaling(scale, shift, r2, p_shares, share, unit_conversion(scale, shift, value_spread(moved)))


def relocated_levels(ref: np.ndarray, cur: np.ndarray) -> LevelRescaling | None:
    """No current row left on a reference level that is not also a level's image (a count's 0
    under ×12, the rating 1 under ×0.25), the levels an exact affine image of the reference's with
    a factor far from 1: all rows rescaled."""
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    levels = reference_levels(np.sort(ref), MAX_LEVELS)
    if levels is None or len(cur) < MIN_ROWS:
        return None
    for min_share in PAIRINGS:
        found = _on_line(ref, cur, 1.0, min_share)
        if found is not None and not _left_on_levels(cur, levels, found.scale, found.shift):
            return found
    # The windows' level sets differ (a level absent from one, shares crossing the floor), so the
    # rank pairing is off by one: pair by value, every current level a reference level's image.
    line = value_paired_line(ref, cur, FAR_FROM_ONE)
    if line is None or _left_on_levels(cur, levels, line.scale, line.shift):
        return None
    return LevelRescaling(line.scale, line.shift, line.r2, line.p_shares, 1.0,
                          unit_conversion(line.scale, line.shift, value_spread(cur)))


def _left_on_levels(cur: np.ndarray, levels: np.ndarray, scale: float, shift: float) -> bool:
    """Some current row is on a reference level that is not also a level's image: not every row moved."""
    return bool(np.any(_on_levels(cur, levels) & ~_on_levels(cur, scale * levels + shift)))


def _on_levels(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Which values sit on one of ``levels`` (sorted), to within a hundredth of their closest gap."""
    gap = float(np.min(np.diff(levels))) if len(levels) > 1 else max(abs(float(levels[0])), 1.0)
    above = np.clip(np.searchsorted(levels, values), 0, len(levels) - 1)
    below = np.maximum(above - 1, 0)
    return np.minimum(np.abs(values - levels[below]), np.abs(values - levels[above])) <= 0.01 * gap


def partial_level_rescaling(ref: np.ndarray, cur: np.ndarray) -> LevelRescaling | None:
    """Rows on levels the reference never had that are a rescaled copy of it, the other rows on
    the reference's levels: a share of rows in other units."""
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    levels = reference_levels(np.sort(ref), MAX_LEVELS)
    if levels is None:
        return None
    new = ~np.isin(cur, levels)
    if new.sum() < MIN_ROWS or new.all():
        return None
    for min_share in PAIRINGS:
        found = _on_line(ref, cur[new], float(new.mean()), min_share)
        if found is not None and (found.p_shares >= SAME_SHARES or found.units is not None):
            return found
    return None
