"""Paths shared by the importer tests: the repository and its lineage fixtures (tests/fixtures/lineage)."""

from __future__ import annotations

from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "lineage"
EVENTS = FIXTURES / "fraud_openlineage.jsonl"
MANIFEST = FIXTURES / "churn_dbt_manifest.json"
