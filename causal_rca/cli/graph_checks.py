"""What `validate --check-graph` and `import … --check-graph` print: findings and lines to paste, never applied."""

from __future__ import annotations

from causal_rca.causal.graph_check import GraphCheck
from causal_rca.lineage.graph import LineageGraph


def report_graph_check(g: LineageGraph, data: str, seed: int, result: GraphCheck | None = None) -> None:
    """The violated local Markov conditions, each with a parents line to paste (never applied)."""
    from causal_rca.causal.graph_check import check_graph

    result = result if result is not None else check_graph(g, data, seed=seed)
    head = (f"{data}: tested {result.tests} condition{'s' if result.tests != 1 else ''} at "
            f"{len(result.tested_nodes)} node{'s' if len(result.tested_nodes) != 1 else ''} on {result.rows} rows")
    if not result.violations:
        print(f"OK: {head}; no node depends on more than its declared parents")
    else:
        n = len(result.violations)
        print(f"warning: {head}; {n} violated condition{'s' if n > 1 else ''} (the graph is not changed):")
        for v in result.violations:
            print(f"  {v.message()}")
            print(f"    to declare it:  {v.suggestion()}   (or a common cause of both the graph lacks)")
    b = result.baseline
    if b is None:
        print(f"note: {data}: the graph implies no condition to compare with shuffled graphs")
    else:
        print(f"{'OK' if b.better_than_chance() else 'warning'}: {data}: {b.message()}")


def check_imported(graph: dict, log: str) -> None:
    """The imported graph tested on its log: missing parents, and guessed edges the data does not support."""
    from causal_rca.causal.edge_check import guessed_nodes, unsupported_edges
    from causal_rca.causal.graph_check import check_graph_frame, read_sample
    from causal_rca.lineage import graph_from_dict

    g = graph_from_dict(graph)
    frame, dtypes = read_sample(g, log)
    report_graph_check(g, log, 0, check_graph_frame(g, frame, dtypes))
    guessed = [n for n in guessed_nodes(g) if n in dtypes]
    removals = unsupported_edges(g, frame, dtypes, nodes=guessed)
    if not guessed:
        print(f"OK: {log}: no observed node has guessed parents (every input column)")
    elif not removals:
        print(f"OK: {log}: every observed guessed edge of {len(guessed)} node{'s' if len(guessed) > 1 else ''} "
              f"is supported by the data")
    else:
        print(f"warning: {log}: {len(removals)} guessed edge{'s' if len(removals) > 1 else ''} (every input "
              f"column) the data does not support (the graph is not changed):")
        for node in dict.fromkeys(r.node for r in removals):
            mine = [r for r in removals if r.node == node]
            for r in mine:
                print(f"  {r.message()}")
            keep = [p for p in mine[0].parents if p not in {r.parent for r in mine}]
            print(f"    to remove {'it' if len(mine) == 1 else 'them'}:  {node}: parents: [{', '.join(keep)}]"
                  + ("   (each was tested given the others: of two copies of one column, keep one)"
                     if len(mine) > 1 else ""))
