"""Mechanism tests at the sample size of what they compare (causal/clustered_rows.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats

from causal_rca.causal.clustered_rows import Shares, clustered_parts, clustered_share_above, clustered_two_proportion
from causal_rca.signals import statistics as st

ENTITIES = 800


def _keys(rows_per_entity: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(np.repeat(np.arange(ENTITIES), rows_per_entity))


def test_one_deviating_row_in_each_of_many_entities_is_a_change() -> None:
    # A hundred customers whose first event was zero-filled: a hundred independent deviations.
    ref_keys, cur_keys = _keys(10, 0), _keys(10, 1) + ENTITIES
    deviates = np.zeros(len(cur_keys), dtype=bool)
    deviates[[np.flatnonzero(cur_keys == k)[0] for k in np.unique(cur_keys)[:100]]] = True
    assert clustered_two_proportion(np.zeros(len(ref_keys), dtype=bool), ref_keys, deviates, cur_keys) < 1e-6


def test_as_many_deviating_rows_from_two_entities_are_not() -> None:
    # The same hundred rows, from two customers only: two deviating entities among 800.
    ref_keys = _keys(10, 0)
    cur_keys = np.r_[np.repeat([0, 1], 50), np.repeat(np.arange(2, ENTITIES), 10)[: 8000 - 100]]
    deviates = np.r_[np.ones(100, dtype=bool), np.zeros(len(cur_keys) - 100, dtype=bool)]
    assert st.two_proportion(0, len(ref_keys), 100, len(cur_keys)) < 1e-20  # rows as if independent
    assert clustered_two_proportion(np.zeros(len(ref_keys), dtype=bool), ref_keys, deviates, cur_keys) > 0.01


@settings(max_examples=40, deadline=None)
@given(share=hs.floats(0.0, 0.5), seed=hs.integers(0, 10_000))
def test_the_p_value_is_a_probability_and_one_entity_per_row_is_the_plain_test(share: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    dev0, dev1 = rng.random(400) < share, rng.random(500) < share
    p = clustered_two_proportion(dev0, np.arange(400), dev1, np.arange(400, 900))
    assert 0.0 <= p <= 1.0
    plain = st.two_proportion_z(int(dev0.sum()), 400, int(dev1.sum()), 500)
    if plain > 1.0:  # rows that are entities: the same test up to how the variance is estimated
        assert 0.8 < stats.norm.isf(p / 2) / plain < 1.25


def test_a_share_test_replaces_the_row_level_p_and_a_residual_test_is_deflated_by_its_own_quantity() -> None:
    keys = _keys(10, 2)[:4000]
    x_cur = np.ones(len(keys))
    shares = Shares(np.zeros(1000, dtype=bool), np.arange(1000), np.zeros(len(keys), dtype=bool))
    _n, _d, p, measures = clustered_parts(_keys(10, 3), keys, x_cur, None, (1.0, 1.0, 1e-30), shares, {})
    assert p == 1.0 and "design_effect" not in measures  # nothing deviates: no change, whatever the rows said
    per_entity = keys.astype(float)  # a residual that is the entity's own: clusters fully
    _n, _d, p_clustered, m = clustered_parts(keys, keys, x_cur, None, (1.0, 1.0, 1e-6), [per_entity], {})
    per_row = np.random.default_rng(4).normal(size=len(keys))
    _n, _d, p_free, m_free = clustered_parts(keys, keys, x_cur, None, (1.0, 1.0, 1e-6), [per_row], {})
    assert m["design_effect"] > 5 and p_clustered > 0.01
    assert m_free["design_effect"] < 1.5 and p_free < 1e-5


def test_the_one_sided_share_test_halves_the_two_sided_p_only_in_its_direction() -> None:
    """A larger current share gets half the two-sided p; a smaller one its complement."""
    keys = np.arange(400)
    low, high = np.arange(400) < 40, np.arange(400) < 120
    two_sided = clustered_two_proportion(low, keys, high, keys)
    assert two_sided < 1e-6
    assert clustered_share_above(low, keys, high, keys) == two_sided / 2
    assert clustered_share_above(high, keys, low, keys) == 1.0 - two_sided / 2
    assert clustered_share_above(low[:0], keys[:0], high, keys) == 0.5
