"""The random case family: deterministic, valid graphs, every failure mode, real changes; benchmark smoke test."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from causal_rca.lineage.loader import check_columns, graph_from_dict
from causal_rca.metrics import MetricSpec, compare_windows, metric_frame
from causal_rca.scenarios.library import FAILURE_MODES
from benchmarks.cases.random_family import (
    MAX_NODES, MAX_ROWS, MIN_NODES, MIN_ROWS, draw_case, planned_failure_mode,
)

ROOT = Path(__file__).resolve().parent.parent


def _first_seed_per_mode(limit: int = 2000) -> dict[str | None, int]:
    found: dict[str | None, int] = {}
    for seed in range(limit):
        found.setdefault(planned_failure_mode(seed), seed)
        if len(found) == len(FAILURE_MODES) + 1:
            break
    return found


SEED_PER_MODE = _first_seed_per_mode()


@pytest.fixture(scope="module")
def one_case_per_mode():
    return {mode: draw_case(seed) for mode, seed in SEED_PER_MODE.items()}


def _comparison(case):
    graph = graph_from_dict(case.graph)
    node = graph.nodes[case.metric]
    spec = MetricSpec(node.metric, threshold=node.threshold, positive=node.positive)
    pred, label = graph.metric_inputs(case.metric)
    frames = [metric_frame(spec, w[graph.nodes[pred].column], w[graph.nodes[label].column])
              for w in (case.reference, case.current)]
    return compare_windows(spec, frames[0], frames[1], case.seed)


def test_same_seed_same_case() -> None:
    for seed in (3, SEED_PER_MODE["model_change"]):
        a, b = draw_case(seed), draw_case(seed)
        assert a.graph == b.graph
        assert a.truth == b.truth and a.metric == b.metric
        pd.testing.assert_frame_equal(a.reference, b.reference)
        pd.testing.assert_frame_equal(a.current, b.current)


def test_different_seeds_differ() -> None:
    a, b = draw_case(11), draw_case(12)
    assert a.graph != b.graph or not a.reference.equals(b.reference)


def test_every_failure_mode_and_controls_can_be_drawn(one_case_per_mode) -> None:
    assert set(SEED_PER_MODE) == set(FAILURE_MODES) | {None}
    for mode, case in one_case_per_mode.items():
        assert case.truth.failure_mode == mode
        assert case.truth.significant is (mode is not None)
        if mode is None:
            assert case.truth.node is None


def test_graphs_validate_and_match_the_data(one_case_per_mode) -> None:
    for case in one_case_per_mode.values():
        graph = graph_from_dict(case.graph)
        assert MIN_NODES <= len(graph.nodes) <= MAX_NODES
        assert graph.nodes[case.metric].kind == "metric"
        for frame in (case.reference, case.current):
            check_columns(graph, list(frame.columns))
            assert MIN_ROWS <= len(frame) <= MAX_ROWS
        for node in graph.nodes.values():
            if node.kind == "infra":
                assert node.column is None
                assert len(graph.children(node.id)) >= 2
            if node.kind == "feature":
                assert 1 <= len(node.parents) <= 3
            if node.kind == "label":
                assert all(graph.nodes[p].kind == "source" for p in node.parents)
            if node.kind == "model":
                assert node.version_column in case.reference.columns


def test_truth_node_fits_its_failure_mode(one_case_per_mode) -> None:
    kinds = {
        "distribution_shift": {"source"}, "out_of_distribution": {"source"}, "schema_change": {"source"},
        "scale_change": {"feature"}, "pipeline_skew": {"feature"}, "stale_values": {"feature"},
        "missing_values": {"source", "feature"}, "concept_drift": {"label"}, "label_shift": {"label"},
        "model_change": {"model"}, "infrastructure": {"infra"},
    }
    for mode, case in one_case_per_mode.items():
        if mode is None:
            continue
        graph = graph_from_dict(case.graph)
        node = graph.nodes[case.truth.node]
        assert node.kind in kinds[mode], (mode, node.kind)
        if mode == "stale_values":
            assert node.freshness is not None
        if mode == "model_change":
            assert set(case.current[node.version_column]) - set(case.reference[node.version_column])


def test_faulty_cases_have_a_significant_true_change(one_case_per_mode) -> None:
    for mode, case in one_case_per_mode.items():
        if mode is not None:
            assert _comparison(case).significant, mode


def test_controls_come_from_one_process() -> None:
    seeds = [s for s in range(400) if planned_failure_mode(s) is None][:3]
    for seed in seeds:
        case = draw_case(seed)
        assert not case.truth.significant
        assert set(case.current["model_version"]) == set(case.reference["model_version"])


def _load_benchmark():
    path = ROOT / "benchmarks" / "accuracy.py"
    spec = importlib.util.spec_from_file_location("accuracy_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_benchmark_smoke(tmp_path: Path, capsys) -> None:
    bench = _load_benchmark()
    out = tmp_path / "benchmarks.md"
    # A small DoWhy budget keeps this fast; the real run uses the defaults.
    code = bench.main(["--cases", "3", "--seed", "1000", "--quiet", "--out", str(out),
                       "--dowhy-rows", "300", "--dowhy-test-rows", "200", "--dowhy-samples", "200",
                       "--dowhy-permutations", "2"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "AC@1" in printed and "causal-rca" in printed
    text = out.read_text()
    assert text.startswith("# Benchmarks") and "## Accuracy" in text
    assert "python benchmarks/accuracy.py --cases 3 --seed 1000" in text
    for mode in FAILURE_MODES:
        assert f"| {mode} |" in text
    # rewriting keeps one Accuracy section
    bench.write_section(out, "## Accuracy\n\nagain\n")
    assert out.read_text().count("## Accuracy") == 1


def test_drift_statistics() -> None:
    import numpy as np

    bench = _load_benchmark()
    same = np.arange(100, dtype=float)
    assert bench.ks_with_nulls(same, same) == 0.0
    with_nulls = same.copy()
    with_nulls[:30] = np.nan
    assert bench.ks_with_nulls(same, with_nulls) == pytest.approx(0.3)
    a = pd.Series(["x"] * 50 + ["y"] * 50)
    b = pd.Series(["x"] * 50 + [None] * 50)
    assert bench.tvd_with_nulls(a, b) == pytest.approx(0.5)


def test_dowhy_baseline_reads_a_mean_metric_from_its_own_column() -> None:
    """A ``mean`` metric (share approved) has no prediction/label pair: the baseline's row node reads the
    metric's column from the metric node's parents instead of failing on a missing label."""
    import numpy as np

    bench = _load_benchmark()
    graph = graph_from_dict({"version": 1, "name": "approvals", "nodes": {
        "x": {"kind": "source", "column": "x", "dtype": "numeric"},
        "score": {"kind": "model", "parents": ["x"], "column": "score"},
        "approval_rate": {"kind": "metric", "parents": ["score"], "column": "approved", "metric": "mean"},
    }})
    rng = np.random.default_rng(3)

    def window(shift: float) -> pd.DataFrame:
        x = rng.normal(shift, 1.0, 800)
        score = 1 / (1 + np.exp(-x))
        return pd.DataFrame({"x": x, "score": score, "approved": (score < 0.5).astype(float)})

    answer = bench.dowhy_ranking(graph, "approval_rate", window(0.0), window(1.0), seed=5, rows=300,
                                 num_samples=200, permutations=2, test_rows=150)
    assert answer.error is None
    assert answer.significant and answer.nodes[0] in {"x", "score"}
