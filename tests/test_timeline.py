"""Change points, control limits and watch alerts on logs with a fault at a known time."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from causal_rca.api import diagnose
from causal_rca.errors import InputError
from causal_rca.lineage import load_graph
from causal_rca.scenarios.timeline import churn_timeline
from causal_rca.timeline.changepoint import find_change_point
from causal_rca.timeline.control import control_limits
from causal_rca.timeline.series import load_timeline
from causal_rca.timeline.watch import parse_every, watch

ROWS_PER_DAY = 3000


@pytest.fixture(scope="module")
def abrupt():
    return churn_timeline(3, rows_per_day=ROWS_PER_DAY, change_day=60)


@pytest.fixture(scope="module")
def gradual():
    return churn_timeline(3, rows_per_day=2000, change_day=30, ramp_days=30)


def _error(case, point) -> float:
    return abs((point.time - case.change).total_seconds()) / case.span_seconds


def _timeline(case):
    return load_timeline(load_graph(case.graph_path), case.log, case.metric)


def test_abrupt_change_is_found_within_five_percent_of_the_span(abrupt) -> None:
    point = find_change_point(_timeline(abrupt))
    assert point.kind == "abrupt" and point.significant
    assert _error(abrupt, point) <= 0.05
    assert point.interval[0] <= point.time <= point.interval[1]
    assert point.after < point.before  # f1 fell


def test_gradual_drift_onset_is_found_within_five_percent_of_the_span(gradual) -> None:
    point = find_change_point(_timeline(gradual))
    assert point.kind == "gradual" and point.significant
    assert _error(gradual, point) <= 0.05
    assert point.ramp_end is not None and point.ramp_end > point.time


@pytest.mark.parametrize("name", ["abrupt", "gradual"])
def test_diagnosis_on_the_auto_split_is_as_good_as_on_the_true_split(name, request) -> None:
    case = request.getfixturevalue(name)
    auto = diagnose(case.graph_path, data=case.log, split="auto", metric=case.metric, seed=0)
    true = diagnose(case.graph_path, data=case.log, split=case.change.isoformat(), metric=case.metric, seed=0)
    for d in (auto, true):
        assert d.significant and d.causes
        assert (d.causes[0].node, d.causes[0].failure_mode) == (case.truth.node, case.truth.failure_mode)
    assert auto.split is not None and true.split is None
    assert json.loads(auto.to_json())["split"]["kind"] == auto.split["kind"]


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_no_alert_fires_on_a_no_fault_log_of_90_daily_buckets(seed) -> None:
    case = churn_timeline(seed, rows_per_day=ROWS_PER_DAY, change_day=None)
    report = watch(load_graph(case.graph_path), case.log, case.metric, "1d", seed=0)
    assert len(report.buckets) == 90
    assert report.alerts == []


def test_alert_fires_within_two_buckets_of_the_change_and_is_diagnosed(abrupt, tmp_path) -> None:
    report = watch(load_graph(abrupt.graph_path), abrupt.log, abrupt.metric, "1d", seed=0)
    assert report.alerts, "the fault raised no alert"
    first = report.alerts[0]
    change_bucket = next(b.index for b in report.buckets if b.start >= abrupt.change)
    assert change_bucket <= first.first <= change_bucket + 2
    assert not any(b.alert for b in report.buckets if b.start < abrupt.change)
    top = first.diagnosis.causes[0]
    assert (top.node, top.failure_mode) == (abrupt.truth.node, abrupt.truth.failure_mode)
    lines = [json.loads(line) for line in report.to_jsonl().splitlines()]
    assert lines[0]["type"] == "watch" and sum(x["type"] == "bucket" for x in lines) == 90
    assert any(x["type"] == "alert" and x["top_cause"] == top.node for x in lines)

    from causal_rca.render.timeline_chart import write_watch_chart

    svg, png = tmp_path / "watch.svg", tmp_path / "watch.png"
    write_watch_chart(report, svg)
    write_watch_chart(report, png)
    ids = {el.get("id") for el in ET.parse(svg).getroot().iter()}
    assert {"metric", "control-upper", "control-lower", "centre", "baseline", "change-point", "alerts"} <= ids
    import matplotlib.image

    assert matplotlib.image.imread(png).shape[0] > 100


def test_bad_durations_and_short_logs_are_input_errors(abrupt) -> None:
    for bad in ("soon", "-1d", "0s"):
        with pytest.raises(InputError):
            parse_every(bad)
    with pytest.raises(InputError, match="baseline"):
        watch(load_graph(abrupt.graph_path), abrupt.log.head(2000), abrupt.metric, "1d")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=60),
       st.floats(0.01, 100), st.floats(-100, 100))
def test_control_limits_bracket_the_centre_and_follow_affine_maps(values, scale, shift) -> None:
    v = np.array(values)
    lim = control_limits(v)
    assert lim.lower <= lim.centre <= lim.upper
    moved = control_limits(v * scale + shift)
    assert math.isclose(moved.centre, lim.centre * scale + shift, rel_tol=1e-6, abs_tol=1e-6)
    assert math.isclose(moved.sigma, lim.sigma * scale, rel_tol=1e-6, abs_tol=1e-6)
    assert lim.outside(float("nan")) == 0


@pytest.mark.parametrize("seed", [0, 2])
def test_auto_split_unsupported_by_its_own_test_is_no_significant_change(seed) -> None:
    """No fault, yet the best split's before/after p is under 0.05 (it is the best of many): not a change."""
    case = churn_timeline(seed, rows_per_day=600, change_day=None)
    d = diagnose(case.graph_path, data=case.log, split="auto", metric=case.metric, seed=0)
    assert 0.01 <= d.split["p_value"] < 0.05 and not d.split["significant"]
    assert not d.significant and d.causes == []
    assert "change-point test does not support a change there" in d.summary
