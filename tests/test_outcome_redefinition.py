"""A redefined outcome (label_shift) against a relation changed in one region of an input (concept_drift).

causal/outcome_redefinition.py (numeric and 0/1 outcomes: one affine map of the whole outcome) and
class_outcome.map_follows_input (multi-class labels: one class-to-class map for every row).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from causal_rca.causal.class_outcome import class_outcome_measures, map_follows_input
from causal_rca.causal.outcome_redefinition import redefinition_measures, relation_effect
from causal_rca.causal.outcome_tests import deviation_by_input
from causal_rca.diagnosis.class_verdict import class_label_verdict
from causal_rca.diagnosis.classify import _numeric_label_verdict

N = 3000
DETERMINISTIC = settings(max_examples=15, derandomize=True, deadline=None)


def _mechanism(rng: np.random.Generator, n: int, weights: np.ndarray, bend: float):
    """Inputs and a random mechanism's mean (linear plus a bend in the first input)."""
    x = rng.normal(size=(n, len(weights)))
    return x, x @ weights + bend * np.tanh(x[:, 0])


def _windows(seed: int, weights, bend: float, change):
    rng = np.random.default_rng(seed)
    x0, mean0 = _mechanism(rng, N, weights, bend)
    x1, mean1 = _mechanism(rng, N, weights, bend)
    y0, y1 = mean0 + rng.normal(size=N), change(mean1 + rng.normal(size=N), x1, mean1, rng)
    return redefinition_measures(mean0, y0, x0, mean1, y1, x1)


mechanisms = hs.tuples(hs.integers(0, 10_000), hs.lists(hs.floats(1.0, 2.5), min_size=2, max_size=4),
                       hs.floats(-1.0, 1.0))


@DETERMINISTIC
@given(mechanisms, hs.floats(1.15, 1.75), hs.floats(-3.0, 3.0))
def test_an_affine_redefinition_of_the_whole_outcome_is_label_shift(mechanism, scale, offset) -> None:
    seed, weights, bend = mechanism
    m = _windows(seed, np.array(weights), bend, lambda y, x, mean, rng: offset + scale * y)
    assert m["redefinition_p"] < 0.01 and m["p_follows_redefinition"] > 1e-4
    assert abs(m["redefinition_scale"] - scale) < 0.15
    assert _numeric_label_verdict(m)[0] == "label_shift"


@DETERMINISTIC
@given(mechanisms)
def test_an_effect_reversed_in_half_the_range_is_concept_drift(mechanism) -> None:
    seed, weights, bend = mechanism
    weights = np.array(weights)

    def reversed_where_high(y, x, mean, rng):
        high = x[:, 0] > 0
        return np.where(high, y - 2 * weights[0] * x[:, 0], y)
    m = _windows(seed, weights, bend, reversed_where_high)
    assert m["p_follows_redefinition"] < 1e-4
    assert _numeric_label_verdict(m)[0] == "concept_drift"


@DETERMINISTIC
@given(mechanisms, hs.floats(-0.5, 0.5))
def test_outcomes_decoupled_from_the_inputs_in_one_region_are_concept_drift(mechanism, cut) -> None:
    """Outcomes shuffled among the rows above a cut of the first input (spec family 3000409): a flatter
    line through both regions' means leaves mean deviations that barely follow the input, but the
    slope within the region is gone."""
    seed, weights, bend = mechanism

    def decoupled_where_high(y, x, mean, rng):
        region = np.flatnonzero(x[:, 0] > cut)
        y = y.copy()
        y[region] = y[rng.permutation(region)]
        return y
    m = _windows(seed, np.array(weights), bend, decoupled_where_high)
    assert m["p_slope_follows_redefinition"] < 1e-4
    assert _numeric_label_verdict(m)[0] == "concept_drift"


@DETERMINISTIC
@given(mechanisms, hs.floats(0.2, 0.8), hs.floats(1.3, 1.75))
def test_a_share_of_rows_redefined_at_random_is_label_shift(mechanism, share, scale) -> None:
    """A new definition applied to a random share of rows: E[y'|x] = (1 - s + s·b)·E[y|x], one line
    for every row, so neither the deviations nor the slopes by group follow an input."""
    seed, weights, bend = mechanism

    def partly_rescaled(y, x, mean, rng):
        return np.where(rng.random(len(y)) < share, scale * y, y)
    m = _windows(seed, np.array(weights), bend, partly_rescaled)
    assert m["p_slope_follows_redefinition"] > 1e-4
    if m["redefinition_p"] < 0.01:  # a small share by a small factor may not move the line measurably
        assert _numeric_label_verdict(m)[0] == "label_shift"


@DETERMINISTIC
@given(hs.integers(0, 10_000), hs.floats(0.5, 1.0))
def test_deviations_moved_in_one_region_are_sized_in_standard_deviations(seed, move) -> None:
    """Residuals moved by ``move`` sd above the median of one input (half the rows): the test finds
    it, and its size is the root mean square of the groups' moves, net of the overall level."""
    rng = np.random.default_rng(seed)
    x0, x1 = rng.normal(size=(N, 2)), rng.normal(size=(N, 2))
    d0, d1 = rng.normal(size=N), rng.normal(size=N) + move * (x1[:, 0] > 0)
    p, shift = deviation_by_input(d0, x0, d1, x1)
    assert p < 1e-4 and abs(shift - move / 2) < 0.1
    m = {"p_follows_input": p, "follows_input_shift": shift}
    assert relation_effect(m, 0.01) > 0  # the KS distance of two normals that far apart
    assert relation_effect({**m, "p_follows_input": 0.5}, 0.01) == 0.0  # a size of noise is not counted


def test_deviations_that_did_not_move_are_not_sized() -> None:
    rng = np.random.default_rng(3)
    x0, x1 = rng.normal(size=(N, 2)), rng.normal(size=(N, 2))
    p, shift = deviation_by_input(rng.normal(size=N), x0, rng.normal(size=N) + 0.7, x1)  # a level, no region
    assert p > 0.01 and shift < 0.1


def test_noisier_outcomes_on_the_same_line_are_concept_drift() -> None:
    m = _windows(1, np.array([1.0, 0.5]), 0.3, lambda y, x, mean, rng: y + rng.normal(scale=1.5, size=len(y)))
    assert m["redefinition_p"] > 0.01
    assert _numeric_label_verdict(m) == ("concept_drift", ["mechanism"], [])


@DETERMINISTIC
@given(hs.integers(0, 10_000), hs.floats(0.1, 0.4))
def test_negatives_relabelled_positive_at_random_are_label_shift(seed, share) -> None:
    """A 0/1 outcome (a label read as a number): E[y'|x] = q + (1 - q)·p(x), affine in p."""
    def draw(rng):
        x = rng.normal(size=(N, 2))
        p = 1 / (1 + np.exp(-(x[:, 0] - 0.5 * x[:, 1] - 1)))
        return x, p, (rng.random(N) < p).astype(float)
    rng = np.random.default_rng(seed)
    (x0, p0, y0), (x1, p1, y1) = draw(rng), draw(rng)
    y1[(y1 == 0) & (rng.random(N) < share)] = 1.0
    m = redefinition_measures(p0, y0, x0, p1, y1, x1)
    assert m["redefinition_p"] < 0.01 and m["p_follows_redefinition"] > 1e-4


def _class_windows(seed: int, change):
    rng = np.random.default_rng(seed)

    def draw():
        x = rng.normal(size=(N, 2))
        logits = np.column_stack([x[:, 0], x[:, 1], -x[:, 0] - x[:, 1]])
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        y = np.array([rng.choice(3, p=row) for row in p], dtype=float)
        return x, p, y
    (x0, p0, y0), (x1, p1, y1) = draw(), draw()
    return x0, p0, y0, x1, p1, change(y1, x1, rng)


@settings(max_examples=10, derandomize=True, deadline=None)
@given(hs.integers(0, 10_000), hs.floats(0.2, 0.6), hs.sampled_from([1.0, 3.0]))
def test_one_class_relabelled_whatever_the_inputs_is_label_shift(seed, share, target) -> None:
    """Part of class 0 now annotated as class 1 (or as a new class 3), whatever the inputs."""
    def relabel(y, x, rng):
        return np.where((y == 0) & (rng.random(len(y)) < share), target, y)
    x0, p0, y0, x1, p1, y1 = _class_windows(seed, relabel)
    assert map_follows_input(np.arange(3.0), p0, y0, x0, p1, y1, x1) > 1e-4


@settings(max_examples=10, derandomize=True, deadline=None)
@given(hs.integers(0, 10_000))
def test_one_class_relabelled_in_one_region_of_an_input_is_concept_drift(seed) -> None:
    def relabel(y, x, rng):
        return np.where((y == 0) & (x[:, 1] > 0.5), 1.0, y)
    x0, p0, y0, x1, p1, y1 = _class_windows(seed, relabel)
    m = class_outcome_measures(np.arange(3.0), p0, y0, p1, y1, x0, x1)
    assert m["p_map_follows_input"] < 1e-4


def test_the_class_verdict_reads_either_the_map_test_or_the_log_loss() -> None:
    moved = {"new_class_share": 0.0, "new_class_p": 1.0, "class_prior_p": 1e-9, "class_prior_shift": 0.2,
             "class_map_loss_reference": 0.9, "class_map_loss_current": 1.2, "class_map_p": 1e-9}
    assert class_label_verdict({**moved, "p_map_follows_input": 0.3})[0] == "label_shift"
    mode, _by, alternatives = class_label_verdict({**moved, "p_map_follows_input": 1e-6})
    assert mode == "concept_drift" and alternatives[0][0] == "label_shift"
    assert class_label_verdict(moved)[0] == "concept_drift"  # no inputs: the log-loss after the map decides
    explained = {**moved, "class_map_p": 0.5, "p_map_follows_input": 1e-6}  # a sharp fit, a class merged
    assert class_label_verdict(explained)[0] == "label_shift"


@DETERMINISTIC
@given(mechanisms, hs.floats(0.5, 1.5))
def test_an_effect_reversed_over_the_whole_range_is_concept_drift(mechanism, scale) -> None:
    """An outcome that now falls where it rose is on a line too, but a definition keeps the order."""
    seed, weights, bend = mechanism
    m = _windows(seed, np.array(weights), bend, lambda y, x, mean, rng: 10.0 - scale * y)
    assert m["redefinition_p"] < 0.01 and m["redefinition_order_p"] > 0.5
    assert _numeric_label_verdict(m)[0] == "concept_drift"
