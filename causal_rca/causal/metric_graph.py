"""The causal graph of a metric: what the attribution is computed on, built without DoWhy.

Every diagnosis needs this graph (its nodes decide which candidates are
relevant); only a significant change with candidates needs the attribution
itself (``attribution.py``), and with it DoWhy, whose import costs more than a
small diagnosis. Keeping the graph here lets ``api`` import DoWhy on that path only.
"""

from __future__ import annotations

import networkx as nx

ROWS_NODE = "__metric_rows__"


def attribution_graph(parents_of: dict[str, tuple[str, ...]], target: str, target_parents: tuple[str, ...]) -> nx.DiGraph:
    """Observed ancestors of the target (through effective parents) plus the target itself."""
    g = nx.DiGraph()
    for child, parents in parents_of.items():
        g.add_node(child)
        for p in parents:
            g.add_edge(p, child)
    for p in target_parents:
        g.add_edge(p, target)
    keep = nx.ancestors(g, target) | {target}
    return g.subgraph(keep).copy()
