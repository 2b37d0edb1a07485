"""Rows past the reference's range: the old population moved, or a new one (signals/shifted_tail.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from causal_rca.diagnosis.classify import _new_population
from causal_rca.signals.shifted_tail import outside_beyond_shift


@settings(max_examples=25, deadline=None)
@given(shift=hs.floats(0.8, 2.0), sign=hs.sampled_from([-1.0, 1.0]), seed=hs.integers(0, 10_000))
def test_a_moved_population_is_predicted_most_of_the_rows_it_puts_past_the_range(shift: float, sign: float,
                                                                                   seed: int) -> None:
    """The cut at the range hides part of a large move, so the prediction errs low, never far."""
    rng = np.random.default_rng(seed)
    ref, cur = rng.normal(0, 1, 4000), rng.normal(sign * shift, 1, 5000)
    tail = outside_beyond_shift(ref, cur)
    assert tail is not None
    assert 0.5 * tail.observed - 0.005 <= tail.predicted <= tail.observed + 0.02


def test_a_population_piled_against_a_bound_past_the_old_top_is_a_moved_one() -> None:
    """Blind 1002048's pattern: a spending column tilted up piles at the top its values can take,
    a few of them, with logging noise, just past the reference's top."""
    rng = np.random.default_rng(7)
    top = 2.6
    ref = np.minimum(rng.normal(0, 1, 6000), top) + rng.normal(0, 0.04, 6000)
    cur = np.minimum(rng.normal(2.5, 1, 6000), top) + rng.normal(0, 0.04, 6000)
    tail = outside_beyond_shift(ref, cur)
    assert tail is not None and tail.observed > 0.1
    assert tail.p_value >= 0.01


@settings(max_examples=25, deadline=None)
@given(share=hs.floats(0.05, 0.6), gap=hs.floats(0.0, 3.0), seed=hs.integers(0, 10_000))
def test_a_population_of_its_own_past_the_range_is_more_than_any_move_of_the_bulk_predicts(
        share: float, gap: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ref = rng.normal(0, 1, 4000)
    k = int(share * 5000)
    cur = np.concatenate([rng.normal(0, 1, 5000 - k), 3.3 + gap + rng.exponential(1.0, k)])
    tail = outside_beyond_shift(ref, cur)
    assert tail is not None and abs(tail.shift) < 0.2
    assert tail.p_value < 1e-6


def test_a_count_tilted_onto_new_top_levels_counts_only_levels_the_reference_never_had() -> None:
    rng = np.random.default_rng(3)
    ref = rng.poisson(4, 5000).astype(float)
    cur = rng.poisson(7, 5000).astype(float)
    tail = outside_beyond_shift(ref, cur)
    assert tail is not None and tail.p_value >= 0.01


def test_the_out_of_support_verdict_needs_rows_beyond_the_moved_tail() -> None:
    moved = {"drift_inside_support": 0.4, "outside_beyond_shift_p": 0.9}
    new = {"drift_inside_support": 0.4, "outside_beyond_shift_p": 1e-9}
    assert not _new_population(0.3, moved)
    assert _new_population(0.3, new)
    assert _new_population(0.3, {})  # not asked (a source with declared parents): as before
    assert not _new_population(0.05, new)  # the bulk moved and only a few percent past the range
    assert _new_population(0.05, {"drift_inside_support": 0.01, "outside_beyond_shift_p": 1e-9})
