"""Two-sample statistics (with property tests) and per-node signals."""

from __future__ import annotations

import numpy as np
import pytest
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as hs
from hypothesis.extra.numpy import arrays

from causal_rca.lineage import graph_from_dict
from causal_rca.signals import statistics as st
from causal_rca.signals.detect import measure_signals, strongest
from causal_rca.windows.counts import measure_counts
from causal_rca.windows.frames import node_columns, node_samples, resolve_dtypes
from causal_rca.windows.tables import open_windows

finite = hs.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(arrays(float, hs.integers(0, 60), elements=hs.one_of(finite, hs.just(np.nan), hs.just(np.inf))),
       arrays(float, hs.integers(0, 60), elements=hs.one_of(finite, hs.just(np.nan))))
def test_ks_is_bounded_for_any_input(a, b) -> None:
    d, p = st.ks_two_sample(a, b)
    assert 0.0 <= d <= 1.0
    assert 0.0 <= p <= 1.0


@settings(max_examples=150, deadline=None)
@given(hs.integers(0, 500), hs.integers(0, 500), hs.integers(0, 500), hs.integers(0, 500))
def test_two_proportion_is_a_probability(k1, extra1, k2, extra2) -> None:
    p = st.two_proportion(k1, k1 + extra1, k2, k2 + extra2)
    assert 0.0 <= p <= 1.0


@settings(max_examples=100, deadline=None)
@given(hs.dictionaries(hs.text(min_size=1, max_size=3), hs.integers(0, 50), max_size=8),
       hs.dictionaries(hs.text(min_size=1, max_size=3), hs.integers(0, 50), max_size=8))
def test_chi_square_counts_bounded(ref, cur) -> None:
    tvd, p = st.chi_square_counts(ref, cur)
    assert 0.0 <= tvd <= 1.0 + 1e-12
    assert 0.0 <= p <= 1.0


@settings(max_examples=100, deadline=None)
@given(hs.floats(0.01, 1000), hs.floats(-100, 100), hs.integers(0, 10_000))
def test_affine_fit_recovers_rescaling(scale, shift, seed) -> None:
    ref = np.random.default_rng(seed).gamma(2.0, 3.0, 2000)
    fitted_scale, fitted_shift, r2 = st.affine_fit(ref, ref * scale + shift)
    assert abs(fitted_scale - scale) < 1e-6 * max(1.0, scale)
    assert r2 > 0.999


def test_ks_detects_shift_not_noise() -> None:
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(0, 1, 3000), rng.normal(0, 1, 3000), rng.normal(0.5, 1, 3000)
    assert st.ks_two_sample(a, b)[1] > 0.01
    assert st.ks_two_sample(a, c)[1] < 1e-10


def test_benjamini_hochberg_is_monotone_and_not_below_raw() -> None:
    raw = [0.001, 0.04, 0.03, 0.5, np.nan]
    adj = st.benjamini_hochberg(raw)
    assert all(a >= r for a, r in zip(adj[:4], raw[:4]))
    assert adj[4] == 1.0


GRAPH = {
    "version": 1, "name": "sig",
    "nodes": {
        "num": {"kind": "source", "column": "num"},
        "cat": {"kind": "source", "column": "cat"},
        "feat": {"kind": "feature", "parents": ["num"], "column": "feat"},
        "model": {"kind": "model", "parents": ["feat", "cat"], "column": "score"},
        "y": {"kind": "label", "parents": ["num"], "column": "y"},
        "recall": {"kind": "metric", "parents": ["model", "y"], "metric": "recall"},
    },
}


def frames(n: int = 2000):
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"num": rng.normal(5, 1, n), "cat": rng.choice(["a", "b"], n)})
    ref["feat"] = ref["num"] * 2
    ref["score"] = rng.random(n)
    ref["y"] = (rng.random(n) < 0.3).astype(int)
    return ref


def measured(ref: pd.DataFrame, cur: pd.DataFrame, spec: dict = GRAPH):
    """(graph, signals, profiles) of the two windows, as the engine measures them."""
    graph = graph_from_dict(spec)
    r, c = open_windows(graph, ref, cur)
    dtypes = resolve_dtypes(graph, r)
    (rs, rt), (cs, ct) = node_samples(r, graph, dtypes, 5000, 0), node_samples(c, graph, dtypes, 5000, 1)
    rc, cc = measure_counts(r, c, node_columns(graph, dtypes), rt, ct)
    return (graph, *measure_signals(graph, rc, cc, dtypes, rs, cs))


def signals_for(ref: pd.DataFrame, cur: pd.DataFrame):
    return measured(ref, cur)[1]


def test_null_rate_jump_is_the_strongest_signal() -> None:
    ref = frames()
    cur = frames()
    cur.loc[: len(cur) // 3, "feat"] = np.nan
    top = strongest(signals_for(ref, cur), "feat")
    assert top is not None and top.signal == "null_rate"
    assert top.current > 0.3


def test_type_change_shows_as_coercion_and_dtype() -> None:
    ref = frames()
    cur = frames()
    cur["num"] = cur["num"].astype(object)
    cur.loc[: len(cur) // 4, "num"] = "n/a"
    kinds = {s.signal for s in signals_for(ref, cur) if s.node == "num" and s.anomalous}
    assert {"coercion", "dtype"} <= kinds


def test_a_column_entirely_null_in_one_window_has_no_type_change() -> None:
    """A reader types an all-null column NULL (or text): the nulls are the finding, not a type change."""
    ref = frames()
    cur = frames()
    cur["num"] = pd.Series([None] * len(cur), dtype=object)
    kinds = {s.signal for s in signals_for(ref, cur) if s.node == "num" and s.anomalous}
    assert "null_rate" in kinds and "dtype" not in kinds


def test_rescaled_feature_shows_scale() -> None:
    ref = frames()
    cur = frames()
    cur["feat"] = cur["feat"] * 100
    scale = [s for s in signals_for(ref, cur) if s.node == "feat" and s.signal == "scale"]
    assert scale and abs(scale[0].current - 100) < 1 and scale[0].anomalous


def test_identical_windows_have_no_anomaly() -> None:
    ref = frames()
    assert not [s for s in signals_for(ref, ref.copy()) if s.anomalous]


def test_new_categories() -> None:
    ref = frames()
    cur = frames()
    cur.loc[: len(cur) // 5, "cat"] = "zz"
    new = [s for s in signals_for(ref, cur) if s.node == "cat" and s.signal == "new_categories"]
    assert new and new[0].anomalous and new[0].current > 0.15


def _contract_violations(ref: pd.DataFrame, cur: pd.DataFrame, max_null_rate: float):
    from causal_rca.signals.detect import null_contract_violations

    spec = {**GRAPH, "nodes": {**GRAPH["nodes"], "feat": {**GRAPH["nodes"]["feat"],
                                                          "contract": {"max_null_rate": max_null_rate}}}}
    graph, _signals, profiles = measured(ref, cur, spec)
    return null_contract_violations(graph, profiles)


def _with_nulls(share: float, n: int = 2000):
    frame = frames(n)
    frame.loc[: int(share * n) - 1, "feat"] = np.nan
    return frame


def test_null_rate_above_the_contract_is_a_violation_whatever_the_reference() -> None:
    found = _contract_violations(_with_nulls(0.26), _with_nulls(0.48), 0.30)
    assert [(s.node, s.signal) for s in found] == [("feat", "contract")]
    assert "above the contract's max_null_rate 30%" in found[0].detail


def test_a_null_rate_at_the_bound_within_sampling_noise_is_not() -> None:
    """31% of 200 rows is what a 30% rate gives often: the binomial test at the window's size says so."""
    assert _contract_violations(_with_nulls(0.26, 200), _with_nulls(0.31, 200), 0.30) == []
    assert _contract_violations(_with_nulls(0.26), _with_nulls(0.29), 0.30) == []


def _banded(n: int, seed: int, shares=(0.1, 0.2, 0.3, 0.2, 0.1, 0.1)) -> np.ndarray:
    return np.random.default_rng(seed).choice([20.0, 30.0, 40.0, 50.0, 60.0, 70.0], n, p=list(shares))


def test_a_banded_column_rescaled_by_a_unit_change_is_a_line_of_levels() -> None:
    """Ages in bands ×12: quantiles jump between levels, the levels themselves lie on a line."""
    ref, cur = _banded(3000, 1), _banded(3000, 2) * 12
    scale, shift, r2, p_shares = st.level_affine_fit(ref, cur)
    assert abs(scale - 12) < 1e-9 and abs(shift) < 1e-6 and r2 > 0.9999 and p_shares > 0.01


def test_a_banded_population_shift_is_not_a_rescaling() -> None:
    """Same levels, other shares: the chi-square test of the shares rejects."""
    scale, _shift, _r2, p_shares = st.level_affine_fit(_banded(3000, 1), _banded(3000, 2, (0.3, 0.3, 0.2, 0.1, 0.05, 0.05)))
    assert abs(scale - 1) < 1e-9 and p_shares < 1e-6


def test_level_fit_needs_three_shared_levels_and_a_discrete_column() -> None:
    rng = np.random.default_rng(0)
    assert st.level_affine_fit(rng.normal(size=500), rng.normal(size=500)) is None
    assert st.level_affine_fit(rng.choice([0.0, 1.0], 500), rng.choice([0.0, 2.0], 500)) is None


def test_banded_unit_change_gives_a_scale_signal_with_its_units() -> None:
    ref = frames()
    cur = frames()
    ref["num"] = _banded(len(ref), 3)
    cur["num"] = _banded(len(cur), 4) * 12
    scale = [s for s in signals_for(ref, cur) if s.node == "num" and s.signal == "scale"]
    assert scale and scale[0].anomalous and scale[0].current == 12.0
    assert scale[0].value == "years ↔ months, feet ↔ inches"


def test_nulls_that_took_the_large_values_are_coercion_random_ones_are_not() -> None:
    from causal_rca.signals.detect import _tail_null_signals

    rng = np.random.default_rng(3)
    ref, cur = rng.lognormal(3, 1, 3000), rng.lognormal(3, 1, 3000)
    coerced = np.where(cur >= np.quantile(cur, 0.7), np.nan, cur)  # "1,234" no longer parses
    lost = np.where(rng.random(3000) < 0.3, np.nan, cur)          # an outage
    [tail] = _tail_null_signals("x", ref, coerced)
    assert tail.p_value < 1e-10 and tail.effect > 0.25
    [random] = _tail_null_signals("x", ref, lost)
    assert random.p_value > 0.01 or random.effect == 0.0
    assert _tail_null_signals("x", ref, cur) == []  # no new nulls, nothing to say


def test_a_share_of_rows_in_thousands_is_a_partial_change_of_units() -> None:
    from causal_rca.signals.detect import _numeric_signals

    rng = np.random.default_rng(4)
    ref = rng.gamma(2.0, 20.0, 2000)
    cur = rng.gamma(2.0, 20.0, 2000)
    rows = rng.random(2000) < 0.4
    cur[rows] *= 1000.0  # one serving version reports in units instead of thousands
    factor, share, p_fit = st.partial_rescale_fit(ref, cur)
    assert abs(np.log10(factor) - 3.0) < 0.02 and abs(share - 0.4) < 0.05 and p_fit > 0.05
    found = {s.signal: s for s in _numeric_signals("x", ref, cur)}
    assert "partial_scale" in found and found["partial_scale"].value is not None


@pytest.mark.parametrize("how", ["noise", "population", "shape"])
def test_other_changes_are_not_a_partial_change_of_units(how) -> None:
    from causal_rca.signals.detect import _numeric_signals

    rng = np.random.default_rng(5)
    ref = rng.gamma(2.0, 20.0, 2000)
    cur = {"noise": rng.gamma(2.0, 20.0, 2000) * rng.uniform(0.5, 2.0, 2000),  # fits a mixture at c ≈ 3
           "population": rng.gamma(2.0, 28.0, 2000),
           "shape": rng.gamma(3.0, 20.0, 2000)}[how]
    assert "partial_scale" not in {s.signal for s in _numeric_signals("x", ref, cur)}


def test_a_new_population_out_of_range_is_no_partial_change_of_units() -> None:
    """Both fit a mixture with a scaled copy on the bulk; only the rescaled rows keep the reference's shape past its edge."""
    from causal_rca.signals.statistics import rescaled_tail_fit

    rng = np.random.default_rng(21)
    ref = rng.lognormal(4.2, 0.5, 3000)
    partly = np.where(rng.random(3000) < 0.2, 1000 * rng.lognormal(4.2, 0.5, 3000), rng.lognormal(4.2, 0.5, 3000))
    assert rescaled_tail_fit(ref, partly, 1000.0) >= 0.01
    new_market = np.r_[rng.lognormal(4.2, 0.5, 2400), rng.uniform(1000, 4700, 600)]  # a cluster of its own
    assert rescaled_tail_fit(ref, new_market, 28.5) < 0.01


def _support(ref: np.ndarray, cur: np.ndarray):
    from causal_rca.signals.detect import _numeric_signals
    return next(s for s in _numeric_signals("x", ref, cur) if s.signal == "out_of_support")


def test_a_tilt_onto_a_rare_level_the_reference_held_stays_inside_the_support() -> None:
    """A count clipped at its maximum: 4 reference rows of 5,000 hold the top level, past the
    0.1–99.9% range; a population tilted toward it piles rows there without leaving the support."""
    rng = np.random.default_rng(0)
    levels = np.array([0.0, 6.9, 13.7, 20.6, 27.4, 34.3, 41.1, 58.6])
    ref = np.r_[rng.choice(levels[:-1], 4996, p=[0.3, 0.25, 0.2, 0.1, 0.08, 0.05, 0.02]), np.full(4, 58.6)]
    cur = rng.choice(levels, 2000, p=[0.02, 0.03, 0.05, 0.05, 0.1, 0.1, 0.05, 0.6])
    signal = _support(ref, cur)
    assert signal.effect == 0.0 and "on levels it never had" in signal.detail
    new_levels = np.r_[cur[:1500], np.full(500, 75.0)]  # a level the reference never had, past its range
    assert _support(ref, new_levels).effect == pytest.approx(0.25)


@settings(max_examples=30, deadline=None)
@given(weights=hs.lists(hs.floats(0.01, 1.0), min_size=5, max_size=5), seed=hs.integers(0, 10_000))
def test_any_reweighting_of_a_discrete_column_keeps_it_inside_its_support(weights, seed) -> None:
    rng = np.random.default_rng(seed)
    levels = np.array([1.0, 2.0, 3.0, 5.0, 40.0])
    ref = rng.choice(levels, 3000, p=[0.4, 0.3, 0.2, 0.099, 0.001])
    ref[:2] = 40.0  # the top level is rare but present
    p = np.array(weights) / sum(weights)
    assert _support(ref, rng.choice(levels, 1000, p=p)).effect == 0.0


def test_a_continuous_column_keeps_its_quantile_range_as_support() -> None:
    rng = np.random.default_rng(1)
    ref, cur = rng.normal(0, 1, 5000), np.r_[rng.normal(0, 1, 900), rng.normal(8, 1, 100)]
    signal = _support(ref, cur)
    assert signal.effect == pytest.approx(0.1, abs=0.01) and "levels" not in signal.detail


def _rated(n: int, seed: int) -> np.ndarray:
    """A 1-5 rating whose top level holds 45% of rows: the column's repeated value."""
    return np.random.default_rng(seed).choice([1.0, 2.0, 3.0, 4.0, 5.0], n, p=[0.05, 0.1, 0.15, 0.25, 0.45])


def _default_value_signal(fill, share: float = 0.8):
    ref, cur = frames(4000), frames(4000)
    ref["num"], cur["num"] = _rated(4000, 2), _rated(4000, 3)
    cur["num"] = fill(cur["num"].to_numpy(), np.random.default_rng(4).random(4000) < share)
    return next((s for s in signals_for(ref, cur) if s.node == "num" and s.signal == "default_value"), None)


def test_a_fallback_on_rows_whatever_they_held_does_not_replace_the_repeated_value() -> None:
    """An outage filling -1 on 80% of rows dilutes the old top level as much as every other level:
    among the rows without -1 it keeps its share, so the repeated value did not change, only a
    fallback took rows (blind case 1012253 read this as a changed value, then `out_of_distribution`)."""
    found = _default_value_signal(lambda v, hit: np.where(hit, -1.0, v))
    assert found is not None and found.current == "-1.0"
    assert not found.anomalous, found


def test_a_default_that_replaced_the_old_one_is_a_changed_repeated_value() -> None:
    """Serving fills -1 where training held the top level: among the other rows the old value is gone."""
    found = _default_value_signal(lambda v, hit: np.where(v == 5.0, -1.0, v), share=1.0)
    assert found is not None and found.anomalous and found.effect > 0.4, found
