"""Tickets: one self-contained, blameless issue per top cause; the JSON validates against the documented schema."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from causal_rca.prevention.tickets import default_command, preview_html, render_tickets
from tests.conftest import TINY_GRAPH, run_cli, tiny_frame
from tests.report_cases import HOSTILE_ID, hostile_diagnosis

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "schemas" / "ticket.schema.json"
BLAME = ("blame", "fault of", "someone", "human error", "negligen", "careless")


def validate(payload: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(payload)


@pytest.fixture(scope="module")
def fx_fault(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("tickets")
    (base / "tiny.yaml").write_text(TINY_GRAPH)
    tiny_frame(3000, 1).to_csv(base / "ref.csv", index=False)
    tiny_frame(3000, 2, fault="fx_scale", start="2026-02-01").to_csv(base / "cur.csv", index=False)
    return {"graph": base / "tiny.yaml", "reference": base / "ref.csv", "current": base / "cur.csv"}


def _why(files: dict, fmt: str, capsys) -> str:
    code, out, err = run_cli(["why", "recall", "--graph", files["graph"], "--reference", files["reference"],
                              "--current", files["current"], "--format", fmt, "--quiet"], capsys)
    assert code == 0, err
    return out


def test_ticket_json_validates_and_matches_the_markdown(fx_fault, capsys) -> None:
    payload = json.loads(_why(fx_fault, "ticket-json", capsys))
    validate(payload)
    first = payload["tickets"][0]
    assert first["node"] == "fx" and first["failure_mode"] == "scale_change"
    assert first["github"]["body"] == first["body"] == first["jira"]["fields"]["description"]
    assert str(fx_fault["reference"]) in first["reproduce"][0] and "--seed 0" in first["reproduce"][0]
    (patch,) = first["contract_patches"]
    assert patch["node"] == "fx" and patch["verified"] and "max" in patch["contract"]
    markdown = _why(fx_fault, "ticket", capsys)
    assert markdown.split("\n---\n\n")[0] == first["body"]


def test_a_ticket_has_every_section_and_no_blame(fx_fault, capsys) -> None:
    body = _why(fx_fault, "ticket", capsys).split("\n---\n\n")[0]
    for section in ("### Impact", "### Where", "### Evidence", "### 5 whys", "### Mitigation",
                    "### Contract patch for `fx`", "### Reproduce"):
        assert section in body, section
    assert "95% CI" in body and "- [ ] " in body and "```yaml\n  fx:\n    contract:\n" in body
    assert not any(word in body.lower() for word in BLAME)


def test_no_significant_change_gives_no_ticket(fx_fault, capsys, tmp_path) -> None:
    tiny_frame(3000, 3).to_csv(tmp_path / "cur.csv", index=False)
    out = _why({**fx_fault, "current": tmp_path / "cur.csv"}, "ticket", capsys)
    assert out.startswith("No ticket: the change is not significant")
    payload = json.loads(_why({**fx_fault, "current": tmp_path / "cur.csv"}, "ticket-json", capsys))
    validate(payload)
    assert payload["tickets"] == [] and payload["significant"] is False


def test_hostile_strings_stay_text_in_the_preview() -> None:
    d = hostile_diagnosis()
    page = preview_html(d.to_ticket())
    tags: list[str] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append(tag)

    Tags().feed(page)
    assert "script" not in tags and "img" not in tags
    assert "&lt;script&gt;" in page
    payload = json.loads(d.to_ticket("json"))
    validate(payload)
    assert payload["tickets"][0]["node"] == HOSTILE_ID


def test_default_command_has_placeholders() -> None:
    d = hostile_diagnosis()
    assert default_command(d).startswith("causal-rca why recall --graph GRAPH.yaml --reference REFERENCE.csv")
    assert "```sh\n" + default_command(d) in render_tickets(d)
