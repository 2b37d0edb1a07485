"""The model-aware layer on scenarios that ship their real model (one per classification failure mode).

Replay: putting the true cause back recovers the reference metric within the
replay's interval; putting a healthy node back does not. Golden set: a new
model version is blamed (``model_change``, golden-set drop as evidence), a
data fault clears the model. Segments: a fault that hits one slice is found
in that slice first. The engine never sees the truth; the tests compare.
"""

from __future__ import annotations

import pytest

from causal_rca.model.whatif import what_if_fixed

# Scenario → a healthy model input to put back instead of the true cause.
REPLAYED = {
    "schema_change_coerced_nulls": "hour",
    "raw_counts_instead_of_normalised": "hour",
    "card_feature_store_outage_defaults": "hour",
    "card_rolling_average_ingestion_delay": "hour",
    "card_wrong_model_artifact": "hour",
    "concept_drift_stable_inputs": "hour",
    "card_chargeback_policy_change": "hour",
    "churn_scaler_refit_per_partition": "tenure_months",
    "credit_bad_finetune": "loan_amount",
}


def _inside(value: float, ci) -> bool:
    return ci[0] <= value <= ci[1]


@pytest.mark.parametrize("name", sorted(REPLAYED))
def test_replaying_the_true_cause_recovers_the_reference(name, model_diagnoses) -> None:
    d = model_diagnoses.diagnosis(name)
    case = model_diagnoses.case(name)
    top = d.causes[0]
    assert (top.node, top.failure_mode) == (case.truth_node, case.truth_mode), [c.node for c in d.causes]
    assert top.replay is not None
    assert _inside(d.reference.value, top.replay["ci"]), top.replay
    wrong = what_if_fixed(case.graph, case.frames["reference"], case.frames["current"], case.metric,
                          (REPLAYED[name],), seed=case.seed)
    assert not _inside(wrong.reference, wrong.ci), wrong
    assert abs(wrong.recovered_share) < 0.25, wrong


def test_new_model_version_is_model_change_with_the_golden_drop(model_diagnoses) -> None:
    d = model_diagnoses.diagnosis("card_wrong_model_artifact")
    golden = d.model_aware["golden"]
    assert golden["dropped"] and not golden["cleared"]
    top = d.causes[0]
    assert (top.node, top.failure_mode) == ("fraud_model", "model_change")
    assert any(e.test == "golden_set" for e in top.evidence)


@pytest.mark.parametrize("name", ["schema_change_coerced_nulls", "raw_counts_instead_of_normalised",
                                  "concept_drift_stable_inputs"])
def test_data_caused_drop_clears_the_model_on_the_golden_set(name, model_diagnoses) -> None:
    d = model_diagnoses.diagnosis(name)
    golden = d.model_aware["golden"]
    assert golden["cleared"] and not golden["dropped"]
    assert any("model is cleared" in w for w in d.warnings)
    assert d.causes[0].node != "fraud_model"


def test_segment_drill_down_finds_the_broken_processor_first(model_diagnoses) -> None:
    d = model_diagnoses.diagnosis("schema_change_coerced_nulls")  # the fault hits processor acq-b only
    first = d.model_aware["segments"][0]
    assert (first["segment"], first["value"]) == ("processor", "acq-b")
    assert first["explained_share"] > 0.8


def test_artifact_fidelity_tells_a_new_model_from_the_old(model_diagnoses) -> None:
    art = model_diagnoses.diagnosis("card_wrong_model_artifact").model_aware["artifact"]
    assert art["reproduces_current_scores"] > 0.99 and art["reproduces_reference_scores"] < 0.5
    same = model_diagnoses.diagnosis("schema_change_coerced_nulls").model_aware["artifact"]
    assert same["reproduces_reference_scores"] > 0.99 and same["reproduces_current_scores"] > 0.99
