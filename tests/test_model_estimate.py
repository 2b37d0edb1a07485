"""Label-free early warning: the metric of an unlabelled window, estimated from calibrated scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causal_rca.api import diagnose
from causal_rca.lineage import load_graph
from causal_rca.metrics import MetricSpec, compute_metric, metric_frame
from causal_rca.model import estimate
from causal_rca.scenarios import generate, get_scenario
from tests.conftest import TINY_GRAPH

TOLERANCE = 0.03


def _calibrated_world(n: int, seed: int, shift: float) -> pd.DataFrame:
    """The tiny pipeline with a calibrated model (score = true probability); ``shift`` moves x's population."""
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    cat = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    bump = np.select([cat == "a", cat == "b"], [0.0, 0.8], 1.5)
    p = 1 / (1 + np.exp(-(1.8 * x + bump - 1.2)))
    y = (rng.random(n) < p).astype(int)
    ts = pd.date_range("2026-01-01", periods=n, freq="min")
    return pd.DataFrame({"ts": ts, "x": x, "cat": cat, "fx": x, "score": p, "y": y})


@pytest.mark.parametrize("metric", ["recall", "precision", "accuracy", "f1", "roc_auc", "log_loss"])
def test_estimate_of_a_calibrated_model_under_covariate_shift(metric) -> None:
    spec = MetricSpec(name=metric, threshold=0.5, positive=1)
    ref, cur = _calibrated_world(8000, 1, 0.0), _calibrated_world(8000, 2, -0.6)
    # Scores are squashed (a class-weighted model is not calibrated): the reference calibration undoes it.
    squash = lambda p: p ** 0.5  # noqa: E731
    cal = estimate.calibrator(squash(ref["score"].to_numpy()), ref["y"], spec)
    est = estimate.estimate(spec, cal, squash(cur["score"].to_numpy()), seed=0)
    true = compute_metric(spec, metric_frame(spec, pd.Series(squash(cur["score"].to_numpy())), cur["y"]))
    assert abs(est["value"] - true) <= TOLERANCE, (est, true)
    assert est["ci"][0] - TOLERANCE <= true <= est["ci"][1] + TOLERANCE


def test_unlabelled_window_gets_an_estimated_diagnosis(tmp_path) -> None:
    graph = tmp_path / "tiny.yaml"
    graph.write_text(TINY_GRAPH)
    ref, cur = _calibrated_world(6000, 3, 0.0), _calibrated_world(6000, 4, -0.8)
    spec = MetricSpec(name="recall", threshold=0.5, positive=1)
    true = compute_metric(spec, metric_frame(spec, cur["score"], cur["y"]))
    d = diagnose(graph, ref, cur.assign(y=None), "recall", seed=0)
    assert abs(d.current.value - true) <= TOLERANCE
    assert d.significant and d.change < 0
    assert d.summary.startswith("estimate, no labels yet")
    assert any("no labels yet" in w and "estimate" in w for w in d.warnings)
    assert d.model_aware.estimate["estimated"] is True
    assert "y" not in {m.node for m in d.mechanisms}  # the missing label is not a finding
    assert d.causes and d.causes[0].node == "x"  # the population moved: the one change to name


@pytest.mark.parametrize("name", ["no_fault_control", "churn_quiet_month_control"])
def test_label_free_estimate_on_scenarios_with_a_calibrated_relation(name, scenario_diagnoses) -> None:
    scenario = get_scenario(name)
    frames = generate(scenario)
    g = load_graph(scenario.graph_path)
    label_column = g.nodes[g.metric_inputs(scenario.metric)[1]].column
    measured = scenario_diagnoses.scenario(scenario)  # shared with the tests of truth
    estimated = diagnose(scenario.graph_path, frames["reference"], frames["current"].assign(**{label_column: None}),
                         scenario.metric, seed=scenario.seed)
    assert abs(estimated.current.value - measured.current.value) <= TOLERANCE
    assert not estimated.significant
