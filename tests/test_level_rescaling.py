"""Discrete columns whose levels moved onto new values (signals/level_rescaling.py). A source's
mechanism read as a rescaling only at a change of units is tested in test_rescaling.py."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from causal_rca.signals.detect import _numeric_signals
from causal_rca.signals.level_rescaling import partial_level_rescaling, relocated_levels

RATING_SHARES = (0.07, 0.29, 0.36, 0.23, 0.05)


def _rating(rng: np.random.Generator, n: int, shares=RATING_SHARES) -> np.ndarray:
    return rng.choice(np.arange(1.0, 6.0), n, p=shares)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from([20.0, 0.25, 12.0, 3.0]), st.integers(0, 10_000))
def test_every_row_on_new_levels_on_a_line_is_a_rescaling_even_when_the_shares_moved(factor, seed) -> None:
    """A 1–5 rating put on a 20–100 scale while its population also moved (a development case:
    shares 29% → 23% on one level, chi-square p = 2.5e-25): the levels, not the shares, tell."""
    rng = np.random.default_rng(seed)
    ref, cur = _rating(rng, 4000), factor * _rating(rng, 3000, (0.08, 0.23, 0.44, 0.22, 0.03))
    found = relocated_levels(ref, cur)
    assert found is not None and abs(found.scale - factor) < 1e-9 and found.r2 > 0.9999


def _moved_rating(factor: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return _rating(rng, 4000), factor * _rating(rng, 3000, (0.08, 0.23, 0.44, 0.22, 0.03))


def test_a_rating_moved_onto_a_twenty_to_hundred_scale_is_a_rescaling_at_a_source() -> None:
    """The scale signal carries the relocation as its reading, so a source is rescaled too."""
    scale = [s for s in _numeric_signals("r", *_moved_rating(20.0, 1)) if s.signal == "scale"]
    assert scale and scale[0].value is not None


def test_a_relocated_rating_whose_quantiles_also_fit_a_line_is_a_rescaling_at_a_source() -> None:
    scale = [s for s in _numeric_signals("r", *_moved_rating(20.0, 2178)) if s.signal == "scale"]
    assert scale and scale[0].value is not None


def test_a_population_moving_between_the_same_levels_is_no_relocation() -> None:
    rng = np.random.default_rng(1)
    ref, cur = _rating(rng, 4000), _rating(rng, 3000, (0.3, 0.3, 0.2, 0.1, 0.1))
    assert relocated_levels(ref, cur) is None and partial_level_rescaling(ref, cur) is None


def test_a_rescaled_count_keeps_its_zero_the_maps_fixed_point() -> None:
    rng = np.random.default_rng(2)
    ref = rng.poisson(2.0, 3000).astype(float)
    found = relocated_levels(ref, 12.0 * rng.poisson(2.0, 3000))
    assert found is not None and abs(found.scale - 12.0) < 1e-9


def test_a_new_population_on_new_levels_at_slope_one_is_no_rescaling() -> None:
    """Counts 8–14 arriving beside counts 0–6: a new population, out of the support."""
    rng = np.random.default_rng(3)
    ref = rng.integers(0, 7, 3000).astype(float)
    cur = np.r_[rng.integers(0, 7, 2000), rng.integers(8, 15, 800)].astype(float)
    assert relocated_levels(ref, cur) is None and partial_level_rescaling(ref, cur) is None


def test_a_share_of_rows_rescaled_is_a_copy_of_the_reference_levels() -> None:
    """One feed's educ levels 1–7 ×20 (a development case: 39% of rows, shares p = 0.85): the rows
    on new levels keep the reference's shares, paired every level from the bottom even when the
    lowest is rare (under 1% of the moved rows).

    The shares are judged by a chi-square test at 1%, so a true copy is missed in about one draw
    in a hundred by construction, and a small moved share can lack the rarest level (about two
    rows expected at 10%), which shifts the pairing. The rule is checked over 200 fixed draws (6
    missed today; at most 5% allowed), never on one random draw that fails at the test's own size."""
    p = (0.011, 0.06, 0.28, 0.2, 0.107, 0.222, 0.12)
    found_right = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        share = rng.uniform(0.1, 0.8)
        ref = rng.choice(np.arange(1.0, 8.0), 3500, p=p)
        cur = rng.choice(np.arange(1.0, 8.0), 2000, p=p)
        moved = rng.random(2000) < share
        cur[moved] *= 20.0
        found = partial_level_rescaling(ref, cur)
        if found is not None:
            assert abs(found.scale - 20.0) < 1e-9 and abs(found.share - moved.mean()) < 1e-12
            found_right += 1
    assert found_right >= 190


def test_a_partial_celsius_to_fahrenheit_is_a_known_conversion() -> None:
    rng = np.random.default_rng(4)
    p = (0.29, 0.34, 0.22, 0.1, 0.04, 0.01)
    ref = rng.choice(np.arange(1.0, 7.0), 2100, p=p)
    cur = rng.choice(np.arange(1.0, 7.0), 3000, p=p)
    cur[:2000] = 1.8 * cur[:2000] + 32.0
    found = partial_level_rescaling(ref, cur)
    assert found is not None and found.units == "Celsius → Fahrenheit"
    partial = [s for s in _numeric_signals("items", ref, cur) if s.signal == "partial_scale"]
    assert partial and partial[0].value == "Celsius → Fahrenheit"


def test_new_levels_on_a_line_but_not_a_copy_of_the_reference_are_no_partial_rescaling() -> None:
    """A new population on new evenly spaced levels with its own shares, at no known conversion."""
    rng = np.random.default_rng(5)
    ref = rng.choice(np.arange(1.0, 6.0), 3000, p=(0.4, 0.3, 0.15, 0.1, 0.05))
    cur = np.r_[rng.choice(np.arange(1.0, 6.0), 2000, p=(0.4, 0.3, 0.15, 0.1, 0.05)),
                rng.choice(np.arange(3.0, 16.0, 3.0), 1000, p=(0.05, 0.1, 0.15, 0.3, 0.4))]
    assert partial_level_rescaling(ref, cur) is None


def test_many_levels_moved_with_their_population_are_paired_every_level() -> None:
    """Ages 18–71 in years (49 levels) ×20 while the population also moved (a development case):
    levels drift across the 1% share floor in one window, so pairing only those shifts the pairs
    (R² 0.98); pairing every level keeps the line (R² 0.9996)."""
    rng = np.random.default_rng(6)
    ages = np.r_[np.arange(18.0, 60.0), np.arange(60.0, 72.0, 2.0)]
    ref = rng.choice(ages, 1600, p=np.linspace(2.0, 1.0, len(ages)) / np.linspace(2.0, 1.0, len(ages)).sum())
    cur = 20.0 * rng.choice(ages, 2000, p=np.linspace(0.5, 2.0, len(ages)) / np.linspace(0.5, 2.0, len(ages)).sum())
    found = relocated_levels(ref, cur)
    assert found is not None and abs(found.scale - 20.0) < 0.5 and found.r2 >= 0.999
