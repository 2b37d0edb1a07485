"""The README's first command: `causal-rca demo` ranks the demo scenario's true cause first."""

from __future__ import annotations

import json
import subprocess
import sys

from causal_rca.scenarios import get_scenario, load_truth


def test_demo_ranks_true_cause_first() -> None:
    proc = subprocess.run([sys.executable, "-m", "causal_rca", "demo", "--format", "json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    diagnosis = json.loads(proc.stdout)
    truth = load_truth(get_scenario("schema_change_coerced_nulls"))
    assert diagnosis["significant"] is True
    assert diagnosis["causes"][0]["node"] == truth.node
    assert diagnosis["causes"][0]["failure_mode"] == truth.failure_mode
    assert "Evaluating set functions" not in proc.stderr  # no stray progress bars from libraries
