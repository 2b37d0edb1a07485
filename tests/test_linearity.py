"""Boosting only where a node is curved in its parents (causal/linearity.py), and no cause lost for it.

A node found linear gets the least-squares surrogate and no boosting fit; the rule must still find a
curved mechanism (a square, an interaction, a category's own effects), so that a change no marginal
shows (a column swapped for another of the same distribution under a square) is still caught.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causal_rca.causal.encoding import EncodedWindows
from causal_rca.causal.linearity import curvature_p, is_linear
from causal_rca.causal.mechanism import conditional_test
from causal_rca.causal.mechanism_fits import fit_surrogate
from causal_rca.causal.mechanism_result import SIGNIFICANCE

N = 6000


def _parents(rng: np.random.Generator, n: int = N) -> np.ndarray:
    return rng.normal(size=(n, 2))


@pytest.mark.parametrize("shape", ["square", "interaction", "step", "hump"])
def test_curved_mechanisms_are_found(shape: str) -> None:
    rng = np.random.default_rng(1)
    X = _parents(rng)
    a, b = X[:, 0], X[:, 1]
    signal = {"square": a ** 2, "interaction": a * b, "step": (a > 0.5).astype(float),
              "hump": np.exp(-a ** 2)}[shape]
    y = 0.5 * b + signal / signal.std() * 0.3 + rng.normal(size=N)
    assert curvature_p(X, X, y, np.zeros(2, dtype=bool)) < 1e-6


def test_category_effects_are_found_even_when_their_codes_look_linear() -> None:
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 5, N).astype(float)
    effect = np.array([0.0, 1.0, -1.0, 0.5, 2.0])[codes.astype(int)]
    X = np.c_[codes, rng.normal(size=N)]
    y = effect + X[:, 1] + rng.normal(0, 0.5, N)
    assert not is_linear(X, X, y, np.array([True, False]))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), noise=st.floats(0.05, 3.0))
def test_a_line_is_rarely_called_curved(seed: int, noise: float) -> None:
    """At the test's level, a line with Gaussian noise passes but in about 5% of draws: here the
    p-value is checked against 1e-4, which a line fails once in 10,000 draws."""
    rng = np.random.default_rng(seed)
    X = _parents(rng, 3000)
    X[rng.random(3000) < 0.1, 1] = np.nan  # missing parent values: the line's indicator carries them
    filled = np.where(np.isnan(X), 0.0, X)
    y = 1.5 * filled[:, 0] - filled[:, 1] + 0.7 * np.isnan(X[:, 1]) + rng.normal(0, noise, 3000)
    line = np.c_[filled, np.isnan(X)]
    assert curvature_p(line, X, y, np.zeros(2, dtype=bool)) > 1e-4


def test_a_linear_node_gets_no_boosting_and_a_curved_one_does() -> None:
    rng = np.random.default_rng(3)
    X, X_hold = _parents(rng), _parents(rng, 2000)
    line = lambda A: A @ [1.0, -0.5]  # noqa: E731
    flat, _ = fit_surrogate(X, line(X) + rng.normal(0, 0.3, N), X_hold, line(X_hold) + rng.normal(0, 0.3, 2000),
                            0, np.zeros(2, dtype=bool))
    assert flat.boost is None and flat.linear is not None
    curve = lambda A: A[:, 0] ** 2  # noqa: E731
    curved, _ = fit_surrogate(X, curve(X) + rng.normal(0, 0.3, N), X_hold, curve(X_hold) + rng.normal(0, 0.3, 2000),
                              0, np.zeros(2, dtype=bool))
    assert curved.boost is not None


def test_a_swapped_column_under_a_square_is_still_a_changed_mechanism() -> None:
    """y = a² computed from b at serving, b distributed as a: no marginal moves, the line sees
    nothing (a² is uncorrelated with a), and only a curved surrogate finds the change."""
    rng = np.random.default_rng(4)
    a_ref, b_ref, a_cur, b_cur = rng.normal(size=(4, 8000))
    ref = pd.DataFrame({"a": a_ref, "b": b_ref, "y": a_ref ** 2 + rng.normal(0, 0.1, 8000)})
    cur = pd.DataFrame({"a": a_cur, "b": b_cur, "y": b_cur ** 2 + rng.normal(0, 0.1, 8000)})
    result = conditional_test("y", ("a", "b"), EncodedWindows(ref, cur, frozenset()), seed=0)
    assert result.p_value < SIGNIFICANCE and result.effect > 0.3
    same = pd.DataFrame({"a": a_cur, "b": b_cur, "y": a_cur ** 2 + rng.normal(0, 0.1, 8000)})
    assert conditional_test("y", ("a", "b"), EncodedWindows(ref, same, frozenset()), seed=0).p_value > SIGNIFICANCE
