"""The model-aware layer on scenarios that ship their real model (one per classification failure mode).

Replay: putting the true cause back recovers the reference metric within the
replay's interval; putting a healthy node back does not. A new population
(``distribution_shift``, ``out_of_distribution``) is put back by reweighting
the current rows to the node's reference distribution, and the healthy node is
asked the same way. Golden set: a new
model version is blamed (``model_change``, golden-set drop as evidence), a
data fault clears the model. Segments: a fault that hits one slice is found
in that slice first. The engine never sees the truth; the tests compare.
"""

from __future__ import annotations

import pytest

from causal_rca.metrics import MetricSpec, compute_metric, metric_frame
from causal_rca.model.reweight import how_for
from causal_rca.api import what_if_fixed
from causal_rca.scenarios import FAILURE_MODES, get_scenario, has_model, list_scenarios, load_truth
from causal_rca.scenarios import simulate as sim
from causal_rca.scenarios import worlds_credit as wc
from causal_rca.scenarios.library import scenario_module

# Scenario → a healthy model input to put back instead of the true cause, one scenario per
# classification failure mode (credit_bureau_timeouts is the infrastructure one).
REPLAYED = {
    "schema_change_coerced_nulls": "hour",
    "raw_counts_instead_of_normalised": "hour",
    "card_feature_store_outage_defaults": "hour",
    "card_wrong_model_artifact": "hour",
    "concept_drift_stable_inputs": "hour",
    "card_chargeback_policy_change": "hour",
    "churn_scaler_refit_per_partition": "tenure_months",
    "card_new_market_foreign_currency": "hour",
    "card_new_digital_goods_merchants": "hour",
    "card_rolling_average_ingestion_delay": "hour",
    "credit_bureau_timeouts": "applicant_age",
}


def test_every_classification_failure_mode_has_a_scenario_with_its_model() -> None:
    modes = {load_truth(s).failure_mode for s in list_scenarios() if has_model(s)} - {None}
    assert modes == set(FAILURE_MODES)
    replayed = {load_truth(get_scenario(name)).failure_mode for name in REPLAYED}
    assert replayed == set(FAILURE_MODES), set(FAILURE_MODES) - replayed  # the replay test covers every mode


@pytest.mark.parametrize("name", sorted(REPLAYED))
def test_replaying_the_true_cause_recovers_the_reference(name, model_diagnoses) -> None:
    d = model_diagnoses.diagnosis(name)
    case = model_diagnoses.case(name)
    top = d.causes[0]
    assert (top.node, top.failure_mode) == (case.truth_node, case.truth_mode), [c.node for c in d.causes]
    # Within the noise of both windows: the interval of (replayed - reference) holds 0.
    assert top.replay is not None and top.replay.matches_reference, top.replay
    assert top.replay.recovered_share > 0.6
    how = how_for(top.failure_mode, (REPLAYED[name],))  # the healthy node asked as the cause was
    assert ("reweighted" in top.replay.how) == (how == "population"), top.replay
    wrong = what_if_fixed(case.graph, case.frames["reference"], case.frames["current"], case.metric,
                          (REPLAYED[name],), seed=case.seed, how=how)
    assert not wrong.matches_reference, wrong
    assert abs(wrong.recovered_share) < 0.1, wrong


@pytest.mark.parametrize("name", ["schema_change_coerced_nulls", "raw_counts_instead_of_normalised",
                                  "card_feature_store_outage_defaults"])
def test_replay_matches_the_true_counterfactual(name, model_diagnoses) -> None:
    """The same current rows served without the fault (known here, never to the engine)."""
    case = model_diagnoses.case(name)
    world, _ref, (sources, labels) = sim.standard_windows(case.seed, len(case.frames["current"]))
    healthy = world.serve(sources, labels)
    spec = MetricSpec(name=case.metric, threshold=0.5, positive=1)
    truth = compute_metric(spec, metric_frame(spec, healthy["score"], healthy["is_fraud"]))
    replay = model_diagnoses.diagnosis(name).causes[0].replay
    assert replay.ci[0] <= truth <= replay.ci[1], (truth, replay)


def test_service_replay_matches_the_rows_served_without_timeouts(model_diagnoses) -> None:
    """The bureau answered every call: the same current applications served from the real credit file
    (known here from the generator, never to the engine)."""
    name = "credit_bureau_timeouts"
    case = model_diagnoses.case(name)
    world = wc.build_credit_world(case.seed)
    module = scenario_module(name)
    wc.draw_credit_window(world, "reference", module.N_ROWS, start=wc.REFERENCE_START)
    cur, cur_y = wc.draw_credit_window(world, "current", module.N_ROWS, start=wc.CURRENT_START)
    healthy = world.serve(cur, cur_y, id_prefix="cur")
    spec = MetricSpec(name=case.metric, threshold=0.5, positive=1)
    truth = compute_metric(spec, metric_frame(spec, healthy["pd_score"], healthy["defaulted"]))
    top = model_diagnoses.diagnosis(name).causes[0]
    assert top.node == "bureau_api" and "jointly" in top.replay.how, top.replay
    assert top.replay.ci[0] <= truth <= top.replay.ci[1], (truth, top.replay)


def test_reweighting_matches_the_current_rows_of_the_old_population(model_diagnoses) -> None:
    """The digital-goods merchants are one new category: without them, the current rows are the
    old population (known here from the generator, never to the engine)."""
    name = "card_new_digital_goods_merchants"
    case = model_diagnoses.case(name)
    cur = case.frames["current"]
    old = cur["merchant_category"].to_numpy() != scenario_module(name).NEW_MCC
    spec = MetricSpec(name=case.metric, threshold=0.5, positive=1)
    truth = compute_metric(spec, metric_frame(spec, cur["score"][old], cur["is_fraud"][old]))
    replay = model_diagnoses.diagnosis(name).causes[0].replay
    assert replay.ci[0] <= truth <= replay.ci[1], (truth, replay)


def test_new_model_version_is_model_change_with_the_golden_drop(model_diagnoses) -> None:
    d = model_diagnoses.diagnosis("card_wrong_model_artifact")
    golden = d.model_aware.golden
    assert golden.dropped and not golden.cleared
    top = d.causes[0]
    assert (top.node, top.failure_mode) == ("fraud_model", "model_change")
    assert any(e.test == "golden_set" for e in top.evidence)


@pytest.mark.parametrize("name", ["schema_change_coerced_nulls", "raw_counts_instead_of_normalised",
                                  "concept_drift_stable_inputs"])
def test_data_caused_drop_clears_the_model_on_the_golden_set(name, model_diagnoses) -> None:
    d = model_diagnoses.diagnosis(name)
    golden = d.model_aware.golden
    assert golden.cleared and not golden.dropped
    assert any("model is cleared" in w for w in d.warnings)
    assert d.causes[0].node != "fraud_model"


def test_segment_drill_down_finds_the_broken_processor_first(model_diagnoses) -> None:
    d = model_diagnoses.diagnosis("schema_change_coerced_nulls")  # the fault hits processor acq-b only
    first = d.model_aware.segments[0]
    assert (first["segment"], first["value"]) == ("processor", "acq-b")
    assert first["explained_share"] > 0.8


def test_artifact_fidelity_tells_a_new_model_from_the_old(model_diagnoses) -> None:
    art = model_diagnoses.diagnosis("card_wrong_model_artifact").model_aware.artifact
    assert art.reproduces_current_scores > 0.99 and art.reproduces_reference_scores < 0.5
    same = model_diagnoses.diagnosis("schema_change_coerced_nulls").model_aware.artifact
    assert same.reproduces_reference_scores > 0.99 and same.reproduces_current_scores > 0.99
