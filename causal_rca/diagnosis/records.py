"""The records a diagnosis is made of: causes, their evidence, anomalies, window metrics, mechanism tests.

Frozen dataclasses whose ``to_dict`` writes the JSON objects of
spec/diagnosis.md; ``diagnosis/reading.py`` reads them back.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from causal_rca.diagnosis.findings import Replay

__all__ = ["Anomaly", "Cause", "Evidence", "MechanismSummary", "WindowMetric"]


def json_safe(value: Any) -> Any:
    """JSON-safe and byte-stable: floats rounded to 6 significant digits, NaN/inf as null."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return json_safe(value.item())
    return value


class JSONRecord:
    """A record whose JSON object (spec/diagnosis.md) is its fields, in order."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of spec/diagnosis.md."""
        return asdict(self)


@dataclass(frozen=True)
class Evidence(JSONRecord):
    """One test or measurement behind a cause.

    Attributes
    ----------
    test : str
        What was measured: a signal (``null_rate``, ``ks``, …), ``mechanism``,
        ``attribution``, ``replay``, ``golden_set``, ``moved_with``, ``decision_drivers``.
    reference, current : Any
        The value in each window, when the test has one.
    p_value : float or None
        Adjusted for the number of tests; ``None`` for a measurement.
    detail : str
        The finding in words.

    Examples
    --------
    >>> Evidence("null_rate", 0.01, 0.4, 1e-12, "null share 1% → 40%").test
    'null_rate'
    """

    test: str
    reference: Any
    current: Any
    p_value: float | None
    detail: str


@dataclass(frozen=True, repr=False)
class Cause:
    """One ranked root cause: a node whose own mechanism changed, and how that moved the metric.

    Attributes
    ----------
    rank : int
        1 for the likeliest cause.
    node : str
        The node id in the lineage graph.
    failure_mode : str
        The likelier failure mode (docs/how-it-decides.md); ``alternatives``
        holds those the evidence cannot rule out.
    category : str or None
        The node's category from the graph (for the fishbone).
    score : float
        Ranking score in [0, 1].
    contribution : float or None
        The part of the metric's change attributed to this node (``None``
        when the change could not be attributed).
    p_value : float or None
    evidence : list of Evidence
    why : list of str
        The chain from the metric down to the cause ("recall fell … because …").
    mitigation : str
        What to do about this failure mode.
    path : list of str
        Nodes from the cause to the metric.
    owner : str or None
    children : list of str
        For an unobserved node or a service: the children that changed with it.
    replay : Replay or None
        With the real model: the metric had this cause been put back.
    alternatives : list of dict
        Failure modes the evidence cannot rule out, each with its evidence and mitigation.

    Examples
    --------
    >>> c = Cause(1, "merchant_category", "schema_change", None, 0.9, -0.2, 1e-9, [], [], "fix the export")
    >>> c
    Cause(rank=1, node='merchant_category', failure_mode='schema_change', score=0.9)
    """

    rank: int
    node: str
    failure_mode: str
    category: str | None
    score: float
    contribution: float | None
    p_value: float | None
    evidence: list[Evidence]
    why: list[str]
    mitigation: str
    path: list[str] = field(default_factory=list)
    owner: str | None = None
    children: list[str] = field(default_factory=list)
    replay: Replay | None = None
    alternatives: list[dict[str, Any]] = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"Cause(rank={self.rank}, node={self.node!r}, failure_mode={self.failure_mode!r}, "
                f"score={self.score:.3g})")

    @property
    def mode_label(self) -> str:
        """The failure mode as reports show it: ``concept_drift (or label_shift)`` when undecided."""
        others = [str(a.get("failure_mode")) for a in self.alternatives]
        return self.failure_mode + (f" (or {' or '.join(others)})" if others else "")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of spec/diagnosis.md (optional keys only when set)."""
        out = {
            "rank": self.rank, "node": self.node, "failure_mode": self.failure_mode, "category": self.category,
            "score": self.score, "contribution": self.contribution, "p_value": self.p_value,
            "evidence": [e.to_dict() for e in self.evidence], "why": list(self.why),
            "mitigation": self.mitigation, "path": list(self.path),
        }
        if self.owner:
            out["owner"] = self.owner
        if self.children:
            out["children"] = list(self.children)
        if self.replay is not None:
            out["replay"] = self.replay.to_dict()
        if self.alternatives:
            out["alternatives"] = [dict(a) for a in self.alternatives]
        return out


@dataclass(frozen=True)
class WindowMetric:
    """The metric in one window: its value, 95% interval and row count.

    Examples
    --------
    >>> WindowMetric(0.8, (0.77, 0.83), 4000).to_dict()
    {'value': 0.8, 'ci': [0.77, 0.83], 'rows': 4000}
    """

    value: float
    ci: tuple[float, float]
    rows: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of spec/diagnosis.md."""
        return {"value": self.value, "ci": list(self.ci), "rows": self.rows}


@dataclass(frozen=True)
class Anomaly(JSONRecord):
    """A signal of one node that differs between the windows (or a broken contract).

    Examples
    --------
    >>> Anomaly("amount", "mean", 50.0, 61.0, 1e-6, "mean 50 → 61").signal
    'mean'
    """

    node: str
    signal: str
    reference: Any
    current: Any
    p_value: float
    detail: str


@dataclass(frozen=True)
class MechanismSummary(JSONRecord):
    """The test of one node's mechanism (its distribution given its parents) between the windows.

    Examples
    --------
    >>> MechanismSummary("amount", "conditional", True, 1e-5, 0.3, "changed given country").changed
    True
    """

    node: str
    method: str
    changed: bool
    p_value: float
    effect: float
    detail: str
