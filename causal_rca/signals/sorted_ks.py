"""The two-sample Kolmogorov–Smirnov test with each side sorted once, not once per test.

``ks_sorted`` computes exactly what ``scipy.stats.ks_2samp(a, b, method="asymp")`` computes
(the same ECDF differences, the same statistic, the same ``kstwo.sf`` p-value: the same
bytes), from samples already sorted. A reference side is the same in every diagnosis, so a
fitted model sorts it, and evaluates its own ECDF at its own points, once (``CausalRCA.fit``);
each test then sorts only the current side. It also skips SciPy's argument handling, which
costs as much as the test itself at a few thousand values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class SortedSample:
    """A sample's finite values in order, with how many are at or below each (``sorted_sample``)."""

    values: np.ndarray = field(repr=False)
    at_or_below: np.ndarray = field(repr=False)  # searchsorted(values, values, side="right"), as int32

    @property
    def cdf(self) -> np.ndarray:
        """The sample's ECDF at each of its values (exactly SciPy's: the counts are integers)."""
        return self.at_or_below / len(self.values)

    @property
    def nbytes(self) -> int:
        """Memory held (a fitted model keeps one per reference column it tests)."""
        return int(self.values.nbytes + self.at_or_below.nbytes)


def sorted_sample(a: np.ndarray) -> SortedSample:
    """``a``'s finite values sorted, ready for ``ks_sorted``."""
    values = np.sort(a[np.isfinite(a)])
    return SortedSample(values, run_ends(values))


def run_ends(ordered: np.ndarray) -> np.ndarray:
    """``searchsorted(ordered, ordered, side="right")`` as int32, read off the runs of equal values.

    In a sorted sample the values at or below one of them end where its run of equal values
    ends: one pass instead of a binary search per value (five times faster at 20,000 values).
    """
    starts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    ends = np.append(starts, len(ordered))
    return np.repeat(ends, np.diff(ends, prepend=0)).astype(np.int32)


def cross_counts(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(searchsorted(a, b, "right"), searchsorted(b, a, "right"))`` of two sorted arrays, from one binary search.

    ``b[j] <= a[i]`` exactly when ``i`` is at least the number of ``a`` below ``b[j]`` (its left
    insertion point), so the second count is a running count of those points: integers equal to
    the second search's, at about 60% of the two searches' time at 20,000 values a side.
    """
    right = np.searchsorted(a, b, side="right")
    if not len(a):
        return right, np.zeros(0, dtype=np.int64)
    left = right
    tied = (right > 0) & (a[np.maximum(right - 1, 0)] == b)  # b[j] equals a value of a: left is before its run
    if tied.any():
        left = right.copy()
        left[tied] = np.searchsorted(a, b[tied], side="left")
    return right, np.cumsum(np.bincount(left, minlength=len(a) + 1)[:len(a)])


def effective_size(n1: int, n2: int, design_effect: float = 1.0) -> float:
    """The two-sample KS test's size m·n/(m + n) when only ``1 / design_effect`` of the rows are
    independent: rows that repeat an entity count once between them (``signals/clustering.py``)."""
    return n1 * n2 / (n1 + n2) / max(design_effect, 1.0) if n1 > 0 and n2 > 0 else 0.0


def ks_sorted(a: SortedSample, b: SortedSample, unless_below: float = 0.0,
              at_most: float | None = None) -> tuple[float, float]:
    """(KS statistic D, asymptotic two-sided p-value) of ``a`` against ``b``; (0, 1) when a side has under 2 values.

    SciPy evaluates both ECDFs at every value of both samples; at ``a``'s own values
    ``a``'s ECDF is ``a.cdf``, and likewise for ``b``, so only the cross terms are computed here.
    ``unless_below``: a caller that only wants p-values at or above this level gets p = 0.0 (not
    the p-value) where Massart's bound already puts it below half that level (``p_value_bound``),
    and skips ``kstwo``'s evaluation, which costs more than the statistic.
    ``at_most``: the data's own effective size (``effective_size`` of the rows the samples stand for),
    when it may be smaller than the samples': the p-value is read at the smaller of the two.
    """
    n1, n2 = len(a.values), len(b.values)
    if n1 < 2 or n2 < 2:
        return 0.0, 1.0
    at_b_count, at_a_count = cross_counts(a.values, b.values)
    at_a = a.cdf - at_a_count / n2
    at_b = at_b_count / n1 - b.cdf
    below = np.clip(-min(at_a.min(), at_b.min()), 0, 1)
    above = max(at_a.max(), at_b.max())
    d = below if below > above else above
    m, n = sorted([float(n1), float(n2)], reverse=True)
    effective = np.round(m * n / (m + n) if at_most is None else max(1.0, min(m * n / (m + n), at_most)))
    if unless_below and p_value_bound(float(d), effective) < unless_below / 2:
        return float(d), 0.0
    p = np.clip(stats.kstwo.sf(d, effective), 0, 1)
    return float(d), float(p)


def p_value_bound(d: float, n: float) -> float:
    """An upper bound on ``kstwo.sf(d, n)``: Massart's 2·exp(-2·n·d²), which holds for every n.

    Tight within a few percent where it matters (a p-value of 0.01 at thousands of values), and
    never below the exact value, so halving the level leaves a wide margin for rounding.
    """
    return min(1.0, 2.0 * math.exp(-2.0 * n * d * d))
