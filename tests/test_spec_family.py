"""The held-out spec family: determinism, plan coverage, truth, independence, graph validity.

The engine's command line is run as a black box to validate graphs; nothing of the
engine is imported here (its module name is assembled so that the family's folder
never spells it).
"""
from __future__ import annotations

import collections
import pathlib
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from benchmarks.spec_family import (DEVELOPMENT_SEEDS, EVALUATION_SEED, FAILURE_MODES, draw_case,
                                    plan_case)

ROOT = pathlib.Path(__file__).resolve().parents[1]
FAMILY = ROOT / "benchmarks" / "spec_family"
TOOL = "causal" + "_rca"
SPEC_MODES = {"distribution_shift", "scale_change", "missing_values", "schema_change", "stale_values",
              "pipeline_skew", "concept_drift", "label_shift", "model_change", "out_of_distribution",
              "infrastructure"}
SEEDS = [DEVELOPMENT_SEEDS[0], DEVELOPMENT_SEEDS[13], DEVELOPMENT_SEEDS[14], DEVELOPMENT_SEEDS[20],
         DEVELOPMENT_SEEDS[27]]


@pytest.fixture(scope="module")
def cases():
    return {s: draw_case(s) for s in SEEDS}


def test_constants():
    assert EVALUATION_SEED == 8_800_000
    assert DEVELOPMENT_SEEDS == range(3_000_000, 3_000_500)
    assert set(FAILURE_MODES) == SPEC_MODES and len(FAILURE_MODES) == 11


def test_draw_is_deterministic(cases):
    for s in SEEDS[:2]:
        a, b = cases[s], draw_case(s)
        assert a.graph == b.graph and a.metric == b.metric and a.truth == b.truth
        pd.testing.assert_frame_equal(a.reference, b.reference)
        pd.testing.assert_frame_equal(a.current, b.current)


@pytest.mark.parametrize("start", [DEVELOPMENT_SEEDS[0], DEVELOPMENT_SEEDS[40], EVALUATION_SEED])
def test_plan_covers_a_block(start):
    plans = [plan_case(s) for s in range(start, start + 40)]
    modes = collections.Counter(p["failure_mode"] for p in plans)
    assert modes[None] == 4
    for m in FAILURE_MODES:
        assert 3 <= modes[m] <= 4, m
    kinds = collections.Counter(p["kind"] for p in plans)
    assert kinds == {"binary": 16, "multiclass": 10, "regression": 10, "mean": 4}
    metrics = {(p["kind"], p["metric"]) for p in plans}
    for m in ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"):
        assert ("binary", m) in metrics
    for m in ("accuracy", "f1", "recall", "precision", "roc_auc", "log_loss", "top_k_accuracy"):
        assert ("multiclass", m) in metrics
    for m in ("mae", "rmse", "mape", "r2"):
        assert ("regression", m) in metrics
    assert plan_case(start) == plan_case(start)


def test_truth_and_shape(cases):
    for s, c in cases.items():
        nodes = c.graph["nodes"]
        assert c.metric in nodes and nodes[c.metric]["kind"] == "metric"
        assert 8 <= len(nodes) <= 40
        assert c.info["kind"] in ("binary", "multiclass", "regression", "mean")
        assert c.info["significance_check"] in ("passed", "failed")
        if c.truth.failure_mode is None:
            assert c.truth == (False, None, None) or (c.truth.node is None and not c.truth.significant)
        else:
            assert c.truth.failure_mode in SPEC_MODES
            assert c.truth.node in nodes
            assert c.truth.significant == (c.info["significance_check"] == "passed")
        assert c.truth.failure_mode == plan_case(s)["failure_mode"]
        assert 2000 <= len(c.reference) <= 60000 and 2000 <= len(c.current) <= 60000
        for nd in nodes.values():
            for key in ("column", "freshness", "version_column"):
                if key in nd:
                    assert nd[key] in c.reference.columns and nd[key] in c.current.columns
            for col in (nd.get("scores") or {}).values():
                assert col in c.reference.columns
        # the dict is what yaml.safe_load of the file gives
        assert yaml.safe_load(yaml.safe_dump(c.graph)) == c.graph


def test_the_family_never_names_the_tool():
    for path in FAMILY.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".md", ".txt", ".yaml", ".json"):
            assert TOOL not in path.read_text(), path


def test_graphs_validate_with_the_cli(cases, tmp_path):
    for s, c in cases.items():
        path = tmp_path / f"g{s}.yaml"
        path.write_text(yaml.safe_dump(c.graph, sort_keys=False))
        r = subprocess.run([sys.executable, "-m", TOOL, "validate", str(path)], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
        assert r.returncode == 0, (s, r.stdout, r.stderr)
