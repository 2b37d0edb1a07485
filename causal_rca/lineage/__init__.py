"""Lineage graphs: the user's declaration of how data flows through a pipeline."""

from causal_rca.lineage.graph import Contract, LineageGraph, Node
from causal_rca.lineage.loader import check_columns, graph_from_dict, graph_from_yaml, load_graph
from causal_rca.lineage.schema import parse_duration

__all__ = [
    "Contract",
    "LineageGraph",
    "Node",
    "check_columns",
    "graph_from_dict",
    "graph_from_yaml",
    "load_graph",
    "parse_duration",
]
