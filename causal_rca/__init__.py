"""causal-rca: why did the metric drop?

Give the lineage graph of an ML pipeline and two windows of its log;
``diagnose`` tests every node's mechanism, attributes the metric's change to
the nodes whose mechanism changed, and returns a ``Diagnosis``: ranked root
causes with their failure mode, evidence and the chain of whys. To ask many
windows against one reference, fit it once: ``CausalRCA(graph).fit(reference)``,
then ``diagnose(current)`` for each.

The names below are imported when first used, so ``import causal_rca`` (and
``causal-rca --help``) stays cheap: the statistics, DoWhy and the query engine
load only with ``diagnose``.

Examples
--------
>>> import causal_rca
>>> "diagnose" in dir(causal_rca)
True
>>> from causal_rca import Diagnosis, diagnose, load_graph
"""

from causal_rca.errors import InputError, ParameterError

__version__ = "0.1.0"

# Public name -> the module that defines it (imported on first use).
_LAZY = {
    "diagnose": "causal_rca.api",
    "CausalRCA": "causal_rca.fitted",
    "Diagnosis": "causal_rca.diagnosis.model",
    "Cause": "causal_rca.diagnosis.records",
    "Evidence": "causal_rca.diagnosis.records",
    "Anomaly": "causal_rca.diagnosis.records",
    "WindowMetric": "causal_rca.diagnosis.records",
    "MechanismSummary": "causal_rca.diagnosis.records",
    "Replay": "causal_rca.diagnosis.findings",
    "GoldenCheck": "causal_rca.diagnosis.findings",
    "ArtifactCheck": "causal_rca.diagnosis.findings",
    "ModelFindings": "causal_rca.diagnosis.findings",
    "load_graph": "causal_rca.lineage",
    "draft_graph": "causal_rca.lineage.draft",
    "check_graph": "causal_rca.causal.graph_check",
}
__all__ = sorted([*_LAZY, "InputError", "ParameterError", "__version__"])


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # the next lookup is an ordinary attribute
        return value
    raise AttributeError(f"module 'causal_rca' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names, imported or not yet (tab completion in a notebook shows these)."""
    return list(__all__)
