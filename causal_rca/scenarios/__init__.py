"""Failure scenarios with known ground truth: the engine's tests of truth."""

from causal_rca.scenarios.library import (
    FAILURE_MODES,
    Scenario,
    Truth,
    export_scenario,
    generate,
    generate_with_model,
    get_scenario,
    graph_with_artifact,
    has_model,
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
    "generate_with_model",
    "get_scenario",
    "graph_with_artifact",
    "has_model",
    "grade",
    "list_scenarios",
    "load_truth",
    "run_all",
    "run_scenario",
    "scenarios_dir",
    "summarise",
]
