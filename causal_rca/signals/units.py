"""Changes of units: the one way a raw source's values get rescaled.

A source is a raw measurement. When its quantiles sit on a line, either the
world moved (a population whose level and spread changed) or someone changed
the units upstream. Units change by a conversion factor — a power of ten, a
time or distance conversion, Celsius to Fahrenheit — and the line goes
through zero except for temperatures. A population shift gives an arbitrary
slope, so the factor is the evidence that tells the two apart.
"""

from __future__ import annotations

import math

import numpy as np

from causal_rca.signals import statistics as st
from causal_rca.signals.lattice import off_lattice_by_chance
from causal_rca.signals.rounding import logged_decimals
from causal_rca.signals.sorted_ks import SortedSample, effective_size, ks_sorted, sorted_sample

# (name, multiplicative factor, offset): observed = factor · reference + offset.
_BASE = [
    ("minutes ↔ seconds, hours ↔ minutes", 60.0, 0.0),
    ("hours ↔ seconds", 3600.0, 0.0),
    ("days ↔ hours", 24.0, 0.0),
    ("days ↔ minutes", 1440.0, 0.0),
    ("days ↔ seconds", 86400.0, 0.0),
    ("weeks ↔ days", 7.0, 0.0),
    ("months ↔ days", 30.0, 0.0),
    ("years ↔ days", 365.0, 0.0),
    ("years ↔ months, feet ↔ inches", 12.0, 0.0),
    ("miles ↔ km", 1.609344, 0.0),
    ("yards ↔ metres", 0.9144, 0.0),
    ("feet ↔ metres", 0.3048, 0.0),
    ("inches ↔ cm", 2.54, 0.0),
    ("pounds ↔ kg", 0.45359237, 0.0),
    ("ounces ↔ grams", 28.349523, 0.0),
    ("m/s ↔ km/h", 3.6, 0.0),
    ("m/s ↔ mph", 2.236936, 0.0),
    ("knots ↔ km/h", 1.852, 0.0),
    ("gallons ↔ litres", 3.785412, 0.0),
    ("mmHg ↔ kPa (blood pressure)", 7.500617, 0.0),
]
UNIT_TOLERANCE = 0.02  # relative: estimated slopes of exact conversions land well inside it


def _conversions() -> list[tuple[str, float, float]]:
    out: list[tuple[str, float, float]] = []
    for k in range(1, 7):
        out.append((f"×10^{k} (e.g. units ↔ thousands, fraction ↔ percent)", 10.0 ** k, 0.0))
    for name, factor, offset in _BASE:
        out.append((name, factor, offset))
    out = out + [(name, 1.0 / f, 0.0) for name, f, _ in out]
    out.append(("Celsius → Fahrenheit", 1.8, 32.0))
    out.append(("Fahrenheit → Celsius", 5.0 / 9.0, -160.0 / 9.0))
    return out


CONVERSIONS = _conversions()


def value_spread(values: np.ndarray) -> float:
    """The values' typical size, which a conversion's offset is judged against: the
    interquartile range, or the standard deviation when most values are one level."""
    return float(np.subtract(*np.quantile(values, [0.75, 0.25]))) or float(np.std(values))


def unit_conversion(slope: float, offset: float, spread: float) -> str | None:
    """The conversion that maps reference values onto current ones, if any.

    ``spread`` is the current values' typical size (an interquartile range):
    the fitted offset must match the conversion's to within a tenth of it.
    """
    if not (slope > 0 and math.isfinite(slope) and math.isfinite(offset)):
        return None
    tol_offset = 0.1 * max(spread, 1e-12)
    for name, factor, conv_offset in CONVERSIONS:
        if abs(slope / factor - 1.0) <= UNIT_TOLERANCE and abs(offset - conv_offset) <= max(tol_offset, 0.05 * abs(conv_offset)):
            return name
    return None


CONSISTENT = 0.01  # KS p at or above this: the converted current window is the reference's distribution
THINNED = 5000  # values a side the KS test is asked on (a ×100 change is clear at far fewer)
NEAR = 0.06  # |log10| distance from the fitted slope within which conversions are tried (a factor 1.15)


def thin_ordered(ordered: np.ndarray, size: int) -> np.ndarray:
    """Every k-th of ``ordered`` values, k chosen from ``size`` (the sample's length) to keep about THINNED."""
    return ordered[::max(1, size // THINNED)]


def conversion_within_noise(reference: np.ndarray, current: np.ndarray, slope: float,
                            thinned: tuple[SortedSample, np.ndarray] | None = None,
                            design_effect: float = 1.0) -> str | None:
    """A conversion the fitted slope misses by more than the fixed tolerance but sampling noise does not rule out.

    The slope of a quantile line fitted at a few thousand rows is itself noisy (a few percent
    for a skewed variable). Undo each nearby conversion and ask the data: is the converted
    current window distributed as the reference (two-sample KS at the windows' sizes, over
    ``design_effect`` when rows repeat entities: two windows of different customers differ by
    more than rows drawn independently would, ``signals/clustering.py``)?
    ``thinned``: both sides already thinned as below, the reference's ready for ``ks_sorted``
    (a fitted model keeps it: ``signals/baselines.py``)."""
    if not (slope > 0 and math.isfinite(slope)):
        return None
    size = effective_size(int(np.isfinite(reference).sum()), int(np.isfinite(current).sum()), design_effect)
    # Every k-th value in order, at most THINNED a side: sorted once, not once per conversion tried. The
    # test is then a little less sharp, which only matters for a factor already within 15% of a conversion.
    if thinned is None:
        reference, current = (thin_ordered(np.sort(v[np.isfinite(v)]), len(v)) for v in (reference, current))
        thinned = (sorted_sample(reference), current)
    reference_sorted, current = thinned
    best: tuple[float, str] | None = None
    for name, factor, offset in CONVERSIONS:
        if abs(math.log10(slope / factor)) > NEAR:
            continue
        # p is 0.0 where it is surely below CONSISTENT: that conversion is not chosen either way. Of those
        # consistent, the closest (smallest D): at a large design effect several reach p = 1.
        d, p = ks_sorted(reference_sorted, sorted_sample((current - offset) / factor), unless_below=CONSISTENT,
                         at_most=size)
        if p >= CONSISTENT and (best is None or d < best[0]):
            best = (d, name)
    return None if best is None else best[1]


LATTICE_CHANCE = 0.01  # below: the new values sit on the conversion's lattice beyond chance
MIXTURE_FITS = 0.05  # the mixture's KS p at or above this: consistent with a partial change of units
TAIL_FITS = 0.01  # the rows past the reference range, divided by the factor, rejected as its values below this


def partial_conversion(reference: np.ndarray, current: np.ndarray) -> tuple[float, float, float, str] | None:
    """(factor, share of rows, the mixture's KS p, conversion) when a share of the rows is in other units.

    One serving version or one region's feed in other units makes the current window the reference
    mixed with a rescaled copy of it (``statistics.partial_rescale_fit``), and the rows it pushes past
    the reference's range must be the reference's own values times the factor
    (``statistics.rescaled_tail_fit``). Both are judged at the rows' count, even where rows repeat
    entities: a mixture with a free factor and a free share fits almost anything at a few dozen
    independent rows, so at the entities' effective size this acceptance test loses the power to
    refuse a moved population (how-it-decides.md, "Changes of units where rows repeat entities").
    Only a conversion factor counts: a new population of larger events is also the reference mixed
    with a scaled copy, at an arbitrary factor. The fitted factor within the fixed tolerance of one
    is evidence; a conversion a few percent further off is asked with its own factor
    (``_nearby_partial_conversion``)."""
    factor, share, p_fit = st.partial_rescale_fit(reference, current)
    if share <= 0.0:
        return None
    units = unit_conversion(factor, 0.0, value_spread(reference) * factor)
    if (p_fit >= MIXTURE_FITS and units is not None and _shape_survives_rounding(reference, current, factor)
            and st.rescaled_tail_fit(reference, current, factor) >= TAIL_FITS):
        return factor, share, p_fit, units
    # Between ×0.1 and ×10 a population of larger or smaller events is a scaled copy too, and lands
    # within a factor 1.15 of some conversion (×2.03 of pounds ↔ kg; development cases 1007180,
    # 1007229, 1007252): a nearby conversion counts there only when the rows sit on its lattice.
    return _nearby_partial_conversion(reference, current, factor, lattice_needed=abs(math.log10(factor)) < 1.0)


def _nearby_partial_conversion(reference: np.ndarray, current: np.ndarray, fitted: float,
                               lattice_needed: bool) -> tuple[float, float, float, str] | None:
    """A conversion within a factor 1.15 of the fitted one whose own mixture and tail fit the data,
    or whose tail fits and whose lattice the new values sit on (``lattice.off_lattice_by_chance``;
    ``lattice_needed``: the lattice is required).

    When the other rows' population also moved (a seasonal tilt beside a feed in other units), the
    free fit's factor lands a few percent off the conversion (×105 for cents, field family
    development seed 4000006; ×0.000977 for thousands, 4000060): the mixture with the conversion's
    own factor must then be consistent (KS p ≥ 0.05 at the rows' count) and the rows past the range
    must be the reference's values times it, as for the fitted factor. No population moves a share
    of its rows tenfold keeping the reference's shape, so there a factor near a conversion is one;
    nearer 1 the rows must also land on the reference's values times it (a 7-day count served as a
    daily rate, ×1/7 fitted 2% off: development seed 4000040). The lattice is evidence enough that
    the new values are the reference's in other units, even when the mixture no longer fits
    because the other rows' population moved too (development seed 4000200: the count's own rate
    tilted 0.2 sd beside it, mixture p = 4e-5, lattice p = 7e-95)."""
    best: tuple[float, float, float, str] | None = None
    nearby = [(name, factor) for name, factor, offset in CONVERSIONS
              if offset == 0.0 and abs(math.log10(fitted / factor)) <= NEAR]
    for name, factor in nearby:
        if not _shape_survives_rounding(reference, current, factor):
            continue
        share, p_fit = st.partial_rescale_fit_at(reference, current, factor)
        if share <= 0.0 or st.rescaled_tail_fit(reference, current, factor) < TAIL_FITS:
            if lattice_needed:
                continue
            share, p_fit = _moved_population_fit(reference, current, factor, fitted / factor)
            if share <= 0.0:
                continue
        # Every conversion tried is a chance for a lattice by luck: Bonferroni over them (blind fresh
        # seed 1014013: two-decimal amounts of a larger population, p = 0.0066 at m/s ↔ mph, one of
        # seven conversions near the fitted ×2.05).
        on_lattice = off_lattice_by_chance(reference, current, factor) * len(nearby) < LATTICE_CHANCE
        if (on_lattice or (p_fit >= MIXTURE_FITS and not lattice_needed)) and (best is None or p_fit > best[2]):
            best = (factor, share, p_fit, name)
    return best


def _moved_population_fit(reference: np.ndarray, current: np.ndarray, factor: float,
                          moved: float) -> tuple[float, float]:
    """(share, mixture p) of a conversion on a share of rows while every row's population moved by
    ``moved`` (the free fit's distance from the conversion), or (0, 0) when the tail or the mixture
    refuses it.

    A population that drifts by a few percent moves the converted rows with it: their tail, divided
    by the conversion, is then the reference's values times the drift, not the reference's own
    (fresh field seed 4000644: basket values ×0.001 on 73% of rows while every basket shrank 7%;
    the free fit gives ×0.00093, the tail at ×0.001 refuses it, p = 0.002). The story is read whole:
    the mixture of the reference times the drift with its conversion must fit, so the unconverted
    rows must show the same drift, and the tail must be the drifted reference times the conversion."""
    drifted = reference * moved
    if st.rescaled_tail_fit(drifted, current, factor) < TAIL_FITS:
        return 0.0, 0.0
    share, p_fit = st.partial_rescale_fit_at(drifted, current, factor)
    return (share, p_fit) if p_fit >= MIXTURE_FITS else (0.0, 0.0)


def _shape_survives_rounding(reference: np.ndarray, current: np.ndarray, factor: float) -> bool:
    """A change of units is read off the shape of the rescaled reference, compared as the log
    rounds the current values. When that rounding puts the middle half of the rescaled reference
    within one step, no shape is left to match: a count of events times 1/12, logged as whole
    numbers, is nearly all zeros, as a count over a shorter window also is (blind development
    seeds 1012106, 1012201, 1012318: a 24-hour count computed differently at serving, read as
    years ↔ months at ×1/12)."""
    decimals = logged_decimals(current)
    values = reference[np.isfinite(reference)]
    if decimals is None or len(values) == 0:
        return True
    low, high = np.quantile(values * factor, [0.25, 0.75])
    return abs(high - low) >= 10.0 ** -decimals
