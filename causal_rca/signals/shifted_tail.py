"""Rows past the reference's range: a new population, or the old one moved?

A population that moves carries its tail with it: some of its rows land past the range the
reference covered, as many as the reference, moved by as much as its bulk moved, puts there.
Inputs of a population of their own arrive *on top of* the bulk, more of them past the range
than any move of the bulk explains. ``outside_beyond_shift`` asks which, at the windows' sizes
(``diagnosis/classify.py`` reads it to tell ``out_of_distribution`` from ``distribution_shift``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from causal_rca.signals import statistics as st
from causal_rca.signals.levels import reference_levels


@dataclass(frozen=True)
class ShiftedTail:
    observed: float  # share of current rows past the reference's range
    predicted: float  # share of reference rows past it once moved by the bulk's move
    shift: float  # the bulk's move: median of the current rows inside the range minus the reference's
    p_value: float  # two-proportion test, one-sided: more rows past the range than the move predicts


def outside_beyond_shift(ref: np.ndarray, cur: np.ndarray) -> ShiftedTail | None:
    """Are there more current rows past the reference's 0.1–99.9% range than the reference,
    moved by as much as the current rows inside the range moved, would put there?

    The move is read from the rows inside the range only, so that a population of its own past
    the range does not pull it: with the bulk unmoved the prediction is the reference's own 0.2%.
    Truncation at the range pulls a moved bulk's inside median back toward the reference, so the
    move, and the share it predicts, is if anything too small: the test errs toward
    ``out_of_distribution``, the reading before it existed. A discrete column counts, as its
    support signal does (``signals.detect._support_signal``), only rows on levels the reference
    never had; its moved reference counts the rows it moves past the range.
    ``None`` when too few rows stay inside the range to read a move from."""
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if len(ref) < 10 or len(cur) < 10:
        return None
    lo, hi = st.support_bounds(ref, margin=0.0)
    past = (cur < lo) | (cur > hi)
    levels = reference_levels(np.sort(ref))
    if levels is not None:
        past &= ~np.isin(cur, levels)
    inside = cur[(cur >= lo) & (cur <= hi)]
    if len(inside) < 10:
        return None
    shift = float(np.median(inside) - np.median(ref))
    moved = ref + shift
    k_pred, k_obs = int(((moved < lo) | (moved > hi)).sum()), int(past.sum())
    observed, predicted = k_obs / len(cur), k_pred / len(ref)
    p_two, _z = st.two_proportion_test(k_pred, len(ref), k_obs, len(cur))
    p = p_two / 2.0 if observed > predicted else 1.0 - p_two / 2.0
    return ShiftedTail(observed, predicted, shift, float(p))
