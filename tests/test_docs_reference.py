"""The documentation a newcomer reads stays inside the repository and complete.

- every Markdown link of the README and docs/ points at a file of the repository (or the web);
- docs/lineage-format.md documents every key the loader accepts, every kind, dtype, category
  and metric name;
- the graph examples of the README, the user guide and the format reference are block YAML.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from causal_rca.lineage.graph import CATEGORIES, DTYPES, KINDS, METRICS
from causal_rca.lineage.schema import ContractModel, GraphModel, NodeModel

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")
FORMAT = ROOT / "docs" / "lineage-format.md"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_links_stay_inside_the_repository(doc: Path) -> None:
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+://|mailto:|#", target):
            continue
        path = (doc.parent / target.split("#")[0]).resolve()
        assert ROOT in path.parents or path == ROOT, f"{doc.name} links outside the repository: {target}"
        assert path.exists(), f"{doc.name} links to a missing file: {target}"


def test_no_document_points_at_the_shared_specs() -> None:
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        assert "../shared/" not in text and "../../shared/" not in text, doc.name


def _documented_keys(text: str) -> set[str]:
    """Keys in the first column of the format's tables, and backticked words anywhere."""
    keys = set()
    for row in re.findall(r"^\| (.+?) \|", text, flags=re.M):
        keys |= set(re.findall(r"`([A-Za-z0-9_]+)`", row))
    return keys | set(re.findall(r"`([A-Za-z0-9_-]+)`", text))


def test_every_key_the_loader_accepts_is_in_the_format_reference() -> None:
    text = FORMAT.read_text(encoding="utf-8")
    documented = _documented_keys(text)
    accepted = {*GraphModel.valid_keys(), *NodeModel.valid_keys(), *ContractModel.valid_keys()}
    assert sorted(accepted - documented) == []
    for values in (KINDS, DTYPES, CATEGORIES, METRICS):
        assert sorted(set(values) - documented) == [], values


def _yaml_blocks(path: Path) -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```", path.read_text(encoding="utf-8"), flags=re.S | re.M)


@pytest.mark.parametrize("doc", ["README.md", "docs/user-guide.md", "docs/lineage-format.md"])
def test_graph_examples_are_block_yaml(doc: str) -> None:
    for block in _yaml_blocks(ROOT / doc):
        for line in block.splitlines():
            code = line.split("#")[0]
            assert "{" not in code and "[" not in code, f"{doc}: flow style in an example: {line.strip()}"


def test_the_format_reference_example_loads(tmp_path: Path) -> None:
    from causal_rca.lineage import load_graph

    block = _yaml_blocks(FORMAT)[0]
    path = tmp_path / "g.yaml"
    path.write_text(block, encoding="utf-8")
    g = load_graph(path)
    assert g.name == "card-fraud" and "recall" in g.metric_nodes()


def test_the_quickstart_graph_is_block_yaml_and_loads() -> None:
    from causal_rca.lineage import load_graph
    from causal_rca.quickstart import HERE

    text = (HERE / "graph.yaml").read_text(encoding="utf-8")
    assert not [line for line in text.splitlines() if "{" in line.split("#")[0] or "[" in line.split("#")[0]]
    g = load_graph(HERE / "graph.yaml")
    assert g.nodes["fraud_model"].artifact == "model.skops"
