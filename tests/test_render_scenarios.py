"""Every scenario's diagnosis renders in every view and format.

Diagnoses come from the session's shared cache (``scenario_diagnoses``),
so the tests of truth and these tests diagnose each scenario once.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from markdown_it import MarkdownIt

from causal_rca.diagnosis.model import Diagnosis
from causal_rca.render import render
from causal_rca.render.diagram import dot_ids, lineage_dot
from causal_rca.render.fishbone import fishbone_dot
from causal_rca.render.output import diagram_bytes, graphviz_available
from causal_rca.scenarios import list_scenarios
from tests.report_cases import assert_no_active_markup

SCENARIOS = list_scenarios()
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_renders_everywhere(scenario, scenario_diagnoses) -> None:
    d = scenario_diagnoses.scenario(scenario)
    g = d.lineage
    assert g is not None

    lineage = lineage_dot(g, d)
    ids = dot_ids(g)
    if d.causes:
        path = d.causes[0].path
        for a, b in zip(path, path[1:]):
            assert any(line.strip().startswith(f"{ids[a]} -> {ids[b]} [") and "bold" in line
                       for line in lineage.source.splitlines()), f"edge {a} -> {b} not bold"
    fishbone = fishbone_dot(g, d)

    if graphviz_available("dot") and graphviz_available("neato"):
        for diagram in (lineage, fishbone):
            root = ET.fromstring(diagram_bytes(diagram, "svg"))
            assert root.tag == f"{SVG}svg"
        texts = " ".join(t.text or "" for t in ET.fromstring(diagram_bytes(lineage, "svg")).iter(f"{SVG}text"))
        assert all(node in texts for node in g.nodes)

    md = render(d, "markdown")
    assert md.startswith(f"# Why did {d.target} change?")
    assert "## Checked and clear" in md
    assert_no_active_markup(MarkdownIt("commonmark").render(md))
    page = render(d, "html")
    assert_no_active_markup(page)
    for cause in d.causes[:3]:
        assert cause.failure_mode in page
    if d.causes and d.distributions:
        assert "reference vs current" in page

    back = Diagnosis.from_dict(json.loads(d.to_json()), lineage=g)
    assert back.to_json() == d.to_json()
