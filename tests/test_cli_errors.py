"""Every bad input through the command line: exit status 2, one clear message, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from causal_rca.cli.app import main
from tests.conftest import TINY_GRAPH, tiny_frame


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def graph_file(tmp_path: Path, text: str, name: str = "g.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


BROKEN_GRAPHS = {
    "yaml_syntax": ("version: 1\nname: x\nnodes:\n  a: {kind: source, column: a\n", ["line"]),
    "not_a_mapping": ("- just\n- a list\n", ["mapping"]),
    "empty_file": ("", ["empty"]),
    "missing_version": ("name: x\nnodes:\n  a: {kind: source, column: a}\n", ["version"]),
    "wrong_version": ("version: 2\nname: x\nnodes:\n  a: {kind: source, column: a}\n", ["version"]),
    "bad_name": ("version: 1\nname: 'has space'\nnodes:\n  a: {kind: source, column: a}\n", ["name"]),
    "unknown_top_key": ("version: 1\nname: x\nnodez: {}\nnodes:\n  a: {kind: source, column: a}\n", ["nodez", "nodes"]),
    "unknown_node_key": ("version: 1\nname: x\nnodes:\n  a: {kind: source, colum: a}\n", ["'a'", "colum", "column"]),
    "bad_kind": ("version: 1\nname: x\nnodes:\n  a: {kind: sauce, column: a}\n", ["'a'", "kind"]),
    "unknown_parent": (
        "version: 1\nname: x\nnodes:\n  amount: {kind: source, column: a}\n"
        "  f: {kind: feature, parents: [amout], column: f}\n", ["'f'", "parents", "amout", "amount"]),
    "cycle": (
        "version: 1\nname: x\nnodes:\n  a: {kind: feature, parents: [c], column: a}\n"
        "  b: {kind: feature, parents: [a], column: b}\n  c: {kind: feature, parents: [b], column: c}\n",
        ["cycle", "->"]),
    "duplicate_id": ("version: 1\nname: x\nnodes:\n  a: {kind: source, column: a}\n  a: {kind: source, column: b}\n",
                     ["'a'", "duplicate"]),
    "shared_column": ("version: 1\nname: x\nnodes:\n  a: {kind: source, column: c}\n  b: {kind: source, column: c}\n",
                      ["column", "'c'"]),
    "metric_without_parent": ("version: 1\nname: x\nnodes:\n  m: {kind: metric, metric: mean, column: v}\n",
                              ["'m'", "parent"]),
    "model_without_parent": ("version: 1\nname: x\nnodes:\n  m: {kind: model, column: s}\n", ["'m'", "parent"]),
    "classification_metric_without_label": (
        "version: 1\nname: x\nnodes:\n  a: {kind: source, column: a}\n  mdl: {kind: model, parents: [a], column: s}\n"
        "  r: {kind: metric, parents: [mdl], metric: recall}\n", ["'r'", "label"]),
    "bad_metric_name": (
        "version: 1\nname: x\nnodes:\n  a: {kind: source, column: a}\n  r: {kind: metric, parents: [a], metric: recal, column: v}\n",
        ["'r'", "metric", "recal"]),
    "custom_tag": ("version: 1\nname: !!python/object:os.system x\nnodes: {}\n", ["tag"]),
    "parents_not_list": ("version: 1\nname: x\nnodes:\n  a: {kind: source, column: a}\n  b: {kind: feature, parents: 7, column: b}\n",
                         ["'b'", "parents"]),
    "bad_duration": ("version: 1\nname: x\nnodes:\n  a: {kind: source, column: a, contract: {max_staleness: soon}}\n",
                     ["'a'", "max_staleness"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN_GRAPHS))
def test_validate_rejects_broken_graph(case: str, tmp_path: Path, capsys) -> None:
    text, must_mention = BROKEN_GRAPHS[case]
    path = graph_file(tmp_path, text)
    code, out, err = run_cli(["validate", path], capsys)
    assert code == 2, (case, out, err)
    assert "Traceback" not in err
    assert err.startswith("error:")
    assert str(path) in err or case in ("custom_tag",), err
    for word in must_mention:
        assert word.lower() in err.lower(), (case, word, err)


def test_validate_ok(tiny_files, capsys) -> None:
    code, out, _ = run_cli(["validate", tiny_files["graph"], "--data", tiny_files["reference"]], capsys)
    assert code == 0
    assert out.startswith("OK:")


def test_validate_missing_column_names_node_and_closest(tiny_files, tmp_path: Path, capsys) -> None:
    frame = tiny_frame(100, 1).rename(columns={"score": "scores"})
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    code, _, err = run_cli(["validate", tiny_files["graph"], "--data", data], capsys)
    assert code == 2
    assert "'model'" in err and "score" in err and "scores" in err


def why_args(files: dict, **over) -> list:
    args = {"--graph": files["graph"], "--reference": files["reference"], "--current": files["current"]}
    args.update(over)
    out = ["why", "recall"]
    for k, v in args.items():
        if v is not None:
            out += [k, v]
    return out


def write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def test_why_missing_file(tiny_files, capsys) -> None:
    code, _, err = run_cli(why_args(tiny_files, **{"--current": tiny_files["dir"] / "nope.csv"}), capsys)
    assert code == 2 and "does not exist" in err


def test_why_unsupported_file_type(tiny_files, capsys) -> None:
    bad = tiny_files["dir"] / "cur.xlsx"
    bad.write_text("x")
    code, _, err = run_cli(why_args(tiny_files, **{"--current": bad}), capsys)
    assert code == 2 and "unsupported" in err


def test_why_unknown_metric(tiny_files, capsys) -> None:
    args = why_args(tiny_files)
    args[1] = "precision"
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "not a metric node" in err and "recall" in err


def test_why_empty_window(tiny_files, capsys) -> None:
    empty = write(tiny_frame(50, 3).iloc[:0], tiny_files["dir"] / "empty.csv")
    code, _, err = run_cli(why_args(tiny_files, **{"--current": empty}), capsys)
    assert code == 2 and "empty" in err


def test_why_too_few_rows(tiny_files, capsys) -> None:
    tiny = write(tiny_frame(12, 3), tiny_files["dir"] / "tiny.csv")
    code, _, err = run_cli(why_args(tiny_files, **{"--current": tiny}), capsys)
    assert code == 2 and "12 rows" in err and "30" in err


def test_why_all_null_window(tiny_files, capsys) -> None:
    frame = tiny_frame(200, 3)
    for col in ("x", "cat", "fx", "score", "y"):
        frame[col] = None
    code, _, err = run_cli(why_args(tiny_files, **{"--current": write(frame, tiny_files["dir"] / "n.csv")}), capsys)
    assert code == 2 and "null" in err


def test_why_all_null_model_column(tiny_files, capsys) -> None:
    frame = tiny_frame(500, 3)
    frame["score"] = None
    code, _, err = run_cli(why_args(tiny_files, **{"--current": write(frame, tiny_files["dir"] / "n.csv")}), capsys)
    assert code == 2 and "'model'" in err and "null" in err


def test_why_no_positive_labels(tiny_files, capsys) -> None:
    frame = tiny_frame(500, 3)
    frame["y"] = 0
    code, _, err = run_cli(why_args(tiny_files, **{"--current": write(frame, tiny_files["dir"] / "n.csv")}), capsys)
    assert code == 2 and "positive" in err


def test_why_wrong_type_prediction(tiny_files, capsys, tmp_path: Path) -> None:
    graph = graph_file(tmp_path, TINY_GRAPH.replace("metric: recall", "metric: roc_auc"), "auc.yaml")
    frame = tiny_frame(500, 3)
    frame["score"] = "high"
    code, _, err = run_cli(why_args(tiny_files, **{"--graph": graph,
                                                   "--current": write(frame, tiny_files["dir"] / "n.csv")}), capsys)
    assert code == 2 and "Traceback" not in err


def test_why_constant_feature_is_a_warning_not_an_error(tiny_files, capsys) -> None:
    ref, cur = tiny_frame(1500, 1), tiny_frame(1500, 2)
    ref["cat"] = "a"
    cur["cat"] = "a"
    d = tiny_files["dir"]
    code, out, err = run_cli(why_args(tiny_files, **{"--reference": write(ref, d / "r.csv"),
                                                     "--current": write(cur, d / "c.csv"), "--format": "json"}), capsys)
    assert code == 0, err
    assert "constant in both windows" in out


def test_why_data_without_split(tiny_files, capsys) -> None:
    code, _, err = run_cli(["why", "recall", "--graph", tiny_files["graph"], "--data", tiny_files["reference"]], capsys)
    assert code == 2 and "--split" in err


def test_why_bad_split_timestamp(tiny_files, capsys) -> None:
    code, _, err = run_cli(["why", "recall", "--graph", tiny_files["graph"], "--data", tiny_files["reference"],
                            "--split", "yesterday-ish"], capsys)
    assert code == 2 and "timestamp" in err


def test_unknown_option_is_usage_error(capsys) -> None:
    code, _, err = run_cli(["why", "recall", "--grahp", "x.yaml"], capsys)
    assert code == 2 and "Traceback" not in err


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    path = graph_file(tmp_path, "version: 1\nname: x\nnodes:\n  a: {kind: feature, parents: [a], column: a}\n")
    proc = subprocess.run([sys.executable, "-m", "causal_rca", "validate", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
