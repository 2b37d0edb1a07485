"""Fallback defaults: what a value that gains rows says about the node (how-it-decides.md,
"Fallback or changed computation?")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_rca.causal.encoding import encode_windows


def test_a_count_window_cut_short_moves_the_counts_beside_the_zeros() -> None:
    """A fallback to 0 leaves the non-zero counts as they were; a count over one hour instead of 24 does not."""
    from causal_rca.causal.marginal_measures import drift_outside_default

    rng = np.random.default_rng(9)
    ref = pd.DataFrame({"c": rng.poisson(1.5, 4000).astype(float)})
    fallback = pd.DataFrame({"c": np.where(rng.random(4000) < 0.6, 0.0, rng.poisson(1.5, 4000)).astype(float)})
    cut_short = pd.DataFrame({"c": rng.poisson(1.5 / 24, 4000).astype(float)})
    kinds = {"c": "numeric"}
    assert drift_outside_default("c", encode_windows(ref, fallback, kinds), 0.0, 0.01)["drift_outside_default"] == 0.0
    assert drift_outside_default("c", encode_windows(ref, cut_short, kinds), 0.0, 0.01)["drift_outside_default"] > 0.3


def test_the_rows_beside_a_fallback_are_judged_at_the_entities_count() -> None:
    """Where rows repeat entities, two windows of different customers differ by more than independent
    rows would: the rows left beside a fallback are compared at the effective size (blind case 1012598:
    a 1-5 review score 79% zeros, its other rows at KS D 0.13 with a design effect of 9, read as moved)."""
    from causal_rca.causal.marginal_measures import drift_outside_default

    rng = np.random.default_rng(3)
    levels, shares = [1.0, 2.0, 3.0, 4.0, 5.0], np.array([0.1, 0.1, 0.2, 0.3, 0.3])
    ref = pd.DataFrame({"r": rng.choice(levels, 4000, p=shares)})
    tilted = shares * np.array([1.6, 1.3, 1.0, 0.9, 0.8])
    cur = rng.choice(levels, 4000, p=tilted / tilted.sum())
    enc = encode_windows(ref, pd.DataFrame({"r": np.where(rng.random(4000) < 0.8, 0.0, cur)}), {"r": "numeric"})
    moved = drift_outside_default("r", enc, 0.0, 0.01)["drift_outside_default"]
    assert moved > 0.05  # at the rows' count the few rows left differ
    assert drift_outside_default("r", enc, 0.0, 0.01, {"r": 1.0})["drift_outside_default"] == moved
    assert drift_outside_default("r", enc, 0.0, 0.01, {"r": 10.0})["drift_outside_default"] == 0.0


@pytest.mark.parametrize(("value", "off_support", "fallback"), [
    ("37.2", False, True),   # a mean inside the range: any number can be a fallback there
    ("0.0", True, True), ("-1.0", True, True), ("-999.0", True, True), ("9999", True, True),
    ("4.0", True, False),    # the next level of a 1-3 rating: a population past the range
    ("250.5", True, False),
    ("unknown", True, True), ("paris", False, False),
])
def test_a_number_off_the_reference_support_is_a_fallback_only_as_a_placeholder(value, off_support,
                                                                                fallback) -> None:
    """Blind cases 1012042 and 1012142: 75% of rows at a religiosity level training never saw (4 on
    a 1-3 scale, 1 on a 2-4 one) are out of distribution, not an outage's fallback, whereas 0 on a
    1-5 review score (1012598) and -1 on a 1-5 rating (1012253) are fallbacks. A number off the
    support is past the range or a level a discrete column never had."""
    from causal_rca.diagnosis.classify import _looks_like_fallback

    assert _looks_like_fallback(value, off_support) is fallback


def test_the_measure_of_where_a_fallback_lies() -> None:
    """Past the range, or on a level a discrete column never had (scenario
    card_new_digital_goods_merchants: merchant code 5816 among the reference's codes), is off the
    support; a new value inside a continuous column's range (a mean filled in) is not."""
    from causal_rca.causal.marginal_measures import drift_outside_default

    def off(ref, cur, value) -> float:
        enc = encode_windows(pd.DataFrame({"r": ref}), pd.DataFrame({"r": cur}), {"r": "numeric"})
        return drift_outside_default("r", enc, value)["default_off_support"]

    rating = [1.0, 2.0, 3.0] * 100
    assert off(rating, [1.0, 4.0, 4.0] * 100, 4.0) == 1.0
    assert off(rating, [1.0, 2.0, 2.0] * 100, 2.0) == 0.0
    codes = [5411.0, 5732.0, 5999.0, 7011.0] * 100
    assert off(codes, [5411.0, 5816.0, 5816.0] * 100, 5816.0) == 1.0
    continuous = list(np.random.default_rng(0).normal(50, 10, 400))
    assert off(continuous, continuous[:200] + [50.0] * 200, 50.0) == 0.0
