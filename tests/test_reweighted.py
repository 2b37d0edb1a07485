"""signals/reweighted.py: y given x, the reference reweighted to the current's mix of x."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from causal_rca.signals.reweighted import reweighted_change

SCALE = [0.10, 0.15, 0.20, 0.20, 0.15, 0.07, 0.13]  # a 7-point scale, as survey sources have
SHIFTED = [0.01, 0.02, 0.02, 0.05, 0.10, 0.25, 0.55]  # the population moved to its top


def _follower(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """A 7-point answer that depends on x and on nothing that moved."""
    return np.clip(np.round(4 + 0.3 * x + rng.normal(0, 1.2, len(x))), 1, 7)


def test_calibrated_when_a_discrete_x_moved_far() -> None:
    """The shift that made the per-group placement reject at 1% in about 9% of samples."""
    rng = np.random.default_rng(11)
    p_values = []
    for i in range(150):
        x_ref = rng.choice(7, 4600, p=SCALE).astype(float)
        x_cur = rng.choice(7, 3500, p=SHIFTED).astype(float)
        p_values.append(reweighted_change(_follower(rng, x_ref), x_ref, _follower(rng, x_cur), x_cur, True, i)[1])
    p = np.array(p_values)
    assert np.mean(p < 0.01) <= 0.03 and np.mean(p < 0.05) <= 0.1


def test_calibrated_when_a_continuous_x_moved() -> None:
    rng = np.random.default_rng(12)
    p_values = []
    for i in range(150):
        x_ref, x_cur = rng.normal(size=4000), rng.normal(1.0, 0.6, size=3000)
        y_ref, y_cur = 0.8 * x_ref + 0.6 * rng.normal(size=4000), 0.8 * x_cur + 0.6 * rng.normal(size=3000)
        p_values.append(reweighted_change(y_ref, x_ref, y_cur, x_cur, False, i)[1])
    assert np.mean(np.array(p_values) < 0.05) <= 0.1


def test_sees_the_tilted_side_only() -> None:
    rng = np.random.default_rng(1)
    x, xc = rng.normal(size=4000), rng.normal(0.6, 1, size=4000)
    y, yc = 0.8 * x + 0.6 * rng.normal(size=4000), 0.8 * xc + 0.6 * rng.normal(size=4000)
    assert reweighted_change(y, x, yc, xc, False, 1)[1] > 0.01   # y given x: unchanged
    assert reweighted_change(x, y, xc, yc, False, 1)[1] < 1e-6   # x given y: changed


def test_a_change_in_the_null_share_given_x_counts() -> None:
    rng = np.random.default_rng(2)
    x_ref, x_cur = rng.choice(7, 4000, p=SCALE).astype(float), rng.choice(7, 4000, p=SCALE).astype(float)
    y_ref, y_cur = _follower(rng, x_ref), _follower(rng, x_cur)
    y_cur[rng.random(4000) < 0.1] = np.nan
    assert reweighted_change(y_ref, x_ref, y_cur, x_cur, True, 0)[1] < 1e-6


@settings(max_examples=60, deadline=None)
@given(hs.integers(0, 10_000), hs.integers(1, 300), hs.booleans(), hs.floats(0.0, 0.5))
def test_a_statistic_and_a_p_value_whatever_the_samples(seed: int, rows: int, levels: bool, nulls: float) -> None:
    rng = np.random.default_rng(seed)
    x_ref, x_cur = rng.integers(0, 5, rows * 10).astype(float), rng.integers(2, 8, rows * 7).astype(float)
    if not levels:
        x_ref, x_cur = x_ref + rng.normal(size=len(x_ref)), x_cur + rng.normal(size=len(x_cur))
    y_ref, y_cur = rng.poisson(2, len(x_ref)).astype(float), rng.poisson(2, len(x_cur)).astype(float)
    x_cur[rng.random(len(x_cur)) < nulls] = np.nan
    y_ref[rng.random(len(y_ref)) < nulls] = np.nan
    d, p = reweighted_change(y_ref, x_ref, y_cur, x_cur, levels, seed)
    assert 0.0 <= d <= 1.0 and 0.0 <= p <= 1.0
