"""The quickstart pipeline as a dbt project would describe it: a small manifest (schema v12).

Raw transactions (a source) are staged, joined with the feature store's rolling aggregates
(another source), and turned into the model's features by ``fraud_features``, whose compiled
SQL gives the column lineage; the model is an exposure of type ``ml``. Tests on the staged
columns become contracts when imported.
"""

from __future__ import annotations

PROJECT = "card_fraud"
SCHEMA_URL = "https://schemas.getdbt.com/dbt/manifest/v12.json"

RAW = {
    "transaction_id": ("varchar", "transaction key"),
    "event_time": ("timestamp", "when the transaction was scored"),
    "processor": ("varchar", "acquiring processor that forwarded the transaction"),
    "amount": ("double precision", "transaction amount in USD"),
    "merchant_category": ("varchar", "merchant category code (MCC), as sent"),
    "hour": ("integer", "local hour of day"),
    "txn_count_24h": ("integer", "transactions on the card in the previous 24 hours"),
}
AGGREGATES = {
    "transaction_id": ("varchar", "transaction key"),
    "amount_7d_avg": ("double precision", "card's average amount over 7 days"),
    "amount_7d_avg_at": ("timestamp", "when the average was computed"),
}
FEATURES = {
    **{k: RAW[k] for k in RAW},
    "amount_7d_avg": AGGREGATES["amount_7d_avg"],
    "amount_7d_avg_at": AGGREGATES["amount_7d_avg_at"],
    "amount_z": ("double precision", "log-amount standardised with the training mean and std"),
    "merchant_risk": ("double precision", "fraud rate of the merchant category (training split)"),
    "txn_count_norm": ("double precision", "24h count standardised with the training mean and std"),
}

STG_SQL = """select transaction_id, event_time, processor, amount, merchant_category, hour, txn_count_24h
from "warehouse"."payments"."transactions"
"""
FEATURES_SQL = """select
    t.transaction_id, t.event_time, t.processor, t.amount, t.merchant_category, t.hour, t.txn_count_24h,
    a.amount_7d_avg, a.amount_7d_avg_at,
    (ln(1 + t.amount) - 3.62) / 1.05 as amount_z,
    case try_cast(t.merchant_category as integer)
        when 5411 then 0.004 when 5812 then 0.005 when 5541 then 0.009 when 4121 then 0.008
        when 5912 then 0.007 when 5999 then 0.024 when 5732 then 0.041 when 4829 then 0.060
        when 7995 then 0.079 when 6051 then 0.093 else 0.02 end as merchant_risk,
    (t.txn_count_24h - 2.4) / 1.6 as txn_count_norm
from "warehouse"."analytics"."stg_transactions" t
left join "warehouse"."feature_store"."card_aggregates" a on a.transaction_id = t.transaction_id
"""


def _columns(spec: dict) -> dict:
    return {name: {"name": name, "description": text, "meta": {}, "data_type": kind, "constraints": [],
                   "quote": None, "tags": []} for name, (kind, text) in spec.items()}


def _source(source_name: str, name: str, columns: dict, description: str, owner: str) -> dict:
    return {"resource_type": "source", "package_name": PROJECT, "source_name": source_name, "name": name,
            "unique_id": f"source.{PROJECT}.{source_name}.{name}", "schema": source_name, "database": "warehouse",
            "identifier": name, "description": description, "columns": _columns(columns),
            "meta": {"owner": owner}, "config": {"enabled": True}, "tags": []}


def _model(name: str, columns: dict, depends: list[str], sql: str, description: str, owner: str) -> dict:
    return {"resource_type": "model", "package_name": PROJECT, "name": name,
            "unique_id": f"model.{PROJECT}.{name}", "schema": "analytics", "database": "warehouse",
            "fqn": [PROJECT, name], "description": description, "columns": _columns(columns),
            "depends_on": {"macros": [], "nodes": depends}, "compiled": True, "compiled_code": sql,
            "relation_name": f'"warehouse"."analytics"."{name}"',
            "config": {"materialized": "table", "meta": {"owner": owner}}, "meta": {}, "tags": []}


def _test(kind: str, model: str, column: str, **kwargs) -> dict:
    name = f"{kind}_{model}_{column}"
    return {"resource_type": "test", "package_name": PROJECT, "name": name,
            "unique_id": f"test.{PROJECT}.{name}",
            "test_metadata": {"name": kind, "namespace": None,
                              "kwargs": {"column_name": column, "model": f"{{{{ get_where_subquery(ref('{model}')) }}}}",
                                         **kwargs}},
            "column_name": column, "attached_node": f"model.{PROJECT}.{model}",
            "depends_on": {"macros": [], "nodes": [f"model.{PROJECT}.{model}"]}}


def fraud_manifest() -> dict:
    """The manifest as a JSON-ready mapping."""
    src_tx = f"source.{PROJECT}.payments.transactions"
    src_agg = f"source.{PROJECT}.feature_store.card_aggregates"
    stg = f"model.{PROJECT}.stg_transactions"
    feats = f"model.{PROJECT}.fraud_features"
    models = {
        stg: _model("stg_transactions", RAW, [src_tx], STG_SQL, "raw transactions, one row per scored transaction",
                    "payments-ingest"),
        feats: _model("fraud_features", FEATURES, [stg, src_agg], FEATURES_SQL,
                      "the model's inputs, one row per scored transaction", "fraud-ml"),
    }
    tests = [_test("not_null", "stg_transactions", "amount"), _test("not_null", "stg_transactions", "merchant_category")]
    sources = {
        src_tx: _source("payments", "transactions", RAW, "transactions as the acquiring processors send them",
                        "payments-ingest"),
        src_agg: _source("feature_store", "card_aggregates", AGGREGATES, "rolling aggregates of the online feature store",
                         "ml-platform"),
    }
    nodes = {**models, **{t["unique_id"]: t for t in tests}}
    parent_map = {stg: [src_tx], feats: [stg, src_agg], src_tx: [], src_agg: [],
                  **{t["unique_id"]: t["depends_on"]["nodes"] for t in tests}}
    return {
        "metadata": {"dbt_schema_version": SCHEMA_URL, "dbt_version": "1.9.4", "generated_at": "2024-03-18T00:00:00Z",
                     "project_name": PROJECT, "adapter_type": "postgres"},
        "nodes": nodes, "sources": sources, "macros": {}, "docs": {},
        "exposures": {f"exposure.{PROJECT}.fraud_model": {
            "name": "fraud_model", "type": "ml", "resource_type": "exposure",
            "depends_on": {"nodes": [feats]}, "owner": {"name": "fraud-ml"}}},
        "metrics": {}, "groups": {}, "selectors": {}, "disabled": {}, "parent_map": parent_map, "child_map": {},
        "semantic_models": {}, "saved_queries": {}, "unit_tests": {},
    }
