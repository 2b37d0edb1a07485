"""A continuous parent's support, where a mechanism can be judged (``statistics.support_bounds``)."""

from __future__ import annotations

import numpy as np

from causal_rca.causal.encoding import support_mask


def test_support_below_a_skewed_positive_amount_scales_with_its_smallest_values() -> None:
    """Weights of 60 g to 27 kg: grams served as kilograms (0.06 to 27) lie below the reference,
    though 5% of the range would reach below zero; a symmetric quantity keeps its margin."""
    rng = np.random.default_rng(0)
    grams = rng.lognormal(7.2, 1.0, 8000)
    assert not support_mask(grams, grams[:500] / 1000, categorical=False).any()
    assert support_mask(grams, np.array([np.quantile(grams, 0.01)]), categorical=False).all()
    centred = rng.normal(100, 5, 8000)
    assert support_mask(centred, np.array([np.quantile(centred, 0.001) - 1.0]), categorical=False).all()
