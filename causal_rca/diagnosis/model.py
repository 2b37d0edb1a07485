"""The Diagnosis object: what the engine concluded, in the JSON shape of spec/diagnosis.md."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

FORMAT = "causal-rca/diagnosis/v1"


def _clean(value: Any) -> Any:
    """JSON-safe and byte-stable: floats rounded to 6 significant digits, NaN/inf as null."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return _clean(value.item())
    return value


@dataclass(frozen=True)
class Evidence:
    test: str
    reference: Any
    current: Any
    p_value: float | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"test": self.test, "reference": self.reference, "current": self.current,
                "p_value": self.p_value, "detail": self.detail}


@dataclass(frozen=True)
class Cause:
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
    children: list[str] = field(default_factory=list)  # for an unobserved node: the children that changed

    def to_dict(self) -> dict[str, Any]:
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
        return out


@dataclass(frozen=True)
class WindowMetric:
    value: float
    ci: tuple[float, float]
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci": list(self.ci), "rows": self.rows}


@dataclass(frozen=True)
class Anomaly:
    node: str
    signal: str
    reference: Any
    current: Any
    p_value: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "signal": self.signal, "reference": self.reference, "current": self.current,
                "p_value": self.p_value, "detail": self.detail}


@dataclass(frozen=True)
class MechanismSummary:
    node: str
    method: str
    changed: bool
    p_value: float
    effect: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "method": self.method, "changed": self.changed, "p_value": self.p_value,
                "effect": self.effect, "detail": self.detail}


@dataclass(frozen=True)
class Diagnosis:
    graph: str
    target: str
    metric: str
    reference: WindowMetric
    current: WindowMetric
    change: float
    change_ci: tuple[float, float]
    significant: bool
    causes: list[Cause]
    anomalies: list[Anomaly]
    summary: str
    mechanisms: list[MechanismSummary] = field(default_factory=list)
    checked_clear: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    attribution: str = "dowhy.gcm shapley over candidate mechanism changes"
    seed: int = 0
    sample_rows: int = 0
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _clean({
            "format": FORMAT,
            "graph": self.graph,
            "target": self.target,
            "metric": self.metric,
            "reference": self.reference.to_dict(),
            "current": self.current.to_dict(),
            "change": self.change,
            "change_ci": list(self.change_ci),
            "significant": self.significant,
            "causes": [c.to_dict() for c in self.causes],
            "anomalies": [a.to_dict() for a in self.anomalies],
            "summary": self.summary,
            "mechanisms": [m.to_dict() for m in self.mechanisms],
            "checked_clear": list(self.checked_clear),
            "warnings": list(self.warnings),
            "attribution": self.attribution,
            "seed": self.seed,
            "sample_rows": self.sample_rows,
        })

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def _repr_markdown_(self) -> str:
        from causal_rca.render.markdown import render_markdown

        return render_markdown(self)
