"""The random family's multi-class and regression kinds: binary draws unchanged, valid graphs, real changes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causal_rca.lineage.loader import check_columns, graph_from_dict
from causal_rca.metrics import MetricSpec, compare_windows, metric_frame
from causal_rca.metrics.target import resolve_metric
from causal_rca.scenarios.library import FAILURE_MODES
from benchmarks.cases.random_family import MIN_ROWS, draw_case
from benchmarks.cases.random_kinds import (
    MAX_CLASSES, MIN_CLASSES, MULTICLASS_METRICS, REGRESSION_FLOOR, _metric_id, draw_kind_case, kind_of_seed,
    planned_kind_mode,
)

ROOT = Path(__file__).resolve().parent.parent
NODE_KINDS = {
    "distribution_shift": {"source"}, "out_of_distribution": {"source"}, "schema_change": {"source"},
    "scale_change": {"feature"}, "pipeline_skew": {"feature"}, "stale_values": {"feature"},
    "missing_values": {"source", "feature"}, "concept_drift": {"label"}, "label_shift": {"label"},
    "model_change": {"model"}, "infrastructure": {"infra"},
}
REGRESSION_MODES = (None, "label_shift", "model_change", "concept_drift", "scale_change")


def _seed_per_mode(kind: str, modes) -> dict[str | None, int]:
    found: dict[str | None, int] = {}
    for seed in range(3000):
        mode = planned_kind_mode(seed, kind)
        if mode in modes:
            found.setdefault(mode, seed)
        if len(found) == len(modes):
            return found
    raise AssertionError(f"not every mode planned for {kind}")


@pytest.fixture(scope="module")
def multiclass_cases():
    seeds = _seed_per_mode("multiclass", (None, *FAILURE_MODES))
    return {mode: draw_kind_case(seed, ["multiclass"]) for mode, seed in seeds.items()}


@pytest.fixture(scope="module")
def regression_cases():
    seeds = _seed_per_mode("regression", REGRESSION_MODES)
    return {mode: draw_kind_case(seed, ["regression"]) for mode, seed in seeds.items()}


def _comparison(case):
    """The metric change as the engine reads the graph (its own metric resolution, not the generator's)."""
    graph = graph_from_dict(case.graph)
    target = resolve_metric(graph, case.metric)
    spec = target.spec
    pred, label = graph.metric_inputs(case.metric)
    columns = list((graph.nodes[pred].scores or {}).values())
    frames = [metric_frame(spec, w[graph.nodes[pred].column], w[graph.nodes[label].column],
                           scores=w[columns] if spec.needs_class_scores else None)
              for w in (case.reference, case.current)]
    return compare_windows(spec, frames[0], frames[1], case.seed)


def test_binary_kind_is_the_family_as_it_was() -> None:
    for seed in (3, 8):
        a, b = draw_case(seed), draw_kind_case(seed)
        assert a.graph == b.graph and a.truth == b.truth and a.details == b.details
        pd.testing.assert_frame_equal(a.reference, b.reference)
        pd.testing.assert_frame_equal(a.current, b.current)
    seed = next(s for s in range(100) if kind_of_seed(s, ["binary", "multiclass"]) == "binary")
    assert draw_kind_case(seed, ["binary", "multiclass"]).graph == draw_case(seed).graph


def test_kind_of_seed_is_deterministic_and_reaches_every_kind() -> None:
    kinds = ("binary", "multiclass", "regression")
    drawn = [kind_of_seed(s, kinds) for s in range(60)]
    assert drawn == [kind_of_seed(s, kinds) for s in range(60)]
    assert set(drawn) == set(kinds)
    assert kind_of_seed(5, ["regression"]) == "regression"
    with pytest.raises(ValueError, match="kinds must be some of"):
        kind_of_seed(5, ["ternary"])
    with pytest.raises(ValueError, match="seed must be"):
        draw_kind_case(-1, ["multiclass"])


def test_controls_are_about_a_tenth() -> None:
    for kind in ("multiclass", "regression"):
        share = np.mean([planned_kind_mode(s, kind) is None for s in range(2000)])
        assert 0.07 < share < 0.13


def _check_case(case, mode) -> None:
    graph = graph_from_dict(case.graph)
    assert graph.nodes[case.metric].kind == "metric"
    for frame in (case.reference, case.current):
        check_columns(graph, list(frame.columns))
        assert len(frame) >= MIN_ROWS
    assert case.truth.significant is (mode is not None)
    assert case.truth.failure_mode == mode
    if mode is not None:
        assert graph.nodes[case.truth.node].kind in NODE_KINDS[mode], mode
        assert _comparison(case).significant, mode
    else:
        assert set(case.current["model_version"]) == set(case.reference["model_version"])


def test_multiclass_cases(multiclass_cases) -> None:
    assert set(multiclass_cases) == set(FAILURE_MODES) | {None}
    for mode, case in multiclass_cases.items():
        _check_case(case, mode)
        graph = graph_from_dict(case.graph)
        target = resolve_metric(graph, case.metric)
        pred, label = graph.metric_inputs(case.metric)
        classes = graph.nodes[label].classes
        assert target.spec.multiclass and MIN_CLASSES <= len(classes) <= MAX_CLASSES
        assert tuple(graph.nodes[pred].scores) == tuple(classes)
        probabilities = case.reference[list(graph.nodes[pred].scores.values())].to_numpy()
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
        assert set(case.reference[graph.nodes[pred].column]) <= set(classes)
        assert set(case.reference[graph.nodes[label].column]) == set(classes)
        new = set(case.current[graph.nodes[label].column]) - set(classes)
        assert not new or (mode == "label_shift" and case.details["params"]["kind"] == "new_class")


def test_every_multiclass_metric_is_a_valid_spec() -> None:
    classes = ("a", "b", "c")
    ids = set()
    for name, keys, _ in MULTICLASS_METRICS:
        keys = {k: ("b" if k == "class" else v) for k, v in keys.items()}
        spec = MetricSpec(name, multiclass=True, average=keys.get("average"), target_class=keys.get("class"),
                          k=keys.get("k"), classes=classes)
        assert spec.multiclass
        ids.add(_metric_id({"metric": name, **keys}))
    assert len(ids) == len(MULTICLASS_METRICS)  # one node id per metric
    assert {"macro_f1", "recall_b", "top_2_accuracy", "accuracy"} <= ids


def test_regression_cases(regression_cases) -> None:
    for mode, case in regression_cases.items():
        _check_case(case, mode)
        graph = graph_from_dict(case.graph)
        assert graph.nodes[case.metric].metric in ("mae", "rmse", "mape", "r2")
        _, label = graph.metric_inputs(case.metric)
        assert case.reference[graph.nodes[label].column].min() > 0  # durations and costs: a floor above zero
    assert REGRESSION_FLOOR > 0


def test_engine_names_a_new_class_as_label_shift() -> None:
    from causal_rca.api import diagnose

    seeds = (s for s in range(3000) if planned_kind_mode(s, "multiclass") == "label_shift")
    case = next(c for c in map(lambda s: draw_kind_case(s, ["multiclass"]), seeds)
                if c.details["params"]["kind"] == "new_class")
    d = diagnose(graph_from_dict(case.graph), case.reference, case.current, case.metric, seed=case.seed, jobs=1)
    assert d.significant
    top = min(d.causes, key=lambda c: c.rank)
    assert (top.node, top.failure_mode) == (case.truth.node, "label_shift")


def _load(name: str):
    path = ROOT / "benchmarks" / f"{name}.py"
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"{name}_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_benchmarks_report_each_kind_as_its_own_row() -> None:
    bench = _load("accuracy")
    right, wrong = bench.Answer(True, ["a"], "label_shift", 1.0), bench.Answer(True, ["b"], "label_shift", 3.0)
    results = []
    for i, (kind, answer) in enumerate([("multiclass", right), ("multiclass", wrong), ("regression", right)]):
        r = bench.CaseResult(i, 8, "m", True, "a", "label_shift", kind=kind)
        r.answers = {m: answer for m in bench.METHODS}
        results.append(r)
    summary = bench.summarise(results)
    assert summary["per_kind"]["multiclass"]["causal-rca"]["ac1"] == 0.5
    assert summary["per_kind"]["regression"]["causal-rca"]["ac1"] == 1.0
    table = bench.render_tables(summary)
    assert "| multiclass | causal-rca | 2 | 0 | 50% |" in table and "| regression | causal-rca | 1 | 0 | 100% |" in table

    engine = _load("accuracy_engine_only")
    rows = [("label_shift", True, "a", True, ["a"], "label_shift", 1.0, None, "multiclass"),
            ("label_shift", True, "a", True, ["b"], "label_shift", 2.0, None, "multiclass"),
            ("control", False, None, True, ["x"], "label_shift", 3.0, None, "multiclass")]
    line = engine.summary_line(rows)
    assert "AC@1 0.500" in line and "false alarms 1/1" in line and "median s 2.00" in line


def test_benchmark_kinds_option() -> None:
    import argparse

    sys.path.insert(0, str(ROOT))
    from benchmarks.case_families import parse_kinds

    assert parse_kinds("binary, multiclass") == ("binary", "multiclass")
    for bad in ("ternary", "", "binary,,tree"):
        with pytest.raises(argparse.ArgumentTypeError, match="expected some of binary, multiclass, regression"):
            parse_kinds(bad)
