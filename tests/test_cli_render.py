"""`causal-rca render` and the report formats of `why` through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from causal_rca.render.output import graphviz_available
from tests.conftest import cli_status, run_cli, tiny_frame
from tests.report_cases import assert_no_active_markup

needs_dot = pytest.mark.skipif(not graphviz_available("dot"), reason="Graphviz not installed")


@pytest.fixture(scope="module")
def diagnosed(tmp_path_factory) -> dict[str, Path]:
    """The tiny pipeline with fx served ×100, diagnosed once to JSON."""
    from tests.conftest import TINY_GRAPH

    base = tmp_path_factory.mktemp("render")
    files = {"graph": base / "tiny.yaml", "reference": base / "ref.csv", "current": base / "cur.csv",
             "json": base / "d.json", "dir": base}
    files["graph"].write_text(TINY_GRAPH)
    tiny_frame(3000, 1).to_csv(files["reference"], index=False)
    tiny_frame(3000, 2, fault="fx_scale", start="2026-02-01").to_csv(files["current"], index=False)
    assert cli_status(["why", "recall", "--graph", files["graph"], "--reference", files["reference"],
                       "--current", files["current"], "--format", "json", "--out", files["json"], "--quiet"]) == 0
    return files


def test_dot_output_needs_no_graphviz(diagnosed, tmp_path, capsys, monkeypatch) -> None:
    import causal_rca.render.output as output

    monkeypatch.setattr(output.shutil, "which", lambda _name: None)
    out = tmp_path / "g.dot"
    code, _, err = run_cli(["render", diagnosed["graph"], "--diagnosis", diagnosed["json"], "--out", out], capsys)
    assert code == 0, err
    source = out.read_text()
    assert source.startswith("digraph lineage {") and "style=bold" in source


@needs_dot
@pytest.mark.parametrize("view", ["lineage", "fishbone"])
def test_svg_and_png(diagnosed, tmp_path, capsys, view) -> None:
    svg, png = tmp_path / f"{view}.svg", tmp_path / f"{view}.png"
    for out in (svg, png):
        code, _, err = run_cli(["render", diagnosed["graph"], "--diagnosis", diagnosed["json"], "--view", view,
                                "--out", out], capsys)
        assert code == 0, err
    root = ET.fromstring(svg.read_bytes())
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "fx" in texts and ("scale_change" in texts)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@needs_dot
def test_plain_graph_without_diagnosis(diagnosed, tmp_path, capsys) -> None:
    out = tmp_path / "plain.svg"
    code, _, err = run_cli(["render", diagnosed["graph"], "--out", out], capsys)
    assert code == 0, err
    ET.fromstring(out.read_bytes())


def test_missing_dot_says_how_to_install(diagnosed, tmp_path) -> None:
    """PATH without Graphviz: exit 2, one line naming the install command; DOT still works."""
    env = {**os.environ, "PATH": str(tmp_path / "empty")}
    args = [sys.executable, "-m", "causal_rca", "render", str(diagnosed["graph"]), "--diagnosis",
            str(diagnosed["json"])]
    proc = subprocess.run([*args, "--out", str(tmp_path / "x.svg")], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "apt-get install graphviz" in proc.stderr and "brew install graphviz" in proc.stderr
    assert not (tmp_path / "x.svg").exists()
    proc = subprocess.run([*args, "--out", str(tmp_path / "x.dot")], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr


def test_reports_work_without_graphviz(diagnosed, capsys, monkeypatch) -> None:
    import causal_rca.render.output as output

    monkeypatch.setattr(output.shutil, "which", lambda _name: None)
    base = ["why", "recall", "--graph", diagnosed["graph"], "--reference", diagnosed["reference"],
            "--current", diagnosed["current"], "--quiet", "--format"]
    for fmt, marker in (("text", "Ranked causes"), ("json", '"format"'), ("markdown", "## Ranked causes"),
                        ("html", "install Graphviz")):
        code, out, err = run_cli([*base, fmt], capsys)
        assert code == 0, err
        assert marker in out


@pytest.mark.parametrize("problem,args,message", [
    ("extension", ["--out", "x.pdf"], "--out must end in .svg, .png, .dot"),
    ("not json", ["--diagnosis", "bad.json", "--out", "x.dot"], "is not JSON"),
    ("not a diagnosis", ["--diagnosis", "other.json", "--out", "x.dot"], "not a causal-rca diagnosis"),
    ("incomplete", ["--diagnosis", "partial.json", "--out", "x.dot"], "missing field 'causes'"),
    ("missing file", ["--diagnosis", "nope.json", "--out", "x.dot"], "cannot read diagnosis"),
    ("view", ["--view", "sideways", "--out", "x.dot"], "sideways"),
])
def test_bad_input_is_one_line_exit_2(diagnosed, tmp_path, capsys, monkeypatch, problem, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "other.json").write_text('{"hello": 1}')
    (tmp_path / "partial.json").write_text('{"format": "causal-rca/diagnosis/v1", "graph": "tiny"}')
    code, _, err = run_cli(["render", diagnosed["graph"], *args], capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_diagnosis_of_another_graph_is_refused(diagnosed, tmp_path, capsys) -> None:
    d = json.loads(diagnosed["json"].read_text())
    d["graph"] = "someone-else"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(d))
    code, _, err = run_cli(["render", diagnosed["graph"], "--diagnosis", other, "--out", tmp_path / "x.dot"], capsys)
    assert code == 2
    assert "diagnoses graph 'someone-else', not 'tiny'" in err


def test_html_report_inlines_diagrams_and_plots(diagnosed, tmp_path, capsys) -> None:
    out = tmp_path / "report.html"
    code, _, err = run_cli(["why", "recall", "--graph", diagnosed["graph"], "--reference", diagnosed["reference"],
                            "--current", diagnosed["current"], "--quiet", "--format", "html", "--out", out], capsys)
    assert code == 0, err
    page = out.read_text()
    if graphviz_available("dot"):
        assert 'id="lineage-graph0"' in page and 'id="fishbone-graph0"' in page
    assert "fx: reference vs current" in page
    assert_no_active_markup(page)  # self-contained: nothing to fetch, nothing to run


# Issue 17: text Graphviz itself cannot read, and Graphviz failing, reach the user as a drawing or one line.
LONG_NAME = "n" * 17_000  # Graphviz refuses any string over 16,384 characters


def _variant(diagnosed, tmp_path: Path, old: str, new: str) -> Path:
    text = diagnosed["graph"].read_text()
    assert old in text
    graph = tmp_path / "variant.yaml"
    graph.write_text(text.replace(old, new, 1))
    return graph


def _html(diagnosed, graph: Path, out: Path, capsys) -> str:
    code, _, err = run_cli(["why", "recall", "--graph", graph, "--reference", diagnosed["reference"],
                            "--current", diagnosed["current"], "--quiet", "--format", "html", "--out", out], capsys)
    assert code == 0, err
    return out.read_text(encoding="utf-8")


@needs_dot
def test_html_report_with_an_owner_ending_in_a_backslash(diagnosed, tmp_path, capsys) -> None:
    graph = _variant(diagnosed, tmp_path, "    column: x\n", "    column: x\n    owner: 'team\\'\n")
    page = _html(diagnosed, graph, tmp_path / "r.html", capsys)
    assert 'id="lineage-graph0"' in page and 'id="fishbone-graph0"' in page
    assert "owner: team\\" in page


@needs_dot
def test_long_graph_name_is_clipped_in_diagrams_not_in_the_report(diagnosed, tmp_path, capsys) -> None:
    graph = _variant(diagnosed, tmp_path, "name: tiny", f"name: {LONG_NAME}")
    for view in ("lineage", "fishbone"):
        code, _, err = run_cli(["render", graph, "--view", view, "--out", tmp_path / f"{view}.svg"], capsys)
        assert code == 0, err
        assert LONG_NAME[:50] + "…" in (tmp_path / f"{view}.svg").read_text(encoding="utf-8")
    page = _html(diagnosed, graph, tmp_path / "r.html", capsys)
    assert 'id="lineage-graph0"' in page and 'id="fishbone-graph0"' in page
    assert f"<small>{LONG_NAME} ·" in page  # the report's own heading keeps the whole name


def _graphviz_fails(monkeypatch) -> None:
    import graphviz

    def fail(self, *args, **kwargs):
        raise graphviz.CalledProcessError(1, ["dot"], stderr=b"Error: <stdin>: syntax error in line 2\nmore\n")

    monkeypatch.setattr(graphviz.Digraph, "pipe", fail)
    monkeypatch.setattr(graphviz.Graph, "pipe", fail)


@needs_dot
def test_graphviz_failure_is_one_line_not_a_traceback(diagnosed, tmp_path, capsys, monkeypatch) -> None:
    _graphviz_fails(monkeypatch)
    code, _, err = run_cli(["render", diagnosed["graph"], "--out", tmp_path / "x.svg"], capsys)
    assert code == 1  # our DOT was wrong: a bug, but said in Graphviz's words
    assert err.startswith("error: Graphviz's 'dot' could not draw the diagram (Error: <stdin>: syntax error in line 2)")
    assert err.count("\n") == 1 and "Traceback" not in err


@needs_dot
def test_html_report_survives_a_graphviz_failure(monkeypatch) -> None:
    from causal_rca.render import render
    from tests.report_cases import hostile_diagnosis

    _graphviz_fails(monkeypatch)
    page = render(hostile_diagnosis(), "html")
    assert "Diagrams could not be drawn: Graphviz&#39;s &#39;dot&#39; could not draw the diagram" in page


@pytest.mark.parametrize("fmt", ["html", "markdown", "text", "json"])
def test_render_a_saved_diagnosis_as_its_report(diagnosed, tmp_path, capsys, fmt) -> None:
    """`render D.json --format FMT --graph G` writes what `why --format FMT` wrote, without diagnosing again."""
    code, expected, err = run_cli(["why", "recall", "--graph", diagnosed["graph"], "--reference",
                                   diagnosed["reference"], "--current", diagnosed["current"], "--quiet",
                                   "--format", fmt], capsys)
    assert code == 0, err
    code, out, err = run_cli(["render", diagnosed["json"], "--format", fmt, "--graph", diagnosed["graph"]], capsys)
    assert code == 0, err
    assert out == expected


def test_render_report_format_follows_the_out_suffix(diagnosed, tmp_path, capsys) -> None:
    code, _, err = run_cli(["render", diagnosed["json"], "--out", tmp_path / "r.md"], capsys)
    assert code == 0, err
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# ")
    code, out, err = run_cli(["render", diagnosed["json"]], capsys)  # no graph: a report without diagrams
    assert code == 0, err
    assert "Ranked causes" in out


@pytest.mark.parametrize("args,message", [
    (["--view", "fishbone"], "--diagnosis and --view draw a graph's diagram"),
    (["--graph", "nope.yaml"], "lineage graph file not found"),
])
def test_render_report_refuses_diagram_options(diagnosed, tmp_path, capsys, monkeypatch, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["render", diagnosed["json"], *args], capsys)
    assert code == 2 and message in err and "Traceback" not in err
