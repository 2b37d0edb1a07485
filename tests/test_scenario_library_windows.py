"""The scenario library's generated windows: reproducible, shaped like production logs, and the faults really
hurt the metric.

The metric checks are made directly with scikit-learn on the generated frames,
independently of the engine: a faulty scenario whose metric does not really
drop would test nothing, and a control whose metric drops would be unfair.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import recall_score

from causal_rca.scenarios import export_scenario, generate, get_scenario, load_truth
from causal_rca.scenarios import simulate as sim
from causal_rca.scenarios import worlds_churn, worlds_credit, worlds_delivery
from tests.scenario_library_helpers import (
    CONTROLS,
    FAULTY,
    NAMES,
    REGRESSION,
    SCENARIOS,
    _graph,
    _measure,
    _min_change,
    _model_and_label,
    _worsening,
)


@pytest.fixture(scope="module")
def frames() -> dict[str, dict[str, pd.DataFrame]]:
    """Each scenario generated once at its own seed (generation is the slow part)."""
    return {s.name: generate(s) for s in SCENARIOS}


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
