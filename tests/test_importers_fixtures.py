"""Importing the OpenLineage events and dbt manifest of tests/fixtures/lineage: nodes, edges, dtypes,
import, attach and why end to end, one clear error per malformed input, nesting depth.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from causal_rca.api import diagnose
from causal_rca.cli.app import main
from causal_rca.errors import InputError
from causal_rca.lineage import load_graph
from causal_rca.lineage.importers.columns import dtype_of
from causal_rca.lineage.importers.write import imported_graph
from causal_rca.scenarios import generate, get_scenario
from tests.conftest import run_cli
from tests.importers_helpers import EVENTS, FIXTURES, MANIFEST, ROOT


def test_openlineage_column_lineage_becomes_nodes_and_edges() -> None:
    g = imported_graph("openlineage", EVENTS)
    nodes = g["nodes"]
    assert g["x-source"] == "openlineage"
    # a column is observed at its most downstream dataset; the same name upstream is unobserved and
    # collapses, with the dataset's other unobserved columns, into one node for the dataset
    assert nodes["amount"]["column"] == "amount" and nodes["amount"]["parents"] == ["transactions"]
    assert "column" not in nodes["transactions"] and nodes["transactions"]["kind"] == "source"
    assert "amount" in nodes["transactions"]["x-columns"]
    assert nodes["merchant_risk"] == {**nodes["merchant_risk"], "kind": "feature", "parents": ["merchant_category"],
                                      "dtype": "numeric"}
    assert nodes["amount_7d_avg_at"]["parents"] == ["event_time"]
    assert nodes["merchant_category"]["dtype"] == "categorical" and nodes["event_time"]["dtype"] == "datetime"
    assert nodes["amount"]["owner"] == "payments-ingest"
    assert nodes["amount_z"]["x-qualified-name"] == "s3://ml-feature-store/fraud/card_features#amount_z"


def test_dbt_models_sources_tests_and_descriptions() -> None:
    g = imported_graph("dbt", MANIFEST)
    nodes = g["nodes"]
    assert g["name"] == "churn" and g["x-source"] == "dbt"
    assert g["x-exposures"] == [{"name": "churn_model", "type": "ml", "owner": "retention-ml",
                                 "depends_on": ["model.churn.churn_features"]}]
    # an exposure of type ml is a model node fed by what it depends on, with its owner
    assert nodes["churn_model"]["kind"] == "model" and nodes["churn_model"]["owner"] == "retention-ml"
    assert "charges_z" in nodes["churn_model"]["parents"]
    # no column lineage in dbt: a computed column depends on its inputs, read from their pass-through copies
    assert nodes["charges_z"]["parents"] == ["customer_id", "monthly_charges", "plan", "support_calls_90d",
                                             "tenure_months"]
    assert nodes["monthly_charges"]["parents"] == ["stg_billing"]
    assert nodes["monthly_charges"]["x-lineage"].startswith("fallback (no compiled SQL")
    assert nodes["charges_z"]["description"].startswith("monthly bill standardised")
    # tests on the staging model hold for its columns; contracts sit on observed nodes
    staged = {k: n for k, n in nodes.items() if n["x-qualified-name"].startswith("model.churn.stg_billing")}
    assert staged and all("column" not in n for n in staged.values())
    assert nodes["tenure_months"]["contract"] == {"max_null_rate": 0.0}
    assert nodes["monthly_charges"]["dtype"] == "numeric" and nodes["plan"]["dtype"] == "categorical"
    # --select keeps a model and its ancestors only
    only = imported_graph("dbt", MANIFEST, select=["stg_billing"])["nodes"]
    assert {n["x-qualified-name"].split("#")[0] for n in only.values()} == {
        "model.churn.stg_billing", "source.churn.billing.subscribers"}
    assert only["plan"]["contract"] == {"allowed": ["basic", "standard", "premium"]}
    assert only["monthly_charges"]["contract"] == {"max_null_rate": 0.0}


@pytest.mark.parametrize("type_name,dtype", [("DOUBLE", "numeric"), ("numeric(10,2)", "numeric"), ("BIGINT", "numeric"),
                                             ("varchar", "categorical"), ("TIMESTAMP", "datetime"),
                                             ("boolean", "boolean"), ("struct<a:int>", None), (None, None)])
def test_types_map_to_dtypes(type_name, dtype) -> None:
    assert dtype_of(type_name) == dtype


def _case(tmp_path: Path, kind: str, source: Path, attach: Path, scenario: str, metric: str):
    out = tmp_path / "graph.yaml"
    with pytest.raises(SystemExit) as exit_info:
        main(["import", kind, str(source), "--out", str(out), "--attach-model", str(attach)])
    assert exit_info.value.code == 0
    graph = load_graph(out)
    frames = generate(get_scenario(scenario))
    return graph, diagnose(graph, frames["reference"], frames["current"], metric, seed=0)


def test_openlineage_import_attach_why_finds_the_injected_cause(tmp_path) -> None:
    graph, d = _case(tmp_path, "openlineage", EVENTS, FIXTURES / "fraud_attach_model.yaml",
                     "schema_change_coerced_nulls", "recall")
    assert graph.time_column == "event_time" and "event_time" not in graph.nodes
    assert graph.nodes["amount_7d_avg"].freshness == "amount_7d_avg_at"
    assert d.significant and (d.causes[0].node, d.causes[0].failure_mode) == ("merchant_category", "schema_change")


def test_dbt_import_attach_why_finds_the_injected_cause(tmp_path) -> None:
    _graph, d = _case(tmp_path, "dbt", MANIFEST, FIXTURES / "churn_attach_model.yaml",
                      "churn_scaler_refit_per_partition", "f1")
    assert d.significant and (d.causes[0].node, d.causes[0].failure_mode) == ("charges_z", "pipeline_skew")


@pytest.mark.parametrize("content,message", [
    ("not json at all", "not JSON"),
    ('{"eventType": "COMPLETE"}', "no 'job'"),
    ('{"job": {"name": "j"}, "inputs": [{"namespace": 1, "name": "x"}], "outputs": []}', "namespace"),
    ('{"job": {"name": "j"}, "inputs": [], "outputs": [{"namespace": "n", "name": "x", '
     '"facets": {"schema": {"fields": "x"}}}]}', "schema facet"),
    ('{"eventType": "START", "run": {"runId": "r"}}', "no datasets"),
    ('{"job": {"name": "j"}, "inputs": 5}', "expected a list"),
    ('{"job": {"name": "j"}, "outputs": [{"namespace": "n", "name": "x", "facets": {"columnLineage": '
     '{"fields": {"a": {"inputFields": [{"namespace": "n", "name": "y"}]}}}}}]}', "has no 'field'"),
    ('[1, 2]', "not an OpenLineage event"),
])
def test_malformed_openlineage_is_one_clear_error(tmp_path, content, message, capsys) -> None:
    path = tmp_path / "events.json"
    path.write_text(content)
    with pytest.raises(SystemExit) as exit_info:
        main(["import", "openlineage", str(path), "--out", str(tmp_path / "g.yaml")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize("change,message", [
    (lambda m: m["metadata"].update(dbt_schema_version="https://schemas.getdbt.com/dbt/manifest/v99.json"), "v99"),
    (lambda m: m["metadata"].pop("dbt_schema_version"), "dbt_schema_version"),
    (lambda m: m.pop("nodes"), "not a dbt manifest"),
])
def test_unsupported_dbt_manifest_is_one_clear_error(tmp_path, change, message, capsys) -> None:
    manifest = json.loads(MANIFEST.read_text())
    change(manifest)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    with pytest.raises(SystemExit) as exit_info:
        main(["import", "dbt", str(path), "--out", str(tmp_path / "g.yaml")])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_attachment_naming_an_unknown_column_is_an_error(tmp_path) -> None:
    attach = yaml.safe_load((FIXTURES / "fraud_attach_model.yaml").read_text())
    attach["model"]["inputs"].append("no_such_column")
    path = tmp_path / "attach.yaml"
    path.write_text(yaml.safe_dump(attach))
    with pytest.raises(InputError, match="no_such_column"):
        imported_graph("openlineage", EVENTS, attach=path)


# ------------------------------------------------------------ nesting depth

DEEP = {"brackets": "[" * 200_000, "mappings": '{"a":' * 200_000}
OL_EVENT = {"eventType": "COMPLETE", "job": {"namespace": "n", "name": "j"},
            "inputs": [{"namespace": "db", "name": "raw"}], "outputs": [{"namespace": "db", "name": "feat"}]}
ATTACH_OK = "model: {id: m, column: score, inputs: [raw]}\n"


def deep_file(tmp_path: Path, which: str, text: str) -> tuple[list, Path]:
    """CLI arguments for an import whose `which` file (events, events.jsonl, manifest, attach) is `text`."""
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(OL_EVENT) + "\n")
    if which == "attach":
        path = tmp_path / "m.yaml"
        args = ["import", "openlineage", events, "--attach-model", path]
    elif which == "manifest":
        path = tmp_path / "manifest.json"
        args = ["import", "dbt", path]
    else:
        path = events if which == "events.jsonl" else tmp_path / "events.json"
        text = (json.dumps(OL_EVENT) + "\n" + text) if which == "events.jsonl" else text
        args = ["import", "openlineage", path]
    path.write_text(text)
    return [*args, "--out", tmp_path / "g.yaml"], path


@pytest.mark.parametrize("shape", sorted(DEEP))
@pytest.mark.parametrize("which", ["events.json", "events.jsonl", "manifest", "attach"])
def test_deeply_nested_input_is_one_clear_error(tmp_path, which, shape, capsys) -> None:
    args, path = deep_file(tmp_path, which, DEEP[shape])
    code, _out, err = run_cli(args, capsys)
    assert code == 2 and "Traceback" not in err, err[-500:]
    assert f"{path}: " in err and "nested too deeply" in err, err


@pytest.mark.parametrize("which", ["events.json", "manifest", "attach"])
def test_deeply_nested_input_is_one_clear_error_in_a_subprocess(tmp_path, which) -> None:
    """The interpreter's own stack limits differ outside pytest: check the real command too."""
    args, path = deep_file(tmp_path, which, DEEP["brackets"])
    proc = subprocess.run([sys.executable, "-m", "causal_rca", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-500:]
    assert f"{path}: " in proc.stderr and "nested too deeply" in proc.stderr


def nested(levels: int) -> object:
    value: object = "leaf"
    for _ in range(levels):
        value = [value]
    return value


def test_nesting_up_to_the_limit_imports_and_writes(tmp_path) -> None:
    """The limit refuses hostile files only: a file exactly MAX_DEPTH deep imports, and the graph is written."""
    from causal_rca.lineage.importers.write import write_graph
    from causal_rca.lineage.nesting import MAX_DEPTH

    manifest = json.loads(MANIFEST.read_text())
    model = next(k for k, v in manifest["nodes"].items() if v.get("resource_type") == "model")
    manifest["nodes"][model]["meta"] = {"deep": nested(MAX_DEPTH - 4)}  # top, nodes, node, meta: 4 levels
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert imported_graph("dbt", tmp_path / "manifest.json")["nodes"]
    manifest["nodes"][model]["meta"] = {"deep": nested(MAX_DEPTH - 3)}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="JSON nested too deeply to be a dbt manifest"):
        imported_graph("dbt", tmp_path / "manifest.json")

    attach = yaml.safe_load((FIXTURES / "fraud_attach_model.yaml").read_text())
    attach["model"]["x-deep"] = nested(MAX_DEPTH - 2)  # top, model: 2 levels
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(attach))
    graph = imported_graph("openlineage", EVENTS, attach=tmp_path / "m.yaml")
    write_graph(graph, tmp_path / "g.yaml")  # one level deeper than the attachment: still writable
    assert yaml.safe_load((tmp_path / "g.yaml").read_text())["nodes"]["fraud_model"]["x-deep"] == nested(MAX_DEPTH - 2)
    attach["model"]["x-deep"] = nested(MAX_DEPTH - 1)
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(attach))
    with pytest.raises(InputError, match="YAML nested too deeply to be an --attach-model file"):
        imported_graph("openlineage", EVENTS, attach=tmp_path / "m.yaml")


def test_attachment_keys_are_text(tmp_path) -> None:
    """YAML 1.1 reads `on`, `1` and `true` as values (and True == 1): ids in the attach file stay the text written."""
    path = tmp_path / "m.yaml"
    path.write_text(ATTACH_OK + "metrics:\n  1: {metric: mean, column: m1}\n  true: {metric: mean, column: m2}\n"
                    "  on: {metric: mean, column: m3}\n")
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(OL_EVENT) + "\n")
    nodes = imported_graph("openlineage", events, attach=path)["nodes"]
    assert [nodes[k]["column"] for k in ("1", "true", "on")] == ["m1", "m2", "m3"]
