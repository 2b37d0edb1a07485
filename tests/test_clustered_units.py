"""Changes of units read at the rows' effective size when rows repeat entities (signals/units.py, sorted_ks.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats

from causal_rca.signals import statistics as st
from causal_rca.signals.clustering import row_design_effect
from causal_rca.signals.sorted_ks import effective_size, ks_sorted, sorted_sample
from causal_rca.signals.units import conversion_within_noise, partial_conversion


def _customers(rng: np.random.Generator, entities: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """An event log's amount: each customer's own level (lognormal) repeated on their rows, a little noise."""
    level = rng.lognormal(3.3, 0.8, entities)
    keys = rng.integers(0, entities, rows)
    return level[keys] * rng.lognormal(0.0, 0.1, rows), keys


def _windows(seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Two windows of 4,000 rows of 300 different customers each, and their design effect (about 14)."""
    rng = np.random.default_rng(seed)
    (ref, ref_keys), (cur, cur_keys) = _customers(rng, 300, 4000), _customers(rng, 300, 4000)
    return ref, cur, max(row_design_effect(ref, ref_keys), row_design_effect(cur, cur_keys))


@settings(max_examples=60, deadline=None)
@given(hs.integers(2, 3000), hs.integers(2, 3000), hs.floats(1.0, 50.0), hs.integers(0, 10 ** 6))
def test_a_ks_test_at_most_at_an_effective_size_reads_p_there(n1, n2, design_effect, seed) -> None:
    rng = np.random.default_rng(seed)
    a, b = sorted_sample(rng.normal(size=n1)), sorted_sample(rng.normal(0.2, 1.0, size=n2))
    d, p = ks_sorted(a, b, at_most=effective_size(n1, n2, design_effect))
    assert (d, p) == ks_sorted(a, b) if design_effect == 1.0 else d == ks_sorted(a, b)[0]
    size = max(1.0, round(n1 * n2 / (n1 + n2) / design_effect))
    assert np.isclose(p, np.clip(stats.kstwo.sf(d, size), 0, 1))
    assert ks_sorted(a, b, at_most=1e12) == ks_sorted(a, b)  # a bound above the samples' own changes nothing


@settings(max_examples=40, deadline=None)
@given(hs.integers(0, 10 ** 6), hs.floats(1.0, 40.0))
def test_a_conversion_consistent_at_the_rows_size_stays_so_at_fewer(seed, design_effect) -> None:
    """Fewer independent rows can only widen what sampling noise does not rule out."""
    rng = np.random.default_rng(seed)
    reference, current = rng.gamma(2.0, 0.05, 1500), 100 * rng.gamma(2.0, 0.05, 1200) * rng.uniform(0.97, 1.03)
    slope = float(np.median(current) / np.median(reference))
    if conversion_within_noise(reference, current, slope) is not None:
        assert conversion_within_noise(reference, current, slope, design_effect=design_effect) is not None


def test_a_conversion_of_other_customers_is_found_at_their_effective_size() -> None:
    """×60 on amounts of 300 customers against 300 others (development case 1006444: ×67.5 fitted, KS p = 0.0008
    at 2,670 rows, design effect 3.9): at the rows' own size the two customer bases differ beyond the converted
    window's noise; at the customers' they do not."""
    ref, cur, design_effect = _windows(3)
    assert design_effect > 5
    slope = float(np.median(60 * cur) / np.median(ref))
    assert conversion_within_noise(ref, 60 * cur, slope) is None
    assert conversion_within_noise(ref, 60 * cur, slope, design_effect=design_effect).startswith("minutes ↔ seconds")


@pytest.mark.xfail(strict=True, reason="known gap: the partial path is judged at the rows' count (units.py)")
def test_a_share_of_rows_in_other_units_over_clustered_customers_is_a_conversion() -> None:
    """42% of rows ×12 over 300 customers a window (development case 1006286, a design effect of
    23). The partial path keeps the rows' count, where the two customer bases differ beyond the
    mixture's noise, so it misses this: judged at the customers' effective size instead, a free
    factor and a free share also fit a moved population (development case 1001859, ages at a
    design effect of 82, fitted ×1.82 within 2% of knots ↔ km/h). Fixing one without the other
    turns this xfail into a pass and fails the suite, as a reminder to drop the mark."""
    ref, cur, _design_effect = _windows(2)
    rng = np.random.default_rng(20)
    partly = np.where(rng.random(len(cur)) < 0.42, 12 * cur, cur)
    found = partial_conversion(ref, partly)
    assert found is not None and found[3].startswith("years ↔ months")


def test_a_new_population_of_larger_events_is_no_partial_conversion() -> None:
    """A share of events from a population ×e^0.5 larger is the reference mixed with a scaled copy too, at a
    factor (fitted ×2.03) 8% from pounds ↔ kg: no conversion within the tolerance. Counting the
    conversion within a factor 1.15 of a fitted one whose own mixture fits read this as
    pounds ↔ kg, and development cases 1007180, 1007229 and 1007252 (distribution shifts) as
    m/s ↔ mph, inches ↔ cm and pounds ↔ kg."""
    ref, cur, _design_effect = _windows(1)
    rng = np.random.default_rng(1)
    larger = np.where(rng.random(len(cur)) < 0.5, np.exp(0.5) * cur, cur)  # fitted ×2.03
    assert partial_conversion(ref, larger) is None


def test_a_mixture_at_a_factor_no_conversion_is_near_is_none() -> None:
    rng = np.random.default_rng(5)
    ref = rng.gamma(2.0, 20.0, 3000)
    cur = np.where(rng.random(3000) < 0.4, 5.0 * rng.gamma(2.0, 20.0, 3000), rng.gamma(2.0, 20.0, 3000))
    factor, _share, p_fit = st.partial_rescale_fit(ref, cur)
    assert abs(factor / 5 - 1) < 0.1 and p_fit >= 0.05  # the mixture fits ...
    assert partial_conversion(ref, cur) is None  # ... but ×5 is no change of units
