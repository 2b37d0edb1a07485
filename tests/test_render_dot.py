"""The causal diagram and the fishbone as DOT source, and the reports' content, on a hand-built diagnosis."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from causal_rca.diagnosis.model import Diagnosis
from causal_rca.explain.whys import why_steps
from causal_rca.lineage import load_graph
from causal_rca.render import render
from causal_rca.render.diagram import dot_ids, layers, lineage_dot
from causal_rca.render.findings import CAUSE_COLOR, CLEAR_FILL, STRENGTH_FILL, node_views
from causal_rca.render.fishbone import bones, fishbone_dot
from causal_rca.render.output import diagram_bytes, graphviz_available
from causal_rca.render.plots import distribution_svg
from tests.report_cases import HOSTILE_ID, hostile_diagnosis

needs_dot = pytest.mark.skipif(not graphviz_available("dot"), reason="Graphviz not installed")


def _node_line(source: str, dot_id: str) -> str:
    return next(line for line in source.splitlines() if line.strip().startswith(f"{dot_id} ["))


def _edge_line(source: str, a: str, b: str) -> str:
    return next(line for line in source.splitlines()
                if line.strip().startswith(f"{a} -> {b}") and "invis" not in line)


def test_root_path_is_bold_and_red() -> None:
    d = hostile_diagnosis()
    g = d.lineage
    ids = dot_ids(g)
    source = lineage_dot(g, d).source
    for a, b in zip(d.causes[0].path, d.causes[0].path[1:]):
        line = _edge_line(source, ids[a], ids[b])
        assert "style=bold" in line and CAUSE_COLOR in line and "penwidth=3" in line
    off_path = _edge_line(source, ids[HOSTILE_ID], ids["y"])
    assert "bold" not in off_path
    root = _node_line(source, ids[HOSTILE_ID])
    assert "penwidth=3" in root and "bold" in root and CAUSE_COLOR in root


def test_nodes_coloured_by_strength_and_clear_nodes_green() -> None:
    d = hostile_diagnosis()
    ids = dot_ids(d.lineage)
    source = lineage_dot(d.lineage, d).source
    assert f'fillcolor="{STRENGTH_FILL[3]}"' in _node_line(source, ids["f"])  # p = 1e-38
    assert f'fillcolor="{STRENGTH_FILL[2]}"' in _node_line(source, ids["m"])  # p = 1e-9
    assert f'fillcolor="{CLEAR_FILL}"' in _node_line(source, ids["y"])
    assert "checked, clear" in _node_line(source, ids["y"])


def test_each_node_annotated_with_its_strongest_signal() -> None:
    d = hostile_diagnosis()
    ids = dot_ids(d.lineage)
    source = lineage_dot(d.lineage, d).source
    assert "null rate 0% → 30%" in _node_line(source, ids[HOSTILE_ID])
    assert "median 0.4 → 0.3" in _node_line(source, ids["m"])
    assert "#1 missing_values (0.90)" in _node_line(source, ids[HOSTILE_ID])


def test_unobserved_nodes_dashed_metrics_not() -> None:
    d = hostile_diagnosis()
    ids = dot_ids(d.lineage)
    source = lineage_dot(d.lineage, d).source
    assert "dashed" in _node_line(source, ids["store"])
    assert "style=dashed" in _edge_line(source, ids["store"], ids["f"])
    assert "dashed" not in _node_line(source, ids["recall"])


def test_plain_graph_without_diagnosis() -> None:
    g = load_graph("graphs/fraud.yaml")
    source = lineage_dot(g).source
    assert "rankdir=LR" in source
    assert CAUSE_COLOR not in source
    assert "dashed" in _node_line(source, dot_ids(g)["feature_store"])


def test_columns_follow_the_kinds() -> None:
    g = load_graph("graphs/fraud.yaml")
    layer = layers(g)
    assert layer["amount"] == layer["merchant_category"] == layer["feature_store"] == 0
    assert layer["amount_7d_avg"] < layer["fraud_model"] < layer["is_fraud"] < layer["recall"]
    for node in g.nodes.values():
        assert all(layer[p] < layer[node.id] for p in node.parents)


def test_fishbone_bones_causes_and_clear_categories() -> None:
    d = hostile_diagnosis()
    by_category = {b.category: b for b in bones(d.lineage, d)}
    assert list(by_category) == ["Data", "Features", "Model", "Labels", "Pipeline", "Infrastructure"]
    assert by_category["Data"].items[0].text.startswith(f"#1 {HOSTILE_ID}: missing_values, score 0.90")
    assert by_category["Infrastructure"].items[0].text == "#2 store: infrastructure, score 0.20"
    assert by_category["Labels"].items[0].text.startswith("✓ checked and clear")
    assert by_category["Pipeline"].items[0].text == "no nodes in the graph"
    assert "moved, not a root cause: f" in by_category["Features"].items[0].text
    source = fishbone_dot(d.lineage, d).source
    assert "layout=neato" in source and "recall fell" in source
    assert "&lt;script&gt;" in source


@needs_dot
def test_svg_parses_and_has_one_group_per_node() -> None:
    d = hostile_diagnosis()
    root = ET.fromstring(diagram_bytes(lineage_dot(d.lineage, d), "svg"))
    ns = {"s": "http://www.w3.org/2000/svg"}
    nodes = root.findall(".//s:g[@class='node']", ns)
    assert len(nodes) == len(d.lineage.nodes)
    fish = ET.fromstring(diagram_bytes(fishbone_dot(d.lineage, d), "svg"))
    texts = " ".join(t.text or "" for t in fish.iter("{http://www.w3.org/2000/svg}text"))
    for category in ("Data", "Features", "Model", "Labels", "Pipeline", "Infrastructure"):
        assert category in texts


def test_why_steps_follow_the_path_with_evidence() -> None:
    d = hostile_diagnosis()
    steps = why_steps(d, d.causes[0])
    assert [s.node for s in steps] == ["recall", "m", "f", HOSTILE_ID, HOSTILE_ID]
    assert steps[0].evidence.detail.startswith("recall 0.9 → 0.65 (change -0.25, 95% CI -0.29 to -0.21)")
    assert steps[1].evidence.test == "drift" and "0.4 → 0.3" in steps[1].evidence.detail
    assert steps[3].evidence.test == "null_rate"


def test_markdown_has_every_section() -> None:
    md = render(hostile_diagnosis(), "markdown")
    for heading in ("## Ranked causes", "## By category (fishbone)", "## Anomalous signals", "## Checked and clear",
                    "## Warnings"):
        assert heading in md
    assert "| reference | 0.9 | 0.88 – 0.92 | 1000 |" in md
    assert "95% CI -0.29 to -0.21" in md
    assert re.search(r"^1\. recall fell from 0\.9 to 0\.65 — metric: ", md, re.M)
    assert re.search(r"^2\. because m scored .* — drift: distribution moved .*median 0\.4 → 0\.3", md, re.M)
    assert "Mitigation: fix the feature computation" in md


def test_html_has_diagrams_plots_and_sections() -> None:
    page = render(hostile_diagnosis(), "html")
    assert page.startswith("<!doctype html>")
    assert "<h4>Five whys</h4>" in page and "Mitigation:" in page
    assert page.count("<svg") >= (3 if graphviz_available("dot") else 1)  # diagrams + plots
    assert "reference vs current" in page
    if graphviz_available("dot"):
        assert 'id="lineage-graph0"' in page and 'id="fishbone-graph0"' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "inline drawings share element ids"


def test_html_without_graphviz_has_a_note(monkeypatch) -> None:
    import causal_rca.render.output as output

    monkeypatch.setattr(output.shutil, "which", lambda _name: None)
    page = render(hostile_diagnosis(), "html")
    assert "apt-get install graphviz" in page
    assert "<h4>Five whys</h4>" in page


def test_plots_are_deterministic_svg() -> None:
    d = hostile_diagnosis()
    first = distribution_svg("f", d.distributions["f"])
    assert first == distribution_svg("f", d.distributions["f"])
    assert first.startswith("<svg")
    ET.fromstring(first)


def test_diagnosis_round_trips_through_json() -> None:
    d = hostile_diagnosis()
    back = Diagnosis.from_dict(json.loads(d.to_json()), lineage=d.lineage)
    assert back.to_json() == d.to_json()
    views = node_views(back.lineage, back)
    assert views[HOSTILE_ID].status == "cause" and views["y"].status == "clear"
