"""A fitted ``CausalRCA`` on disk: a plain folder of Parquet and JSON, never a pickle.

The folder holds the graph's YAML as it was read (``graph.yaml``), the
reference window's named columns, every row in file order
(``reference.parquet``, written by the engine, so column types survive), the
golden and training tables when they were given as DataFrames, and
``fitted.json`` (the options, the reference's warnings, the library warnings
the fit raised). Loading fits again on the saved reference: every step of
the fit is a seeded function of those rows, so a loaded model diagnoses
byte for byte as the saved one did, in any process. No estimator is stored,
so loading runs no stored code (docs/fitted.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from causal_rca.errors import InputError, ParameterError
from causal_rca.library_warnings import Record
from causal_rca.lineage import LineageGraph
from causal_rca.lineage.loader import graph_from_yaml
from causal_rca.reference_fit import ReferenceFit

FORMAT = "causal-rca-fitted/1"
ENGINE_NAMES = {"duckdb": "duckdb", "pyspark": "spark"}  # an open backend is saved as the engine it runs
PLAIN = ("metric", "seed", "sample_rows", "jobs", "trust_model", "estimate")


def save_fit(fit: ReferenceFit, folder: Path, options: dict[str, Any], warnings: tuple[Record, ...]) -> Path:
    """Write ``fit`` to ``folder`` (see the module docstring); returns the folder."""
    source = Path(fit.graph.path)
    if not source.is_file():
        raise ParameterError("save() needs a graph read from a YAML file (its text is saved with the model); "
                             "this graph was built in memory")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "graph.yaml").write_bytes(source.read_bytes())
    w = fit.window
    pq.write_table(w.backend.to_pyarrow(w.table.select(*w.column_types)), folder / "reference.parquet")
    tables = {}
    for name in ("golden", "training"):
        value = options[name]
        if isinstance(value, pd.DataFrame):
            value.to_parquet(folder / f"{name}.parquet")
            tables[name] = f"{name}.parquet"
        elif value is not None:
            tables[name] = str(Path(value).resolve()) if Path(value).exists() else str(value)
    engine = options["engine"] if isinstance(options["engine"], str) else ENGINE_NAMES.get(w.backend.name, "duckdb")
    meta = {"format": FORMAT, "graph_path": str(source), "engine": engine,
            "spark_master": options["spark_master"], "options": {k: options[k] for k in PLAIN},
            "tables": tables, "reference_warnings": list(w.warnings), "library_warnings": [list(r) for r in warnings]}
    (folder / "fitted.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return folder


def load_fit(folder: Path) -> tuple[LineageGraph, dict[str, Any], str, tuple[str, ...], tuple[Record, ...]]:
    """The graph, constructor options, reference table, its reading warnings and the fit's library warnings.

    The graph keeps its original path, so model artifacts named relative to it are found as before.
    """
    try:
        meta = json.loads((folder / "fitted.json").read_text())
    except (OSError, ValueError):
        raise InputError(f"{folder}: not a saved CausalRCA model (no readable fitted.json)") from None
    if meta.get("format") != FORMAT:
        raise InputError(f"{folder}: saved in format {meta.get('format')!r}, this version reads {FORMAT!r}")
    graph = graph_from_yaml((folder / "graph.yaml").read_bytes(), meta["graph_path"])
    options = {**meta["options"], "engine": meta["engine"], "spark_master": meta["spark_master"]}
    for name, where in meta["tables"].items():
        options[name] = pd.read_parquet(folder / where) if where == f"{name}.parquet" else where
    warnings = tuple(tuple(r) for r in meta["library_warnings"])
    return graph, options, str(folder / "reference.parquet"), tuple(meta["reference_warnings"]), warnings
