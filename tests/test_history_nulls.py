"""New nulls at a history feature: coerced, computed or lost (causal.history_nulls, classify._null_verdict)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as hs

from causal_rca.causal.history import Computation, history_check, learn_computation
from causal_rca.diagnosis.classify import _null_verdict
from causal_rca.windows.frames import KEY, TIME
from tests.test_history import _log, _with_elapsed

DAY = 86400.0


def _elapsed_result(current: pd.DataFrame):
    reference = _with_elapsed(_log(1))
    computation = learn_computation(reference, "hours_since", ("amount",), seed=0)
    assert computation == Computation(None, "elapsed", "hours", False)
    return history_check("hours_since", computation, reference, current, "customer").result("hours_since", ("amount",))


def _decayed(frame: pd.DataFrame, halflife: float) -> pd.DataFrame:
    """A time-decayed mean of the entity's earlier amounts, null where the decayed weight underflows
    (its first event, or one whose previous events lie many half-lives back)."""
    ordered = frame.sort_values([KEY, TIME])
    out = np.full(len(ordered), np.nan)
    num = den = 0.0
    previous_key, last = None, 0.0
    rate = np.log(2) / halflife
    for i, (key, time, amount) in enumerate(zip(ordered[KEY], ordered[TIME], ordered["amount"])):
        if key != previous_key:
            num = den = 0.0
            previous_key, last = key, time
        decay = np.exp(-rate * (time - last))
        num, den = num * decay, den * decay
        if den > 1e-9:
            out[i] = num / den
        num, den, last = num + amount, den + 1.0, time
    return frame.assign(decayed=pd.Series(np.round(out, 6), index=ordered.index).reindex(frame.index))


def _decayed_result(current: pd.DataFrame):
    """Checked against a rolling mean, a computation that reproduces a decayed mean only roughly:
    what the rule reads here is the history, not the computation."""
    reference = _decayed(_log(1), 2 * DAY)
    computation = Computation("amount", "mean", "5", False)
    return history_check("decayed", computation, reference, current, "customer").result("decayed", ("amount",))


def test_a_gap_computed_within_the_same_day_is_a_computation_not_a_coercion() -> None:
    """Serving nulls every gap that crosses midnight (a development case: hours since the last
    event, nulls 3% → 59%, read as a coercion because the surviving gaps stop at 24 h): the null
    rows' gaps lie among the survivors too, so the empty tail is no cut by value."""
    current = _with_elapsed(_log(2, start=30 * DAY))
    previous = current[TIME] - current["hours_since"] * 3600.0
    current.loc[np.floor(current[TIME] / DAY) != np.floor(previous / DAY), "hours_since"] = np.nan
    result = _elapsed_result(current)
    assert result.measures["null_inside_p"] < 1e-6
    mode, decided_by, _ = _null_verdict(True, result)
    assert mode == "pipeline_skew" and "null_selectivity" in decided_by


def test_a_clean_cut_by_value_stays_a_coercion_with_the_computation_named() -> None:
    """Only the gaps above 24 h null: a format rejected above a magnitude nulls the same rows,
    so the tail reading is kept and the computation is its alternative."""
    current = _with_elapsed(_log(2, start=30 * DAY))
    current.loc[current["hours_since"] > 24, "hours_since"] = np.nan
    result = _elapsed_result(current)
    assert result.measures["null_inside_p"] > 0.01
    mode, _, alternatives = _null_verdict(True, result)
    assert mode == "schema_change" and [a for a, _ in alternatives] == ["pipeline_skew"]


def test_a_decay_that_runs_out_of_history_is_a_computation() -> None:
    """Half-life 2 days at training, 30 minutes at serving (a development case: a decayed basket
    average, nulls 2% → 29%, read as lost values): the rows whose previous event lies far back
    are the null ones."""
    current = _decayed(_log(2, start=30 * DAY), 1800.0)
    result = _decayed_result(current)
    assert result.measures["null_by_history"] >= 0.9 and result.measures["null_by_history_p"] < 1e-6
    mode, decided_by, _ = _null_verdict(False, result)
    assert mode == "pipeline_skew" and "null_by_history" in decided_by


@settings(max_examples=10, deadline=None)
@given(share=hs.floats(0.1, 0.8), seed=hs.integers(0, 10_000), outage=hs.booleans())
def test_values_lost_by_an_outage_or_at_random_are_missing(share: float, seed: int, outage: bool) -> None:
    """Lost values are null whatever the entity's history: one stretch of time, or rows at random."""
    current = _decayed(_log(2, start=30 * DAY), 2 * DAY)
    rng = np.random.default_rng(seed)
    if outage:
        times = current[TIME].to_numpy()
        lo, hi = np.quantile(times, [0.0, 1.0])
        begin = lo + rng.random() * (1 - share) * (hi - lo)
        lost = (times >= begin) & (times <= begin + share * (hi - lo))
    else:
        lost = rng.random(len(current)) < share
    current.loc[lost, "decayed"] = np.nan
    result = _decayed_result(current)
    assert _null_verdict(False, result)[0] == "missing_values"


@settings(max_examples=10, deadline=None)
@given(share=hs.floats(0.1, 0.7), seed=hs.integers(0, 10_000))
def test_a_gap_lost_at_random_is_missing_even_beside_an_empty_tail(share: float, seed: int) -> None:
    """Random loss leaves null rows throughout the range: an emptied tail found by chance does not
    make it a coercion, and nothing chose the rows."""
    current = _with_elapsed(_log(2, start=30 * DAY))
    current.loc[np.random.default_rng(seed).random(len(current)) < share, "hours_since"] = np.nan
    result = _elapsed_result(current)
    assert result.measures["null_inside_p"] < 0.01
    assert _null_verdict(True, result)[0] == "missing_values"
