"""The metric over time: buckets per window, and the report's time chart."""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.explain.over_time import MIN_BUCKET_ROWS, metric_over_time
from causal_rca.metrics import metric_frame
from causal_rca.metrics.spec import MetricSpec


def _frame(n: int, hit_rate: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = np.ones(n)
    prediction = (rng.random(n) < hit_rate).astype(float)
    return metric_frame(MetricSpec("recall"), pd.Series(prediction), pd.Series(label))


def test_each_window_is_cut_into_equal_stretches_with_the_metric_of_each() -> None:
    ref, cur = _frame(2400, 0.9, 1), _frame(2400, 0.9, 2)
    t_ref = np.linspace(0, 86400 * 6, 2400)
    t_cur = np.linspace(86400 * 7, 86400 * 13, 2400)
    drop = t_cur > 86400 * 10  # recall falls half-way through the current window
    cur.loc[drop, "prediction"] = 0.0
    points = metric_over_time(MetricSpec("recall"), {"reference": ref, "current": cur},
                              {"reference": t_ref, "current": t_cur})
    assert [p["window"] for p in points] == ["reference"] * 12 + ["current"] * 12
    assert sum(p["rows"] for p in points) == 4800
    current = [p["value"] for p in points if p["window"] == "current"]
    assert min(current[:6]) > 0.8 and max(current[6:]) == 0.0  # the step shows where it began
    assert points[12]["start"].startswith("1970-01-08")


def test_too_few_timed_rows_give_no_chart() -> None:
    ref, cur = _frame(3 * MIN_BUCKET_ROWS, 0.9, 1), _frame(MIN_BUCKET_ROWS, 0.9, 2)
    t = {"reference": np.arange(3 * MIN_BUCKET_ROWS, dtype=float), "current": np.arange(MIN_BUCKET_ROWS, dtype=float)}
    assert metric_over_time(MetricSpec("recall"), {"reference": ref, "current": cur}, t) == []
    t["current"] = np.full(MIN_BUCKET_ROWS, np.nan)
    assert metric_over_time(MetricSpec("recall"), {"reference": ref, "current": cur}, t) == []


def test_the_html_report_draws_it_and_json_round_trips_it() -> None:
    from causal_rca.diagnosis.model import Diagnosis
    from causal_rca.render.html import render_html
    from tests.report_cases import assert_no_active_markup

    points = metric_over_time(MetricSpec("recall"), {"reference": _frame(1200, 0.9, 1), "current": _frame(1200, 0.7, 2)},
                              {"reference": np.arange(1200.0), "current": 5000 + np.arange(1200.0)})
    d = Diagnosis.from_dict({
        "format": "causal-rca/diagnosis/v1", "graph": "g", "target": "recall", "metric": "recall",
        "reference": {"value": 0.9, "ci": [0.88, 0.92], "rows": 1200},
        "current": {"value": 0.7, "ci": [0.67, 0.73], "rows": 1200},
        "change": -0.2, "change_ci": [-0.24, -0.16], "significant": True, "causes": [], "anomalies": [],
        "summary": "recall fell", "metric_over_time": points})
    assert d.metric_over_time == points and d.to_dict()["metric_over_time"] == points
    page = render_html(d)
    assert 'id="metric-over-time"' in page and "recall over time" in page
    assert_no_active_markup(page)


def test_a_stretch_where_the_metric_is_undefined_is_a_gap() -> None:
    ref, cur = _frame(1200, 0.9, 1), _frame(1200, 0.9, 2)
    cur.loc[:600, "label"] = 0.0  # no positives in the first half: recall undefined there
    points = metric_over_time(MetricSpec("recall"), {"reference": ref, "current": cur},
                              {"reference": np.arange(1200.0), "current": 5000 + np.arange(1200.0)})
    current = [p["value"] for p in points if p["window"] == "current"]
    assert current[0] is None and current[-1] is not None
