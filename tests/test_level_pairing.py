"""Discrete levels paired by value (signals/level_pairing.py): every current level a reference
level's image, with a chance test at the column's own number of levels."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from causal_rca.signals.level_pairing import CHANCE, value_paired_line
from causal_rca.signals.level_rescaling import FAR_FROM_ONE, relocated_levels

# An uneven score of 28 levels (a development case: a health score ×20 read out of distribution).
SCORE = np.array([0.0, 3.4, 4.3, 6.9, 8.7, 9.967326, 10.3, 10.57626, 11.84267, 13.0, 13.73189, 13.8, 17.2,
                  17.4, 20.7, 21.7, 24.1, 26.1, 27.6, 30.4, 31.0, 34.5, 34.8, 37.9, 39.1, 41.4, 43.5, 44.8,
                  47.8, 58.6])


def _score(rng: np.random.Generator, n: int, tilt: float) -> np.ndarray:
    weights = np.exp(-tilt * SCORE / SCORE.max()) * np.r_[np.ones(20), np.full(10, 0.02)]
    return rng.choice(SCORE, n, p=weights / weights.sum())


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([20.0, 12.0, 0.001, 1.8]), st.integers(0, 10_000))
def test_a_rescaled_uneven_score_is_found_whatever_levels_each_sample_lacks(factor, seed) -> None:
    """Rare top levels drawn in one window only shift a rank pairing; the value pairing holds."""
    rng = np.random.default_rng(seed)
    ref, cur = _score(rng, 2500, 2.0), factor * _score(rng, 3300, 1.0)
    found = value_paired_line(ref, cur, FAR_FROM_ONE)
    assert found is not None and abs(found.scale / factor - 1.0) < 1e-9 and found.r2 > 0.9999
    assert found.p_chance < CHANCE
    relocated = relocated_levels(ref, cur)
    assert relocated is not None and abs(relocated.scale / factor - 1.0) < 1e-9


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.05, 20.0))
def test_a_new_population_on_its_own_levels_is_no_image_of_the_reference(seed, spread) -> None:
    """Current values on a grid of their own (a new population measured to one decimal) hit a
    line's images no more often than chance allows."""
    rng = np.random.default_rng(seed)
    ref = _score(rng, 2500, 2.0)
    levels = np.round(rng.uniform(50.0, 50.0 + 30.0 * spread, 12), 1)
    cur = rng.choice(levels, 3000)
    assert relocated_levels(ref, cur) is None


def test_evenly_spaced_levels_give_value_pairing_no_evidence() -> None:
    """Every grid point of a 1–5 rating ×20 is an image: no chance test can tell it from a new
    population on a 20-point grid, so the rank pairing (level_rescaling.py) alone reads it."""
    rng = np.random.default_rng(1)
    ref = rng.choice(np.arange(1.0, 6.0), 3000)
    assert value_paired_line(ref, 20.0 * rng.choice(np.arange(1.0, 6.0), 3000), FAR_FROM_ONE) is None


def test_a_level_left_on_the_reference_is_no_full_rescaling() -> None:
    rng = np.random.default_rng(2)
    ref = _score(rng, 2500, 2.0)
    cur = np.r_[20.0 * _score(rng, 3000, 1.0), np.full(40, 10.3)]
    assert relocated_levels(ref, cur) is None


def test_levels_past_the_reference_once_undone_are_no_rescaling() -> None:
    """A current level off every image must be one the reference sample could lack: 300 rows on a
    level past the reference's range are a population of its own."""
    rng = np.random.default_rng(3)
    ref = _score(rng, 2500, 2.0)
    cur = np.r_[20.0 * _score(rng, 3000, 1.0), np.full(300, 5000.0)]
    assert value_paired_line(ref, cur, FAR_FROM_ONE) is None


def test_two_current_levels_on_one_reference_image_count_once() -> None:
    """Two current levels paired with the same reference level (both within the tolerance of its
    image) are counted as that level's rows: the shares table stays a table of counts."""
    from causal_rca.signals.level_pairing import _shares_p

    rn = np.array([50, 30, 20])
    p = _shares_p(rn, np.array([0, 0, 1, 2]), np.array([20, 25, 30, 25]), 100, 100)
    assert 0.0 <= p <= 1.0
    assert p == _shares_p(rn, np.array([0, 1, 2]), np.array([45, 30, 25]), 100, 100)
