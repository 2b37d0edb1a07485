"""The scenario library's files: discovery, truths, graphs, simulate's building blocks, the library folder
and the runner (on a fake engine).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml

from causal_rca.errors import InputError
from causal_rca.scenarios import (
    FAILURE_MODES,
    Truth,
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
from tests.scenario_library_helpers import CONTROLS, FAULTY, NAMES, SCENARIOS, SUPPORTED_METRICS, _graph, _metric_node


EXPECTED = {
    "concept_drift_stable_inputs",
    "no_fault_control",
    "raw_counts_instead_of_normalised",
    "schema_change_coerced_nulls",
    # card fraud
    "card_chargeback_policy_change",
    "card_feature_store_outage_defaults",
    "card_new_digital_goods_merchants",
    "card_new_market_foreign_currency",
    "card_rolling_average_ingestion_delay",
    "card_wrong_model_artifact",
    "card_distance_history_zero_fill",
    "card_merchant_fraud_rate_cache_frozen",
    # subscriber churn (8-node pipeline)
    "churn_competitor_switching_offer",
    "churn_quiet_month_control",
    "churn_scaler_refit_per_partition",
    # delivery ETA (regression)
    "eta_feature_store_timeouts",
    "eta_frozen_prep_time_cache",
    "eta_routing_distance_in_miles",
    "eta_weather_feed_outage",
    "eta_new_grocery_vertical",
    # consumer lending (40-node pipeline)
    "credit_application_form_renamed_employment",
    "credit_bad_finetune",
    "credit_broker_partnership",
    "credit_bureau_timeouts",
    "credit_debt_zero_fill_at_serving",
    "credit_default_definition_60dpd",
    "credit_stable_month_control",
    "credit_thin_file_policy",
    "credit_salaried_defaults_up_rate_flat",
    # motor insurance (banded driver age), trade-in valuation (correlated vehicle fields)
    "motor_driver_age_band_in_months",
    "usedcar_heavier_trade_ins",
    # multi-class models (issue 20): a form reader on real handwriting, a product categoriser
    "digits_finetune_forgets_eights",
    "digits_quiet_month_control",
    "catalog_large_appliances_arrive",
    "catalog_garden_folded_into_furniture",
    "catalog_games_split_from_toys",
    # regression on real patients (issue 20)
    "clinic_blood_pressure_in_kpa",
    "clinic_lab_feed_outage",
}
SPEC = Path("/work/shared/spec/diagnosis.md")
KINDS = {"source", "feature", "model", "label", "metric", "infra"}


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
    assert set(raw) - {"data_quality"} == {"metric", "significant", "node", "failure_mode"}
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


def test_library_covers_every_failure_mode_twice_and_has_two_controls() -> None:
    per_mode = {mode: 0 for mode in FAILURE_MODES}
    for name in FAULTY:
        per_mode[load_truth(name).failure_mode] += 1
    assert all(count >= 2 for count in per_mode.values()), per_mode
    assert len(CONTROLS) >= 2


def test_library_varies_graph_sizes_domains_and_metrics() -> None:
    sizes = {s.name: len(_graph(s)["nodes"]) for s in SCENARIOS}
    assert min(sizes.values()) <= 8, "a small pipeline"
    assert max(sizes.values()) >= 35, "a large pipeline"
    assert len({_graph(s)["name"] for s in SCENARIOS}) >= 3, "more than one domain"
    assert {_metric_node(s)["metric"] for s in SCENARIOS} >= SUPPORTED_METRICS


@pytest.mark.parametrize("name", NAMES)
def test_description_does_not_name_the_answer(name: str) -> None:
    """The engine must never see the truth, and neither should the user's story give it away."""
    scenario = get_scenario(name)
    truth = load_truth(scenario)
    text = f"{scenario.title} {scenario.description}".lower()
    if truth.significant:
        assert truth.failure_mode not in text and truth.failure_mode.replace("_", " ") not in text
        if "_" in truth.node:
            assert truth.node not in text


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
    assert 6 <= len(nodes) <= 45
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
    assert {"source", "feature", "model", "label", "metric"} <= kinds
    if len(nodes) > 8:
        assert any(n["kind"] == "infra" and "column" not in n for n in nodes.values()), "an unobserved infra node"
    assert all("version_column" in n for n in nodes.values() if n["kind"] == "model")
    assert nodes[scenario.metric]["kind"] == "metric"
    assert nodes[scenario.metric]["metric"] in SUPPORTED_METRICS


@pytest.mark.parametrize("name", NAMES)
def test_graph_loads_with_the_engine_loader(name: str) -> None:
    try:
        from causal_rca.lineage import load_graph
    except ImportError:
        pytest.skip("lineage loader not available yet")
    graph = load_graph(get_scenario(name).graph_path)
    assert get_scenario(name).metric in graph.metric_nodes()


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
