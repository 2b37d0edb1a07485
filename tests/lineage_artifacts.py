"""The real lineage artifacts in ``shared/datasets/lineage-artifacts`` and how each is imported.

Run as a script it imports every artifact and prints one line per file: its name and the
SHA-256 of the YAML written, or ``error:`` and the message (the determinism test runs it under
several ``PYTHONHASHSEED`` values and compares the lines).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = next((p for p in (ROOT.parent / "shared" / "datasets" / "lineage-artifacts",
                              ROOT.parents[1] / "shared" / "datasets" / "lineage-artifacts",
                              Path("/work/shared/datasets/lineage-artifacts")) if p.is_dir()), None)
#: test templates whose dataset names are placeholders: refused with a message naming the placeholder
TEMPLATES = ("spark_app_pysparkDeltaSaveAsTableComplete.json",
             "spark_cli_tests_test_pyspark_example_expected_event_complete.json",
             "spark_cli_tests_test_pyspark_example_expected_event_start.json",
             "spark_cli_tests_test_simple_example_expected_event_complete.json",
             "spark_cli_tests_test_simple_example_expected_event_start.json")
CATALOGS = {"manifest_v12_jaffle_shop_manifest_1.12.json": "catalog_v1_jaffle_shop_catalog_1.12.json"}


def artifacts() -> list[tuple[str, Path]]:
    """(importer kind, path) for every manifest and event file (catalogs are read with their manifest)."""
    if ARTIFACTS is None:
        return []
    out = []
    for path in sorted(ARTIFACTS.rglob("*.json")):
        if path.name.startswith("catalog_"):
            continue
        out.append(("dbt" if "manifest" in path.name else "openlineage", path))
    return out


def catalog_for(path: Path) -> Path | None:
    name = CATALOGS.get(path.name)
    return path.parent / name if name else None


def main() -> None:
    from causal_rca.errors import InputError
    from causal_rca.lineage.importers.write import dump, imported_graph

    for kind, path in artifacts():
        try:
            graph = imported_graph(kind, path, catalog=catalog_for(path)) if kind == "dbt" else \
                imported_graph(kind, path)
            line = hashlib.sha256(dump(graph).encode()).hexdigest()
        except InputError as exc:
            line = f"error: {exc}"
        print(f"{path.parent.name}/{path.name} {line}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
