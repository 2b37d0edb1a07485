"""Same inputs and seed → byte-identical JSON (spec/diagnosis.md), for every scenario.

Two ways determinism breaks in practice, so two tests: state carried between
runs in one process (a global random generator, a memo cache), and Python's
per-process hash seed changing the order of sets and dicts of strings, which
only a second process with another ``PYTHONHASHSEED`` can show.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from causal_rca.api import diagnose
from causal_rca.render import render
from causal_rca.scenarios import generate, list_scenarios

SCENARIOS = list_scenarios()
ROOT = Path(__file__).resolve().parents[1]


def test_there_are_scenarios_to_check() -> None:
    assert len(SCENARIOS) >= 20


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_diagnosing_twice_gives_the_same_bytes(scenario, scenario_diagnoses) -> None:
    first = scenario_diagnoses.scenario(scenario)  # shared with the scenario tests: often computed already
    frames = generate(scenario, scenario.seed)  # generated again, so generation is checked too
    second = diagnose(scenario.graph_path, frames["reference"], frames["current"], scenario.metric,
                      seed=scenario.seed)
    assert second.to_json() == first.to_json()
    assert render(second, "markdown") == render(first, "markdown")


# One scenario per simulated world (card, churn, credit, eta): the hash seed can only matter where names
# are hashed, and every world names its nodes differently. Two processes per scenario are the cost.
WORLDS = sorted({s.name.split("_")[0]: s.name for s in reversed(SCENARIOS)
                 if s.name.split("_")[0] in ("card", "churn", "credit", "eta")}.values())
PROGRAM = """
import json, sys
from causal_rca.api import diagnose
from causal_rca.scenarios import generate, get_scenario
out = {}
for name in sys.argv[1:]:
    s = get_scenario(name)
    f = generate(s, s.seed)
    out[name] = diagnose(s.graph_path, f["reference"], f["current"], s.metric, seed=s.seed).to_json()
print(json.dumps(out))
"""


def _run_with_hash_seed(hash_seed: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    proc = subprocess.run([sys.executable, "-c", PROGRAM, *WORLDS], capture_output=True, text=True, env=env,
                          cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_hash_seed_does_not_change_the_bytes() -> None:
    assert len(WORLDS) >= 4, WORLDS
    first, second = _run_with_hash_seed("1"), _run_with_hash_seed("2")
    assert set(first) == set(WORLDS)
    for name in WORLDS:
        assert first[name] == second[name], name


def test_worker_processes_give_the_same_bytes(scenario_diagnoses) -> None:
    """Mechanism tests and attribution fits on two worker processes (speculative tests, then the
    nodes whose parents broke rerun in order) give the sequential answer, byte for byte."""
    scenario = next(s for s in SCENARIOS if s.name == "credit_bureau_timeouts")
    first = scenario_diagnoses.scenario(scenario)
    frames = generate(scenario, scenario.seed)
    parallel = diagnose(scenario.graph_path, frames["reference"], frames["current"], scenario.metric,
                        seed=scenario.seed, jobs=2)
    assert parallel.causes and parallel.to_json() == first.to_json()
