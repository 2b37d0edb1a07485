"""Failure scenarios with known ground truth: the engine's tests of truth."""

from causal_rca.scenarios.library import (
    FAILURE_MODES,
    Scenario,
    Truth,
    export_scenario,
    generate,
    get_scenario,
    list_scenarios,
    load_truth,
    scenarios_dir,
)
from causal_rca.scenarios.runner import ScenarioResult, grade, run_all, run_scenario, summarise

__all__ = [
    "FAILURE_MODES",
    "Scenario",
    "ScenarioResult",
    "Truth",
    "export_scenario",
    "generate",
    "get_scenario",
    "grade",
    "list_scenarios",
    "load_truth",
    "run_all",
    "run_scenario",
    "scenarios_dir",
    "summarise",
]
