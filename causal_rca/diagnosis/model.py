"""The result of a diagnosis: what the engine concluded, in the JSON shape of spec/diagnosis.md.

``Diagnosis`` holds the records of ``diagnosis/records.py`` (causes, evidence,
anomalies) and ``diagnosis/findings.py`` (the model-aware review); ``to_dict``
writes the JSON object and ``Diagnosis.from_json`` reads it back
(``diagnosis/reading.py``), so a saved diagnosis renders again without
rerunning the engine.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from causal_rca.diagnosis.findings import ModelFindings
from causal_rca.diagnosis.records import Anomaly, Cause, Evidence, MechanismSummary, WindowMetric, json_safe

if TYPE_CHECKING:
    import pandas as pd

    from causal_rca.lineage import LineageGraph

FORMAT = "causal-rca/diagnosis/v1"
# The multi-class findings' JSON fields, beside ``target`` (diagnosis/classes.py).
CLASS_KEYS = ("target_class", "average", "class_metric", "classes", "classes_left_out", "confusion_change", "confidence_profile")
__all__ = ["Anomaly", "Cause", "Diagnosis", "Evidence", "FORMAT", "MechanismSummary", "WindowMetric"]


@dataclass(frozen=True, repr=False)
class Diagnosis:
    """Why the metric changed between a reference and a current window.

    Made by ``diagnose``; ``to_json`` writes it (spec/diagnosis.md) and
    ``from_json`` reads it back, so a saved diagnosis renders as a report
    (``save_html``, ``save_markdown``, ``causal-rca render DIAGNOSIS.json``)
    without rerunning the engine. In a notebook it shows as its report.

    Attributes
    ----------
    graph : str
        The lineage graph's name.
    target : str
        The metric node explained.
    metric : str
        The metric's name (``recall``, ``mae``, …).
    reference, current : WindowMetric
        The metric in each window.
    change : float
        ``current - reference``; ``change_ci`` its 95% interval.
    change_ci : tuple of float
    significant : bool
        The change is larger than the noise; only then are causes ranked.
    causes : list of Cause
        Ranked, likeliest first (empty when nothing changed, or no node's mechanism did).
    anomalies : list of Anomaly
        Every signal that moved, most significant first.
    summary : str
        The verdict in one sentence.
    mechanisms : list of MechanismSummary
        Every node's mechanism test.
    checked_clear : list of str
        Observed nodes with no anomaly and an unchanged mechanism.
    warnings : list of str
        What limits the answer (thin windows, untested nodes, …).
    attribution, seed, sample_rows
        How the answer was reached: the attribution method, the seed and rows sampled per window.
    description : str or None
        The graph's description (not in the JSON; from the graph).
    distributions : dict
        Per node, reference and current summaries of the top causes, for the plots.
    metric_over_time : list of dict
        The metric per time bucket of both windows, when the graph has a time column.
    split : dict or None
        With ``split="auto"``: where the windows were split and how sure.
    model_aware : ModelFindings or None
        The model-aware review, when it ran.
    data_quality : list of Anomaly
        Contract violations and integrity faults, listed whether or not the metric moved.
    decision_drivers : dict or None
        With a model artifact and ``shap``: each input's mean |SHAP contribution| in both windows and which
        changed (docs/diagnosis-format.md).
    lineage : LineageGraph or None
        The graph itself, for the diagrams (not in the JSON).

    Examples
    --------
    >>> from causal_rca import diagnose
    >>> from causal_rca.scenarios import generate, get_scenario
    >>> s = get_scenario("schema_change_coerced_nulls")
    >>> windows = generate(s)
    >>> d = diagnose(s.graph_path, windows["reference"], windows["current"], s.metric)
    >>> d  # doctest: +ELLIPSIS
    <Diagnosis card-fraud/recall: ... (..., significant); top cause merchant_category (schema_change)...>
    >>> d.causes[0]  # doctest: +ELLIPSIS
    Cause(rank=1, node='merchant_category', failure_mode='schema_change', score=...)
    """

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
    model_aware: ModelFindings | None = None
    # Added for silent faults (spec: fields may be added): contract violations and integrity faults,
    # listed whether or not the metric moved (diagnosis/data_quality.py).
    data_quality: list[Anomaly] = field(default_factory=list)
    # Added for multi-class metrics (spec/diagnosis.md, "Multi-class targets"): target_class, average,
    # classes (per class, both windows), confusion_change and confidence_profile (diagnosis/classes.py).
    class_findings: dict[str, Any] = field(default_factory=dict)
    # Added for issue 24 (spec: fields may be added): top causes whose change an undeclared parent
    # would explain (node, parent, p_value, gain, detail; diagnosis/missing_edges.py). Always in the JSON.
    graph_warnings: list[dict[str, Any]] = field(default_factory=list)
    # Added for issue 20 (spec: fields may be added): with a model artifact, SHAP contributions per input in
    # both windows and which changed (model/drivers.py); in the JSON only when computed.
    decision_drivers: dict[str, Any] | None = None
    # The lineage graph the diagnosis was made on, so reports can draw it; not serialised
    # (the JSON names the graph; `from_json(..., graph=)` and `render --graph` supply it again).
    lineage: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # The plotted data are kept as the JSON writes them (6 significant digits), so a diagnosis read
        # back from its JSON draws the very same plots.
        object.__setattr__(self, "distributions", json_safe(self.distributions))
        object.__setattr__(self, "metric_over_time", json_safe(self.metric_over_time))
        object.__setattr__(self, "decision_drivers", json_safe(self.decision_drivers))

    def __repr__(self) -> str:
        head = (f"<Diagnosis {self.graph}/{self.target}: {self.reference.value:.3g} → {self.current.value:.3g} "
                f"({self.change:+.3g}, {'significant' if self.significant else 'not significant'})")
        if self.causes:
            top = self.causes[0]
            more = f", {len(self.causes) - 1} more" if len(self.causes) > 1 else ""
            return f"{head}; top cause {top.node} ({top.mode_label}){more}>"
        return f"{head}; no cause>" if self.significant else f"{head}>"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of spec/diagnosis.md: floats to 6 significant digits, NaN as ``null``."""
        from causal_rca.diagnosis.data_quality import finding_kind

        return json_safe({
            "format": FORMAT,
            "graph": self.graph,
            "target": self.target,
            "metric": self.metric,
            **{k: self.class_findings[k] for k in CLASS_KEYS if k in self.class_findings},
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
            **({"model_aware": self.model_aware.to_dict()} if self.model_aware else {}),
            **({"decision_drivers": self.decision_drivers} if self.decision_drivers is not None else {}),
        })

    def to_json(self, indent: int | None = 2) -> str:
        """The diagnosis as JSON text (byte-stable for a seed).

        Examples
        --------
        >>> text = d.to_json()
        >>> Diagnosis.from_json(text).to_json() == text
        True
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], lineage: LineageGraph | None = None) -> Diagnosis:
        """Read back what ``to_dict`` wrote; ``lineage`` is the graph to draw it on.

        Raises ``InputError`` naming the first missing or malformed field, so a
        wrong file is one clear line rather than a traceback.
        """
        from causal_rca.diagnosis.reading import diagnosis_from_dict

        return diagnosis_from_dict(data, lineage)

    @classmethod
    def from_json(cls, source: str | Path, graph: LineageGraph | str | Path | None = None) -> Diagnosis:
        """Read a saved diagnosis: JSON text, or the path of a ``why --format json`` file.

        Parameters
        ----------
        source : str or Path
            The JSON text itself (it starts with ``{``), or a file holding it.
        graph : LineageGraph, str or Path, optional
            The graph the diagnosis was made on (or its YAML file): reports then
            draw the lineage and fishbone diagrams again. It must be the graph the
            diagnosis names and hold every node it cites.

        Returns
        -------
        Diagnosis
            Equal to the one saved, so it renders to the same report.

        Raises
        ------
        InputError
            The file cannot be read, is not JSON, not a diagnosis, or was made on another graph.

        Examples
        --------
        >>> again = Diagnosis.from_json(d.to_json(), graph=s.graph_path)
        >>> again.to_json() == d.to_json(), again.causes[0].node
        (True, 'merchant_category')
        """
        from causal_rca.diagnosis.reading import read_diagnosis

        return read_diagnosis(source, graph)

    def causes_frame(self) -> pd.DataFrame:
        """The ranked causes as a table, one row per cause, indexed by rank.

        Returns
        -------
        pandas.DataFrame
            Columns ``node``, ``failure_mode`` (with the undecided alternatives),
            ``category``, ``score``, ``contribution``, ``p_value``, ``owner``,
            ``path`` (nodes joined by ``→``), ``mitigation``, ``replayed_value`` and
            ``recovered_share`` (with the real model, else NaN).

        Examples
        --------
        >>> d.causes_frame().loc[1, ["node", "failure_mode"]].tolist()
        ['merchant_category', 'schema_change']
        """
        import pandas as pd

        rows = [{"rank": c.rank, "node": c.node, "failure_mode": c.mode_label, "category": c.category,
                 "score": c.score, "contribution": c.contribution, "p_value": c.p_value, "owner": c.owner,
                 "path": " → ".join(c.path), "mitigation": c.mitigation,
                 "replayed_value": c.replay.value if c.replay else math.nan,
                 "recovered_share": c.replay.recovered_share if c.replay else math.nan} for c in self.causes]
        columns = ["rank", "node", "failure_mode", "category", "score", "contribution", "p_value", "owner", "path",
                   "mitigation", "replayed_value", "recovered_share"]
        return pd.DataFrame(rows, columns=columns).set_index("rank")

    def to_frame(self) -> pd.DataFrame:
        """The verdict as one row, to stack the diagnoses of many windows with ``pandas.concat``.

        Returns
        -------
        pandas.DataFrame
            One row: ``graph``, ``target``, ``metric``, the ``reference`` and
            ``current`` values and rows, ``change`` with its interval,
            ``significant``, the number of ``causes``, the top cause's ``node``
            and ``failure_mode`` (``None`` without one) and the ``summary``.

        Examples
        --------
        >>> d.to_frame()[["target", "significant", "causes", "top_cause"]]
          target  significant  causes          top_cause
        0 recall         True       1  merchant_category
        """
        import pandas as pd

        top = self.causes[0] if self.causes else None
        return pd.DataFrame([{
            "graph": self.graph, "target": self.target, "metric": self.metric,
            "reference": self.reference.value, "current": self.current.value,
            "reference_rows": self.reference.rows, "current_rows": self.current.rows,
            "change": self.change, "change_low": self.change_ci[0], "change_high": self.change_ci[1],
            "significant": self.significant, "causes": len(self.causes),
            "top_cause": top.node if top else None, "failure_mode": top.mode_label if top else None,
            "summary": self.summary,
        }])

    def save_html(self, path: str | Path) -> None:
        """Write the report as a standalone HTML page (diagrams need ``lineage`` and Graphviz).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
        >>> d.save_html(out)
        >>> out.read_text(encoding="utf-8").startswith("<!doctype html>")
        True
        """
        self._save(path, "html")

    def save_markdown(self, path: str | Path) -> None:
        """Write the report as Markdown, to paste into an incident ticket.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.md"
        >>> d.save_markdown(out)
        >>> out.read_text(encoding="utf-8").startswith("# ")
        True
        """
        self._save(path, "markdown")

    def _save(self, path: str | Path, fmt: str) -> None:
        from causal_rca.render import render
        from causal_rca.render.output import write_file

        write_file(path, render(self, fmt))

    def to_ticket(self, fmt: str = "markdown", command: str | None = None,
                  patches: dict[str, list[dict[str, Any]]] | None = None) -> str:
        """One engineering issue per top cause: Markdown, or JSON a GitHub or Jira client can post (``"json"``).

        ``command`` is the `why` command line to reproduce the diagnosis (placeholders when not given);
        ``patches`` maps a cause's node to its verified contract patches (``prevention.contract_patch``).
        """
        from causal_rca.prevention.tickets import render_tickets

        return render_tickets(self, fmt, command, patches)

    def _repr_markdown_(self) -> str:
        from causal_rca.render.markdown import render_markdown

        return render_markdown(self)

    def _repr_html_(self) -> str:
        from causal_rca.render.html import render_html

        return render_html(self, standalone=False)
