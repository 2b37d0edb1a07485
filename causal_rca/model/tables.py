"""What the model review reads beyond the engine's samples: golden and training tables, and segments.

Golden and training tables hold what the model needs, not everything a
prediction log holds (a golden set has no scores), so only the columns asked
for must be there. They are read by the windows' own engine, as seeded
samples like the windows' (``windows/``), so DuckDB and Spark read them alike.
"""

from __future__ import annotations

import pandas as pd

from causal_rca.lineage import LineageGraph
from causal_rca.windows.engines import Engine, connect
from causal_rca.windows.frames import as_node_types
from causal_rca.windows.stats import sample_frame, typed_expression
from causal_rca.windows.tables import TableLike, Window, open_node_table


def read_nodes(table: TableLike, graph: LineageGraph, nodes: tuple[str, ...], dtypes: dict[str, str], label: str,
               max_rows: int, seed: int, engine: Engine = "duckdb") -> pd.DataFrame:
    """At most ``max_rows`` seeded rows of ``table``, one typed column per node (keyed by node id)."""
    window = open_node_table(connect(engine), graph, table, label, nodes)
    exprs = {n: typed_expression(graph.nodes[n].column, dtypes[n]) for n in nodes}
    return as_node_types(sample_frame(window, exprs, max_rows, seed), {n: dtypes[n] for n in nodes})


def segment_samples(graph: LineageGraph, reference: Window, current: Window, sample_rows: int,
                    seed: int) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Segment values, as stored, of the sampled rows.

    The same rows as ``node_samples``: the same seeds (``seed`` and
    ``seed + 1``), and rows are picked by position.
    """
    if not graph.segments:
        return {}
    exprs = {c: typed_expression(c, None) for c in graph.segments}
    ref = sample_frame(reference, exprs, sample_rows, seed)
    cur = sample_frame(current, exprs, sample_rows, seed + 1)
    return {c: (ref[c], cur[c]) for c in graph.segments}
