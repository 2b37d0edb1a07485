"""Reading a saved diagnosis back: JSON text or a file, checked field by field.

What ``Diagnosis.to_dict`` wrote comes back as the same records, so the
reports render from the file exactly as from the diagnosis that wrote it.
Every problem is one ``InputError`` naming the file and the field.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from causal_rca.diagnosis.findings import ModelFindings, Replay
from causal_rca.diagnosis.model import CLASS_KEYS, FORMAT, Diagnosis
from causal_rca.diagnosis.records import Anomaly, Cause, Evidence, MechanismSummary, WindowMetric
from causal_rca.errors import InputError, ParameterError
from causal_rca.lineage import LineageGraph, load_graph


def read_diagnosis(source: str | Path, graph: LineageGraph | str | Path | None = None) -> Diagnosis:
    """A diagnosis from JSON text or a JSON file, on ``graph`` when given (checked to be its graph)."""
    text, name = _json_text(source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name} is not JSON: {exc}") from None
    lineage = graph if graph is None or isinstance(graph, LineageGraph) else load_graph(graph)
    try:
        d = diagnosis_from_dict(data, lineage)
    except InputError as exc:
        raise InputError(f"{name}: {exc}") from None
    if lineage is not None:
        check_graph(d, lineage, name)
    return d


def _json_text(source: str | Path) -> tuple[str, str]:
    """(the JSON text, how to name it in a message): text starting with ``{`` is the JSON itself."""
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return source, "the diagnosis text"
    if not isinstance(source, (str, Path)):
        raise ParameterError(f"{{source}} must be JSON text or the path of a diagnosis JSON file, "
                             f"not {type(source).__name__}")
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8"), f"'{path}'"
    except OSError as exc:
        raise InputError(f"cannot read diagnosis '{path}': {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"'{path}' is not JSON: {exc}") from None


def check_graph(d: Diagnosis, graph: LineageGraph, name: str) -> None:
    """Refuse to draw a diagnosis on a graph it was not made on (a stale file would draw a wrong picture)."""
    if d.graph != graph.name:
        raise InputError(f"{name} diagnoses graph '{d.graph}', not '{graph.name}' ({graph.path})")
    named = {n for c in d.causes for n in (c.node, *c.path)} | {a.node for a in d.anomalies}
    unknown = sorted(named - set(graph.nodes))
    if unknown:
        raise InputError(f"{name} names nodes that graph '{graph.name}' does not have: {', '.join(unknown[:5])}")


def diagnosis_from_dict(data: dict[str, Any], lineage: LineageGraph | None) -> Diagnosis:
    """The ``Diagnosis`` a ``to_dict`` object describes (``InputError`` naming the first bad field)."""
    from causal_rca.diagnosis.data_quality import data_quality_findings

    def window(w: dict[str, Any]) -> WindowMetric:
        return WindowMetric(_num(w["value"]), (_num(w["ci"][0]), _num(w["ci"][1])), int(w["rows"]))

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"not a causal-rca diagnosis: expected \"format\": \"{FORMAT}\"")
    try:
        causes = [_cause(c) for c in data["causes"]]
        anomalies = [_anomaly(a) for a in data["anomalies"]]
        quality = [_anomaly(a) for a in data["data_quality"]] if "data_quality" in data else None
        mechanisms = [MechanismSummary(str(m["node"]), str(m["method"]), bool(m["changed"]), _num(m["p_value"]),
                                       _num(m["effect"]), str(m.get("detail", "")))
                      for m in data.get("mechanisms", [])]
        change_ci = data.get("change_ci") or [math.nan, math.nan]
        model_aware = data.get("model_aware")
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
            decision_drivers=data.get("decision_drivers") if isinstance(data.get("decision_drivers"), dict) else None,
            model_aware=ModelFindings.from_dict(model_aware) if model_aware else None,
            class_findings={k: data[k] for k in CLASS_KEYS if k in data} if "classes" in data else {},
            graph_warnings=[dict(w) for w in data.get("graph_warnings") or [] if isinstance(w, dict)],
            data_quality=quality if quality is not None else data_quality_findings(anomalies),
            description=getattr(lineage, "description", None), lineage=lineage,
        )
    except KeyError as exc:
        raise InputError(f"not a complete causal-rca diagnosis: missing field {exc}") from None
    except (TypeError, ValueError, IndexError, AttributeError) as exc:
        raise InputError(f"not a valid causal-rca diagnosis: {exc}") from None


def _cause(c: dict[str, Any]) -> Cause:
    return Cause(rank=int(c["rank"]), node=str(c["node"]), failure_mode=str(c["failure_mode"]),
                 category=c.get("category"), score=_num(c["score"]),
                 contribution=_optional_num(c.get("contribution")), p_value=_optional_num(c.get("p_value")),
                 evidence=[Evidence(str(e["test"]), e.get("reference"), e.get("current"),
                                    _optional_num(e.get("p_value")), str(e.get("detail", ""))) for e in c["evidence"]],
                 why=[str(w) for w in c["why"]], mitigation=str(c["mitigation"]),
                 path=[str(n) for n in c.get("path", [])], owner=c.get("owner"),
                 children=[str(n) for n in c.get("children", [])],
                 replay=Replay.from_dict(c["replay"]) if c.get("replay") is not None else None,
                 alternatives=[dict(a) for a in c.get("alternatives", [])])


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
