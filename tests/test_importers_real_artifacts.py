"""Importing real dbt and OpenLineage artifacts (shared/datasets/lineage-artifacts): the same bytes every run,
dataset edges against dbt's parent map, dbt tests as contracts, awkward but valid input, --observed-from.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from causal_rca.api import diagnose
from causal_rca.lineage import load_graph
from causal_rca.lineage.importers.write import imported_graph
from tests.conftest import run_cli
from tests.importers_helpers import MANIFEST, ROOT
from tests.lineage_artifacts import ARTIFACTS, TEMPLATES, artifacts, catalog_for


# ------------------------------------------------------------ real artifacts (shared/datasets/lineage-artifacts)


needs_artifacts = pytest.mark.skipif(ARTIFACTS is None, reason="shared/datasets/lineage-artifacts is not beside the repo")
JAFFLE = sorted(p for k, p in artifacts() if p.parent.name == "dbt")
PAIRS = [("compiled_code_target_manifest.json", "compiled_code_result.json"),
         ("large_target_manifest.json", "large_result.json"),
         ("small_target_manifest.json", "small_result.json"),
         ("snapshot_target_manifest.json", "snapshot_result.json"),
         ("structured_logs_postgres_build_command_target_manifest.json",
          "structured_logs_postgres_build_command_results_build_ol_events.json")]


@needs_artifacts
def test_every_artifact_imports_the_same_bytes_under_three_hash_seeds() -> None:
    """Sets of edges once decided which dataset observed a column: the YAML must not depend on the hash seed."""
    runs = []
    for seed in ("0", "1", "4242"):
        proc = subprocess.run([sys.executable, str(ROOT / "tests" / "lineage_artifacts.py")], cwd=ROOT,
                              capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
        runs.append(proc.stdout)
    assert runs[0] == runs[1] == runs[2]
    lines = runs[0].splitlines()
    assert len(lines) == len(artifacts()) >= 180
    refused = {line.split(" ", 1)[0].split("/")[-1]: line for line in lines if " error: " in line}
    assert sorted(refused) == sorted(TEMPLATES), refused  # only the templates, each naming its placeholder
    assert all("placeholder '${json-unit." in line and "\n" not in line for line in refused.values())


@needs_artifacts
@pytest.mark.parametrize("kind,path", [a for a in artifacts() if a[1].name not in TEMPLATES],
                         ids=lambda a: a if isinstance(a, str) else a.name)
def test_every_artifact_writes_a_graph_that_loads(tmp_path, kind, path) -> None:
    from causal_rca.lineage.importers.write import write_graph

    graph = imported_graph(kind, path, catalog=catalog_for(path)) if kind == "dbt" else imported_graph(kind, path)
    write_graph(graph, tmp_path / "g.yaml")
    assert load_graph(tmp_path / "g.yaml").nodes


def dataset_edges(graph: dict) -> set[tuple[str, str]]:
    """Dataset → dataset edges of an imported graph, read back from the nodes' qualified names."""
    of = {k: n["x-qualified-name"].split("#")[0] for k, n in graph["nodes"].items() if "x-qualified-name" in n}
    return {(of[p], of[k]) for k, n in graph["nodes"].items() if k in of and n.get("kind") != "model"
            for p in n.get("parents", []) if p in of and of[p] != of[k]}


def parent_map_edges(manifest: dict) -> set[tuple[str, str]]:
    data = {k for k, v in {**manifest["nodes"], **manifest.get("sources", {})}.items()
            if v.get("resource_type") in ("model", "seed", "snapshot", "source")}
    return {(p, k) for k, ps in manifest["parent_map"].items() if k in data for p in ps if p in data}


@needs_artifacts
@pytest.mark.parametrize("path", JAFFLE + [ARTIFACTS / "openlineage-dbt" / m for m, _e in PAIRS] if ARTIFACTS else [],
                         ids=lambda p: p.name)
def test_dataset_edges_equal_dbts_parent_map(path) -> None:
    """No dependency dropped: stg_products → order_items and stg_supplies → order_items (jaffle_shop 1.10/1.12) too."""
    manifest = json.loads(path.read_text())
    assert dataset_edges(imported_graph("dbt", path)) == parent_map_edges(manifest)


@needs_artifacts
@pytest.mark.parametrize("path", JAFFLE, ids=lambda p: p.name)
def test_no_dbt_test_is_dropped_silently(path) -> None:
    """Every test is a contract on an observed column (x-tests) or in x-skipped-tests with a reason."""
    manifest = json.loads(path.read_text())
    tests = {k for k, v in manifest["nodes"].items() if v.get("resource_type") == "test"}
    graph = imported_graph("dbt", path, catalog=catalog_for(path))
    as_contract = {t["test"] for n in graph["nodes"].values() for t in n.get("x-tests", [])}
    skipped = {s["test"]: s["reason"] for s in graph.get("x-skipped-tests", [])}
    assert as_contract | set(skipped) == tests and all(skipped.values())
    for node in graph["nodes"].values():
        for t in node.get("x-tests", []):
            name = manifest["nodes"][t["test"]]["test_metadata"]["name"]
            assert name in ("not_null", "accepted_values") and node.get("contract")
    for test, reason in skipped.items():
        name = manifest["nodes"][test]["test_metadata"]["name"]
        assert name not in ("unique", "relationships") or "no per-column contract key" in reason or \
            "could not be found in the manifest" in reason  # v4 tests `customers`, which that manifest lacks


def test_dbt_test_kinds_become_contracts_or_say_why_not() -> None:
    from causal_rca.lineage.importers.dbt_tests import check_of

    def test(name, namespace=None, **kwargs):
        return {"unique_id": f"test.p.{name}", "test_metadata": {"name": name, "namespace": namespace, "kwargs": kwargs},
                "config": {"severity": "warn", "where": "status = 'x'"}}

    rng = check_of(test("accepted_range", "dbt_utils", min_value=0, max_value=10))
    assert rng.contract == {"min": 0, "max": 10} and rng.severity == "warn" and rng.where == "status = 'x'"
    assert check_of(test("expect_column_values_to_be_between", "dbt_expectations", min_value=1)).contract == {"min": 1}
    assert check_of(test("expect_column_values_to_not_be_null", "dbt_expectations")).contract == {"max_null_rate": 0.0}
    assert check_of(test("expect_column_values_to_be_in_set", "dbt_expectations",
                         value_set=["a", "b"])).contract == {"allowed": ["a", "b"]}
    assert check_of(test("expect_column_values_to_be_of_type", "dbt_expectations",
                         column_type="integer")).contract == {"dtype": "numeric"}
    assert "no per-column contract key" in check_of(test("unique")).skipped
    assert "another table" in check_of(test("relationships", to="ref('x')", field="id")).skipped
    assert "dbt_expectations.expect_column_mean_to_be_between" in check_of(
        test("expect_column_mean_to_be_between", "dbt_expectations")).skipped


@needs_artifacts
def test_column_lineage_from_sql_checked_by_hand() -> None:
    """jaffle_shop 1.12 with its catalog: three models' column edges, read from their compiled SQL by hand."""
    from causal_rca.lineage.importers.dbt import lineage_from_manifest, read_catalog, read_manifest

    path = ARTIFACTS / "dbt" / "manifest_v12_jaffle_shop_manifest_1.12.json"
    lineage = lineage_from_manifest(read_manifest(path), catalog=read_catalog(catalog_for(path)))

    def parents(model: str, column: str) -> set[str]:
        key = f"model.jaffle_shop.{model}"
        return {f"{s[0].rsplit('.', 1)[-1]}.{s[1]}" for s, d in lineage.column_edges if d == (key, column)}

    # stg_orders: renames and unit conversions of raw_orders
    assert parents("stg_orders", "customer_id") == {"raw_orders.customer"}
    assert parents("stg_orders", "order_total") == {"raw_orders.order_total"}
    assert parents("stg_orders", "location_id") == {"raw_orders.store_id"}
    # orders: pass-throughs of stg_orders, aggregates of order_items, a window over customer and time
    assert parents("orders", "order_total") == {"stg_orders.order_total"}
    assert parents("orders", "order_cost") == {"order_items.supply_cost"}
    assert parents("orders", "is_food_order") == {"order_items.is_food_item"}
    assert parents("orders", "customer_order_number") == {"stg_orders.customer_id", "stg_orders.ordered_at"}
    # customers: names from stg_customers, lifetime aggregates from orders
    assert parents("customers", "customer_name") == {"stg_customers.customer_name"}
    assert parents("customers", "lifetime_spend") == {"orders.order_total"}
    assert parents("customers", "first_ordered_at") == {"orders.ordered_at"}
    assert parents("customers", "customer_type") == {"orders.order_id"}
    # the join keys shape every row: indirect lineage
    assert (("model.jaffle_shop.orders", "customer_id"), "model.jaffle_shop.customers") in lineage.indirect_edges
    assert "model.jaffle_shop.customers" in lineage.exact and "sqlglot" in lineage.datasets[
        "model.jaffle_shop.customers"].lineage


@needs_artifacts
def test_manifest_without_compiled_sql_says_it_fell_back() -> None:
    graph = imported_graph("dbt", ARTIFACTS / "dbt" / "manifest_v4_jaffle_shop_manifest.json")
    lineage = {n.get("x-lineage") for n in graph["nodes"].values()} - {None}
    assert lineage and all(s.startswith("fallback (no compiled SQL") for s in lineage)


@needs_artifacts
@pytest.mark.parametrize("manifest,events", PAIRS, ids=[m for m, _e in PAIRS])
def test_dbt_and_its_openlineage_events_give_the_same_dataset_edges(manifest, events) -> None:
    """Every job the events report with its inputs has the inputs dbt's parent_map gives; no edge beyond dbt's."""
    from causal_rca.lineage.importers.dbt import lineage_from_manifest, read_manifest
    from causal_rca.lineage.importers.openlineage import lineage_from_events, read_events

    folder = ARTIFACTS / "openlineage-dbt"
    dbt_lineage = lineage_from_manifest(read_manifest(folder / manifest))
    relation = {k: d.aliases[0].lower() for k, d in dbt_lineage.datasets.items()}
    from_dbt = {(relation[a], relation[b]) for a, b in dbt_lineage.job_edges}
    ol = lineage_from_events(read_events(folder / events))
    name = {k: k.split("/", 3)[-1].lower() for k in ol.datasets}
    from_ol = {(name[a], name[b]) for a, b in ol.job_edges}
    assert from_ol and from_ol <= from_dbt
    for out in {b for _a, b in from_ol}:
        assert {a for a, b in from_ol if b == out} == {a for a, b in from_dbt if b == out}


# ------------------------------------------------------------ awkward but valid input

def write_events(tmp_path: Path, text: str | bytes, name: str = "events.json") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@needs_artifacts
def test_pretty_concatenated_and_gzipped_events_import(tmp_path) -> None:
    import gzip

    start = (ARTIFACTS / "openlineage" / "hive_hive-openlineage-hook_cllSimpleQueryIndirectStart.json").read_text()
    complete = (ARTIFACTS / "openlineage" / "hive_hive-openlineage-hook_cllSimpleQueryIndirectComplete.json").read_text()
    one = imported_graph("openlineage", write_events(tmp_path, complete, "one.json"))
    both = imported_graph("openlineage", write_events(tmp_path, start + "\n" + complete, "both.json"))
    zipped = imported_graph("openlineage", write_events(tmp_path, gzip.compress((start + complete).encode()), "e.json.gz"))
    assert one["nodes"] and both["nodes"] == zipped["nodes"]
    # xxx.a copies t1.a (collapsed into t1, as xxx holds the observed a); the filter column b
    # (columnLineage.dataset, INDIRECT) is a parent of every column of the output
    assert one["nodes"]["a"]["parents"] == ["b", "t1"] and one["nodes"]["t1"]["x-columns"] == ["a"]


def test_dataset_and_job_events_deleted_facets_and_nulls(tmp_path) -> None:
    events = [
        {"eventType": "COMPLETE", "job": {"namespace": "n", "name": "j"}, "inputs": None,
         "outputs": [{"namespace": "db", "name": "s.out", "facets": {"columnLineage": {},
                                                                    "schema": {"_deleted": True}}}]},
        {"dataset": {"namespace": "db", "name": "s.raw", "facets": {"schema": {"fields": [
            {"name": "address", "type": "struct", "fields": [{"name": "city", "type": "string"}]}]}}},
         "eventTime": "2026-01-01T00:00:00Z", "producer": "p", "schemaURL": "x"},
        {"job": {"namespace": "n", "name": "j2"}, "inputs": [{"namespace": "db", "name": "s.raw"}],
         "outputs": [{"namespace": "db", "name": "s.out"}]},
    ]
    path = write_events(tmp_path, "\n".join(json.dumps(e, indent=2) for e in events))
    graph = imported_graph("openlineage", path)
    nodes = graph["nodes"]
    assert nodes["address.city"]["dtype"] == "categorical" and nodes["address.city"]["kind"] == "source"
    assert nodes["out"]["parents"] == ["address", "address.city"]


def test_symlinks_join_a_path_and_its_table(tmp_path) -> None:
    spark = {"job": {"namespace": "spark", "name": "write"}, "inputs": [],
             "outputs": [{"namespace": "file", "name": "/warehouse/test", "facets": {"symlinks": {"identifiers": [
                 {"namespace": "hive://metastore", "name": "default.test", "type": "TABLE"}]}}}]}
    hive = {"job": {"namespace": "hive", "name": "read"}, "inputs": [{"namespace": "hive://metastore",
                                                                     "name": "default.test"}],
            "outputs": [{"namespace": "hive://metastore", "name": "default.report"}]}
    nodes = imported_graph("openlineage", write_events(tmp_path, json.dumps([hive, spark])))["nodes"]
    assert nodes["report"]["parents"] == ["test"]
    assert nodes["test"]["x-qualified-name"] == "hive://metastore/default.test"
    assert nodes["test"]["x-aliases"] == ["file//warehouse/test"]


def test_data_quality_assertions_and_metrics(tmp_path) -> None:
    event = {"job": {"namespace": "n", "name": "j"}, "outputs": [], "inputs": [
        {"namespace": "db", "name": "s.t", "facets": {"schema": {"fields": [{"name": "a", "type": "int"}]}},
         "inputFacets": {"dataQualityAssertions": {"assertions": [
             {"assertion": "not_null", "success": True, "column": "a"},
             {"assertion": "unique", "success": False, "column": "a"}]},
             "dataQualityMetrics": {"rowCount": 10, "columnMetrics": {"a": {"nullCount": 0, "min": 1}}}}}]}
    graph = imported_graph("openlineage", write_events(tmp_path, json.dumps(event)))
    node = graph["nodes"]["a"]
    assert node["contract"] == {"max_null_rate": 0.0}
    assert [s["test"] for s in graph["x-skipped-tests"]] == ["unique(a)"]
    assert graph["nodes"]["a"]["x-failed-assertions"] == ["unique(a)"]
    assert graph["nodes"]["a"]["x-data-quality"] == {"rowCount": 10, "columnMetrics": {"a": {"min": 1, "nullCount": 0}}}


@needs_artifacts
def test_dbt_manifest_given_to_openlineage_and_back_is_a_hint(tmp_path, capsys) -> None:
    manifest = ARTIFACTS / "dbt" / "manifest_v7_jaffle_shop_manifest.json"
    code, _out, err = run_cli(["import", "openlineage", manifest, "--out", tmp_path / "g.yaml"], capsys)
    assert code == 2 and "is a dbt manifest, not OpenLineage events" in err and "import dbt" in err
    events = ARTIFACTS / "openlineage-dbt" / "large_result.json"
    code, _out, err = run_cli(["import", "dbt", events, "--out", tmp_path / "g.yaml"], capsys)
    assert code == 2 and "holds OpenLineage events, not a dbt manifest" in err


@needs_artifacts
def test_fusion_v20_manifest_reads_as_v12(tmp_path) -> None:
    manifest = json.loads((ARTIFACTS / "dbt" / "manifest_v12_jaffle_shop_manifest_1.12.json").read_text())
    v12 = imported_graph("dbt", ARTIFACTS / "dbt" / "manifest_v12_jaffle_shop_manifest_1.12.json")
    manifest["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/manifest/v20.json"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert imported_graph("dbt", tmp_path / "manifest.json") == v12


@pytest.mark.parametrize("change,message", [
    (lambda m: m.update(exposures={"exposure.p.e": {"name": 5, "type": "ml"}}), "'name' must be text"),
    (lambda m: m.update(exposures=[1]), "'exposures' must be a mapping"),
    (lambda m: next(v for v in m["nodes"].values() if v["resource_type"] == "model").update(columns=[1]),
     "'columns' must be a mapping"),
    (lambda m: next(v for v in m["nodes"].values() if v["resource_type"] == "model").update(description=3),
     "'description' must be text"),
    (lambda m: m.update(parent_map={"model.churn.churn_features": "x"}), "expected a list of unique ids"),
])
def test_wrongly_typed_manifest_fields_are_one_clear_error(tmp_path, change, message, capsys) -> None:
    manifest = json.loads(MANIFEST.read_text())
    change(manifest)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    code, _out, err = run_cli(["import", "dbt", path, "--out", tmp_path / "g.yaml"], capsys)
    assert code == 2 and message in err and "Traceback" not in err, err


# ------------------------------------------------------------ --observed-from, collapse, end to end

def customer_log(n: int, seed: int, broken: float = 0.0):
    """A customer-level prediction log of jaffle_shop's `customers` mart; `broken`: the share of customers whose
    orders the `orders` model lost (an upstream failure), so that their aggregates came back 0 (the mart's
    left join, coalesced)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    orders = rng.poisson(4, n) + 1
    pretax = np.round(orders * rng.gamma(4.0, 4.0, n), 2)
    tax = np.round(pretax * 0.06, 2)
    frame = pd.DataFrame({
        "customer_id": np.arange(n), "scored_at": pd.date_range("2026-01-01", periods=n, freq="min"),
        "count_lifetime_orders": orders, "lifetime_spend_pretax": pretax, "lifetime_tax_paid": tax,
        "lifetime_spend": pretax + tax, "customer_type": np.where(orders > 1, "returning", "new")})
    churn_logit = 1.5 - 0.5 * orders + rng.normal(0, 0.5, n)
    frame["churned"] = (rng.random(n) < 1 / (1 + np.exp(-churn_logit))).astype(int)
    if broken:
        lost = rng.random(n) < broken
        for col in ("count_lifetime_orders", "lifetime_spend_pretax", "lifetime_tax_paid", "lifetime_spend"):
            frame[col] = frame[col].where(~lost, 0)
        frame["customer_type"] = np.where(frame["count_lifetime_orders"] > 1, "returning", "new")
    frame["score"] = 1 / (1 + np.exp(-(1.5 - 0.5 * frame["count_lifetime_orders"])))
    return frame


@needs_artifacts
def test_observed_from_a_log_observes_only_its_columns(tmp_path) -> None:
    log = tmp_path / "log.csv"
    customer_log(50, 0).to_csv(log, index=False)
    path = ARTIFACTS / "dbt" / "manifest_v12_jaffle_shop_manifest_1.12.json"
    graph = imported_graph("dbt", path, catalog=catalog_for(path), observed_from=str(log))
    observed = {n["column"] for n in graph["nodes"].values() if "column" in n}
    assert observed == {"customer_id", "count_lifetime_orders", "lifetime_spend_pretax", "lifetime_tax_paid",
                        "lifetime_spend", "customer_type"}
    nodes = graph["nodes"]
    # everything else is unobserved lineage, one node per dataset; the log's columns read from SQL lineage
    assert nodes["lifetime_spend"]["parents"] == ["orders"] and nodes["customer_id"]["parents"] == ["stg_customers"]
    assert "order_total" in nodes["orders"]["x-columns"] and "column" not in nodes["orders"]
    assert all("column" in n or "x-columns" in n or n["kind"] == "model" for n in nodes.values())
    # a glob names the same log
    assert imported_graph("dbt", path, catalog=catalog_for(path), observed_from=str(tmp_path / "*.csv")) == \
        {**graph, "x-observed-from": str(tmp_path / "*.csv")}


@needs_artifacts
def test_import_observed_from_attach_why_names_the_upstream_dataset(tmp_path, capsys) -> None:
    """jaffle_shop 1.12 + a customer-level log: the orders model loses rows for 40% of customers; `why` names
    `orders` first, alone (not a tie of unobserved copies)."""
    reference, current = customer_log(1500, 1), customer_log(1500, 2, broken=0.4)
    reference.to_csv(tmp_path / "reference.csv", index=False)
    current.to_csv(tmp_path / "current.csv", index=False)
    (tmp_path / "model.yaml").write_text(
        "name: jaffle-churn\ntime_column: scored_at\nkey_column: customer_id\n"
        "model: {id: churn_model, column: score, inputs: [count_lifetime_orders, lifetime_spend, lifetime_tax_paid]}\n"
        "label: {id: churned, column: churned, parents: [count_lifetime_orders]}\n"
        "metrics:\n  precision: {metric: precision, threshold: 0.5}\n")
    manifest = ARTIFACTS / "dbt" / "manifest_v12_jaffle_shop_manifest_1.12.json"
    code, out, err = run_cli(["import", "dbt", manifest, "--catalog", catalog_for(manifest), "--out",
                              tmp_path / "g.yaml", "--observed-from", tmp_path / "reference.csv",
                              "--attach-model", tmp_path / "model.yaml"], capsys)
    assert code == 0, err
    code, out, err = run_cli(["validate", tmp_path / "g.yaml", "--data", tmp_path / "reference.csv"], capsys)
    assert code == 0, err
    graph = load_graph(tmp_path / "g.yaml")
    d = diagnose(graph, tmp_path / "reference.csv", tmp_path / "current.csv", "precision", seed=0)
    assert d.significant and d.causes, d.summary
    assert d.causes[0].node == "orders", [(c.node, c.score) for c in d.causes[:4]]
    assert len(d.causes) == 1 or d.causes[1].score < d.causes[0].score


@needs_artifacts
def test_selectors_catalog_seeds_and_sources_gzip_and_qualified_names(tmp_path) -> None:
    import gzip

    from causal_rca.lineage.importers.dbt import lineage_from_manifest, read_catalog, read_manifest

    path = ARTIFACTS / "dbt" / "manifest_v12_jaffle_shop_manifest_1.12.json"
    manifest = read_manifest(path)

    def keys(**kw) -> set[str]:
        return {k.rsplit(".", 1)[-1] for k in lineage_from_manifest(manifest, **kw).datasets}

    assert keys(select=["stg_orders"]) == keys(select=["+stg_orders"]) == {"stg_orders", "raw_orders"}
    assert keys(select=["stg_supplies+"]) >= {"stg_supplies", "supplies", "order_items", "orders", "customers"}
    assert keys(select=["package:jaffle_shop"], exclude=["customers+"]) >= {"orders", "stg_orders"}
    assert "customers" not in keys(select=["package:jaffle_shop"], exclude=["customers+"])
    assert keys(select=["source:ecom.raw_orders"]) == {"raw_orders"}
    # a seed and a source of the same name stay apart
    both = lineage_from_manifest(manifest)
    assert {"seed.jaffle_shop.raw_orders", "source.jaffle_shop.ecom.raw_orders"} <= set(both.datasets)
    # the catalog gives sources their columns and types
    with_catalog = lineage_from_manifest(manifest, catalog=read_catalog(catalog_for(path)))
    assert with_catalog.datasets["source.jaffle_shop.ecom.raw_orders"].columns["order_total"].dtype == "numeric"
    # a gzipped manifest is the same manifest
    (tmp_path / "manifest.json.gz").write_bytes(gzip.compress(path.read_bytes()))
    assert imported_graph("dbt", tmp_path / "manifest.json.gz") == imported_graph("dbt", path)
    # the attachment may name imported nodes by the tool's own name
    (tmp_path / "m.yaml").write_text("model: {id: m, column: score, inputs: "
                                     "['model.jaffle_shop.customers#lifetime_spend', 'model.jaffle_shop.orders']}\n")
    graph = imported_graph("dbt", path, attach=tmp_path / "m.yaml")
    assert graph["nodes"]["m"]["parents"] == ["lifetime_spend", "orders"]
