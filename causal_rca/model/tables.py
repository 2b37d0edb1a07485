"""Read a golden or training table: the model's inputs (and the label) for every row.

These tables hold what the model needs, not everything a prediction log
holds (a golden set has no scores), so only the columns asked for must be there.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.lineage import LineageGraph
from causal_rca.lineage.schema import suggest
from causal_rca.windows.stats import sample_frame, typed_expression
from causal_rca.windows.tables import TableLike, Window, _describe, _register


def read_nodes(table: TableLike, graph: LineageGraph, nodes: tuple[str, ...], dtypes: dict[str, str], label: str,
               max_rows: int, seed: int) -> pd.DataFrame:
    """At most ``max_rows`` seeded rows of ``table``, one typed column per node (keyed by node id)."""
    con = duckdb.connect(":memory:")
    _register(con, table, "__raw", label)
    types = _describe(con, "__raw")
    for node_id in nodes:
        column = graph.nodes[node_id].column
        if column not in types:
            raise InputError(f"{label} table '{table if not isinstance(table, pd.DataFrame) else 'DataFrame'}' has no "
                             f"column '{column}' (node '{node_id}'){suggest(column, list(types))}")
    rows = con.execute('SELECT count(*) FROM "__raw"').fetchall()[0][0]
    if rows < 30:
        raise InputError(f"the {label} table has {rows} rows; at least 30 are needed")
    window = Window(label, con, "__raw", int(rows), types)
    exprs = {n: typed_expression(graph.nodes[n].column, dtypes[n]) for n in nodes}
    frame = sample_frame(window, exprs, max_rows, seed)
    for node_id in nodes:
        if dtypes[node_id] in ("numeric", "boolean", "datetime"):
            frame[node_id] = pd.to_numeric(frame[node_id], errors="coerce").astype(float)
        else:
            frame[node_id] = frame[node_id].astype(object).where(frame[node_id].notna(), None)
    return frame
