"""Discrete levels paired by value: every current level the image of a reference level.

Pairing the two windows' levels by rank (``statistics.level_affine_fit``) assumes both windows
hold the same levels. A sample does not: a rare level is absent from one window, a level another
window never drew appears, a level's share crosses a floor in one window only, and every pair
after it is off by one (a development case: 28 reference levels of an uneven health score ×20,
30 current levels, R² 0.976 by rank although every current level is exactly 20× a reference
level). Pairing by value asks the data directly: is there a line ``a·x + b`` (a far from 1) that
maps some reference level onto *every* current level?

Any line hits the two levels it is drawn through, so the line is drawn through the two most
frequent current levels (a rescaling's images for sure) and each ordered pair of reference
levels, and only the other current levels are evidence. Their chance of all landing on images
of a line drawn through no rescaling is bounded by the current levels' own resolution: values
recorded on a grid no finer than the closest two current levels hit one of the line's images in
their range with probability at most (images in range) / (grid points in range). The p-value is
the best line's binomial tail times the number of lines tried (Bonferroni, a union bound), at the
column's own number of levels: evenly spaced levels (a 1–5 rating ×20) give no evidence this way
(every grid point is an image) and are left to the rank pairing, which reads them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

CHANCE = 0.01  # union-bound p below this: the levels are an image of the reference's, not chance
MATCH = 0.01  # a value within this share of the closest reference gap of a level sits on it


@dataclass(frozen=True)
class ValuePairing:
    scale: float
    shift: float
    r2: float  # over the paired levels
    p_chance: float  # of a line through no rescaling hitting as many current levels
    p_shares: float  # do the paired levels keep the reference's shares


def value_paired_line(ref: np.ndarray, cur: np.ndarray, far_from_one: float = 0.0) -> ValuePairing | None:
    """The line (|log10 scale| at least ``far_from_one``) mapping reference levels onto the current
    levels, when a line through no rescaling would hit as many with p below ``CHANCE``; else
    ``None``. A current level off every image must be one the reference sample lacked: inside its
    range, or past it but too rare for the reference to be sure to hold it.

    ``ref`` and ``cur`` are finite samples of a discrete column; the shares p is the chi-square
    test of the paired levels' counts (the rest one bucket), as for the rank pairing."""
    rv, rn = np.unique(ref, return_counts=True)
    cv, cn = np.unique(cur, return_counts=True)
    if len(rv) < 2 or len(cv) < 3:
        return None
    c1, c2 = np.sort(cv[np.argsort(-cn, kind="stable")[:2]])
    i, j = np.triu_indices(len(rv), k=1)
    scale = (c2 - c1) / (rv[j] - rv[i])
    shift = c1 - scale * rv[i]
    tol = MATCH * float(np.min(np.diff(rv)))
    pre = (cv[None, :] - shift[:, None]) / scale[:, None]  # lines × current levels
    nearest = np.clip(np.searchsorted(rv, pre), 1, len(rv) - 1)
    on_image = np.minimum(np.abs(pre - rv[nearest - 1]), np.abs(pre - rv[nearest])) <= tol
    inside = (pre >= rv[0] - tol) & (pre <= rv[-1] + tol)
    # A level past the reference's range is one it could have missed when, at the current share,
    # the reference's rows would all miss it with probability CHANCE or more; else a new population.
    missable = len(ref) * np.log1p(-cn / len(cur)) >= math.log(CHANCE)
    admissible = np.all(on_image | inside | missable, axis=1) & (np.abs(np.log10(scale)) >= far_from_one)
    if not admissible.any():
        return None
    # Chance of the other current levels landing on images as often, per line tried.
    lo, hi = (cv[0] - shift) / scale - tol, (cv[-1] - shift) / scale + tol
    in_range = ((rv[None, :] >= lo[:, None]) & (rv[None, :] <= hi[:, None])).sum(axis=1)
    grid_points = (cv[-1] - cv[0]) / float(np.min(np.diff(cv))) + 1.0
    q = np.minimum(1.0, in_range / grid_points)
    others = len(cv) - 2
    p_line = np.where(admissible, stats.binom.sf(on_image.sum(axis=1) - 2 - 1, others, q), np.inf)
    line = int(np.argmin(p_line))
    p_chance = min(1.0, float(p_line[line]) * len(scale))
    if p_chance >= CHANCE:
        return None
    hit = on_image[line]
    paired = np.clip(np.searchsorted(rv, pre[line] - tol), 0, len(rv) - 1)[hit]
    fitted = scale[line] * rv[paired] + shift[line]
    r2 = 1.0 - float(np.sum((cv[hit] - fitted) ** 2)) / float(np.sum((cv[hit] - cv[hit].mean()) ** 2))
    return ValuePairing(float(scale[line]), float(shift[line]), r2, p_chance,
                        _shares_p(rn, paired, cn[hit], len(ref), len(cur)))


def _shares_p(rn: np.ndarray, paired: np.ndarray, cn: np.ndarray, n_ref: int, n_cur: int) -> float:
    """Chi-square p that the paired levels keep the reference's shares (the rest one bucket).

    Two current levels within the match tolerance of one reference level's image are that
    level's rows together: each reference level is counted once."""
    paired, where = np.unique(paired, return_inverse=True)
    cn = np.bincount(where, weights=cn, minlength=len(paired))
    table = np.array([np.append(rn[paired], n_ref - rn[paired].sum()), np.append(cn, n_cur - cn.sum())])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 1.0
    _, p, _, _ = stats.chi2_contingency(table, correction=False)
    return float(p) if math.isfinite(p) else 1.0
