"""docs/prevention.md shows outputs of the commands: their format must still be what the commands print."""

from __future__ import annotations

import json
import re
from pathlib import Path

from causal_rca.prevention.fmea_render import render_markdown
from causal_rca.prevention.fmea import RiskTable
from tests.conftest import TINY_GRAPH, run_cli, tiny_frame

DOCS = Path(__file__).resolve().parents[1] / "docs"
DOC = (DOCS / "prevention.md").read_text(encoding="utf-8")


def _headings(markdown: str) -> list[str]:
    """The ticket's headings with node names and values taken out (the doc's scenario is not the test's)."""
    return [re.sub(r"`[^`]*`", "`N`", line) for line in markdown.splitlines() if line.startswith("### ")]


def test_the_ticket_example_has_the_sections_the_command_prints(tmp_path, capsys) -> None:
    (tmp_path / "tiny.yaml").write_text(TINY_GRAPH)
    tiny_frame(3000, 1).to_csv(tmp_path / "ref.csv", index=False)
    tiny_frame(3000, 2, fault="fx_scale", start="2026-02-01").to_csv(tmp_path / "cur.csv", index=False)
    code, out, err = run_cli(["why", "recall", "--graph", tmp_path / "tiny.yaml", "--reference", tmp_path / "ref.csv",
                              "--current", tmp_path / "cur.csv", "--format", "ticket", "--quiet"], capsys)
    assert code == 0, err
    example = DOC.split("````markdown\n", 1)[1].split("\n````", 1)[0]
    printed = out.split("\n---\n\n")[0]
    assert _headings(example) == _headings(printed)
    assert example.splitlines()[2] == printed.splitlines()[2].replace("`tiny`", "`card-fraud`")  # blameless line


def test_the_fmea_example_has_the_columns_the_command_prints() -> None:
    header = render_markdown(RiskTable("g", "m", 1, "x", None)).splitlines()[4]
    assert header.startswith("| RPN | S | O | D |")
    assert header in DOC
    assert "FMEA_TABLE" not in DOC and "BENCHMARK_LINE" not in DOC


def test_the_documented_json_fields_are_the_schema_s() -> None:
    schema = json.loads((DOCS / "schemas" / "ticket.schema.json").read_text(encoding="utf-8"))
    fields = set(schema["$defs"]["ticket"]["properties"])
    table = DOC.split("### The JSON form", 1)[1].split("To look at a ticket", 1)[0]
    documented = {name for row in table.splitlines() if row.startswith("| `")
                  for name in re.findall(r"`([a-z_]+)`", row.split("|")[1])}
    assert documented == fields


def test_no_link_leaves_the_repository() -> None:
    assert not re.search(r"\]\((https?:|//)", DOC)
