"""The scenario library: reproducible, well-formed, and the faults really hurt the metric.

The metric checks are made directly with scikit-learn on the generated frames,
independently of the engine: a faulty scenario whose metric does not really
drop would test nothing, and a control whose metric drops would be unfair.
"""

from __future__ import annotations

import math
import re
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from causal_rca.errors import InputError
from causal_rca.scenarios import (
    FAILURE_MODES,
    Scenario,
    Truth,
    export_scenario,
    generate,
    get_scenario,
    list_scenarios,
    load_truth,
    run_all,
    run_scenario,
    scenarios_dir,
    summarise,
)
from causal_rca.scenarios import simulate as sim

EXPECTED = {
    "concept_drift_stable_inputs",
    "no_fault_control",
    "raw_counts_instead_of_normalised",
    "schema_change_coerced_nulls",
}
SPEC = Path("/work/shared/spec/diagnosis.md")
KINDS = {"source", "feature", "model", "label", "metric", "infra"}
SKLEARN_METRICS = {
    "recall": recall_score,
    "precision": precision_score,
    "f1": f1_score,
    "accuracy": accuracy_score,
}
MIN_DROP = 0.05

SCENARIOS = list_scenarios()
NAMES = [s.name for s in SCENARIOS]
FAULTY = [s.name for s in SCENARIOS if load_truth(s).significant]
CONTROLS = [s.name for s in SCENARIOS if not load_truth(s).significant]


@pytest.fixture(scope="module")
def frames() -> dict[str, dict[str, pd.DataFrame]]:
    """Each scenario generated once at its own seed (generation is the slow part)."""
    return {s.name: generate(s) for s in SCENARIOS}


def _graph(scenario: Scenario) -> dict:
    return yaml.safe_load(scenario.graph_path.read_text())


def _metric_node(scenario: Scenario) -> dict:
    return _graph(scenario)["nodes"][scenario.metric]


def _measure(scenario: Scenario, frame: pd.DataFrame) -> tuple[float, float]:
    """(metric value, standard error) measured with sklearn at the graph's threshold."""
    node = _metric_node(scenario)
    y = (frame["is_fraud"] == node.get("positive", 1)).astype(int).to_numpy()
    pred = (frame["score"] >= node.get("threshold", 0.5)).astype(int).to_numpy()
    value = float(SKLEARN_METRICS[node["metric"]](y, pred))
    denominator = {"recall": y.sum(), "precision": pred.sum()}.get(node["metric"], len(y))
    return value, math.sqrt(value * (1 - value) / max(int(denominator), 1))


# --------------------------------------------------------------------------- discovery


def test_the_library_holds_the_expected_scenarios_sorted() -> None:
    assert EXPECTED <= set(NAMES)
    assert NAMES == sorted(NAMES)
    assert scenarios_dir().name == "scenarios"


def test_get_scenario_by_name_and_unknown_name_lists_available() -> None:
    scenario = get_scenario("no_fault_control")
    assert scenario.graph_path == scenario.directory / "graph.yaml"
    assert scenario.graph_path.is_file()
    with pytest.raises(InputError) as err:
        get_scenario("no_such_scenario")
    for name in EXPECTED:
        assert name in str(err.value)


@pytest.mark.parametrize("name", NAMES)
def test_scenario_files_are_well_formed(name: str) -> None:
    scenario = get_scenario(name)
    meta = yaml.safe_load((scenario.directory / "scenario.yaml").read_text())
    assert set(meta) == {"name", "title", "description", "metric", "seed"}
    assert len(scenario.description) > 80, "describe the incident as a user would"
    assert scenario.metric in _graph(scenario)["nodes"]
    assert (scenario.directory / "generate.py").is_file()


def test_scenarios_use_different_seeds() -> None:
    seeds = [s.seed for s in SCENARIOS]
    assert len(set(seeds)) == len(seeds)


# --------------------------------------------------------------------------- truth


@pytest.mark.parametrize("name", NAMES)
def test_truth_is_well_formed(name: str) -> None:
    scenario = get_scenario(name)
    truth = load_truth(scenario)
    raw = yaml.safe_load((scenario.directory / "truth.yaml").read_text())
    assert set(raw) == {"metric", "significant", "node", "failure_mode"}
    assert truth.metric == scenario.metric
    graph = _graph(scenario)
    if truth.significant:
        assert truth.failure_mode in FAILURE_MODES
        assert truth.node in graph["nodes"], "the true cause must be a node of the graph"
    else:
        assert truth.node is None and truth.failure_mode is None


def test_failure_mode_vocabulary_matches_the_spec() -> None:
    if not SPEC.is_file():
        pytest.skip("spec not available")
    table = SPEC.read_text().split("## Failure modes", 1)[1].split("## JSON", 1)[0]
    spec_modes = re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.M)
    assert tuple(m for m in spec_modes if m != "failure_mode") == FAILURE_MODES


def test_library_has_faulty_scenarios_and_a_control() -> None:
    assert FAULTY and CONTROLS


def test_load_truth_rejects_unknown_failure_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_library(tmp_path, monkeypatch, {"bad": {"significant": True, "node": "x", "failure_mode": "gremlins"}})
    with pytest.raises(InputError, match="gremlins"):
        load_truth("bad")


# --------------------------------------------------------------------------- graphs


@pytest.mark.parametrize("name", NAMES)
def test_graph_is_a_valid_lineage_graph(name: str) -> None:
    scenario = get_scenario(name)
    graph = _graph(scenario)
    nodes = graph["nodes"]
    assert graph["version"] == 1
    assert 8 <= len(nodes) <= 14
    dag = nx.DiGraph()
    for node_id, node in nodes.items():
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", node_id)
        assert node["kind"] in KINDS
        dag.add_node(node_id)
        for parent in node.get("parents", []):
            assert parent in nodes, f"{node_id}: unknown parent {parent}"
            dag.add_edge(parent, node_id)
    assert nx.is_directed_acyclic_graph(dag)
    columns = [n["column"] for n in nodes.values() if "column" in n]
    assert len(columns) == len(set(columns)), "two observed nodes share a column"
    kinds = {n["kind"] for n in nodes.values()}
    assert {"source", "feature", "model", "label", "metric", "infra"} <= kinds
    assert any(n["kind"] == "infra" and "column" not in n for n in nodes.values()), "an unobserved infra node"
    assert all("version_column" in n for n in nodes.values() if n["kind"] == "model")
    assert nodes[scenario.metric]["kind"] == "metric"
    assert nodes[scenario.metric]["metric"] in SKLEARN_METRICS


@pytest.mark.parametrize("name", NAMES)
def test_graph_loads_with_the_engine_loader(name: str) -> None:
    try:
        from causal_rca.lineage import load_graph
    except ImportError:
        pytest.skip("lineage loader not available yet")
    graph = load_graph(get_scenario(name).graph_path)
    assert get_scenario(name).metric in graph.metric_nodes()


@pytest.mark.parametrize("name", NAMES)
def test_graph_names_only_columns_present_in_both_windows(name: str, frames) -> None:
    scenario = get_scenario(name)
    graph = _graph(scenario)
    named = {graph[k] for k in ("time_column", "key_column") if k in graph}
    named |= set(graph.get("segments", []))
    for node in graph["nodes"].values():
        named |= {node[k] for k in ("column", "freshness", "version_column") if k in node}
    for key in ("reference", "current", "training"):
        if key in frames[name]:
            missing = named - set(frames[name][key].columns)
            assert not missing, f"{key} lacks {sorted(missing)}"


# --------------------------------------------------------------------------- generation


@pytest.mark.parametrize("name", NAMES)
def test_generation_is_deterministic_for_a_seed(name: str, frames) -> None:
    again = generate(get_scenario(name))
    assert set(again) == set(frames[name])
    for key, frame in frames[name].items():
        pd.testing.assert_frame_equal(frame, again[key])


@pytest.mark.parametrize("name", NAMES)
def test_generation_differs_across_seeds(name: str, frames) -> None:
    scenario = get_scenario(name)
    other = generate(scenario, seed=scenario.seed + 1)
    for key in ("reference", "current"):
        assert not frames[name][key]["amount"].equals(other[key]["amount"])
        assert not frames[name][key]["score"].equals(other[key]["score"])


@pytest.mark.parametrize("name", NAMES)
def test_windows_look_like_production_logs(name: str, frames) -> None:
    f = frames[name]
    ref, cur, train = f["reference"], f["current"], f["training"]
    for frame in (ref, cur, train):
        assert 7000 <= len(frame) <= 10000
        assert frame["transaction_id"].is_unique
        assert 0.10 <= frame["is_fraud"].mean() <= 0.20, "fraud base rate"
        assert frame["score"].between(0, 1).all()
    assert train["event_time"].max() < ref["event_time"].min()
    assert ref["event_time"].max() < cur["event_time"].min()
    assert set(ref["transaction_id"]).isdisjoint(cur["transaction_id"])
    staleness = (ref["event_time"] - ref["amount_7d_avg_at"]).dt.total_seconds()
    assert (staleness > 0).all() and (staleness <= 2 * 3600).all()
    assert 0.72 <= recall_score(ref["is_fraud"], ref["score"] >= 0.5) <= 0.92


@pytest.mark.parametrize("name", NAMES)
def test_generation_takes_under_two_seconds(name: str) -> None:
    """Best of three wall-clock runs, so a busy machine does not fail it."""
    scenario = get_scenario(name)
    best = math.inf
    for attempt in range(3):
        started = time.perf_counter()
        generate(scenario, seed=scenario.seed + 7 + attempt)
        best = min(best, time.perf_counter() - started)
        if best < 2.0:
            break
    assert best < 2.0


# --------------------------------------------------------------------------- the metric really moves


@pytest.mark.parametrize("name", FAULTY)
def test_faulty_scenario_metric_drops_beyond_noise(name: str, frames) -> None:
    scenario = get_scenario(name)
    ref, ref_se = _measure(scenario, frames[name]["reference"])
    cur, cur_se = _measure(scenario, frames[name]["current"])
    noise = math.hypot(ref_se, cur_se)
    assert ref - cur >= max(MIN_DROP, 3 * noise), f"{scenario.metric} {ref:.3f} -> {cur:.3f} (noise {noise:.3f})"


@pytest.mark.parametrize("name", CONTROLS)
def test_control_metric_stays_within_noise(name: str, frames) -> None:
    scenario = get_scenario(name)
    ref, ref_se = _measure(scenario, frames[name]["reference"])
    cur, cur_se = _measure(scenario, frames[name]["current"])
    noise = math.hypot(ref_se, cur_se)
    assert abs(cur - ref) < min(MIN_DROP, 3 * noise), f"{scenario.metric} {ref:.3f} -> {cur:.3f}"


@pytest.mark.parametrize("name", FAULTY)
def test_faulty_scenarios_drop_at_other_seeds_too(name: str) -> None:
    """The fault, not a lucky seed, makes the metric drop."""
    scenario = get_scenario(name)
    f = generate(scenario, seed=scenario.seed + 1000)
    ref, _ = _measure(scenario, f["reference"])
    cur, _ = _measure(scenario, f["current"])
    assert ref - cur >= MIN_DROP


# --------------------------------------------------------------------------- each fault is what it says


def test_schema_change_mixes_integer_codes_and_strings(frames) -> None:
    f = frames["schema_change_coerced_nulls"]
    ref, cur = f["reference"], f["current"]
    assert pd.api.types.is_integer_dtype(ref["merchant_category"])
    assert cur["merchant_category"].dtype == object
    text = cur["merchant_category"].map(lambda v: isinstance(v, str))
    assert 0.25 <= text.mean() <= 0.40
    assert cur.loc[text, "merchant_category"].str.fullmatch(r"MCC-\d{4}").all()
    assert cur.loc[~text, "merchant_category"].map(lambda v: isinstance(v, (int, np.integer))).all()
    # coerced to NaN by the feature code, exactly on those rows
    assert cur["merchant_risk"].isna().equals(text)
    assert ref["merchant_risk"].notna().all()


def test_schema_change_survives_a_csv_round_trip_as_text(tmp_path: Path) -> None:
    paths = export_scenario("schema_change_coerced_nulls", tmp_path)
    assert set(paths) >= {"graph", "reference", "current"}
    assert paths["graph"].read_text() == get_scenario("schema_change_coerced_nulls").graph_path.read_text()
    cur = pd.read_csv(paths["current"])
    ref = pd.read_csv(paths["reference"])
    assert not pd.api.types.is_numeric_dtype(cur["merchant_category"]), "reads back as text"
    assert pd.api.types.is_integer_dtype(ref["merchant_category"])
    assert not (tmp_path / "truth.yaml").exists()


def test_raw_counts_change_the_feature_not_its_source(frames) -> None:
    f = frames["raw_counts_instead_of_normalised"]
    ref, cur = f["reference"], f["current"]
    assert stats.ks_2samp(ref["txn_count_24h"], cur["txn_count_24h"]).pvalue > 0.01
    assert cur["txn_count_norm"].std() > 1.3 * ref["txn_count_norm"].std()
    assert cur["txn_count_norm"].mean() > ref["txn_count_norm"].mean() + 2
    assert np.allclose(cur["txn_count_norm"], cur["txn_count_24h"])  # served raw
    # same shape up to an affine map: the stored normalisation was skipped
    np.testing.assert_allclose(
        ref["txn_count_norm"], (ref["txn_count_24h"] - ref["txn_count_24h"].mean()) / ref["txn_count_24h"].std(),
        atol=0.1,
    )


def test_concept_drift_keeps_inputs_and_base_rate(frames) -> None:
    f = frames["concept_drift_stable_inputs"]
    ref, cur = f["reference"], f["current"]
    for column in ("amount", "amount_7d_avg", "hour", "txn_count_24h", "amount_z", "merchant_risk",
                   "txn_count_norm", "score"):
        assert stats.ks_2samp(ref[column], cur[column]).pvalue > 0.001, column
    assert abs(ref["is_fraud"].mean() - cur["is_fraud"].mean()) < 0.02
    small = cur["amount"] < 10
    assert cur.loc[small, "is_fraud"].mean() > 2 * ref.loc[ref["amount"] < 10, "is_fraud"].mean()


def test_every_window_serves_one_model_version(frames) -> None:
    for f in frames.values():
        versions = set(f["reference"]["model_version"]) | set(f["current"]["model_version"])
        assert versions == {sim.MODEL_VERSION}


# --------------------------------------------------------------------------- simulate building blocks


def test_feature_pipeline_uses_stored_training_statistics() -> None:
    rng = np.random.default_rng(0)
    train = sim.draw_sources(rng, 2000)
    labels = sim.draw_labels(rng, train)
    pipe = sim.FeaturePipeline.fit(train, labels)
    shifted = train.assign(amount=train["amount"] * 10)
    # a shifted serving batch is NOT re-standardised: the stored mean is used
    assert sim.FeaturePipeline.fit(shifted, labels).log_amount_mean != pipe.log_amount_mean
    assert pipe.transform(shifted)["amount_z"].mean() > 1.0
    risk = pipe.merchant_risk(pd.Series([5411, "MCC-5411", 1234], dtype=object))
    assert risk[0] == pipe.merchant_risk_map[5411]
    assert np.isnan(risk[1])
    assert risk[2] == pipe.merchant_prior


def test_stream_rngs_are_independent_and_reproducible() -> None:
    a = sim.stream_rng(5, "current").random(3)
    assert np.array_equal(a, sim.stream_rng(5, "current").random(3))
    assert not np.array_equal(a, sim.stream_rng(5, "reference").random(3))
    assert not np.array_equal(a, sim.stream_rng(6, "current").random(3))


# --------------------------------------------------------------------------- library plumbing


def _fake_library(root: Path, monkeypatch: pytest.MonkeyPatch, truths: dict[str, dict]) -> None:
    """Tiny scenarios under ``root`` (via the env var) whose generate() is instant."""
    monkeypatch.setenv("CAUSAL_RCA_SCENARIOS", str(root))
    for name, truth in truths.items():
        d = root / name
        d.mkdir()
        (d / "scenario.yaml").write_text(
            yaml.safe_dump({"name": name, "title": name, "description": f"{name} happened", "metric": "recall",
                            "seed": 7})
        )
        (d / "graph.yaml").write_text("version: 1\nname: tiny\nnodes: {}\n")
        (d / "truth.yaml").write_text(yaml.safe_dump({"metric": "recall", **truth}))
        (d / "generate.py").write_text(
            textwrap.dedent(
                """
                import pandas as pd

                def generate(seed):
                    return {"reference": pd.DataFrame({"x": [seed]}), "current": pd.DataFrame({"x": [seed + 1]})}
                """
            )
        )


def test_env_var_overrides_the_scenarios_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_library(tmp_path, monkeypatch, {"b_case": {"significant": False}, "a_case": {"significant": False}})
    (tmp_path / "not_a_scenario").mkdir()
    assert [s.name for s in list_scenarios()] == ["a_case", "b_case"]
    assert generate("a_case")["reference"]["x"].tolist() == [7]
    assert generate("a_case", seed=3)["current"]["x"].tolist() == [4]
    with pytest.raises(InputError, match="a_case, b_case"):
        get_scenario("c_case")


# --------------------------------------------------------------------------- runner (fake engine)


def _cause(node: str, mode: str, rank: int) -> SimpleNamespace:
    return SimpleNamespace(node=node, failure_mode=mode, rank=rank, score=1.0 / rank)


def _fake_diagnose(answers: dict[str, SimpleNamespace], calls: list) -> callable:
    def diagnose(graph_path, reference, current, metric, seed=None):
        calls.append((Path(graph_path), reference, current, metric, seed))
        return answers[Path(graph_path).parent.name]

    return diagnose


@pytest.fixture()
def fake_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _fake_library(
        tmp_path,
        monkeypatch,
        {
            "right": {"significant": True, "node": "merchant_category", "failure_mode": "schema_change"},
            "wrong_mode": {"significant": True, "node": "merchant_category", "failure_mode": "schema_change"},
            "second": {"significant": True, "node": "txn_count_norm", "failure_mode": "scale_change"},
            "quiet": {"significant": False},
            "alarm": {"significant": False},
        },
    )
    return tmp_path


ANSWERS = {
    # causes deliberately out of rank order: the runner must sort by rank
    "right": SimpleNamespace(significant=True, causes=[_cause("amount", "distribution_shift", 2),
                                                        _cause("merchant_category", "schema_change", 1)]),
    "wrong_mode": SimpleNamespace(significant=True, causes=[_cause("merchant_category", "missing_values", 1)]),
    "second": SimpleNamespace(significant=True, causes=[_cause("txn_count_24h", "distribution_shift", 1),
                                                         _cause("txn_count_norm", "scale_change", 2),
                                                         _cause("hour", "distribution_shift", 3),
                                                         _cause("amount", "distribution_shift", 4)]),
    "quiet": SimpleNamespace(significant=False, causes=[]),
    "alarm": SimpleNamespace(significant=True, causes=[_cause("amount", "distribution_shift", 1)]),
}


def test_run_scenario_passes_graph_frames_metric_and_seed(fake_library: Path) -> None:
    calls: list = []
    result = run_scenario("right", diagnose_fn=_fake_diagnose(ANSWERS, calls))
    (graph_path, reference, current, metric, seed), = calls
    assert graph_path == fake_library / "right" / "graph.yaml"
    assert reference["x"].tolist() == [7] and current["x"].tolist() == [8]
    assert metric == "recall" and seed == 7
    assert result.passed and result.node_correct and result.mode_correct and result.in_top3
    assert result.answer_node == "merchant_category" and result.answer_mode == "schema_change"
    assert result.top3 == ["merchant_category", "amount"]
    assert not result.false_alarm and result.seconds >= 0
    run_scenario("right", seed=11, diagnose_fn=_fake_diagnose(ANSWERS, calls))
    assert calls[-1][4] == 11 and calls[-1][1]["x"].tolist() == [11]


def test_runner_grades_wrong_mode_top3_and_controls(fake_library: Path) -> None:
    results = {r.name: r for r in run_all(diagnose_fn=_fake_diagnose(ANSWERS, []))}
    assert [r for r in results] == ["alarm", "quiet", "right", "second", "wrong_mode"]
    wrong = results["wrong_mode"]
    assert wrong.node_correct and not wrong.mode_correct and not wrong.passed
    second = results["second"]
    assert not second.node_correct and second.in_top3 and not second.passed
    assert second.top3 == ["txn_count_24h", "txn_count_norm", "hour"]
    assert results["quiet"].passed and not results["quiet"].false_alarm
    assert results["quiet"].node_correct is None
    assert results["alarm"].false_alarm and not results["alarm"].passed
    summary = summarise(list(results.values()))
    assert summary["scenarios"] == 5 and summary["faulty"] == 3 and summary["controls"] == 2
    assert summary["passed"] == 2
    assert summary["top1_accuracy"] == pytest.approx(2 / 3)
    assert summary["top3_accuracy"] == pytest.approx(1.0)
    assert summary["mode_accuracy"] == pytest.approx(1 / 3)
    assert summary["false_alarm_rate"] == pytest.approx(0.5)
    assert summary["median_seconds"] >= 0


def test_run_all_records_an_engine_error_as_a_failed_scenario(fake_library: Path) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("engine exploded")

    results = run_all(diagnose_fn=broken)
    assert len(results) == 5
    assert all(not r.passed and "engine exploded" in r.error for r in results)
    summary = summarise(results)
    assert summary["errors"] == 5 and summary["top1_accuracy"] == 0.0 and summary["median_seconds"] is None


def test_summarise_empty() -> None:
    summary = summarise([])
    assert summary["scenarios"] == 0 and summary["top1_accuracy"] is None and summary["false_alarm_rate"] is None


def test_truth_dataclass_of_real_control() -> None:
    assert load_truth("no_fault_control") == Truth(metric="recall", significant=False, node=None, failure_mode=None)
