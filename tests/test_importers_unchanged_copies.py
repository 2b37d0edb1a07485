"""Importing lineage through unchanged copies of a column (issue 21): the quickstart's dbt project,
OpenLineage identity copies, and SQL lineage that tells unchanged columns.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from causal_rca.lineage.importers.write import imported_graph
from tests.conftest import run_cli


# ------------------------------------------------------------ unchanged copies (issue 21)


@pytest.fixture(scope="module")
def quickstart_dir(tmp_path_factory) -> Path:
    from causal_rca.quickstart import write_quickstart

    out = tmp_path_factory.mktemp("qs") / "example"
    write_quickstart(out)
    return out


def test_quickstart_dbt_import_reads_merchant_category_through_its_copy(quickstart_dir) -> None:
    """stg_transactions.merchant_category is unobserved, but fraud_features.merchant_category is its unchanged
    copy in the log: merchant_risk (computed from the staging column) gets the observed copy as its parent,
    not the collapsed staging dataset, and says so."""
    q = quickstart_dir
    graph = imported_graph("dbt", q / "manifest.json", attach=q / "model.yaml", observed_from=str(q / "log.csv"))
    nodes = graph["nodes"]
    assert nodes["merchant_risk"]["parents"] == ["merchant_category"]
    assert nodes["merchant_risk"]["x-read-through-copies"] == [
        {"column": "model.card_fraud.stg_transactions#merchant_category", "copy": "merchant_category"}]
    assert nodes["amount_z"]["parents"] == ["amount"] and nodes["txn_count_norm"]["parents"] == ["txn_count_24h"]
    # the copies keep their own parent, the staging dataset; the bookkeeping key (dropped) is not recorded
    assert nodes["merchant_category"]["parents"] == ["stg_transactions"]
    assert "x-read-through-copies" not in nodes["merchant_category"]
    assert all(e["copy"] in nodes for n in nodes.values() for e in n.get("x-read-through-copies", []))
    # the OpenLineage events of the same example observe the raw columns: merchant_risk reads them directly
    ol = imported_graph("openlineage", q / "events.jsonl", attach=q / "model.yaml", observed_from=str(q / "log.csv"))
    assert ol["nodes"]["merchant_risk"]["parents"] == ["merchant_category"]


def test_quickstart_dbt_import_why_names_merchant_category(quickstart_dir, tmp_path, capsys) -> None:
    """The quickstart's commands, as written: `why` on the graph imported from dbt names the injected fault
    (merchant codes as text) at merchant_category first, as the hand-written graph does."""
    q = quickstart_dir
    code, _out, err = run_cli(["import", "dbt", q / "manifest.json", "--out", tmp_path / "from-dbt.yaml",
                               "--attach-model", q / "model.yaml", "--observed-from", q / "log.csv"], capsys)
    assert code == 0, err
    code, _out, err = run_cli(["why", "recall", "--graph", tmp_path / "from-dbt.yaml", "--data", q / "log.csv",
                               "--split", "2024-03-04", "--format", "json", "--out", tmp_path / "d.json"], capsys)
    assert code == 0, err
    causes = json.loads((tmp_path / "d.json").read_text())["causes"]
    assert causes and causes[0]["node"] == "merchant_category", [(c["node"], c["score"]) for c in causes[:4]]


def _ol_event(out_name: str, in_name: str, fields: dict, schema: list[str]) -> dict:
    return {"eventType": "COMPLETE", "job": {"namespace": "j", "name": out_name}, "run": {"runId": out_name},
            "inputs": [{"namespace": "db", "name": in_name}],
            "outputs": [{"namespace": "db", "name": out_name, "facets": {
                "schema": {"fields": [{"name": c, "type": "STRING"} for c in schema]},
                "columnLineage": {"fields": {
                    col: {"inputFields": [{"namespace": "db", "name": in_name, "field": f,
                                           "transformations": [{"type": "DIRECT", "subtype": sub}]}
                                          for f, sub in srcs]}
                    for col, srcs in fields.items()}}}}]}


def test_openlineage_identity_copy_is_read_by_its_siblings(tmp_path) -> None:
    """raw → stg (identity, unobserved) → features: features.code is an IDENTITY copy of stg.code (observed),
    so features.risk, computed from stg.code, reads the copy; a TRANSFORMATION is no copy."""
    events = [_ol_event("stg", "raw", {"code": [("code", "IDENTITY")], "other": [("other", "IDENTITY")]},
                        ["code", "other"]),
              _ol_event("features", "stg", {"code": [("code", "IDENTITY")], "risk": [("code", "TRANSFORMATION")],
                                            "a_mix": [("code", "IDENTITY"), ("other", "IDENTITY")],
                                            "up": [("other", "TRANSFORMATION")]},
                        ["code", "risk", "a_mix", "up"])]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    log = tmp_path / "log.csv"
    log.write_text("code,risk,a_mix,up\na,1,a,A\n")
    nodes = imported_graph("openlineage", path, observed_from=str(log))["nodes"]
    assert nodes["code"]["parents"] == ["stg"]
    assert nodes["risk"]["parents"] == ["code"]
    assert nodes["risk"]["x-read-through-copies"] == [{"column": "db/stg#code", "copy": "code"}]
    # `a_mix` has two value parents, so it is no copy (else, first by name, risk would read it); it reads
    # stg.code through the copy too, and stg.other, which has no observed copy, from the dataset
    assert nodes["a_mix"]["parents"] == ["code", "stg"] and nodes["up"]["parents"] == ["stg"]
    # the same, byte for byte, whatever the order of events
    path.write_text("\n".join(json.dumps(e) for e in reversed(events)) + "\n")
    assert imported_graph("openlineage", path, observed_from=str(log))["nodes"] == nodes


def test_openlineage_copy_in_another_dataset_is_not_used(tmp_path) -> None:
    """A copy in another dataset is not used: marts would read features, a dependency the pipeline lacks (and
    the unobserved stg.norm, collapsed with stg.code into stg, keeps reading it there: no circle)."""
    events = [_ol_event("stg", "raw", {"code": [("code", "IDENTITY")], "norm": [("code", "TRANSFORMATION")]},
                        ["code", "norm"]),
              _ol_event("features", "stg", {"code": [("code", "IDENTITY")]}, ["code"]),
              _ol_event("marts", "stg", {"risk": [("code", "TRANSFORMATION")]}, ["risk"])]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    log = tmp_path / "log.csv"
    log.write_text("code,risk\na,1\n")
    graph = imported_graph("openlineage", path, observed_from=str(log))
    nodes = graph["nodes"]
    assert nodes["risk"]["parents"] == ["stg"] and "x-read-through-copies" not in nodes["risk"]
    assert nodes["code"]["parents"] == ["stg"]
    assert "x-cycle-edges-dropped" not in graph
    assert not any("x-read-through-copies" in n for n in nodes.values())


def test_sql_lineage_tells_unchanged_columns() -> None:
    from causal_rca.lineage.importers.sql_lineage import query_lineage

    schema = {("", "raw", "t"): {"code": "U", "amount": "U", "id": "U"}, ("", "", "o"): {"id": "U", "x": "U"}}

    def identity(sql: str) -> list[str]:
        return sorted(query_lineage(sql, None, schema).identity)

    assert identity("with c as (select t.code as c2, t.amount, t.id from raw.t t where amount > 0) "
                    "select t.c2 as code, cast(t.amount as int) as a, upper(t.c2) as u, t.amount, o.x "
                    "from c t left join o on o.id = t.id") == ["amount", "code", "x"]
    assert identity("select * from raw.t") == ["amount", "code", "id"]
    assert identity("select code, count(*) as n from raw.t group by code") == []
    assert identity("select distinct code from raw.t") == []
    assert identity("select code, max(amount) as m from raw.t") == []
    assert identity("select code, sum(amount) over (partition by id) as s from raw.t") == ["code"]
    assert identity("select code from raw.t union all select x from o") == []
