"""The scenario library: reproducible, well-formed, and the faults really hurt the metric.

The metric checks are made directly with scikit-learn on the generated frames,
independently of the engine: a faulty scenario whose metric does not really
drop would test nothing, and a control whose metric drops would be unfair.
"""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats
from sklearn.metrics import (
    accuracy_score, f1_score, log_loss, mean_absolute_error, mean_squared_error, precision_score, recall_score,
    roc_auc_score,
)

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
from causal_rca.scenarios import worlds_churn, worlds_credit, worlds_delivery

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
THRESHOLD_METRICS = {
    "recall": recall_score,
    "precision": precision_score,
    "f1": f1_score,
    "accuracy": accuracy_score,
}
SUPPORTED_METRICS = set(THRESHOLD_METRICS) | {"roc_auc", "log_loss", "mae", "rmse", "mean"}
HIGHER_IS_BETTER = {"recall", "precision", "f1", "accuracy", "roc_auc"}
LOWER_IS_BETTER = {"log_loss", "mae", "rmse"}
REGRESSION = {"mae", "rmse", "mape", "r2"}
#: Smallest move that counts as a real fault: 0.03 on metrics in [0, 1] (and on a
#: mean of a 0/1 column), 3% of the reference value for losses and errors.
MIN_CHANGE = 0.03
MIN_RELATIVE_CHANGE = 0.03

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


def _metric_columns(scenario: Scenario) -> tuple[str | None, str | None]:
    """(prediction column, label column) of the scenario's metric, read from the graph."""
    nodes = _graph(scenario)["nodes"]
    metric = nodes[scenario.metric]
    model = metric.get("prediction") or next((p for p in metric["parents"] if nodes[p]["kind"] == "model"), None)
    label = metric.get("label") or next((p for p in metric["parents"] if nodes[p]["kind"] == "label"), None)
    return (nodes[model]["column"] if model else None), (nodes[label]["column"] if label else None)


def _multiclass(scenario: Scenario) -> bool:
    model, _label = _model_and_label(_graph(scenario))
    return "scores" in model


def _measure_multiclass(node: dict, y: pd.Series, pred: pd.Series) -> tuple[float, float]:
    """scikit-learn's value; the standard error from a seeded bootstrap of the rows."""
    name = node["metric"]
    if "class" in node:
        def value(t, p):
            return float(THRESHOLD_METRICS[name](t, p, labels=[node["class"]], average=None)[0])
    elif name == "accuracy":
        def value(t, p):
            return float(accuracy_score(t, p))
    else:
        def value(t, p):
            return float(THRESHOLD_METRICS[name](t, p, average=node.get("average", "macro")))
    t, p = y.to_numpy(), pred.to_numpy()
    rng = np.random.default_rng(0)
    boots = [value(t[i], p[i]) for i in (rng.integers(0, len(t), len(t)) for _ in range(100))]
    return value(t, p), float(np.std(boots))


def _model_and_label(graph: dict) -> tuple[dict, dict]:
    nodes = graph["nodes"]
    model = next(n for n in nodes.values() if n["kind"] == "model")
    label = next(n for n in nodes.values() if n["kind"] == "label")
    return model, label


def _auc_se(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil (1982) standard error of a ROC AUC."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)) / (n_pos * n_neg)
    return math.sqrt(max(var, 0.0))


def _f1_se(y: np.ndarray, pred: np.ndarray) -> float:
    """Seeded multinomial bootstrap over the confusion-matrix cells."""
    cells = np.array([np.sum((y == 1) & (pred == 1)), np.sum((y == 0) & (pred == 1)),
                      np.sum((y == 1) & (pred == 0)), np.sum((y == 0) & (pred == 0))], dtype=float)
    draws = np.random.default_rng(0).multinomial(int(cells.sum()), cells / cells.sum(), size=500)
    tp, fp, fn = draws[:, 0], draws[:, 1], draws[:, 2]
    return float(np.std(2 * tp / np.maximum(2 * tp + fp + fn, 1)))


def _measure(scenario: Scenario, frame: pd.DataFrame) -> tuple[float, float]:
    """(metric value, standard error) measured directly with sklearn / numpy, never with the engine."""
    node = _metric_node(scenario)
    name = node["metric"]
    if name == "mean":
        values = frame[node["column"]].astype(float).to_numpy()
        return float(values.mean()), float(values.std() / math.sqrt(len(values)))
    pred_col, label_col = _metric_columns(scenario)
    if _multiclass(scenario):
        return _measure_multiclass(node, frame[label_col], frame[pred_col])
    scores = frame[pred_col].astype(float).to_numpy()
    if name == "mae":
        errors = np.abs(frame[label_col].astype(float).to_numpy() - scores)
        return float(mean_absolute_error(frame[label_col], scores)), float(errors.std() / math.sqrt(len(errors)))
    if name == "rmse":
        squared = (frame[label_col].astype(float).to_numpy() - scores) ** 2
        rmse = float(np.sqrt(mean_squared_error(frame[label_col], scores)))
        return rmse, float(squared.std() / math.sqrt(len(squared)) / (2 * rmse))  # delta method
    y = (frame[label_col] == node.get("positive", 1)).astype(int).to_numpy()
    if name == "roc_auc":
        auc = float(roc_auc_score(y, scores))
        return auc, _auc_se(auc, int(y.sum()), int(len(y) - y.sum()))
    if name == "log_loss":
        p = np.clip(scores, 1e-15, 1 - 1e-15)
        rows = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        return float(log_loss(y, p)), float(rows.std() / math.sqrt(len(rows)))
    pred = (scores >= node.get("threshold", 0.5)).astype(int)
    value = float(THRESHOLD_METRICS[name](y, pred))
    if name == "f1":
        return value, _f1_se(y, pred)
    denominator = {"recall": y.sum(), "precision": pred.sum()}.get(name, len(y))
    return value, math.sqrt(value * (1 - value) / max(int(denominator), 1))


def _worsening(scenario: Scenario, reference: float, current: float) -> float:
    """How much the metric got worse (positive = worse); a business mean counts in either direction."""
    name = _metric_node(scenario)["metric"]
    if name in HIGHER_IS_BETTER:
        return reference - current
    if name in LOWER_IS_BETTER:
        return current - reference
    return abs(current - reference)


def _min_change(scenario: Scenario, reference: float) -> float:
    name = _metric_node(scenario)["metric"]
    return MIN_RELATIVE_CHANGE * abs(reference) if name in LOWER_IS_BETTER else MIN_CHANGE


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
    graph = _graph(scenario)
    model, _ = _model_and_label(graph)
    other = generate(scenario, seed=scenario.seed + 1)
    for key in ("reference", "current"):
        assert not frames[name][key][graph["time_column"]].equals(other[key][graph["time_column"]])
        assert not frames[name][key][model["column"]].equals(other[key][model["column"]])


@pytest.mark.parametrize("name", NAMES)
def test_windows_look_like_production_logs(name: str, frames) -> None:
    graph = _graph(get_scenario(name))
    model, label = _model_and_label(graph)
    key, time_col = graph["key_column"], graph["time_column"]
    f = frames[name]
    ref, cur, train = f["reference"], f["current"], f["training"]
    classifier = any(n.get("metric") not in REGRESSION | {"mean"}
                     for n in graph["nodes"].values() if n["kind"] == "metric")
    for frame in (ref, cur, train):
        assert 5000 <= len(frame) <= 25000
        assert frame[key].is_unique
        assert frame[model["column"]].notna().all()
        if "scores" in model:  # multi-class: a predicted class and one probability per class
            probabilities = frame[list(model["scores"].values())]
            assert probabilities.to_numpy().min() >= 0 and np.allclose(probabilities.sum(axis=1), 1.0)
            assert set(frame[model["column"]]) <= set(model["scores"])
            assert frame[label["column"]].nunique() >= 4
        elif classifier:
            assert frame[model["column"]].between(0, 1).all(), "scores are probabilities"
            assert set(frame[label["column"]].unique()) <= {0, 1}
            assert 0.03 <= frame[label["column"]].mean() <= 0.35, "base rate of the positive class"
        else:
            assert (frame[label["column"]] > 0).all()
    assert train[time_col].max() < ref[time_col].min()
    assert ref[time_col].max() < cur[time_col].min()
    assert set(ref[key]).isdisjoint(cur[key])


@pytest.mark.parametrize("name", [n for n in NAMES if _graph(get_scenario(n))["name"] == "card-fraud"])
def test_card_fraud_reference_windows_look_like_the_launch_period(name: str, frames) -> None:
    ref, train = frames[name]["reference"], frames[name]["training"]
    for frame in (ref, train):
        assert 0.10 <= frame["is_fraud"].mean() <= 0.20, "fraud base rate"
    staleness = (ref["event_time"] - ref["amount_7d_avg_at"]).dt.total_seconds()
    assert (staleness > 0).all() and (staleness <= 2 * 3600).all()
    assert 0.72 <= recall_score(ref["is_fraud"], ref["score"] >= 0.5) <= 0.92


# --------------------------------------------------------------------------- the metric really moves


@pytest.mark.parametrize("name", FAULTY)
def test_faulty_scenario_metric_drops_beyond_noise(name: str, frames) -> None:
    """The metric gets worse (a business mean: moves) by a real amount and by 3 standard errors."""
    scenario = get_scenario(name)
    ref, ref_se = _measure(scenario, frames[name]["reference"])
    cur, cur_se = _measure(scenario, frames[name]["current"])
    noise = math.hypot(ref_se, cur_se)
    worse = _worsening(scenario, ref, cur)
    assert worse >= max(_min_change(scenario, ref), 3 * noise), f"{scenario.metric} {ref:.4f} -> {cur:.4f} (noise {noise:.4f})"


@pytest.mark.parametrize("name", CONTROLS)
def test_control_metric_stays_within_noise(name: str, frames) -> None:
    scenario = get_scenario(name)
    ref, ref_se = _measure(scenario, frames[name]["reference"])
    cur, cur_se = _measure(scenario, frames[name]["current"])
    noise = math.hypot(ref_se, cur_se)
    assert abs(cur - ref) < min(_min_change(scenario, ref), 2 * noise), f"{scenario.metric} {ref:.4f} -> {cur:.4f}"


@pytest.mark.parametrize("name", FAULTY)
def test_faulty_scenarios_drop_at_other_seeds_too(name: str) -> None:
    """The fault, not a lucky seed, makes the metric move."""
    scenario = get_scenario(name)
    f = generate(scenario, seed=scenario.seed + 1000)
    ref, ref_se = _measure(scenario, f["reference"])
    cur, cur_se = _measure(scenario, f["current"])
    assert _worsening(scenario, ref, cur) >= 2.5 * math.hypot(ref_se, cur_se), f"{ref:.4f} -> {cur:.4f}"


def test_measure_agrees_with_sklearn_on_every_metric(frames) -> None:
    """The test's own measurement reads the graph the way the spec defines the metrics."""
    for scenario in SCENARIOS:
        frame = frames[scenario.name]["reference"]
        value, se = _measure(scenario, frame)
        assert math.isfinite(value) and 0 < se < 0.1 * max(abs(value), 1.0)


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


def _same_distribution(ref: pd.Series, cur: pd.Series) -> bool:
    return stats.ks_2samp(ref.dropna(), cur.dropna()).pvalue > 0.001


def test_new_digital_goods_merchants_are_a_new_population_within_known_amounts(frames) -> None:
    f = frames["card_new_digital_goods_merchants"]
    ref, cur, train = f["reference"], f["current"], f["training"]
    new = cur["merchant_category"] == 5816
    assert 0.25 <= new.mean() <= 0.35
    assert not (ref["merchant_category"] == 5816).any() and not (train["merchant_category"] == 5816).any()
    assert set(ref["merchant_category"]) <= set(cur["merchant_category"]), "old categories are all still there"
    assert pd.api.types.is_integer_dtype(cur["merchant_category"]) and cur["merchant_risk"].notna().all()
    assert cur.loc[new, "merchant_risk"].nunique() == 1, "an unseen code gets the training prior"
    assert cur.loc[new, "amount"].between(train["amount"].min(), train["amount"].max()).mean() > 0.97
    assert cur.loc[new, "is_fraud"].mean() > 2 * ref["is_fraud"].mean()


def test_feature_store_outage_serves_the_default_without_computation_time(frames) -> None:
    f = frames["card_feature_store_outage_defaults"]
    ref, cur = f["reference"], f["current"]
    default = cur["amount_7d_avg"] == 0.0
    assert 0.25 <= default.mean() <= 0.45 and not (ref["amount_7d_avg"] == 0.0).any()
    assert cur["amount_7d_avg_at"].isna().equals(default)
    days = cur.loc[default, "event_time"].dt.normalize().unique()
    assert len(days) == 5, "one contiguous outage of five days"
    for column in ("amount", "merchant_category", "hour", "txn_count_24h", "amount_z", "txn_count_norm"):
        assert _same_distribution(ref[column], cur[column]), column


def test_ingestion_delay_makes_the_average_hours_old_and_noisier(frames) -> None:
    f = frames["card_rolling_average_ingestion_delay"]
    ref, cur = f["reference"], f["current"]
    ref_age = (ref["event_time"] - ref["amount_7d_avg_at"]).dt.total_seconds() / 3600
    cur_age = (cur["event_time"] - cur["amount_7d_avg_at"]).dt.total_seconds() / 3600
    assert ref_age.max() <= 2 and (cur_age > 4).mean() > 0.8
    ratio = lambda w: np.log(w["amount"] / w["amount_7d_avg"]).std()  # noqa: E731
    assert ratio(cur) > ratio(ref) + 0.05
    for column in ("amount", "merchant_category", "hour", "txn_count_24h"):
        assert _same_distribution(ref[column], cur[column]), column


def test_chargeback_policy_raises_the_base_rate_with_unchanged_inputs(frames) -> None:
    f = frames["card_chargeback_policy_change"]
    ref, cur = f["reference"], f["current"]
    assert cur["is_fraud"].mean() >= ref["is_fraud"].mean() + 0.03
    for column in ("amount", "amount_7d_avg", "hour", "txn_count_24h", "merchant_risk", "score"):
        assert _same_distribution(ref[column], cur[column]), column


def test_wrong_artifact_changes_only_the_model(frames) -> None:
    f = frames["card_wrong_model_artifact"]
    ref, cur = f["reference"], f["current"]
    assert set(cur["model_version"]) == {"fraud-gbm-2024.03.0"}
    for column in ("amount", "amount_z", "amount_7d_avg", "merchant_risk", "txn_count_norm", "hour"):
        assert _same_distribution(ref[column], cur[column]), column
    assert abs(ref["is_fraud"].mean() - cur["is_fraud"].mean()) < 0.02
    assert (cur["score"] >= 0.5).mean() < 0.6 * (ref["score"] >= 0.5).mean()


def test_new_market_amounts_leave_the_training_support(frames) -> None:
    f = frames["card_new_market_foreign_currency"]
    ref, cur, train = f["reference"], f["current"], f["training"]
    top = train["amount"].max()
    assert (ref["amount"] > top).mean() < 0.005
    assert 0.15 <= (cur["amount"] > top).mean() <= 0.35
    assert (cur["amount_z"] > train["amount_z"].max()).mean() > 0.1
    rel = lambda w: np.log(w["amount"] / w["amount_7d_avg"])  # noqa: E731
    assert _same_distribution(rel(ref), rel(cur)), "the amount relative to the card's own spending is unchanged"


def test_churn_scaler_refit_changes_the_feature_not_its_source(frames) -> None:
    f = frames["churn_scaler_refit_per_partition"]
    ref, cur = f["reference"], f["current"]
    assert _same_distribution(ref["monthly_charges"], cur["monthly_charges"])
    assert ref.groupby("plan")["charges_z"].mean()["premium"] > 1.0
    per_plan = cur.groupby("plan")["charges_z"]
    assert (per_plan.mean().abs() < 1e-6).all() and np.allclose(per_plan.std(ddof=0), 1.0)
    train = f["training"]
    stored = (ref["monthly_charges"] - train["monthly_charges"].mean()) / train["monthly_charges"].std(ddof=0)
    np.testing.assert_allclose(ref["charges_z"], stored, atol=1e-5)


def test_churn_concept_drift_keeps_inputs_and_base_rate(frames) -> None:
    f = frames["churn_competitor_switching_offer"]
    ref, cur = f["reference"], f["current"]
    for column in ("tenure_months", "monthly_charges", "support_calls_90d", "charges_z", "churn_score"):
        assert _same_distribution(ref[column], cur[column]), column
    assert abs(ref["churned"].mean() - cur["churned"].mean()) < 0.015
    loyal = lambda w: w.loc[w["tenure_months"] >= 36, "churned"].mean()  # noqa: E731
    assert loyal(cur) > 1.5 * loyal(ref)


def test_frozen_prep_cache_is_days_old_at_serving(frames) -> None:
    f = frames["eta_frozen_prep_time_cache"]
    ref, cur = f["reference"], f["current"]
    ref_age = (ref["order_time"] - ref["prep_time_7d_avg_at"]).dt.total_seconds() / 3600
    cur_age = (cur["order_time"] - cur["prep_time_7d_avg_at"]).dt.total_seconds() / 3600
    assert ref_age.between(0, 2).all()
    assert cur_age.median() > 24 and cur_age.max() > 10 * 24
    assert cur["prep_time_7d_avg_at"].nunique() < len(cur), "the same snapshot is served again and again"
    assert _same_distribution(ref["store_category_enc"], cur["store_category_enc"])


def test_feature_store_timeouts_hit_several_features_together(frames) -> None:
    f = frames["eta_feature_store_timeouts"]
    ref, cur = f["reference"], f["current"]
    fallback = lambda w: (w["couriers_nearby"] == worlds_delivery.COURIER_FALLBACK) & (  # noqa: E731
        w["zone_congestion"] == worlds_delivery.CONGESTION_FALLBACK)
    assert fallback(ref).mean() < 0.01 and 0.12 <= fallback(cur).mean() <= 0.35
    peak = cur["hour"].isin([11, 12, 13, 17, 18, 19, 20, 21])
    assert cur.loc[peak, "couriers_nearby"].eq(6).mean() > 3 * cur.loc[~peak, "couriers_nearby"].eq(6).mean()
    for column in ("zone", "hour", "distance_km", "store_category", "prep_time_7d_avg"):
        assert _same_distribution(ref[column].astype("category").cat.codes if ref[column].dtype == object
                                  else ref[column],
                                  cur[column].astype("category").cat.codes if cur[column].dtype == object
                                  else cur[column]), column
    assert not any(c.startswith("realtime") for c in cur.columns), "the store has no column"


def test_routing_distances_are_miles_same_shape(frames) -> None:
    f = frames["eta_routing_distance_in_miles"]
    ref, cur = f["reference"], f["current"]
    q = [0.1, 0.25, 0.5, 0.75, 0.9]
    ratios = cur["distance_km"].quantile(q).to_numpy() / ref["distance_km"].quantile(q).to_numpy()
    np.testing.assert_allclose(ratios, 1 / 1.609344, rtol=0.05)
    assert _same_distribution(ref["delivery_minutes"], cur["delivery_minutes"]) or (
        abs(ref["delivery_minutes"].mean() - cur["delivery_minutes"].mean()) < 1.5), "trips take as long as before"


def test_weather_outage_nulls_rain_from_the_day_the_key_expired(frames) -> None:
    f = frames["eta_weather_feed_outage"]
    ref, cur = f["reference"], f["current"]
    assert ref["rain_mm"].notna().all() and (ref["rain_mm"] > 0).mean() > 0.03
    nulls = cur["rain_mm"].isna()
    assert 0.7 <= nulls.mean() <= 0.85
    assert cur.loc[nulls, "order_time"].min() > cur.loc[~nulls, "order_time"].max()


def test_debt_zero_fill_changes_the_fill_not_the_missing_records(frames) -> None:
    f = frames["credit_debt_zero_fill_at_serving"]
    ref, cur = f["reference"], f["current"]
    ref_missing, cur_missing = ref["monthly_debt"].isna(), cur["monthly_debt"].isna()
    assert 0.15 <= ref_missing.mean() <= 0.25 and abs(ref_missing.mean() - cur_missing.mean()) < 0.02
    assert ref.loc[ref_missing, "debt_to_income"].nunique() == 1
    median = ref.loc[ref_missing, "debt_to_income"].iloc[0]
    assert 0.1 < median < 0.3, "training fill: the median ratio"
    assert (cur.loc[cur_missing, "debt_to_income"] == 0).all()
    assert (cur.loc[~cur_missing, "debt_to_income"] > 0).all()
    np.testing.assert_allclose(cur.loc[~cur_missing, "debt_to_income"],
                               12 * cur.loc[~cur_missing, "monthly_debt"] / cur.loc[~cur_missing, "annual_income"],
                               atol=1e-4)


def test_sixty_days_definition_raises_the_default_rate_only(frames) -> None:
    f = frames["credit_default_definition_60dpd"]
    ref, cur = f["reference"], f["current"]
    assert cur["defaulted"].mean() > 1.3 * ref["defaulted"].mean()
    for column in ("credit_score", "annual_income", "loan_amount", "pd_score", "approved"):
        assert _same_distribution(ref[column], cur[column]), column


def test_bad_finetune_is_a_new_version_on_the_same_inputs(frames) -> None:
    f = frames["credit_bad_finetune"]
    ref, cur = f["reference"], f["current"]
    assert set(cur["model_version"]) == {"credit-gbm-2023.09-ft"}
    for column in ("credit_score", "debt_to_income", "employment_risk", "income_verification_ratio"):
        assert _same_distribution(ref[column], cur[column]), column
    assert abs(ref["defaulted"].mean() - cur["defaulted"].mean()) < 0.015


def test_renamed_employment_categories_no_longer_overlap(frames) -> None:
    f = frames["credit_application_form_renamed_employment"]
    ref, cur, train = f["reference"], f["current"], f["training"]
    assert set(ref["employment_type"]) == set(train["employment_type"])
    assert set(cur["employment_type"]).isdisjoint(set(train["employment_type"]))
    assert len(set(cur["employment_type"])) == len(set(ref["employment_type"]))
    assert cur["employment_risk"].nunique() == 1 and ref["employment_risk"].nunique() == 5
    assert np.isclose(cur["employment_risk"].iloc[0], train["defaulted"].mean(), atol=1e-4)


def test_broker_partnership_moves_the_channel_mix(frames) -> None:
    f = frames["credit_broker_partnership"]
    ref, cur = f["reference"], f["current"]
    share = lambda w: (w["application_channel"] == "broker").mean()  # noqa: E731
    assert share(ref) < 0.12 and share(cur) > 0.3
    assert set(cur["application_channel"]) == set(ref["application_channel"])
    brokers = lambda w: w[w["application_channel"] == "broker"]  # noqa: E731
    assert abs(brokers(ref)["approved"].mean() - brokers(cur)["approved"].mean()) < 0.05, "the model treats them as before"


def test_thin_files_leave_the_training_support(frames) -> None:
    f = frames["credit_thin_file_policy"]
    ref, cur, train = f["reference"], f["current"], f["training"]
    assert train["credit_history_months"].min() >= worlds_credit.MIN_HISTORY_MONTHS
    assert ref["credit_history_months"].min() >= worlds_credit.MIN_HISTORY_MONTHS
    assert 0.2 <= (cur["credit_history_months"] < worlds_credit.MIN_HISTORY_MONTHS).mean() <= 0.4
    assert cur["defaulted"].mean() > ref["defaulted"].mean() + 0.01


def test_bureau_timeouts_fill_defaults_on_several_fields_at_once(frames) -> None:
    f = frames["credit_bureau_timeouts"]
    ref, cur = f["reference"], f["current"]
    failed = cur["bureau_pulled_at"].isna()
    assert ref["bureau_pulled_at"].notna().all() and 0.2 <= failed.mean() <= 0.4
    assert (cur.loc[failed, "credit_score"] == 650).all() and (cur.loc[failed, "inquiries_6m"] == 0).all()
    assert cur.loc[failed, ["credit_history_months", "monthly_debt"]].isna().all().all()
    assert cur.loc[~failed, "credit_history_months"].notna().all()
    for column in ("annual_income", "loan_amount", "applicant_age", "salary_deposits_90d", "overdraft_days_90d"):
        assert _same_distribution(ref[column], cur[column]), column


def test_new_worlds_use_stored_training_statistics() -> None:
    churn = worlds_churn.build_churn_world(3)
    shifted = churn.training.assign(monthly_charges=churn.training["monthly_charges"] + 40)
    assert churn.features(shifted)["charges_z"].mean() > 1.0
    credit = worlds_credit.build_credit_world(3)
    apps = worlds_credit.draw_applications(np.random.default_rng(0), 500)
    renamed = apps.assign(loan_purpose="something_new")
    np.testing.assert_allclose(credit.features.transform(renamed)["purpose_risk"],
                               credit.features.encoders["purpose_risk"].prior, atol=1e-5)
    delivery = worlds_delivery.build_delivery_world(3)
    enc = delivery.features.store_category_enc(pd.Series(["pizza", "grocery"]))
    assert enc[0] == delivery.features.category_minutes["pizza"] and enc[1] == delivery.features.prior_minutes


def test_every_window_serves_one_model_version_unless_the_model_changed(frames) -> None:
    """A new version is logged exactly when the fault is the model; otherwise the same version serves all."""
    for scenario in SCENARIOS:
        f = frames[scenario.name]
        version_col = _model_and_label(_graph(scenario))[0]["version_column"]
        (trained,) = set(f["training"][version_col])
        assert set(f["reference"][version_col]) == {trained}
        if load_truth(scenario).failure_mode == "model_change":
            assert set(f["current"][version_col]).isdisjoint({trained})
        else:
            assert set(f["current"][version_col]) == {trained}
    assert set(frames["no_fault_control"]["current"]["model_version"]) == {sim.MODEL_VERSION}


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
