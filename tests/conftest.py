"""Shared fixtures: a tiny pipeline with a known fault, written to files for CLI tests."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

# The README's test command must give the same verdict on every run: property tests draw the same
# examples each time (derandomize), so a statistical rule that is wrong at its own size on one
# draw in a hundred cannot turn CI red by luck. HYPOTHESIS_PROFILE=explore searches new draws.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

TINY_GRAPH = """\
version: 1
name: tiny
time_column: ts
nodes:
  x:
    kind: source
    column: x
  cat:
    kind: source
    column: cat
  fx:
    kind: feature
    parents: [x]
    column: fx
  model:
    kind: model
    parents: [fx, cat]
    column: score
  y:
    kind: label
    parents: [x, cat]
    column: y
  recall:
    kind: metric
    parents: [model, y]
    metric: recall
"""


def tiny_frame(n: int, seed: int, fault: str | None = None, start: str = "2026-01-01") -> pd.DataFrame:
    """A small scored log; ``fault='fx_scale'`` serves fx ×100, ``None`` is healthy."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    cat = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    bump = np.select([cat == "a", cat == "b"], [0.0, 0.8], 1.5)
    logit = 1.8 * x + bump - 1.2
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    fx = (x - 0.0) / 1.0
    if fault == "fx_scale":
        fx = x * 100.0
    score = 1 / (1 + np.exp(-(1.8 * np.clip(fx, -5, 5) + bump - 1.2)))
    ts = pd.date_range(start, periods=n, freq="min")
    return pd.DataFrame({"ts": ts, "x": x, "cat": cat, "fx": fx, "score": score, "y": y})


@pytest.fixture
def tiny_files(tmp_path: Path) -> dict[str, Path]:
    graph = tmp_path / "tiny.yaml"
    graph.write_text(TINY_GRAPH)
    ref = tmp_path / "ref.csv"
    cur = tmp_path / "cur.csv"
    tiny_frame(3000, 1).to_csv(ref, index=False)
    tiny_frame(3000, 4, start="2026-02-01").to_csv(cur, index=False)
    return {"graph": graph, "reference": ref, "current": cur, "dir": tmp_path}


def cli_status(args) -> int:
    """Run the CLI in-process and return its exit status."""
    from causal_rca.cli.app import main

    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    return exc.value.code


def run_cli(args, capsys) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit status, stdout, stderr)."""
    code = cli_status(args)
    out, err = capsys.readouterr()
    return code, out, err


class DiagnosisCache:
    """``diagnose`` memoised per (graph, metric, seed): each scenario is diagnosed once per test session.

    Scenario windows are a pure function of the scenario and its seed, so the
    key identifies the inputs. Diagnosing all scenarios takes about a minute;
    the tests of truth and the rendering tests share one pass.
    """

    def __init__(self) -> None:
        self._store: dict[tuple[str, str, int], object] = {}

    def __call__(self, graph, reference, current, metric, *, seed: int = 0, **kwargs):
        from causal_rca.api import diagnose

        key = (str(graph), str(metric), int(seed))
        if key not in self._store:
            self._store[key] = diagnose(graph, reference, current, metric, seed=seed, **kwargs)
        return self._store[key]

    def scenario(self, scenario):
        """The diagnosis of one scenario at its own seed (generating its windows only when needed)."""
        from causal_rca.scenarios import generate

        key = (str(scenario.graph_path), str(scenario.metric), int(scenario.seed))
        if key not in self._store:
            frames = generate(scenario, scenario.seed)
            self(scenario.graph_path, frames["reference"], frames["current"], scenario.metric, seed=scenario.seed)
        return self._store[key]


@pytest.fixture(scope="session")
def scenario_diagnoses() -> DiagnosisCache:
    return DiagnosisCache()


@pytest.fixture(scope="session")
def model_diagnoses(tmp_path_factory):
    """Scenarios with their real model as skops artifacts, each diagnosed once per session."""
    from tests.model_cases import ModelDiagnoses

    return ModelDiagnoses(tmp_path_factory.mktemp("model-scenarios"))
