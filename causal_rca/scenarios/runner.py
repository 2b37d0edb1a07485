"""Run the engine on scenarios and score its answers against the ground truth.

The engine only sees the graph and the two windows; the truth is read here,
after the diagnosis, to grade it. ``diagnose_fn`` can be injected so the
runner is testable without the engine.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from causal_rca.scenarios.library import Scenario, Truth, generate, get_scenario, list_scenarios, load_truth

DiagnoseFn = Callable[..., Any]


@dataclass(frozen=True)
class ScenarioResult:
    """The engine's answer on one scenario, graded against its truth.

    ``node_correct``, ``in_top3`` and ``mode_correct`` are ``None`` for
    controls (there is no true node); ``false_alarm`` is ``False`` for faulty
    scenarios. ``mode_correct`` grades the top-1 cause's mode on its own.
    """

    name: str
    truth: Truth
    answer_node: str | None
    answer_mode: str | None
    top3: list[str]
    significant: bool
    node_correct: bool | None
    in_top3: bool | None
    mode_correct: bool | None
    false_alarm: bool
    passed: bool
    seconds: float
    error: str | None = field(default=None)

    @property
    def control(self) -> bool:
        return not self.truth.significant


def _default_diagnose() -> DiagnoseFn:
    from causal_rca.api import diagnose  # imported late: the engine may not exist yet

    return diagnose


def grade(name: str, truth: Truth, diagnosis: Any, seconds: float) -> ScenarioResult:
    """Compare one diagnosis (``.significant``, ``.causes`` with ``.node``/``.failure_mode``/``.rank``) with the truth."""
    causes = sorted(getattr(diagnosis, "causes", None) or [], key=lambda c: c.rank)
    significant = bool(diagnosis.significant)
    top = causes[0] if causes else None
    answer_node = top.node if top is not None else None
    answer_mode = top.failure_mode if top is not None else None
    top3 = [c.node for c in causes[:3]]
    if truth.significant:
        node_correct = answer_node == truth.node
        in_top3 = truth.node in top3
        mode_correct = answer_mode == truth.failure_mode
        false_alarm = False
        passed = significant and node_correct and mode_correct
    else:
        node_correct = in_top3 = mode_correct = None
        false_alarm = significant
        passed = not significant
    return ScenarioResult(
        name=name,
        truth=truth,
        answer_node=answer_node,
        answer_mode=answer_mode,
        top3=top3,
        significant=significant,
        node_correct=node_correct,
        in_top3=in_top3,
        mode_correct=mode_correct,
        false_alarm=false_alarm,
        passed=passed,
        seconds=seconds,
    )


def run_scenario(
    scenario: Scenario | str,
    seed: int | None = None,
    diagnose_fn: DiagnoseFn | None = None,
) -> ScenarioResult:
    """Generate the scenario's windows, diagnose them, grade the answer.

    Only the diagnosis is timed (not data generation). Engine errors propagate.
    """
    if isinstance(scenario, str):
        scenario = get_scenario(scenario)
    diagnose = diagnose_fn or _default_diagnose()
    seed = scenario.seed if seed is None else int(seed)
    frames = generate(scenario, seed)
    started = time.perf_counter()
    diagnosis = diagnose(scenario.graph_path, frames["reference"], frames["current"], scenario.metric, seed=seed)
    seconds = time.perf_counter() - started
    return grade(scenario.name, load_truth(scenario), diagnosis, seconds)


def run_all(
    seed: int | None = None,
    diagnose_fn: DiagnoseFn | None = None,
    scenarios: list[Scenario] | None = None,
) -> list[ScenarioResult]:
    """Every scenario; an engine error fails that scenario (with ``error`` set) instead of the run."""
    results: list[ScenarioResult] = []
    for scenario in scenarios if scenarios is not None else list_scenarios():
        try:
            results.append(run_scenario(scenario, seed=seed, diagnose_fn=diagnose_fn))
        except Exception as exc:  # noqa: BLE001 - a broken engine is a failed scenario, not a crashed run
            truth = load_truth(scenario)
            results.append(
                ScenarioResult(
                    name=scenario.name,
                    truth=truth,
                    answer_node=None,
                    answer_mode=None,
                    top3=[],
                    significant=False,
                    node_correct=False if truth.significant else None,
                    in_top3=False if truth.significant else None,
                    mode_correct=False if truth.significant else None,
                    false_alarm=False,
                    passed=False,
                    seconds=0.0,
                    error=f"{type(exc).__name__}: {exc}",
                )
            )
    return results


def _rate(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def summarise(results: list[ScenarioResult]) -> dict[str, Any]:
    """Accuracy over faulty scenarios, false-alarm rate over controls, median diagnosis time.

    A rate is ``None`` when there is nothing to average over.
    """
    faulty = [r for r in results if r.truth.significant]
    controls = [r for r in results if not r.truth.significant]
    timed = [r.seconds for r in results if r.error is None]
    return {
        "scenarios": len(results),
        "faulty": len(faulty),
        "controls": len(controls),
        "passed": sum(r.passed for r in results),
        "errors": sum(r.error is not None for r in results),
        "top1_accuracy": _rate([bool(r.node_correct) for r in faulty]),
        "top3_accuracy": _rate([bool(r.in_top3) for r in faulty]),
        "mode_accuracy": _rate([bool(r.mode_correct) for r in faulty]),
        "false_alarm_rate": _rate([r.false_alarm for r in controls]),
        "median_seconds": statistics.median(timed) if timed else None,
    }
