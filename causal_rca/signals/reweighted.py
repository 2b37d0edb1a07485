"""Did y's distribution given x change? The reference reweighted to the current's mix of x.

When x's population moves, a column y that only follows x moves with it, and its
distribution *given x* stays put. The test groups rows by x (its levels, or narrow quantile
bins of the reference) and compares the current y with the reference y reweighted to the
current's share of rows in each group (post-stratification): under "y given x is unchanged"
both estimate the same mixture, however far x moved.

Why not place each current y in its group's reference distribution and compare with
reference rows placed the same way (the test this one replaced on 2026-12-06)? Each group's
reference sample is finite, and its sampling error is shared by every current row in the
group. When x moved, the current crowds into a few groups, so that error is counted
thousands of times on the current side and a fraction of that on the reference side: under
the null the test rejected at 1% in about 9% of samples (a discrete x moved the way a
distribution shift moves it; development case 1007044, where a sibling of the moved source
was kept as a cause because of it). Reweighting charges the groups' error where it belongs:
the reference side's effective size (Kish, ``1 / sum(w**2)``) shrinks as the mix moves away
from the reference's, and the KS p-value is read at that size.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

MIN_STRATUM = 10  # reference rows a group needs to stand for y's distribution there
MIN_ROWS = 20  # rows (effective, on the reference side) below which nothing is said


def strata(x_ref: np.ndarray, x_cur: np.ndarray, x_levels: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """Group of each reference and current row (-1: left out), or None when x is too short to bin.

    Current rows whose x the reference never had (outside its range, unseen levels, nulls) are
    left out: y can only be judged given x where x was seen. Continuous x is cut at reference
    quantiles into narrow groups (a tilt along x also moves x inside a wide group, and y with
    it), and the outermost groups are left out: a population arriving just outside the range
    (measured with noise) also lands just inside it, and would read as y changing there.
    """
    ok_ref, ok_cur = ~np.isnan(x_ref), ~np.isnan(x_cur)
    if x_levels:
        levels = np.unique(x_ref[ok_ref])
        g_ref = np.where(ok_ref, np.searchsorted(levels, np.nan_to_num(x_ref)), -1)
        g_cur = np.where(ok_cur & np.isin(x_cur, levels), np.searchsorted(levels, np.nan_to_num(x_cur)), -1)
        return g_ref, g_cur
    bins = max(10, min(40, int(ok_ref.sum()) // 200))
    if ok_ref.sum() < 2 * bins * MIN_STRATUM:
        return None
    edges = np.quantile(x_ref[ok_ref], np.linspace(0, 1, bins + 1)[1:-1])
    lo, hi = np.nanmin(x_ref), np.nanmax(x_ref)
    g_ref = np.where(ok_ref, np.searchsorted(edges, np.nan_to_num(x_ref)), -1)
    inside = ok_cur & (np.nan_to_num(x_cur, nan=lo - 1) >= lo) & (np.nan_to_num(x_cur, nan=hi + 1) <= hi)
    g_cur = np.where(inside, np.searchsorted(edges, np.nan_to_num(x_cur)), -1)
    outer = (g_ref == 0) | (g_ref == bins - 1)
    return np.where(outer, -1, g_ref), np.where((g_cur == 0) | (g_cur == bins - 1), -1, g_cur)


def reweighted_change(y_ref: np.ndarray, x_ref: np.ndarray, y_cur: np.ndarray, x_cur: np.ndarray,
                      x_levels: bool, seed: int) -> tuple[float, float]:
    """(KS D, p) for "did y's distribution given x change?" (module docstring); (0, 1) when untestable.

    Ties in y (counts, categories) are broken at random, the same way on both sides, so the KS
    p-value stays calibrated rather than conservative. Nulls in y sort after every value, so a
    change in y's null share counts as a change.
    """
    grouped = strata(x_ref, x_cur, x_levels)
    if grouped is None:
        return 0.0, 1.0
    g_ref, g_cur = grouped
    n_groups = int(max(g_ref.max(initial=-1), g_cur.max(initial=-1))) + 1
    n_ref = np.bincount(g_ref[g_ref >= 0], minlength=n_groups)
    usable = n_ref >= MIN_STRATUM
    keep_ref = (g_ref >= 0) & usable[np.maximum(g_ref, 0)]
    keep_cur = (g_cur >= 0) & usable[np.maximum(g_cur, 0)]
    if keep_cur.sum() < MIN_ROWS:
        return 0.0, 1.0
    n_cur = np.bincount(g_cur[keep_cur], minlength=n_groups)
    share = n_cur / n_cur.sum()
    weights = share[g_ref[keep_ref]] / n_ref[g_ref[keep_ref]]  # sums to 1
    effective = 1.0 / float(np.sum(weights ** 2))
    if effective < MIN_ROWS:
        return 0.0, 1.0
    a = np.where(np.isnan(y_ref[keep_ref]), np.inf, y_ref[keep_ref])
    b = np.where(np.isnan(y_cur[keep_cur]), np.inf, y_cur[keep_cur])
    values = np.unique(np.concatenate([a, b]))
    rng = np.random.default_rng(seed)
    a = np.searchsorted(values, a) + rng.random(len(a))
    b = np.searchsorted(values, b) + rng.random(len(b))
    points = np.concatenate([a, b])
    steps = np.concatenate([-weights, np.full(len(b), 1.0 / len(b))])
    gap = np.cumsum(steps[np.argsort(points, kind="stable")])  # current ECDF minus reweighted reference ECDF
    d = float(np.max(np.abs(gap)))
    size = len(b) * effective / (len(b) + effective)
    return d, float(stats.kstwo.sf(d, max(1, round(size))))
