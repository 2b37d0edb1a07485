"""The field family (benchmarks/field_family): held-out cases with benign background change.

The family never imports the engine; these tests use it only as a black box (`validate`
through a subprocess). The engine's module name is assembled at run time so that the
family's own folder can be checked for it.
"""

from __future__ import annotations

import functools
import os
import pathlib
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from benchmarks.field_family import (DEVELOPMENT_SEEDS, EVALUATION_SEED, FAILURE_MODES, KINDS,
                                     MODE_NODE_KINDS, draw_case, plan_case)

ROOT = pathlib.Path(__file__).resolve().parents[1]
FAMILY = ROOT / "benchmarks" / "field_family"
ENGINE = "causal" + "_rca"
TOOL = os.environ.get("FIELD_FAMILY_TOOL", ENGINE)

# a handful of seeds: a control of each of two kinds and faults across the modes
DEV = DEVELOPMENT_SEEDS.start


def _seeds_with(pred, limit, start=DEV, span=96):
    out = [s for s in range(start, start + span) if pred(plan_case(s))]
    return out[:limit]


CONTROL_SEEDS = _seeds_with(lambda p: p["failure_mode"] is None, 2)
FAULT_SEEDS = _seeds_with(lambda p: p["failure_mode"] in (
    "schema_change", "infrastructure", "stale_values", "model_change", "out_of_distribution"), 5)
SEEDS = CONTROL_SEEDS + FAULT_SEEDS


@functools.lru_cache(maxsize=None)
def case(seed):
    return draw_case(seed)


def test_plan_blocks_cover_every_mode_and_kind_evenly():
    for base in (EVALUATION_SEED, DEV):
        for block in range(2):
            plans = [plan_case(base + 48 * block + i) for i in range(48)]
            pairs = [(p["failure_mode"], p["kind"]) for p in plans if p["failure_mode"]]
            assert sorted(pairs) == sorted((m, k) for m in FAILURE_MODES for k in KINDS)
            controls = [p["kind"] for p in plans if p["failure_mode"] is None]
            assert sorted(controls) == sorted(KINDS)


def test_determinism_same_seed_same_case():
    seed = FAULT_SEEDS[0]
    a = case(seed)
    b = draw_case(seed)
    pd.testing.assert_frame_equal(a.reference, b.reference)
    pd.testing.assert_frame_equal(a.current, b.current)
    assert a.graph == b.graph and a.metric == b.metric and a.truth == b.truth


@pytest.mark.parametrize("seed", SEEDS)
def test_plan_agrees_with_draw(seed):
    c, p = case(seed), plan_case(seed)
    assert c.info["kind"] == p["kind"]
    assert c.truth.failure_mode == p["failure_mode"]
    assert c.info["significance_check"] in ("passed", "failed")
    assert 2000 <= len(c.current) <= 30000 and 2000 <= len(c.reference) <= 30000


@pytest.mark.parametrize("seed", CONTROL_SEEDS)
def test_controls_have_no_truth_node(seed):
    c = case(seed)
    assert c.truth.significant is False
    assert c.truth.node is None and c.truth.failure_mode is None


@pytest.mark.parametrize("seed", FAULT_SEEDS)
def test_truth_node_exists_with_the_kind_its_mode_requires(seed):
    c = case(seed)
    assert c.truth.significant is True
    nodes = c.graph["nodes"]
    assert c.truth.node in nodes
    assert nodes[c.truth.node]["kind"] in MODE_NODE_KINDS[c.truth.failure_mode]
    assert c.metric in nodes and nodes[c.metric]["kind"] == "metric"


@pytest.mark.parametrize("seed", SEEDS)
def test_observed_columns_are_in_both_windows(seed):
    c = case(seed)
    cols = set()
    for node in c.graph["nodes"].values():
        for key in ("column", "freshness", "version_column"):
            if key in node:
                cols.add(node[key])
        cols.update(node.get("scores", {}).values())
    cols.update([c.graph["time_column"], c.graph["key_column"]])
    assert cols <= set(c.reference.columns) and cols <= set(c.current.columns)


@pytest.mark.parametrize("seed", SEEDS[:4])
def test_graph_passes_black_box_validate(seed, tmp_path):
    c = case(seed)
    graph = tmp_path / "graph.yaml"
    graph.write_text(yaml.safe_dump(c.graph, sort_keys=False), encoding="utf-8")
    data = tmp_path / "reference.csv"
    c.reference.to_csv(data, index=False)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", TOOL, "validate", str(graph), "--data", str(data)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr + run.stdout


def test_family_never_names_the_engine():
    files = [p for p in FAMILY.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert files
    for p in files:
        assert ENGINE not in p.read_text(encoding="utf-8", errors="replace"), p
