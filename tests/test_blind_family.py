"""Tests of the blind benchmark family (benchmarks/blind_family).

The family is written from the public specs only; these tests check its
independence from the engine (static), that its graphs are valid for the
engine's CLI used as a black box, determinism, the contract of a case, and
the coverage of the frozen evaluation range.
"""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from benchmarks.blind_family import (DEVELOPMENT_SEEDS, EVALUATION_SEED, FAILURE_MODES,
                                     draw_case, plan_case)
from benchmarks.blind_family.constants import REAL_DATASETS
from benchmarks.blind_family.metrics import change_test

PACKAGE = Path(__file__).resolve().parents[1] / "benchmarks" / "blind_family"
N_EVAL = 250


def _sample_seeds():
    """12 development seeds: every failure mode and a control, both families."""
    chosen, need = [], [None] + list(FAILURE_MODES)
    fams = Counter()
    for seed in DEVELOPMENT_SEEDS:
        p = plan_case(seed)
        if p.mode in need and (fams[p.family] < 6):
            need.remove(p.mode)
            fams[p.family] += 1
            chosen.append(seed)
        if not need:
            break
    return chosen


SEEDS = _sample_seeds()


@pytest.fixture(scope="module")
def cases():
    return {s: draw_case(s) for s in SEEDS}


def test_no_file_mentions_the_engine():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 5
    for f in files:
        text = f.read_text()
        assert "causal_rca" not in text, f"{f} mentions the engine"


def test_sample_covers_all_modes_and_both_families():
    plans = [plan_case(s) for s in SEEDS]
    assert len(SEEDS) == 12
    assert {p.mode for p in plans} == set(FAILURE_MODES) | {None}
    assert {p.family for p in plans} == {"synthetic", "real"}


def test_graphs_validate_with_the_cli(cases, tmp_path):
    for seed, case in cases.items():
        g = tmp_path / f"g{seed}.yaml"
        d = tmp_path / f"d{seed}.csv"
        g.write_text(yaml.safe_dump(case.graph, sort_keys=False))
        case.reference.to_csv(d, index=False)
        r = subprocess.run([sys.executable, "-m", "causal_rca", "validate", str(g), "--data", str(d)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, (seed, r.stdout, r.stderr)


def test_case_contract(cases):
    for seed, case in cases.items():
        plan = plan_case(seed)
        nodes = case.graph["nodes"]
        assert 6 <= len(nodes) <= 30
        assert nodes[case.metric]["kind"] == "metric"
        assert nodes[case.metric]["metric"] == plan.metric
        assert case.info["kind"] == plan.kind
        assert 1500 <= len(case.reference) <= 8000 and 1500 <= len(case.current) <= 8000
        for n in nodes.values():
            for key in ("column", "freshness", "version_column"):
                if key in n:
                    assert n[key] in case.reference and n[key] in case.current
        if plan.mode is None:
            assert case.truth.significant is False and case.truth.node is None
            assert case.truth.failure_mode is None
        else:
            assert case.truth.significant is True
            assert case.truth.failure_mode == plan.mode
            assert case.truth.node in nodes
        assert case.info["significance_check"] == "passed"
        if plan.mode == "infrastructure":
            assert nodes[case.truth.node]["kind"] == "infra"
        if plan.mode in ("concept_drift", "label_shift"):
            assert nodes[case.truth.node]["kind"] == "label"
        if plan.mode == "model_change":
            assert nodes[case.truth.node]["kind"] == "model"


def test_metric_change_recomputed_from_the_windows(cases):
    for seed, case in cases.items():
        node = case.graph["nodes"][case.metric]
        kind = node["metric"]
        if kind == "mean":
            ref, cur = ({"values": w[node["column"]].to_numpy(float)} for w in (case.reference, case.current))
        else:
            model = next(k for k in node["parents"] if case.graph["nodes"][k]["kind"] == "model")
            label = next(k for k in node["parents"] if case.graph["nodes"][k]["kind"] == "label")
            sc, lc = case.graph["nodes"][model]["column"], case.graph["nodes"][label]["column"]
            t = node.get("threshold", 0.5)
            ref, cur = ({"y": w[lc].to_numpy(float), "s": w[sc].to_numpy(float), "threshold": t}
                        for w in (case.reference, case.current))
        test = change_test(kind, ref, cur, seed=seed)
        if case.truth.significant:
            assert abs(test["z"]) >= 3
        else:
            assert abs(test["z"]) <= 1.5


def test_deterministic():
    for seed in SEEDS[:2]:
        a, b = draw_case(seed), draw_case(seed)
        pd.testing.assert_frame_equal(a.reference, b.reference)
        pd.testing.assert_frame_equal(a.current, b.current)
        assert a.graph == b.graph and a.truth == b.truth and a.metric == b.metric


def test_evaluation_range_coverage():
    plans = [plan_case(EVALUATION_SEED + i) for i in range(N_EVAL)]
    modes = Counter(p.mode for p in plans)
    assert set(modes) - {None} == set(FAILURE_MODES)
    assert all(modes[m] >= 10 for m in FAILURE_MODES), modes
    assert 0.07 <= modes[None] / N_EVAL <= 0.13
    real = sum(p.family == "real" for p in plans) / N_EVAL
    assert 0.40 <= real <= 0.60
    assert {p.dataset for p in plans if p.family == "real"} == set(REAL_DATASETS)
    assert len(REAL_DATASETS) >= 6
    assert not any(p.task == "multiclass" for p in plans)
    # seeds are disjoint from development
    assert not set(range(EVALUATION_SEED, EVALUATION_SEED + N_EVAL)) & set(DEVELOPMENT_SEEDS)


def test_plan_is_what_draw_case_uses(cases):
    for seed, case in cases.items():
        p = plan_case(seed)
        assert case.info["kind"] == p.kind and case.info["plan_mode"] == p.mode
        assert case.truth.failure_mode == p.mode
        assert case.info["strength"] == p.strength


def test_multiclass_is_not_drawn_yet():
    with pytest.raises(NotImplementedError):
        plan_case(DEVELOPMENT_SEEDS[0], include_multiclass=True)
