"""causal-rca: why did the metric drop?

>>> from causal_rca import load_graph, diagnose          # doctest: +SKIP
>>> d = diagnose("graphs/fraud.yaml", "ref.parquet", "cur.parquet", "recall")  # doctest: +SKIP
>>> print(d.to_json())                                    # doctest: +SKIP
"""

from causal_rca.errors import InputError

__version__ = "0.1.0"
__all__ = ["InputError", "Diagnosis", "check_graph", "diagnose", "draft_graph", "load_graph", "__version__"]


def __getattr__(name: str):
    # Lazy: `causal-rca --help` and `validate` should not pay for importing dowhy.
    if name == "diagnose":
        from causal_rca.api import diagnose

        return diagnose
    if name == "check_graph":  # is the graph consistent with the data (causal/graph_check.py)
        from causal_rca.causal.graph_check import check_graph

        return check_graph
    if name == "Diagnosis":
        from causal_rca.diagnosis.model import Diagnosis

        return Diagnosis
    if name == "draft_graph":
        from causal_rca.lineage.draft import draft_graph

        return draft_graph
    if name == "load_graph":
        from causal_rca.lineage import load_graph

        return load_graph
    raise AttributeError(name)
