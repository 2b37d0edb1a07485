"""What a fitted model computes once gives the very numbers computed afresh (docs/fitted.md).

The KS test on pre-sorted samples against SciPy's, a numeric node's signals with and without
its fitted baseline, the distinct pairs of ``rescaling_measures`` against ``np.unique(axis=0)``,
a mechanism test with its fitted yardsticks against one that fits its own, the support index's
KD-tree answers against sklearn's, and labels made per distinct value against labels per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats

from causal_rca.causal.rescaling import distinct_pairs, holdout, rescaling_measures
from causal_rca.signals.baselines import baseline_for, numeric_baseline, numeric_baselines
from causal_rca.signals.detect import _numeric_signals
from causal_rca.signals.sorted_ks import ks_sorted, sorted_sample


def _scipy_ks(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return 0.0, 1.0
    res = stats.ks_2samp(a, b, method="asymp")
    return float(res.statistic), float(res.pvalue)


def _pairs(rng: np.random.Generator, kind: int, n1: int, n2: int) -> tuple[np.ndarray, np.ndarray]:
    if kind == 0:
        return rng.normal(size=n1), rng.normal(0.05, 1.0, size=n2)
    if kind == 1:  # few levels: ties everywhere
        return rng.integers(0, 5, n1).astype(float), rng.integers(0, 6, n2).astype(float)
    if kind == 2:  # rounded and skewed
        return np.round(rng.exponential(size=n1), 1), np.round(rng.exponential(1.1, size=n2), 1)
    a, b = rng.normal(size=n1), rng.normal(size=n2)  # nulls and infinities are left out
    a[rng.random(n1) < 0.1] = np.nan
    b[rng.random(n2) < 0.1] = np.inf
    return a, b


def test_ks_on_sorted_samples_is_scipys_to_the_bit() -> None:
    rng = np.random.default_rng(0)
    for i in range(400):
        n1, n2 = rng.integers(0, 40, 2) if i % 4 == 0 else rng.integers(2, 3000, 2)
        a, b = _pairs(rng, i % 4, int(n1), int(n2))
        assert ks_sorted(sorted_sample(a), sorted_sample(b)) == _scipy_ks(a, b), (i, n1, n2)


def test_a_shifted_sample_is_told_apart() -> None:
    rng = np.random.default_rng(1)
    d, p = ks_sorted(sorted_sample(rng.normal(size=2000)), sorted_sample(rng.normal(0.5, 1.0, size=2000)))
    assert d > 0.1 and p < 1e-10


@pytest.mark.parametrize("kind", ["continuous", "levels", "rescaled", "partly_rescaled"])
def test_numeric_signals_with_a_fitted_baseline_are_the_same(kind: str) -> None:
    rng = np.random.default_rng(2)
    ref = rng.gamma(4.0, 2.0, 20000)
    cur = {"continuous": rng.gamma(4.0, 2.2, 20000),
           "levels": rng.integers(0, 9, 20000).astype(float),
           "rescaled": rng.gamma(4.0, 2.0, 20000) / 1.609344,
           "partly_rescaled": np.where(rng.random(20000) < 0.3, 1000.0, 1.0) * rng.gamma(4.0, 2.0, 20000)}[kind]
    if kind == "levels":
        ref = rng.integers(0, 9, 20000).astype(float)
    ref[:50] = np.nan
    baseline = numeric_baseline(ref)
    assert _numeric_signals("x", ref, cur, baseline) == _numeric_signals("x", ref, cur)
    assert baseline_for({"x": baseline}, "x", ref) is baseline
    assert baseline_for({"x": baseline}, "x", ref[::-1].copy()) is None  # other rows: computed afresh
    assert baseline_for({"x": baseline}, "y", ref) is None


def test_baselines_are_read_for_the_numeric_nodes_only() -> None:
    import pandas as pd

    sample = pd.DataFrame({"n": np.arange(30.0), "c": ["a"] * 30, "b": [0.0, 1.0] * 15})
    assert set(numeric_baselines(sample, {"n": "numeric", "c": "categorical", "b": "boolean"})) == {"n", "b"}


def test_distinct_pairs_are_nps_unique_rows() -> None:
    rng = np.random.default_rng(3)
    for trial in range(60):
        n = int(rng.integers(0, 3000))
        first = rng.integers(-3, 7, n).astype(float) if trial % 2 else np.round(rng.normal(size=n), 2)
        second = first * rng.choice([1.0, 2.0, -0.0], n)
        expected = np.unique(np.c_[first, second], axis=0)
        got_first, got_second = distinct_pairs(first, second)
        assert np.array_equal(np.c_[got_first, got_second], expected)


def test_rescaling_measures_from_a_fitted_holdout_are_the_same() -> None:
    rng = np.random.default_rng(4)
    pred_hold = rng.normal(size=3000)
    y_hold = np.round(pred_hold + rng.normal(0, 0.3, 3000), 3)
    expected = rng.normal(size=4000)
    observed = np.where(rng.random(4000) < 0.4, 10.0, 1.0) * np.round(expected + rng.normal(0, 0.3, 4000), 3)
    fresh = rescaling_measures(expected, observed, (pred_hold, y_hold))
    assert fresh and rescaling_measures(expected, observed, holdout(pred_hold, y_hold)) == fresh


def _support_case(rng: np.random.Generator, kind: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference parents, current parents and which are categories, with ties, duplicates and nulls."""
    d = 2 + kind % 4
    n = int(rng.integers(8, 4000))
    X, Y = rng.normal(size=(n, d)), rng.normal(size=(3000, d)) * (0.5, 1.0, 3.0)[kind % 3]
    categorical = np.arange(d) == d - 1
    X[:, -1], Y[:, -1] = rng.integers(0, 4, n), rng.integers(-1, 5, 3000)
    if kind % 3 == 0:  # levels: neighbours tie at equal distances
        X[:, 0], Y[:, 0] = np.round(X[:, 0], 1), np.round(Y[:, 0], 1)
    if kind % 4 == 1:
        X[rng.random(n) < 0.1, 0] = np.nan
        Y[rng.random(3000) < 0.1, 0] = np.nan
    if kind % 5 == 2:  # half the reference one repeated row
        X[: n // 2] = X[0]
    Y[:500] = X[rng.integers(0, n, 500)]  # current rows on reference rows: distance 0
    return X, Y, categorical


def test_the_support_index_answers_as_sklearn_does() -> None:
    """SciPy's KD-tree gives the neighbours; where they could differ from sklearn's, sklearn answers."""
    from causal_rca.causal.encoding import support_index, support_space

    rng = np.random.default_rng(3)
    for kind in range(40):
        X, Y, categorical = _support_case(rng, kind)
        index = support_index(X, categorical, seed=kind)
        Z = support_space(Y, index.centre, index.scale, index.categorical)
        dist, idx = index.neighbours.kneighbors(Z, n_neighbors=index.k, return_distance=True)
        expected = dist[:, -1] <= np.maximum(3.0 * np.median(index.own[idx], axis=1), 0.05)
        got = index.inside(Y)
        assert (got == expected).all() and 0 < got.sum() < len(Y), kind


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.one_of(hs.floats(allow_nan=True, allow_infinity=True), hs.integers(-5, 5).map(float)),
                max_size=60))
def test_labels_made_once_per_distinct_number_are_each_values_label(values: list[float]) -> None:
    """The distribution summaries label a float column per distinct value: the same labels as per row."""
    from causal_rca.explain.distributions import _label, _labels

    series = pd.Series(values, dtype=float)
    assert _labels(series).equals(series.dropna().map(_label))


@settings(max_examples=80, deadline=None)
@given(hs.lists(hs.one_of(hs.sampled_from([0.0, -0.0, 1.0, 2.5]), hs.floats(allow_nan=False, allow_infinity=False)),
                max_size=80))
def test_run_ends_are_searchsorted_right(values: list[float]) -> None:
    from causal_rca.signals.sorted_ks import run_ends

    ordered = np.sort(np.array(values, dtype=float))
    expected = np.searchsorted(ordered, ordered, side="right").astype(np.int32)
    assert run_ends(ordered).dtype == np.int32 and (run_ends(ordered) == expected).all()


@settings(max_examples=120, deadline=None)
@given(hs.lists(hs.sampled_from([-1.0, 0.0, 0.5, 2.0, 3.0]) | hs.floats(-5, 5), max_size=60),
       hs.lists(hs.sampled_from([-1.0, 0.0, 0.5, 2.0, 3.0]) | hs.floats(-5, 5), max_size=60))
def test_cross_counts_are_both_searches(a: list[float], b: list[float]) -> None:
    """One binary search and a running count give both ECDF cross terms, ties included."""
    from causal_rca.signals.sorted_ks import cross_counts

    a_, b_ = np.sort(np.array(a, dtype=float)), np.sort(np.array(b, dtype=float))
    right, back = cross_counts(a_, b_)
    assert (right == np.searchsorted(a_, b_, side="right")).all()
    assert (back == np.searchsorted(b_, a_, side="right")).all() and back.dtype == np.int64


def test_the_p_value_bound_is_never_below_the_test() -> None:
    """Massart's bound, by which ``ks_sorted(..., unless_below=)`` skips ``kstwo``, is never below the p-value."""
    from causal_rca.signals.sorted_ks import p_value_bound

    rng = np.random.default_rng(5)
    for n in (2, 5, 40, 700, 2500, 10000, 200000):
        for d in np.r_[rng.uniform(0, 1, 40), np.linspace(0.0, 0.2, 81)]:
            assert p_value_bound(float(d), float(n)) >= stats.kstwo.sf(d, n), (n, d)


def test_a_test_cut_short_is_one_below_the_level() -> None:
    """``unless_below`` changes only p-values below the level, to 0.0, and keeps D."""
    rng = np.random.default_rng(7)
    cut = 0
    for i in range(300):
        n1, n2 = rng.integers(2, 4000, 2)
        a, b = _pairs(rng, i % 4, int(n1), int(n2))
        b = b * rng.choice([1.0, 1.02, 1.1, 0.9144])
        full = ks_sorted(sorted_sample(a), sorted_sample(b))
        short = ks_sorted(sorted_sample(a), sorted_sample(b), unless_below=0.01)
        assert short == full or (short == (full[0], 0.0) and full[1] < 0.01), i
        cut += short != full
    assert cut > 20


def test_conversions_ruled_out_early_are_the_ones_the_test_rejects(monkeypatch) -> None:
    """``conversion_within_noise`` answers the same with and without the early bound."""
    from causal_rca.signals import units

    rng = np.random.default_rng(6)
    cases = []
    for i in range(60):
        ref = rng.gamma(3.0, 2.0, 3000)
        factor = rng.choice([1.0, 0.9144, 1 / 0.9144, 1.05, 0.95, 3.6, 2.54])
        cur = rng.gamma(3.0, 2.0, int(rng.integers(500, 3000))) * factor * (1 + rng.normal(0, 0.01))
        cases.append((ref, cur, float(factor * rng.uniform(0.97, 1.03))))
    fast = [units.conversion_within_noise(*c) for c in cases]
    monkeypatch.setattr(units, "ks_sorted", lambda a, b, unless_below=0.0, at_most=None: ks_sorted(a, b, at_most=at_most))
    assert [units.conversion_within_noise(*c) for c in cases] == fast
    assert any(f is not None for f in fast) and any(f is None for f in fast)


def test_a_column_matrix_is_the_sub_frames_array() -> None:
    """``column_matrix`` gives ``frame[names].to_numpy(float)``: the same values in the same layout."""
    from causal_rca.causal.encoding import column_matrix

    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"a": rng.normal(size=50), "b": rng.integers(0, 3, 50), "c": rng.random(50) < 0.5,
                          "d": np.where(rng.random(50) < 0.2, np.nan, rng.normal(size=50))})
    for names in (("a",), ("d", "a"), ("b", "c", "d"), ("a", "b", "c", "d"), ()):
        expected, got = frame[list(names)].to_numpy(dtype=float), column_matrix(frame, names)
        assert got.shape == expected.shape and got.dtype == expected.dtype
        assert np.array_equal(got, expected, equal_nan=True)
        if names:  # each column contiguous, as in pandas
            assert got.strides[0] == expected.strides[0] == got.itemsize
