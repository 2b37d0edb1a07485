"""The scale benchmark's case names and its targets table: what a run is asked and what it writes."""

from __future__ import annotations

import pytest

from benchmarks.scale import TARGETS, parse_case, targets_section


def test_a_case_names_its_fault_and_runs() -> None:
    assert parse_case("1m/skew:3") == ("1m", "skew", 3)
    assert parse_case("n500") == ("n500", "nulls", None)
    assert parse_case("fitted", "concept") == ("fitted", "concept", None)


def test_an_empty_fault_is_the_default_one() -> None:
    assert parse_case("10m/") == ("10m", "nulls", None)


@pytest.mark.parametrize("case", ["bogus", "1m/gremlins", "n500/skew:x"])
def test_an_unknown_case_or_fault_is_refused(case: str) -> None:
    with pytest.raises((SystemExit, ValueError)):
        parse_case(case)


def test_every_row_of_the_issue_has_a_case() -> None:
    assert {"csv15", "1m", "10m", "n500", "n2000", "fitted"} <= set(TARGETS)


def _row(case: str, top: str, truth: str, **extra) -> dict:
    nodes, rows, kind, t_s, t_x, t_gib = TARGETS[case]
    return {"case": case, "fault": "skew", "nodes": nodes, "rows": rows, "kind": kind, "wall_s": 2.0,
            "walls": [1.9, 2.0, 2.1], "floor_s": 1.0, "x_floor": 2.0, "peak_gib": 0.5, "top": top,
            "truth": truth, "recall": "0.700 → 0.400", "target_s": t_s, "target_x": t_x, "target_gib": t_gib,
            "met": False, "right": top == truth, "load": (1.0, 2.0), **extra}


def test_the_table_shows_the_answer_beside_the_truth() -> None:
    text = targets_section([_row("1m", "feat_3/pipeline_skew", "feat_3/pipeline_skew"),
                            _row("fitted", "label/concept_drift", "feat_3/pipeline_skew", fit_s=5.0)], "cmd")
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(lines) == 3  # the header and two rows
    assert "| feat_3/pipeline_skew | feat_3/pipeline_skew | yes |" in lines[1]
    assert lines[2].startswith("| diagnose after fit (fit 5.0 s)") and "| no | 1.0 → 2.0 |" in lines[2]
    assert "≤ 4 s, ≤ 5× floor, ≤ 1.5 GiB" in lines[1]
