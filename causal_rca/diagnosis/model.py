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
    children: list[str] = field(default_factory=list)  # unobserved node or service: the children that changed with it
    # With the real model: the metric had this cause been put back (model/replay.py), else None.
    replay: dict[str, Any] | None = None
    # Failure modes the evidence cannot rule out (spec: fields may be added), each with the evidence
    # that keeps it possible and its own mitigation; ``failure_mode`` is the likelier one.
    alternatives: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mode_label(self) -> str:
        """The failure mode as reports show it: ``concept_drift (or label_shift)`` when undecided."""
        others = [str(a.get("failure_mode")) for a in self.alternatives]
        return self.failure_mode + (f" (or {' or '.join(others)})" if others else "")

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
        if self.replay is not None:
            out["replay"] = dict(self.replay)
        if self.alternatives:
            out["alternatives"] = [dict(a) for a in self.alternatives]
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
    # Added for reports (spec: fields may be added): per-node reference vs current
    # summaries of the top causes, for the distribution plots (explain/distributions.py).
    distributions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Added for reports (spec: fields may be added): the metric per time bucket of both windows,
    # when the graph has a time column (explain/over_time.py).
    metric_over_time: list[dict[str, Any]] = field(default_factory=list)
    # Added for `--split auto` (spec: fields may be added): where the windows were split and how sure.
    split: dict[str, Any] | None = None
    # Added for model-aware diagnosis (spec: fields may be added): score confidence, classes,
    # segments, support, label-free estimate, artifact fidelity, golden set (causal_rca/model/).
    model_aware: dict[str, Any] = field(default_factory=dict)
    # Added for silent faults (spec: fields may be added): contract violations and integrity faults,
    # listed whether or not the metric moved (diagnosis/data_quality.py).
    data_quality: list[Anomaly] = field(default_factory=list)
    # Added for issue 24 (spec: fields may be added): top causes whose change an undeclared parent
    # would explain (node, parent, p_value, gain, detail; diagnosis/missing_edges.py). Always in the JSON.
    graph_warnings: list[dict[str, Any]] = field(default_factory=list)
    # The lineage graph the diagnosis was made on, so reports can draw it; not serialised
    # (the JSON names the graph; `causal-rca render GRAPH --diagnosis` supplies it again).
    lineage: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        from causal_rca.diagnosis.data_quality import finding_kind

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
            "data_quality": [{**a.to_dict(), "kind": finding_kind(a.signal)} for a in self.data_quality],
            "summary": self.summary,
            "mechanisms": [m.to_dict() for m in self.mechanisms],
            "checked_clear": list(self.checked_clear),
            "warnings": list(self.warnings),
            "graph_warnings": [dict(w) for w in self.graph_warnings],
            "attribution": self.attribution,
            "seed": self.seed,
            "sample_rows": self.sample_rows,
            "distributions": self.distributions,
            **({"metric_over_time": self.metric_over_time} if self.metric_over_time else {}),
            **({"split": self.split} if self.split is not None else {}),
            **({"model_aware": self.model_aware} if self.model_aware else {}),
        })

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], lineage: Any = None) -> "Diagnosis":
        """Read back what ``to_dict`` wrote (a ``why --format json`` file), to render it again.

        Raises ``InputError`` naming the first missing or malformed field, so a
        wrong file is one clear line rather than a traceback.
        """
        return _diagnosis_from_dict(data, lineage)

    def _repr_markdown_(self) -> str:
        from causal_rca.render.markdown import render_markdown

        return render_markdown(self)

    def _repr_html_(self) -> str:
        from causal_rca.render.html import render_html

        return render_html(self, standalone=False)


def _diagnosis_from_dict(data: dict[str, Any], lineage: Any) -> Diagnosis:
    from causal_rca.diagnosis.data_quality import data_quality_findings
    from causal_rca.errors import InputError

    def window(w: dict[str, Any]) -> WindowMetric:
        return WindowMetric(_num(w["value"]), (_num(w["ci"][0]), _num(w["ci"][1])), int(w["rows"]))

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"not a causal-rca diagnosis: expected \"format\": \"{FORMAT}\"")
    try:
        causes = [Cause(rank=int(c["rank"]), node=str(c["node"]), failure_mode=str(c["failure_mode"]),
                        category=c.get("category"), score=_num(c["score"]),
                        contribution=_optional_num(c.get("contribution")), p_value=_optional_num(c.get("p_value")),
                        evidence=[Evidence(str(e["test"]), e.get("reference"), e.get("current"),
                                           _optional_num(e.get("p_value")),
                                           str(e.get("detail", ""))) for e in c["evidence"]],
                        why=[str(w) for w in c["why"]], mitigation=str(c["mitigation"]),
                        path=[str(n) for n in c.get("path", [])], owner=c.get("owner"),
                        children=[str(n) for n in c.get("children", [])],
                        replay=c.get("replay"), alternatives=[dict(a) for a in c.get("alternatives", [])])
                  for c in data["causes"]]
        anomalies = [_anomaly(a) for a in data["anomalies"]]
        quality = [_anomaly(a) for a in data["data_quality"]] if "data_quality" in data else None
        mechanisms = [MechanismSummary(str(m["node"]), str(m["method"]), bool(m["changed"]), _num(m["p_value"]),
                                       _num(m["effect"]), str(m.get("detail", "")))
                      for m in data.get("mechanisms", [])]
        change_ci = data.get("change_ci") or [math.nan, math.nan]
        return Diagnosis(
            graph=str(data["graph"]), target=str(data["target"]), metric=str(data.get("metric", data["target"])),
            reference=window(data["reference"]), current=window(data["current"]), change=_num(data["change"]),
            change_ci=(_num(change_ci[0]), _num(change_ci[1])), significant=bool(data["significant"]),
            causes=causes, anomalies=anomalies, summary=str(data["summary"]), mechanisms=mechanisms,
            checked_clear=[str(n) for n in data.get("checked_clear", [])],
            warnings=[str(w) for w in data.get("warnings", [])],
            attribution=str(data.get("attribution", "")), seed=int(data.get("seed", 0)),
            sample_rows=int(data.get("sample_rows", 0)),
            distributions=_distributions(data.get("distributions") or {}),
            metric_over_time=[dict(b) for b in data.get("metric_over_time") or [] if isinstance(b, dict)],
            split=data.get("split"),
            model_aware=dict(data.get("model_aware") or {}),
            graph_warnings=[dict(w) for w in data.get("graph_warnings") or [] if isinstance(w, dict)],
            data_quality=quality if quality is not None else data_quality_findings(anomalies),
            description=getattr(lineage, "description", None), lineage=lineage,
        )
    except KeyError as exc:
        raise InputError(f"not a complete causal-rca diagnosis: missing field {exc}") from None
    except (TypeError, ValueError, IndexError, AttributeError) as exc:
        raise InputError(f"not a valid causal-rca diagnosis: {exc}") from None


def _anomaly(a: dict[str, Any]) -> Anomaly:
    return Anomaly(str(a["node"]), str(a["signal"]), a.get("reference"), a.get("current"), _num(a["p_value"]),
                   str(a.get("detail", "")))


def _num(value: Any) -> float:
    """JSON ``null`` (a NaN on the way out) back to NaN."""
    return math.nan if value is None else float(value)


def _distributions(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The plotted summaries, checked for the shape the plots read (ValueError when not)."""
    for node, summary in data.items():
        key = {"numeric": "edges", "categorical": "categories"}.get(summary.get("kind"))
        if key is None or not all(isinstance(summary[w]["shares"], list) for w in ("reference", "current")):
            raise ValueError(f"distribution of '{node}' is malformed")
        if len(summary[key]) < len(summary["reference"]["shares"]):
            raise ValueError(f"distribution of '{node}' has fewer {key} than shares")
    return dict(data)


def _optional_num(value: Any) -> float | None:
    """A number that may be absent (``null`` stays ``None``)."""
    return None if value is None else float(value)
