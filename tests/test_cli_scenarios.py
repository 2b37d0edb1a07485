"""`causal-rca scenarios list|run|export` through the command line."""

from __future__ import annotations

import json

import pytest

from causal_rca.cli.app import main


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_list_names_every_scenario(capsys) -> None:
    from causal_rca.scenarios import list_scenarios

    code, out, _ = run_cli(["scenarios", "list"], capsys)
    assert code == 0
    for s in list_scenarios():
        assert s.name in out


def test_run_one_reports_truth_and_answer(capsys) -> None:
    code, out, err = run_cli(["scenarios", "run", "no_fault_control", "--format", "json"], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["results"][0]["truth_significant"] is False
    assert report["summary"]["controls"] == 1
    assert report["summary"]["false_alarm_rate"] == 0.0


def test_run_needs_name_or_all(capsys) -> None:
    code, _, err = run_cli(["scenarios", "run"], capsys)
    assert code == 2 and "--all" in err


def test_unknown_scenario(capsys) -> None:
    code, _, err = run_cli(["scenarios", "run", "nope"], capsys)
    assert code == 2 and "nope" in err


def test_export_then_why_from_files(tmp_path, capsys) -> None:
    code, out, err = run_cli(["scenarios", "export", "raw_counts_instead_of_normalised", "--out", tmp_path], capsys)
    assert code == 0, err
    truth_free = {p.name for p in tmp_path.iterdir()}
    assert "truth.yaml" not in truth_free
    code, out, err = run_cli(["why", "precision", "--graph", tmp_path / "graph.yaml", "--reference",
                              tmp_path / "reference.csv", "--current", tmp_path / "current.csv", "--format", "json"],
                             capsys)
    assert code == 0, err
    top = json.loads(out)["causes"][0]
    assert (top["node"], top["failure_mode"]) == ("txn_count_norm", "scale_change")
