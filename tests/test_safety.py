"""Safety: YAML never builds objects or runs code, and output paths are written exactly where asked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_cli

EXPLOITS = {
    "apply": "!!python/object/apply:os.system ['touch {marker}']",
    "object": "!!python/object:os.system {{}}",
    "new": "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
    "name": "!!python/name:os.system",
}


def files_under(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


@pytest.mark.parametrize("tag", sorted(EXPLOITS))
def test_graph_yaml_tags_are_refused_and_never_run(tag: str, tmp_path: Path, capsys) -> None:
    marker = tmp_path / "pwned"
    graph = tmp_path / "g.yaml"
    graph.write_text(f"version: 1\nname: x\nnodes:\n  a: {EXPLOITS[tag].format(marker=marker)}\n")
    code, _, err = run_cli(["validate", graph], capsys)
    assert code == 2
    assert "is not allowed" in err and "Traceback" not in err
    assert not marker.exists()


def test_attach_model_yaml_tags_are_refused_and_never_run(tmp_path: Path, capsys) -> None:
    marker = tmp_path / "pwned"
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"eventType": "COMPLETE", "job": {"namespace": "n", "name": "j"},
                                  "inputs": [{"namespace": "db", "name": "raw"}],
                                  "outputs": [{"namespace": "db", "name": "feat"}]}))
    attach = tmp_path / "model.yaml"
    attach.write_text(f"model: {EXPLOITS['apply'].format(marker=marker)}\n")
    code, _, err = run_cli(["import", "openlineage", events, "--out", tmp_path / "g.yaml",
                            "--attach-model", attach], capsys)
    assert code == 2 and "Traceback" not in err
    assert not marker.exists()
    assert not (tmp_path / "g.yaml").exists()


def test_out_with_dot_dot_writes_exactly_there(tiny_files, tmp_path: Path, capsys, monkeypatch) -> None:
    work = tmp_path / "work" / "deep"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    before = files_under(tmp_path)
    code, out, err = run_cli(["render", tiny_files["graph"], "--out", Path("..") / "sub" / ".." / "lineage.dot"], capsys)
    assert code == 0, err
    written = files_under(tmp_path) - before
    # the path is resolved as the operating system does: the folders on the way are created, as `mkdir -p` would
    assert written == {Path("work") / "lineage.dot", Path("work") / "sub"}, written
    assert (tmp_path / "work" / "lineage.dot").read_text().startswith("digraph")


def test_why_out_relative_path_is_relative_to_the_current_directory(tiny_files, tmp_path: Path, capsys,
                                                                     monkeypatch) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    code, out, err = run_cli(["why", "recall", "--graph", tiny_files["graph"], "--reference", tiny_files["reference"],
                              "--current", tiny_files["current"], "--format", "json", "--quiet",
                              "--out", Path("reports") / ".." / "d.json"], capsys)
    assert code == 0, err
    assert out == ""  # the diagnosis went to the file, not to standard output
    assert json.loads((work / "d.json").read_text())["format"] == "causal-rca/diagnosis/v1"
    assert sorted(os.listdir(work)) == ["d.json", "reports"]


def test_out_onto_a_directory_is_an_input_error(tiny_files, tmp_path: Path, capsys) -> None:
    target = tmp_path / "adir.dot"
    target.mkdir()
    code, _, err = run_cli(["render", tiny_files["graph"], "--out", target], capsys)
    assert code == 2 and "cannot write" in err and "Traceback" not in err
