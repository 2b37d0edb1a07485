"""A node id like <script>alert(1)</script> is text, never markup, in every format; no text breaks DOT."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from causal_rca.lineage.graph import LineageGraph, Node

from causal_rca.render import render
from causal_rca.render.diagram import lineage_dot
from causal_rca.render.fishbone import fishbone_dot
from causal_rca.render.output import diagram_bytes, graphviz_available
from tests.conftest import TINY_GRAPH, run_cli
from tests.report_cases import (
    HOSTILE_DESCRIPTION, HOSTILE_ID, HOSTILE_OWNER, HOSTILE_VALUE, assert_no_active_markup, hostile_diagnosis,
    hostile_graph,
)

needs_dot = pytest.mark.skipif(not graphviz_available("dot"), reason="Graphviz not installed")


def test_text_shows_hostile_strings_literally() -> None:
    out = render(hostile_diagnosis(), "text")
    assert HOSTILE_ID in out
    assert HOSTILE_VALUE in out and "<b>new</b>" in out  # class names as text


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
    assert HOSTILE_VALUE in text and "<b>new</b>" in text  # class names, in the class table and the moves


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


# Issue 17: text that breaks DOT itself, not HTML. A trailing backslash ate the tooltip's closing quote; Graphviz
# refuses any string over 16,384 characters; control characters end its XML parse of HTML-like labels.
DOT_BREAKERS = ["\\", '"', "\n", "\\l", "\\N", "\\G", "<", ">", "{", "}", "|", "&", "&amp;", "]", ";", "\x00",
                "\x01", "\x1b", "\ufffe", "é→ü", "\U0001f600", "\u2028", "x" * 17_000]
ARBITRARY_TEXT = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(DOT_BREAKERS)), max_size=6).map("".join)
VALID_ID = st.from_regex(r"[A-Za-z0-9_.-]{1,300}", fullmatch=True)


def dot_accepts(g) -> ET.Element:
    """The SVG Debian's ``dot`` draws from ``g``'s source (a subprocess, as a user would run it)."""
    done = subprocess.run(["dot", "-Tsvg"], input=g.source.encode("utf-8"), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[:500]
    return ET.fromstring(done.stdout)


def graph_with_text(ids: list[str], name: str, owner: str, description: str) -> LineageGraph:
    """The hostile graph's shape with drawn node ids (made unique) and drawn name, owner and description."""
    a, store, f, m, y = (f"{node_id}{i}" for i, node_id in enumerate(ids))
    nodes = [Node(a, "source", column="c1", category="Data", owner=owner, description=description),
             Node(store, "infra", category="Infrastructure", owner=owner, description=description),
             Node(f, "feature", parents=(a, store), column="c2", category="Features", description=description),
             Node(m, "model", parents=(f,), column="score", category="Model", owner=owner),
             Node(y, "label", parents=(a,), column="label", category="Labels"),
             Node("recall", "metric", parents=(m, y), metric="recall", description=description)]
    return LineageGraph(name=name, nodes={n.id: n for n in nodes}, description=description)


def diagnosis_with_text(name: str, owner: str, description: str, text: str):
    """The hostile diagnosis with drawn text where the diagrams show diagnosis words: summary, findings, notes."""
    graph = hostile_graph()
    nodes = {k: replace(n, owner=owner, description=description) for k, n in graph.nodes.items()}
    d = hostile_diagnosis(replace(graph, name=name, nodes=nodes))
    causes = [replace(c, failure_mode=text, evidence=[replace(e, detail=text) for e in c.evidence]) for c in d.causes]
    return replace(d, summary=text, causes=causes, anomalies=[replace(a, detail=text) for a in d.anomalies],
                   mechanisms=[replace(m, detail=text) for m in d.mechanisms])


@needs_dot
@settings(max_examples=60, deadline=None)
@given(ids=st.lists(VALID_ID, min_size=5, max_size=5), name=ARBITRARY_TEXT, owner=ARBITRARY_TEXT,
       description=ARBITRARY_TEXT, text=ARBITRARY_TEXT)
def test_dot_parses_every_diagram_whatever_the_text(ids, name, owner, description, text) -> None:
    plain = graph_with_text(ids, name, owner, description)
    d = diagnosis_with_text(name, owner, description, text)
    for g in (lineage_dot(plain), fishbone_dot(plain), lineage_dot(d.lineage, d), fishbone_dot(d.lineage, d)):
        dot_accepts(g)


TRAILING_BACKSLASH = TINY_GRAPH.replace("    column: x\n", "    column: x\n    owner: 'team\\'\n"
                                        "    description: 'C:\\data\\ \\N\\l'\n", 1)


@needs_dot
def test_owner_ending_in_a_backslash_renders(tmp_path, capsys) -> None:
    graph = tmp_path / "g.yaml"
    graph.write_text(TRAILING_BACKSLASH)
    for suffix in ("svg", "png", "dot"):
        code, _, err = run_cli(["render", graph, "--out", tmp_path / f"x.{suffix}"], capsys)
        assert code == 0, err
    root = dot_accepts(SimpleNamespace(source=(tmp_path / "x.dot").read_text(encoding="utf-8")))
    titles = [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("title")]
    assert any(t.endswith("owner: team\\") and "C:\\data\\" in t for t in titles), titles


def test_names_longer_than_graphviz_strings_are_clipped_in_diagrams() -> None:
    long = "n" * 17_000
    graph = graph_with_text(["a", "b", "c", "d", "e" * 20_000], long, long, long)
    for g in (lineage_dot(graph), fishbone_dot(graph)):
        assert long not in g.source and max(map(len, g.source.splitlines())) < 2_000
        if graphviz_available("dot"):
            dot_accepts(g)
