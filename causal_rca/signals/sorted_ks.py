"""The two-sample Kolmogorov–Smirnov test with each side sorted once, not once per test.

``ks_sorted`` computes exactly what ``scipy.stats.ks_2samp(a, b, method="asymp")`` computes
(the same ECDF differences, the same statistic, the same ``kstwo.sf`` p-value: the same
bytes), from samples already sorted. A reference side is the same in every diagnosis, so a
fitted model sorts it, and evaluates its own ECDF at its own points, once (``CausalRCA.fit``);
each test then sorts only the current side. It also skips SciPy's argument handling, which
costs as much as the test itself at a few thousand values.
"""

from __future__ import annotations

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


def p_value_bound(a: SortedSample, b: np.ndarray, points: int = 65) -> float:
    """An upper bound on ``ks_sorted(a, sorted_sample(b))``'s p-value, from ``points`` of ``b`` only.

    ``b`` sorted, finite. The ECDF gap at any of ``b``'s values is one of the gaps whose largest is D,
    so D is at least the largest of these; the p-value (``kstwo`` at the effective size n) is then
    at most Massart's bound 2·exp(-2·n·D²). Cheap enough to rule a test out before making it.
    """
    n1, n2 = len(a.values), len(b)
    if n1 < 2 or n2 < 2:
        return 1.0
    picked = b[np.linspace(0, n2 - 1, min(points, n2)).astype(np.int64)]
    gaps = np.searchsorted(a.values, picked, side="right") / n1 - np.searchsorted(b, picked, side="right") / n2
    d = float(np.abs(gaps).max())
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return min(1.0, 2.0 * float(np.exp(-2.0 * np.round(m * n / (m + n)) * d * d)))


def ks_sorted(a: SortedSample, b: SortedSample) -> tuple[float, float]:
    """(KS statistic D, asymptotic two-sided p-value) of ``a`` against ``b``; (0, 1) when a side has under 2 values.

    SciPy evaluates both ECDFs at every value of both samples; at ``a``'s own values
    ``a``'s ECDF is ``a.cdf``, and likewise for ``b``, so only the cross terms are computed here.
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
    p = np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0, 1)
    return float(d), float(p)
