"""A share of rows in other units while every row's population drifted a few percent (signals/units.py)."""

from __future__ import annotations

import numpy as np
import pytest

from causal_rca.signals.units import partial_conversion


def _amounts(rng: np.random.Generator, n: int, scale: float = 1.0) -> np.ndarray:
    return np.round(rng.lognormal(4.4, 0.9, n) * scale, 2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_thousands_on_most_rows_beside_a_drift_of_every_row_is_a_conversion(seed: int) -> None:
    """Basket values ×0.001 on 70% of rows, every basket 7% smaller, the log rounding to four decimals:
    the free fit lands 7% off the conversion and the tail at the conversion's own factor refuses it."""
    rng = np.random.default_rng(seed)
    ref, cur = _amounts(rng, 7000), _amounts(rng, 6000, scale=0.93)
    cur = np.where(rng.random(len(cur)) < 0.7, np.round(cur * 0.001, 4), cur)
    found = partial_conversion(ref, cur)
    assert found is not None and found[0] == pytest.approx(0.001) and 0.65 < found[1] < 0.75


def test_a_new_cluster_of_small_events_is_no_conversion() -> None:
    """Micro-payments of a shape of their own, a thousand times smaller: no drifted copy of the reference."""
    rng = np.random.default_rng(3)
    ref, cur = _amounts(rng, 7000), _amounts(rng, 6000, scale=0.93)
    cur = np.where(rng.random(len(cur)) < 0.5, np.round(rng.uniform(0.01, 0.2, len(cur)), 4), cur)
    assert partial_conversion(ref, cur) is None
