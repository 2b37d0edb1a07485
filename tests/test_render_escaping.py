"""A node id like <script>alert(1)</script> is text, never markup, in every format."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from markdown_it import MarkdownIt

from causal_rca.render import render
from causal_rca.render.diagram import lineage_dot
from causal_rca.render.fishbone import fishbone_dot
from causal_rca.render.output import diagram_bytes, graphviz_available
from tests.conftest import run_cli
from tests.report_cases import (
    HOSTILE_DESCRIPTION, HOSTILE_ID, HOSTILE_OWNER, HOSTILE_VALUE, assert_no_active_markup, hostile_diagnosis,
)

needs_dot = pytest.mark.skipif(not graphviz_available("dot"), reason="Graphviz not installed")


def test_text_shows_hostile_strings_literally() -> None:
    out = render(hostile_diagnosis(), "text")
    assert HOSTILE_ID in out


def test_json_keeps_the_id_as_data() -> None:
    d = json.loads(render(hostile_diagnosis(), "json"))
    assert d["causes"][0]["node"] == HOSTILE_ID
    assert d["distributions"][HOSTILE_ID]["categories"][0] == HOSTILE_VALUE


def test_markdown_renders_hostile_strings_as_text() -> None:
    md = render(hostile_diagnosis(), "markdown")
    html = MarkdownIt("commonmark").render(md)  # commonmark passes raw HTML through: escaping must stop it
    parsed = assert_no_active_markup(html)
    text = "".join(parsed.text)
    assert HOSTILE_ID in text
    assert "onerror=alert(2)" in text and "[link](javascript:alert(3))" in text
    assert not any(tag == "a" for tag, _ in parsed.tags)
    assert "**bold**" in text  # shown, not made bold
    assert HOSTILE_OWNER.split()[0] in text


def test_html_report_shows_hostile_strings_as_text() -> None:
    page = render(hostile_diagnosis(), "html")
    parsed = assert_no_active_markup(page)
    text = "".join(parsed.text)
    assert HOSTILE_ID in text
    assert HOSTILE_DESCRIPTION in text
    assert HOSTILE_OWNER in text


def test_jupyter_display_is_escaped_too() -> None:
    d = hostile_diagnosis()
    fragment = d._repr_html_()
    assert not fragment.lstrip().lower().startswith("<!doctype")
    assert HOSTILE_ID in "".join(assert_no_active_markup(fragment).text)
    assert "\\<script\\>" in d._repr_markdown_()


def test_dot_source_never_holds_the_raw_id() -> None:
    d = hostile_diagnosis()
    for g in (lineage_dot(d.lineage, d), fishbone_dot(d.lineage, d)):
        # Tooltips are plain quoted DOT strings (quotes escaped); everything else is an escaped HTML-like label.
        tooltips = re.findall(r'tooltip="((?:[^"\\]|\\.)*)"', g.source)
        source = re.sub(r'tooltip="(?:[^"\\]|\\.)*"', "", g.source)
        assert "<script>" not in source and "<img" not in source
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source
        assert all(HOSTILE_DESCRIPTION.replace('"', '\\"') in t for t in tooltips if "onerror=alert(2)" in t)
    assert "n0 [" in lineage_dot(d.lineage, d).source  # nodes are named safely, ids live in labels


@needs_dot
def test_svg_shows_the_id_as_text() -> None:
    d = hostile_diagnosis()
    for g in (lineage_dot(d.lineage, d), fishbone_dot(d.lineage, d)):
        root = ET.fromstring(diagram_bytes(g, "svg"))
        tags = {el.tag.split("}")[-1] for el in root.iter()}
        assert "script" not in tags and "foreignObject" not in tags
        texts = " ".join(el.text or "" for el in root.iter() if el.tag.endswith("text"))
        assert HOSTILE_ID in texts or "alert(1)" in texts


def test_loader_rejects_the_hostile_id_cleanly(tmp_path, capsys) -> None:
    graph = tmp_path / "g.yaml"
    graph.write_text("version: 1\nname: x\nnodes:\n  '<script>alert(1)</script>': {kind: source, column: a}\n"
                     "  m: {kind: model, parents: ['<script>alert(1)</script>'], column: s}\n")
    code, _, err = run_cli(["render", graph, "--out", tmp_path / "x.dot"], capsys)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_hostile_descriptions_from_yaml_are_escaped(tmp_path) -> None:
    from causal_rca.lineage import load_graph

    graph = tmp_path / "g.yaml"
    graph.write_text(json.dumps({
        "version": 1, "name": "g", "description": HOSTILE_DESCRIPTION,
        "nodes": {"a": {"kind": "source", "column": "a", "owner": HOSTILE_OWNER, "description": HOSTILE_DESCRIPTION},
                  "m": {"kind": "model", "parents": ["a"], "column": "s", "description": HOSTILE_VALUE},
                  "y": {"kind": "label", "parents": ["a"], "column": "y"},
                  "recall": {"kind": "metric", "parents": ["m", "y"], "metric": "recall"}}}))
    g = load_graph(graph)
    # Descriptions and owners go into tooltips: quoted plain DOT strings, XML-escaped by dot in the SVG.
    if graphviz_available("dot"):
        root = ET.fromstring(diagram_bytes(lineage_dot(g), "svg"))
        assert not {"script", "img", "foreignObject"} & {el.tag.split("}")[-1] for el in root.iter()}
        titles = [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("title")]
        assert any(HOSTILE_OWNER in t for t in titles)
