"""`causal-rca why` end to end through the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from causal_rca.cli.app import main
from tests.conftest import tiny_frame

REQUIRED = ("format", "graph", "target", "reference", "current", "change", "significant", "causes", "anomalies",
            "summary")
CAUSE_REQUIRED = ("rank", "node", "failure_mode", "score", "evidence", "why", "mitigation")


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


@pytest.fixture
def faulty(tiny_files):
    cur = tiny_files["dir"] / "cur_fault.csv"
    tiny_frame(3000, 2, fault="fx_scale", start="2026-02-01").to_csv(cur, index=False)
    return {**tiny_files, "current": cur}


def why(files, *extra):
    return ["why", "recall", "--graph", files["graph"], "--reference", files["reference"],
            "--current", files["current"], *extra]


def test_json_contract_and_true_cause(faulty, capsys) -> None:
    code, out, err = run_cli(why(faulty, "--format", "json", "--seed", "3"), capsys)
    assert code == 0, err
    d = json.loads(out)
    for key in REQUIRED:
        assert key in d
    assert d["format"] == "causal-rca/diagnosis/v1"
    assert d["significant"] is True
    assert d["change"] == pytest.approx(d["current"]["value"] - d["reference"]["value"], abs=1e-5)
    top = d["causes"][0]
    for key in CAUSE_REQUIRED:
        assert key in top
    assert [c["rank"] for c in d["causes"]] == list(range(1, len(d["causes"]) + 1))
    assert all(0 <= c["score"] <= 1 for c in d["causes"])
    assert top["node"] == "fx"
    assert top["failure_mode"] == "scale_change"
    assert top["why"][0].startswith("recall")


def test_healthy_windows_are_not_significant(tiny_files, capsys) -> None:
    code, out, err = run_cli(why(tiny_files, "--format", "json"), capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["significant"] is False
    assert d["causes"] == []


def test_same_seed_same_bytes(faulty, capsys) -> None:
    _, first, _ = run_cli(why(faulty, "--format", "json", "--seed", "7"), capsys)
    _, second, _ = run_cli(why(faulty, "--format", "json", "--seed", "7"), capsys)
    assert first == second


@pytest.mark.parametrize("fmt,marker", [("text", "Ranked causes"), ("markdown", "## Ranked causes"),
                                        ("html", "<!doctype html>")])
def test_other_formats(faulty, capsys, fmt, marker) -> None:
    code, out, err = run_cli(why(faulty, "--format", fmt), capsys)
    assert code == 0, err
    assert marker in out
    assert "fx" in out


def test_out_writes_file_and_split_works(faulty, tmp_path: Path, capsys) -> None:
    import pandas as pd

    both = pd.concat([pd.read_csv(faulty["reference"]), pd.read_csv(faulty["current"])])
    data = tmp_path / "all.parquet"
    both.to_parquet(data)
    target = tmp_path / "out" / "d.json"
    code, out, err = run_cli(["why", "recall", "--graph", faulty["graph"], "--data", data, "--split", "2026-01-15",
                              "--format", "json", "--out", target], capsys)
    assert code == 0, err
    assert out == ""
    d = json.loads(target.read_text())
    assert d["reference"]["rows"] == 3000 and d["current"]["rows"] == 3000
    assert d["causes"][0]["node"] == "fx"


def test_progress_never_in_json(faulty) -> None:
    proc = subprocess.run([sys.executable, "-m", "causal_rca", *map(str, why(faulty, "--format", "json"))],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)


def test_string_positive_class(faulty, tmp_path: Path, capsys) -> None:
    import pandas as pd

    from tests.conftest import TINY_GRAPH

    graph = tmp_path / "str.yaml"
    graph.write_text(TINY_GRAPH.replace("metric: recall", "metric: recall\n    positive: fraud"))
    paths = {}
    for key in ("reference", "current"):
        frame = pd.read_csv(faulty[key])
        frame["y"] = frame["y"].map({1: "fraud", 0: "ok"})
        paths[key] = tmp_path / f"{key}.csv"
        frame.to_csv(paths[key], index=False)
    code, out, err = run_cli(["why", "recall", "--graph", graph, "--reference", paths["reference"],
                              "--current", paths["current"], "--format", "json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["causes"][0]["node"] == "fx"
    assert d["causes"][0]["contribution"] * d["change"] > 0  # explains the move, whatever its sign


def test_label_id_sorting_before_model_id(faulty, tmp_path: Path, capsys) -> None:
    """gcm orders parents by name: a label id that sorts first must not swap prediction and label."""
    from tests.conftest import TINY_GRAPH

    graph = tmp_path / "order.yaml"
    graph.write_text(TINY_GRAPH.replace("  y:\n", "  a_label:\n").replace("[model, y]", "[model, a_label]"))
    code, out, err = run_cli(["why", "recall", "--graph", graph, "--reference", faulty["reference"],
                              "--current", faulty["current"], "--format", "json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["causes"][0]["node"] == "fx"
    assert d["causes"][0]["contribution"] * d["change"] > 0
