"""Features over an entity's history: which computation reproduces them, and did it change (causal/history.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from causal_rca.causal.history import Computation, history_check, learn_computation, one_broken_history
from causal_rca.causal.mechanism_result import SIGNIFICANCE
from causal_rca.diagnosis.classify import _nulls_by_value
from causal_rca.windows.frames import KEY, TIME


def _log(seed: int, entities: int = 150, events: int = 12, start: float = 0.0) -> pd.DataFrame:
    """One row per event: entity, epoch seconds, and a value that varies per event."""
    rng = np.random.default_rng(seed)
    keys = np.repeat([f"c{i}" for i in range(entities)], events)
    times = start + np.concatenate([np.sort(rng.uniform(0, 20 * 86400, events)) for _ in range(entities)])
    frame = pd.DataFrame({KEY: keys, TIME: times, "amount": np.round(rng.gamma(2.0, 30.0, len(keys)), 2)})
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # logs need not be in order


def _rolling(frame: pd.DataFrame, parent: str, length: int, with_current: bool) -> pd.Series:
    """The feature as a pipeline computes it: pandas, per entity in time order."""
    ordered = frame.sort_values([KEY, TIME])
    values = ordered[parent] if with_current else ordered.groupby(KEY)[parent].shift(1)
    rolled = values.groupby(ordered[KEY]).rolling(length, min_periods=1).mean().reset_index(level=0, drop=True)
    return rolled.reindex(frame.index).round(6)


def _with_feature(frame: pd.DataFrame, length: int = 5, with_current: bool = False) -> pd.DataFrame:
    return frame.assign(avg=_rolling(frame, "amount", length, with_current))


def test_the_reference_computation_is_learnt() -> None:
    reference = _with_feature(_log(1))
    assert learn_computation(reference, "avg", ("amount",), seed=0) == Computation("amount", "mean", "5", False)


def test_an_unchanged_computation_is_not_a_change_even_when_its_parent_broke() -> None:
    # The parent was zero-filled on a third of current rows: the child moved, but it is still
    # the mean of its parent's last five values, so it is a messenger, not a cause.
    reference = _with_feature(_log(1))
    current = _log(2, start=30 * 86400)
    current.loc[current.index % 3 == 0, "amount"] = 0.0
    current = _with_feature(current)
    computation = learn_computation(reference, "avg", ("amount",), seed=0)
    result = history_check("avg", computation, reference, current, "customer").result("avg", ("amount",))
    assert result.measures["history_share_current"] == 1.0
    assert result.p_value > SIGNIFICANCE and result.effect == 0.0


def test_a_shorter_window_at_serving_is_a_change() -> None:
    reference = _with_feature(_log(1))
    current = _with_feature(_log(2, start=30 * 86400), length=2)
    computation = learn_computation(reference, "avg", ("amount",), seed=0)
    result = history_check("avg", computation, reference, current, "customer").result("avg", ("amount",))
    assert result.method == "history" and result.p_value < 1e-6 and result.effect == 1.0
    assert "previous 5 rows per 'customer'" in result.detail


def test_the_current_event_included_at_serving_is_a_change() -> None:
    reference = _with_feature(_log(1), length=10)
    current = _with_feature(_log(2, start=30 * 86400), length=10, with_current=True)
    computation = learn_computation(reference, "avg", ("amount",), seed=0)
    assert computation == Computation("amount", "mean", "10", False)
    result = history_check("avg", computation, reference, current, "customer").result("avg", ("amount",))
    assert result.p_value < 1e-6
    assert result.consistent.sum() == len(current) - result.measures["history_rows_current"]  # only the unchecked


def test_a_count_over_the_last_day_is_learnt() -> None:
    frame = _log(3).sort_values([KEY, TIME])
    counts = []
    for _key, rows in frame.groupby(KEY):
        events = pd.Series(1.0, index=pd.to_datetime(rows[TIME], unit="s"))
        counts.append(pd.Series(events.rolling("24h", closed="left").count().to_numpy(), index=rows.index))
    frame["events_24h"] = pd.concat(counts).reindex(frame.index).fillna(0.0)
    assert learn_computation(frame, "events_24h", ("amount",), seed=0) == Computation(None, "count", "24h", False)


def test_a_copy_of_a_parent_that_repeats_per_entity_is_not_a_history_feature() -> None:
    # An income that is the customer's own repeats on each row, so it equals its own lag;
    # the same-row value explains the copy at least as well, and the same-row test keeps it.
    frame = _log(4)
    income = {k: float(v) for k, v in zip(frame[KEY].unique(), np.arange(frame[KEY].nunique()) * 1000.0)}
    frame = frame.assign(income=frame[KEY].map(income))
    assert learn_computation(frame.assign(income_filled=frame["income"]), "income_filled", ("income",), 0) is None


def test_a_value_unrelated_to_the_history_learns_nothing() -> None:
    frame = _log(5)
    noise = np.round(np.random.default_rng(6).normal(size=len(frame)), 3)
    assert learn_computation(frame.assign(other=noise), "other", ("amount",), seed=0) is None


@settings(max_examples=15, deadline=None)
@given(length=hs.sampled_from([2, 3, 5, 10, 20]), with_current=hs.booleans(), seed=hs.integers(0, 10_000))
def test_any_rolling_mean_is_learnt_as_one_that_reproduces_it(length: int, with_current: bool, seed: int) -> None:
    reference = _with_feature(_log(seed, entities=60, events=25), length, with_current)
    computation = learn_computation(reference, "avg", ("amount",), seed=0)
    assert computation is not None
    result = history_check("avg", computation, reference, reference, "customer").result("avg", ("amount",))
    assert result.measures["history_share_reference"] == 1.0


def test_rows_the_mechanism_test_sets_aside_are_not_counted() -> None:
    # A new segment whose features were computed from events the log does not hold: its rows
    # are not reproduced, but they are also below a broken node (the new segment), and the
    # mechanism test counts only the rows it tests.
    reference = _with_feature(_log(1))
    current = _with_feature(_log(2, start=30 * 86400))
    segment = current[KEY].isin([f"c{i}" for i in range(50)]).to_numpy()
    current.loc[segment, "avg"] = current.loc[segment, "avg"] * 1.7
    check = history_check("avg", learn_computation(reference, "avg", ("amount",), 0), reference, current, "customer")
    assert check.result("avg", ("amount",)).p_value < 1e-6
    kept = check.result("avg", ("amount",), rows=~segment)
    assert kept.p_value > SIGNIFICANCE and kept.measures["history_share_current"] == 1.0


def test_several_history_features_broken_at_once_are_not_each_blamed() -> None:
    reference = _with_feature(_log(1)).assign(avg10=lambda f: _rolling(f, "amount", 10, False))
    current = _log(2, start=30 * 86400)
    current = _with_feature(current, length=2).assign(avg10=lambda f: _rolling(f, "amount", 3, False))
    checks = {n: history_check(n, learn_computation(reference, n, ("amount",), 0), reference, current, "customer")
              for n in ("avg", "avg10")}
    kept, warnings = one_broken_history(checks, "customer")
    assert kept == {} and "2 features over each 'customer's history" in warnings[0]
    alone, none = one_broken_history({"avg": checks["avg"]}, "customer")
    assert alone == {"avg": checks["avg"]} and none == []


def test_the_matching_tolerance_follows_the_logged_decimals_at_any_magnitude() -> None:
    """Large values written with one decimal are not integers: a 1e-6 relative slack once called them so."""
    from causal_rca.causal.history import _tolerance

    rng = np.random.default_rng(3)
    assert abs(_tolerance(np.round(rng.uniform(1e6, 1e7, 500), 1)) - 0.05) < 1e-6
    assert abs(_tolerance(np.round(rng.uniform(0, 10, 500))) - 0.5) < 1e-6
    assert abs(_tolerance(np.round(rng.uniform(0, 1, 500), 3)) - 0.0005) < 1e-6


def _with_elapsed(frame: pd.DataFrame) -> pd.DataFrame:
    """Hours since the entity's previous event, null on its first."""
    ordered = frame.sort_values([KEY, TIME])
    hours = ordered.groupby(KEY)[TIME].diff() / 3600.0
    return frame.assign(hours_since=hours.reindex(frame.index).round(4))


def _null_result(current: pd.DataFrame):
    reference = _with_elapsed(_log(1))
    computation = learn_computation(reference, "hours_since", ("amount",), seed=0)
    assert computation == Computation(None, "elapsed", "hours", False)
    return history_check("hours_since", computation, reference, current, "customer").result("hours_since", ("amount",))


def test_nulls_chosen_by_the_computed_value_are_selective() -> None:
    """Serving computes the gap only within the same day: the long gaps, and only they, are null."""
    current = _with_elapsed(_log(2, start=30 * 86400))
    current.loc[current["hours_since"] > 24, "hours_since"] = np.nan
    result = _null_result(current)
    assert result.measures["null_selectivity"] >= 0.9 and result.measures["null_selectivity_p"] < 1e-6
    assert _nulls_by_value(result)  # classify: pipeline_skew, not missing_values


@settings(max_examples=10, deadline=None)
@given(share=hs.floats(0.1, 0.7), seed=hs.integers(0, 10_000))
def test_values_lost_at_random_are_not_selective(share: float, seed: int) -> None:
    current = _with_elapsed(_log(2, start=30 * 86400))
    lost = np.random.default_rng(seed).random(len(current)) < share
    current.loc[lost, "hours_since"] = np.nan
    result = _null_result(current)
    assert result.measures["null_selectivity"] < 0.3 and not _nulls_by_value(result)


def _served_rescaled(frame: pd.DataFrame, share: float, factor: float, seed: int) -> pd.DataFrame:
    """The feature as computed, then multiplied by ``factor`` on ``share`` of rows (one serving version)."""
    rows = np.random.default_rng(seed).random(len(frame)) < share
    return frame.assign(avg=np.where(rows, (frame["avg"] * factor).round(6), frame["avg"]))


@settings(max_examples=15, deadline=None)
@given(share=hs.floats(0.2, 1.0), factor=hs.sampled_from([0.001, 12.0, 20.0, 100.0]), seed=hs.integers(0, 10_000))
def test_a_rescaled_history_feature_is_read_against_its_parents_history(share: float, factor: float,
                                                                        seed: int) -> None:
    """Served values ×factor on a share of rows: against the reference computation over the
    current window's own history the deviating rows sit at one ratio, a rescaling (a development
    case: a mean over the last 5 orders ×20 on 41% of rows, read as a changed computation)."""
    from causal_rca.diagnosis.classify import _rescaled

    reference = _with_feature(_log(1))
    current = _served_rescaled(_with_feature(_log(seed, start=30 * 86400)), share, factor, seed)
    computation = learn_computation(reference, "avg", ("amount",), seed=0)
    result = history_check("avg", computation, reference, current, "customer").result("avg", ("amount",))
    assert result.p_value < SIGNIFICANCE
    assert _rescaled(result.measures)


@pytest.mark.parametrize("length, with_current", [(2, False), (10, False), (5, True)])
def test_a_changed_window_is_no_rescaling(length: int, with_current: bool) -> None:
    from causal_rca.diagnosis.classify import _rescaled

    reference = _with_feature(_log(1))
    current = _with_feature(_log(2, start=30 * 86400), length=length, with_current=with_current)
    computation = learn_computation(reference, "avg", ("amount",), seed=0)
    result = history_check("avg", computation, reference, current, "customer").result("avg", ("amount",))
    assert result.p_value < SIGNIFICANCE
    assert not _rescaled(result.measures)
