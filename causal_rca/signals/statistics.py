"""Two-sample statistics: pure functions over arrays and counts.

Each returns a p-value and an effect size in comparable units, because a
p-value alone at 100k rows flags every harmless wobble.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

from causal_rca.signals.levels import MAX_LEVELS
from causal_rca.signals.rounding import logged_decimals
from causal_rca.signals.sorted_ks import ks_sorted, sorted_sample


def two_proportion(k1: int, n1: int, k2: int, n2: int) -> float:
    """p-value of a pooled two-proportion z-test (1.0 when undefined)."""
    return two_proportion_test(k1, n1, k2, n2)[0]


def old_value_replaced(old_ref: int, ref_rows: int, new_ref: int, old_cur: int, cur_rows: int,
                       new_cur: int) -> tuple[float, float]:
    """(p, share lost) that the old repeated value lost rows to the new one, not only share.

    Judged among the rows that do not hold the new value: a default that took a share of rows
    whatever they held (a fallback during an outage) dilutes every other value alike, and the old
    one keeps its share of the rest; a default that replaced another (serving fills -1 where
    training filled 0) leaves the old one none. Where every row of a window holds the new value
    there is no rest to judge, and the shares of all rows are compared."""
    ref_rest, cur_rest = ref_rows - new_ref, cur_rows - new_cur
    if ref_rest <= 0 or cur_rest <= 0:
        return two_proportion(old_ref, ref_rows, old_cur, cur_rows), old_ref / ref_rows - old_cur / cur_rows
    return two_proportion(old_ref, ref_rest, old_cur, cur_rest), old_ref / ref_rest - old_cur / cur_rest


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """(p-value, |z|) of the pooled two-proportion test: the z for tests at an effective sample size."""
    z = two_proportion_z(k1, n1, k2, n2)
    return float(2 * stats.norm.sf(z)), z


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> float:
    """|z| of the pooled two-proportion test (0 when undefined). Kept beside the p-value because
    p underflows to 0 near z = 38, and a test at an effective sample size needs the z itself."""
    if n1 <= 0 or n2 <= 0:
        return 0.0
    p = (k1 + k2) / (n1 + n2)
    if p <= 0.0 or p >= 1.0:
        return 0.0
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return abs(k2 / n2 - k1 / n1) / se


def above_rate(k: int, n: int, rate: float) -> float:
    """One-sided p that ``k`` of ``n`` happened at a true rate no higher than ``rate`` (exact binomial)."""
    if n == 0 or k == 0:
        return 1.0
    return float(stats.binomtest(k, n, min(max(rate, 0.0), 1.0), alternative="greater").pvalue)


def ks_two_sample(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(KS statistic D in [0, 1], p-value); (0, 1) when a side is empty.

    The asymptotic p-value, exactly as ``stats.ks_2samp(a, b, method="asymp")`` gives it
    (``sorted_ks``: a side sorted once can be tested many times)."""
    return ks_sorted(sorted_sample(a), sorted_sample(b))


def chi_square_counts(ref: Mapping[str, int], cur: Mapping[str, int]) -> tuple[float, float]:
    """(total variation distance, chi-square p-value) between two category count tables."""
    keys = sorted(set(ref) | set(cur))
    if len(keys) < 2:
        return 0.0, 1.0
    r = np.array([ref.get(k, 0) for k in keys], dtype=float)
    c = np.array([cur.get(k, 0) for k in keys], dtype=float)
    if r.sum() == 0 or c.sum() == 0:
        return 0.0, 1.0
    tvd = 0.5 * float(np.abs(r / r.sum() - c / c.sum()).sum())
    table = np.vstack([r, c])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return tvd, 1.0
    _, p, _, _ = stats.chi2_contingency(table, correction=False)
    return tvd, float(p)


QUANTILES = np.linspace(0.05, 0.95, 19)


def affine_fit(ref: np.ndarray, cur: np.ndarray, ref_quantiles: np.ndarray | None = None) -> tuple[float, float, float]:
    """Fit cur-quantiles ≈ scale · ref-quantiles + shift; returns (scale, shift, R²).

    A rescaled feature keeps its shape: its quantiles lie on a line whose
    slope is far from 1 with R² near 1. ``ref_quantiles``: ``ref``'s at QUANTILES, when known.
    """
    ref = ref[np.isfinite(ref)]
    cur = cur[np.isfinite(cur)]
    if len(ref) < 10 or len(cur) < 10:
        return 1.0, 0.0, 0.0
    qr = np.quantile(ref, QUANTILES) if ref_quantiles is None else ref_quantiles
    qc = np.quantile(cur, QUANTILES)
    if np.ptp(qr) == 0:
        return 1.0, 0.0, 0.0
    return _line_fit(qr, qc)


def _line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares y ≈ scale · x + shift: (scale, shift, R²)."""
    scale, shift = np.polyfit(x, y, 1)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float(((y - (scale * x + shift)) ** 2).sum()) / ss_tot if ss_tot > 0 else 0.0
    return float(scale), float(shift), r2


def level_affine_fit(ref: np.ndarray, cur: np.ndarray, max_levels: int = MAX_LEVELS,
                     min_share: float = 0.01) -> tuple[float, float, float, float] | None:
    """For a column of few distinct values: (scale, shift, R² over its levels, p that the shares match).

    Quantiles of a banded or count column jump between levels by sampling noise, so the
    quantile line of ``affine_fit`` misses an exact rescaling of ages in bands or ratings. Here
    the k-th most frequent-enough level of one window is paired with the k-th of the other (in
    value order): a rescaling maps the levels onto a line and keeps every level's share, which a
    chi-square test of the paired counts checks at the windows' own sizes. ``None`` when the
    column is not discrete or the windows share fewer than three levels of at least
    ``min_share`` (two points always lie on a line); beyond the levels both windows have, the
    rest is one bucket.
    """
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if len(ref) < 10 or len(cur) < 10:
        return None
    levels = []
    for values in (ref, cur):
        v, n = np.unique(values, return_counts=True)
        if len(v) > max_levels:
            return None
        keep = n / len(values) >= min_share
        levels.append((v[keep], n[keep]))
    (rv, rn), (cv, cn) = levels
    # A count's rare top levels cross the share floor in one window and not the other: pair
    # the levels both windows have enough of, from the bottom, and let the rest be one bucket.
    k = min(len(rv), len(cv))
    if k < 3:
        return None
    rv, cv = rv[:k], cv[:k]
    rn = np.append(rn[:k], len(ref) - rn[:k].sum())
    cn = np.append(cn[:k], len(cur) - cn[:k].sum())
    if rn[-1] == 0 and cn[-1] == 0:
        rn, cn = rn[:-1], cn[:-1]
    scale, shift, r2 = _line_fit(rv, cv)
    _, p, _, _ = stats.chi2_contingency(np.array([rn, cn]), correction=False)
    return scale, shift, r2, float(p)


def support_bounds(ref: np.ndarray, margin: float = 0.05) -> tuple[float, float]:
    """The reference's support: the 0.1%–99.9% range widened by ``margin`` of its width.

    Below a positive quantity's smallest values the margin is at most ``margin`` of that value:
    near its floor a skewed amount's neighbourhood scales with the amount, not with its range
    (weights of 60 g to 27 kg: 5% of the width reached below zero, so grams served as kilograms,
    0.06 to 27, read as inside and a log of them as a changed computation; fresh field seed 4000662)."""
    ref = ref[np.isfinite(ref)]
    if len(ref) == 0:
        return -np.inf, np.inf
    lo, hi = np.quantile(ref, [0.001, 0.999])
    width = hi - lo if hi > lo else max(abs(hi), 1.0)
    below = min(width, lo) if lo > 0 else width
    return float(lo - margin * below), float(hi + margin * width)


def mann_whitney(a: np.ndarray, b: np.ndarray) -> float:
    a = a[np.isfinite(a)]
    b = b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return 1.0
    if np.ptp(np.concatenate([a, b])) == 0:
        return 1.0
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Adjusted p-values controlling the false discovery rate over all tests run."""
    if not p_values:
        return []
    p = np.clip(np.nan_to_num(np.asarray(p_values, dtype=float), nan=1.0), 0.0, 1.0)
    return [float(x) for x in multipletests(p, method="fdr_bh")[1]]


def _mixture_fitter(ref: np.ndarray, cur: np.ndarray, points: int):
    """(fit, effective size): ``fit(c)`` gives (KS distance, share) of the closest mixture
    (1 - w)·F_ref(t) + w·F_ref(t / c) to the current ECDF, w by least squares; None when either
    window is too small to judge."""
    ref = np.sort(ref[np.isfinite(ref)])
    cur = np.sort(cur[np.isfinite(cur)])
    if len(ref) < 20 or len(cur) < 20 or np.ptp(ref) == 0:
        return None
    t = np.quantile(cur, np.linspace(0.0, 1.0, points))
    f_cur = np.searchsorted(cur, t, side="right") / len(cur)
    f_ref = np.searchsorted(ref, t, side="right") / len(ref)
    gap = f_cur - f_ref
    # A reference value v is logged at or below t when v·c rounds there: below t plus half the step.
    decimals = logged_decimals(cur)
    half_step = 0.0 if decimals is None else 0.5 * 10.0 ** -decimals

    def fit(c: float) -> tuple[float, float]:
        rescaled = np.searchsorted(ref, (t + half_step) / c, side="left" if half_step else "right")
        g = rescaled / len(ref) - f_ref
        denom = float(g @ g)
        if denom <= 0:
            return math.inf, 0.0
        w = min(1.0, max(0.0, float(gap @ g) / denom))
        return float(np.max(np.abs(gap - w * g))), w

    return fit, max(1, int(len(ref) * len(cur) / (len(ref) + len(cur))))


def partial_rescale_fit(ref: np.ndarray, cur: np.ndarray, min_factor: float = 1.48,
                        max_factor: float = 10.0 ** 6.5, points: int = 400) -> tuple[float, float, float]:
    """(factor c, share w, p of the fit) for "current = reference with a share w of rows times c".

    One serving version in other units rescales only its rows, so the current window is a
    mixture: F_cur(t) = (1 - w)·F_ref(t) + w·F_ref(t / c). For each factor on a log grid the
    share is the least-squares w; the factor whose mixture lies closest to the current ECDF wins,
    and its KS distance is judged at the windows' effective size (the fit of two parameters makes
    the p-value lenient, so it can only say the mixture is *consistent* with the data).
    """
    fitter = _mixture_fitter(ref, cur, points)
    if fitter is None:
        return 1.0, 0.0, 0.0
    fit, n_eff = fitter

    def at(log_factor: float) -> tuple[float, float, float]:
        d, w = fit(10.0 ** log_factor)
        return d, 10.0 ** log_factor, w

    lo, hi = math.log10(min_factor), math.log10(max_factor)
    coarse = np.r_[np.arange(-hi, -lo + 1e-9, 0.02), np.arange(lo, hi + 1e-9, 0.02)]
    best = min((at(x) for x in coarse), key=lambda r: r[0])
    centre = math.log10(best[1])
    best = min([best] + [at(x) for x in np.arange(centre - 0.02, centre + 0.02, 0.002)
                         if lo <= abs(x) <= hi], key=lambda r: r[0])
    if abs(abs(math.log10(best[1])) - lo) < 0.01 or abs(abs(math.log10(best[1])) - hi) < 0.01:
        return 1.0, 0.0, 0.0  # the best factor sits on the grid's edge: no clear factor
    d, c, w = best
    if not math.isfinite(d):
        return 1.0, 0.0, 0.0
    return c, w, float(stats.kstwo.sf(d, n_eff))


def partial_rescale_fit_at(ref: np.ndarray, cur: np.ndarray, factor: float, points: int = 400) -> tuple[float, float]:
    """(share w, p of the fit) of the same mixture with the factor given, not fitted: a conversion
    the free fit missed by a few percent, because the other rows' population also moved, is asked
    directly."""
    fitter = _mixture_fitter(ref, cur, points)
    if fitter is None:
        return 0.0, 0.0
    fit, n_eff = fitter
    d, w = fit(factor)
    return (w, float(stats.kstwo.sf(d, n_eff))) if math.isfinite(d) else (0.0, 0.0)


def rescaled_tail_fit(ref: np.ndarray, cur: np.ndarray, factor: float, min_rows: int = 30) -> float:
    """p that the current values beyond the reference range are reference values times ``factor``.

    A mixture fit is judged mostly on the bulk; the rows a rescaling pushed past the reference's
    range are where its shape shows. Divided by the factor they must look like the reference
    values that the factor carries past that edge. A new population out of range (a new market's
    prices) is a cluster of its own and fails. 1.0 when either side has too few rows to judge."""
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if len(ref) == 0 or len(cur) == 0 or not (factor > 0 and math.isfinite(factor)):
        return 1.0
    if factor > 1:
        edge = float(ref.max())
        tail, source = cur[cur > edge], ref[ref > edge / factor]
    else:
        edge = float(ref.min())
        if edge <= 0:
            return 1.0
        tail, source = cur[cur < edge], ref[ref < edge / factor]
    if len(tail) < min_rows or len(source) < min_rows:
        return 1.0
    decimals = logged_decimals(cur)
    if decimals is None:
        return ks_two_sample(tail / factor, source)[1]
    return ks_two_sample(tail, np.round(source * factor, decimals))[1]
