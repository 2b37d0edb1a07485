"""Design effects: rows that repeat an entity count as fewer independent rows (signals/clustering.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as hs

import pytest

from causal_rca.signals.clustering import deflated_p, design_effects
from causal_rca.windows.frames import KEY


def _window(entities: int, rows_each: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    key = np.repeat(np.arange(entities), rows_each)
    age = np.repeat(rng.integers(18, 80, entities), rows_each).astype(float)  # one value per entity
    amount = rng.lognormal(3, 1, entities * rows_each)                        # free within an entity
    return pd.DataFrame({KEY: key.astype(str), "age": age, "amount": amount})


def test_an_entity_level_column_counts_entities_and_a_row_level_one_counts_rows() -> None:
    ref, cur = _window(200, 12, 1), _window(200, 12, 2)
    effects = design_effects(ref, cur, ["age", "amount"])
    assert 11.0 <= effects["age"] <= 12.0
    assert effects.get("amount", 1.0) < 1.5


def test_one_row_per_key_or_no_key_means_no_clustering() -> None:
    ref, cur = _window(2000, 1, 1), _window(2000, 1, 2)
    assert design_effects(ref, cur, ["age", "amount"]) == {}
    assert design_effects(ref.drop(columns=[KEY]), cur.drop(columns=[KEY]), ["age"]) == {}


@settings(max_examples=60, deadline=None)
@given(hs.floats(1e-300, 1.0), hs.floats(1.0, 100.0))
def test_deflated_p_is_a_probability_never_smaller(p: float, deff: float) -> None:
    q = deflated_p(p, deff)
    assert p <= q <= 1.0 + 1e-12


def test_deflation_equals_the_test_on_the_effective_sample() -> None:
    """A z of 4 on 1,200 rows that are 100 entities of 12 is a z of 4 / sqrt(12) on the entities."""
    from scipy import stats

    p = 2 * stats.norm.sf(4.0)
    assert abs(deflated_p(p, 12.0) - 2 * stats.norm.sf(4.0 / np.sqrt(12.0))) < 1e-12


def test_a_proportion_test_keeps_its_z_past_the_underflow_of_its_p() -> None:
    """77% of 6,160 rows in a category the 4,728 reference rows never had, a design effect of 133:
    the z of 70 deflates to 6 (still clear); deflated from the underflowed p it would be 3.3."""
    from scipy import stats

    from causal_rca.signals.statistics import two_proportion, two_proportion_z

    z = two_proportion_z(0, 4728, 4713, 6160)
    assert two_proportion(0, 4728, 4713, 6160) == 0.0 and z > 60
    assert deflated_p(0.0, 133.0, z) < 1e-8 < deflated_p(0.0, 133.0)
    assert deflated_p(0.0, 133.0, z) == pytest.approx(2 * stats.norm.sf(z / np.sqrt(133.0)))
