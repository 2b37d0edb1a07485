"""`causal-rca watch` and `why --split auto` through the command line, on a CSV log."""

from __future__ import annotations

import json
import shutil

import pytest

from causal_rca.cli.app import main
from causal_rca.scenarios.timeline import churn_timeline


@pytest.fixture(scope="module")
def log_files(tmp_path_factory):
    case = churn_timeline(4, days=40, rows_per_day=800, change_day=25)
    folder = tmp_path_factory.mktemp("watch")
    case.log.to_csv(folder / "log.csv", index=False)
    shutil.copyfile(case.graph_path, folder / "graph.yaml")
    return folder, case


def _run(args, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_watch_writes_jsonl_and_a_chart(log_files, capsys) -> None:
    folder, case = log_files
    chart = folder / "chart.svg"
    code, out, _ = _run(["watch", str(folder / "graph.yaml"), "--data", str(folder / "log.csv"), "--metric",
                         case.metric, "--every", "1d", "--format", "jsonl", "--chart", str(chart), "--quiet",
                         "--record", str(folder / "h.sqlite")], capsys)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["type"] == "watch" and lines[0]["baseline_buckets"] >= 7
    assert [x["bucket"] for x in lines if x["type"] == "bucket"] == list(range(40))
    assert chart.exists() and chart.read_text().lstrip().startswith("<?xml")


def test_watch_text_table_and_bad_every(log_files, capsys) -> None:
    folder, case = log_files
    code, out, _ = _run(["watch", str(folder / "graph.yaml"), "--data", str(folder / "log.csv"), "--metric",
                         case.metric, "--quiet"], capsys)
    assert code == 0 and "control limits" in out
    code, _, err = _run(["watch", str(folder / "graph.yaml"), "--data", str(folder / "log.csv"), "--metric",
                         case.metric, "--every", "fortnightly"], capsys)
    assert code == 2 and "--every" in err and "Traceback" not in err


def test_why_split_auto_reports_the_split(log_files, capsys) -> None:
    folder, case = log_files
    code, out, _ = _run(["why", case.metric, "--graph", str(folder / "graph.yaml"), "--data",
                         str(folder / "log.csv"), "--split", "auto", "--format", "json", "--quiet"], capsys)
    assert code == 0
    d = json.loads(out)
    assert set(d["split"]) >= {"time", "kind", "confidence", "interval", "nodes"}
    assert abs((__import__("pandas").Timestamp(d["split"]["time"]) - case.change).total_seconds()) < 3 * 86400
