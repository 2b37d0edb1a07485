"""The tests of truth: the real engine must name the true cause of every scenario.

Each scenario is generated at its own seed and diagnosed by
``causal_rca.api.diagnose``; it passes when the true node is ranked first with
the true failure mode and the drop is significant, or, for a control, when no
significant drop is reported.
"""

from __future__ import annotations

import pytest

from causal_rca.scenarios import list_scenarios, run_scenario

SCENARIOS = list_scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_engine_finds_the_true_cause(scenario, scenario_diagnoses) -> None:
    result = run_scenario(scenario, diagnose_fn=scenario_diagnoses)  # shared with the rendering tests
    truth = result.truth
    if truth.significant:
        detail = (
            f"expected {truth.node}/{truth.failure_mode}, got {result.answer_node}/{result.answer_mode} "
            f"(significant={result.significant}, top3={result.top3})"
        )
    else:
        detail = f"control reported significant: top cause {result.answer_node}/{result.answer_mode}"
    assert result.passed, detail


QUIET_FAULTS = [s for s in SCENARIOS if s.name == "churn_silent_null_jump"]


@pytest.mark.parametrize("scenario", QUIET_FAULTS, ids=[s.name for s in QUIET_FAULTS])
def test_a_silent_fault_is_listed_under_data_quality(scenario, scenario_diagnoses) -> None:
    """The metric did not move, so no cause; the broken column is still reported (issue 18, point 7)."""
    from causal_rca.scenarios import generate, load_truth

    truth = load_truth(scenario)
    frames = generate(scenario)
    d = scenario_diagnoses(scenario.graph_path, frames["reference"], frames["current"], scenario.metric,
                           seed=scenario.seed)
    assert not d.significant and not d.causes
    listed = {(f["node"], f["signal"]) for f in d.to_dict()["data_quality"]}
    assert truth.data_quality in listed, listed
    assert (truth.data_quality[0], "contract") in listed  # its max_null_rate contract broke too
