"""Holdout reweighting: a population that moved is not a changed mechanism; a changed one still is."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats

from causal_rca.causal.covariate_shift import holdout_weights, weighted_ks_test, weighted_mean_test
from causal_rca.causal.outcome_tests import base_rate_test, stratified_rate_test


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _windows(seed: int, shift: float, flip: float = 0.0):
    """A label y = 1 with probability sigmoid(3 sin(2x)); a "reference fit" that is right only
    where the reference has most rows (x < 1), as a boosted fit is where data are dense."""
    rng = np.random.default_rng(seed)
    x_train, x_hold = rng.normal(0, 1, (3000, 1)), rng.normal(0, 1, (2000, 1))
    x_cur = rng.normal(shift, 1, (2000, 1))
    truth = lambda x: _sigmoid(3 * np.sin(2 * x[:, 0]))  # noqa: E731
    fit = lambda x: np.where(x[:, 0] < 1, truth(x), 0.5)  # noqa: E731
    y_hold = rng.random(2000) < truth(x_hold)
    y_cur = rng.random(2000) < truth(x_cur)
    y_cur = np.where(rng.random(2000) < flip, ~y_cur, y_cur)
    loss = lambda p, y: -np.log(np.clip(np.where(y, p, 1 - p), 1e-4, 1))  # noqa: E731
    return (x_train, x_hold, x_cur, fit(x_hold), y_hold.astype(float), fit(x_cur), y_cur.astype(float),
            loss(fit(x_hold), y_hold), loss(fit(x_cur), y_cur))


@pytest.mark.parametrize("seed", range(5))
def test_inputs_that_did_not_move_leave_the_holdout_unweighted(seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(7000, 2))
    assert holdout_weights(X[:3000], X[3000:5000], X[5000:], seed) is None


def test_a_moved_population_under_an_unchanged_mechanism_is_not_a_change() -> None:
    x_train, x_hold, x_cur, p_hold, y_hold, p_cur, y_cur, l_hold, l_cur = _windows(1, shift=1.5)
    # Unweighted, the fit's weak region reads as a changed concept...
    assert stats.ttest_ind(l_hold, l_cur, equal_var=False).pvalue < 1e-6
    w = holdout_weights(x_train, x_hold, x_cur, 0)
    assert w.effective_rows < 1000  # the current inputs are where the reference had few rows
    # ...reweighted, the holdout describes the same inputs and nothing changed.
    assert weighted_mean_test(l_hold, w, l_cur) > 0.01
    assert base_rate_test(p_hold, y_hold, p_cur, y_cur, w.weights)["base_rate_p"] > 0.01


def test_a_changed_relation_is_still_found_after_reweighting() -> None:
    x_train, x_hold, x_cur, p_hold, y_hold, p_cur, y_cur, l_hold, l_cur = _windows(2, shift=0.5, flip=0.3)
    w = holdout_weights(x_train, x_hold, x_cur, 0)
    assert weighted_mean_test(l_hold, w, l_cur) < 1e-6
    assert stratified_rate_test(p_hold, y_hold, p_cur, y_cur, weights=w.weights) < 1e-6


@settings(max_examples=25, deadline=None)
@given(hs.integers(0, 10_000), hs.integers(20, 300), hs.integers(20, 300))
def test_unit_weights_give_the_two_sample_ks_statistic(seed: int, n: int, m: int) -> None:
    from causal_rca.causal.covariate_shift import HoldoutWeights

    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n).round(1), rng.normal(0.3, 1, size=m).round(1)
    d, p = weighted_ks_test(a, HoldoutWeights(np.ones(n), float(n)), b)
    assert abs(d - stats.ks_2samp(a, b).statistic) < 1e-12
    assert 0.0 <= p <= 1.0


def test_unit_weights_give_the_unweighted_tests() -> None:
    _, _, _, p_hold, y_hold, p_cur, y_cur, _, _ = _windows(3, shift=0.0)
    ones = np.ones(len(p_hold))
    a, b = base_rate_test(p_hold, y_hold, p_cur, y_cur), base_rate_test(p_hold, y_hold, p_cur, y_cur, ones)
    assert abs(a["base_rate_p"] - b["base_rate_p"]) < 1e-9
    assert abs(stratified_rate_test(p_hold, y_hold, p_cur, y_cur)
               - stratified_rate_test(p_hold, y_hold, p_cur, y_cur, weights=ones)) < 1e-9
