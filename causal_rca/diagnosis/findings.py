"""The model-aware findings of a diagnosis, as typed records.

They are made by ``causal_rca/model/`` (the replay, the golden-set check, the
artifact check) and only read here, so the result layer does not depend on
the model layer: a saved diagnosis reads back into the same records
(``from_dict``) without the model at hand.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

__all__ = ["ArtifactCheck", "GoldenCheck", "ModelFindings", "Replay"]


def _pair(values: Any) -> tuple[float, float]:
    """A JSON ``[low, high]`` interval (``null`` for an undefined bound) as a tuple of floats."""
    low, high = values
    return (_float(low), _float(high))


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


@dataclass(frozen=True)
class Replay:
    """The metric with ``nodes`` put back to their reference behaviour, on the current rows.

    Made by replaying the real model (``causal_rca/model/replay.py``) or by
    reweighting the current rows (``model/reweight.py``): "fixing X would bring
    the metric to ``value`` ± half ``ci``".

    Attributes
    ----------
    nodes : tuple of str
        The nodes put back.
    value : float
        The metric after putting them back; ``ci`` its 95% interval.
    ci : tuple of float
    baseline : float
        The same rows replayed with nothing changed (the metric "now", as replayed).
    reference : float
        The reference window's metric.
    recovered_share : float
        ``(value - baseline) / (reference - baseline)``, unclipped.
    gap_ci : tuple of float
        95% interval of ``value - reference`` (both windows' sampling noise).
    rows_changed : float
        Share of current rows whose model inputs (or label) the replay changed.
    how : str
        How the nodes were put back, in words.

    Examples
    --------
    >>> r = Replay(("merchant_category",), 0.81, (0.78, 0.84), 0.52, 0.8, 1.03, (-0.02, 0.05), 0.12, "replayed")
    >>> r.matches_reference, f"{r.recovered_share:.0%}"
    (True, '103%')
    """

    nodes: tuple[str, ...]
    value: float
    ci: tuple[float, float]
    baseline: float
    reference: float
    recovered_share: float
    gap_ci: tuple[float, float]
    rows_changed: float
    how: str

    @property
    def matches_reference(self) -> bool:
        """The replayed metric is indistinguishable from the reference (its gap's interval holds 0)."""
        return self.gap_ci[0] <= 0.0 <= self.gap_ci[1]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of spec/diagnosis.md (``matches_reference`` included)."""
        return {"nodes": list(self.nodes), "value": self.value, "ci": list(self.ci), "baseline": self.baseline,
                "reference": self.reference, "recovered_share": self.recovered_share, "gap_ci": list(self.gap_ci),
                "matches_reference": self.matches_reference, "rows_changed": self.rows_changed, "how": self.how}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Replay":
        """Read back what ``to_dict`` wrote (``matches_reference`` follows from ``gap_ci``)."""
        return cls(tuple(str(n) for n in data["nodes"]), _float(data["value"]), _pair(data["ci"]),
                   _float(data["baseline"]), _float(data["reference"]), _float(data["recovered_share"]),
                   _pair(data["gap_ci"]), _float(data["rows_changed"]), str(data["how"]))


@dataclass(frozen=True)
class GoldenCheck:
    """The model's metric on a trusted, labelled golden set against the reference window's.

    Worse there (``dropped``): the model's own behaviour changed. A golden
    interval that rules out a drop as large as the observed one (``cleared``):
    whatever broke, it was not the model (``causal_rca/model/golden.py``).

    Attributes
    ----------
    rows : int
        Golden rows scored.
    value, ci : float, tuple of float
        The metric on the golden set and its 95% interval.
    reference : float
        The reference window's logged metric.
    change, change_ci : float, tuple of float
        ``value - reference`` and its 95% interval.
    p_value : float
    dropped : bool
        The model is significantly worse on the golden set.
    cleared : bool
        The golden set rules out a drop as large as the one observed.

    Examples
    --------
    >>> g = GoldenCheck(5000, 0.9, (0.88, 0.92), 0.9, 0.0, (-0.02, 0.02), 0.97, dropped=False, cleared=True)
    >>> g.sentence("recall")  # doctest: +ELLIPSIS
    'recall on the golden set (5000 rows) is 0.9 (95% CI 0.88–0.92) against 0.9 ...: the model is cleared'
    """

    rows: int
    value: float
    ci: tuple[float, float]
    reference: float
    change: float
    change_ci: tuple[float, float]
    p_value: float
    dropped: bool
    cleared: bool

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of spec/diagnosis.md."""
        return {"rows": self.rows, "value": self.value, "ci": list(self.ci), "reference": self.reference,
                "change": self.change, "change_ci": list(self.change_ci), "p_value": self.p_value,
                "dropped": self.dropped, "cleared": self.cleared}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GoldenCheck":
        """Read back what ``to_dict`` wrote."""
        return cls(int(data["rows"]), _float(data["value"]), _pair(data["ci"]), _float(data["reference"]),
                   _float(data["change"]), _pair(data["change_ci"]), _float(data["p_value"]),
                   bool(data["dropped"]), bool(data["cleared"]))

    def sentence(self, metric: str) -> str:
        """The verdict in one sentence, for warnings and reports."""
        verdict = ("the model is worse on the trusted golden set: its own behaviour changed" if self.dropped
                   else "the model holds on the trusted golden set: the model is cleared" if self.cleared
                   else "the golden set is too small to clear or blame the model")
        return (f"{metric} on the golden set ({self.rows} rows) is {self.value:.3g} "
                f"(95% CI {self.ci[0]:.3g}–{self.ci[1]:.3g}) against {self.reference:.3g} in the reference window: "
                f"{verdict}")


@dataclass(frozen=True)
class ArtifactCheck:
    """Is the model artifact the model that served the logged scores?

    Attributes
    ----------
    source : str
        The artifact's path as the graph names it.
    kind : str
        How it was loaded (``skops``, ``pickle``, ``mlflow``, …).
    reproduces_reference_scores, reproduces_current_scores : float
        Share of each window's rows whose logged score the artifact reproduces
        (NaN when no row has a score).

    Examples
    --------
    >>> ArtifactCheck("model.skops", "skops", 1.0, 0.4).to_dict()["reproduces_current_scores"]
    0.4
    """

    source: str
    kind: str
    reproduces_reference_scores: float
    reproduces_current_scores: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of spec/diagnosis.md."""
        return {"source": self.source, "kind": self.kind,
                "reproduces_reference_scores": self.reproduces_reference_scores,
                "reproduces_current_scores": self.reproduces_current_scores}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ArtifactCheck":
        """Read back what ``to_dict`` wrote."""
        return cls(str(data["source"]), str(data["kind"]), _float(data["reproduces_reference_scores"]),
                   _float(data["reproduces_current_scores"]))


@dataclass(frozen=True)
class ModelFindings:
    """What the model-aware review found (``Diagnosis.model_aware``); absent parts are ``None``.

    The review runs when the model node names an artifact, a training table or
    a golden set is given, or the current window has no labels yet
    (``causal_rca/model/review.py``).

    Attributes
    ----------
    segments : list of dict or None
        The slices that explain most of the drop (``model/segments.py``), largest first.
    confidence : dict or None
        Score confidence and per-class figures in both windows (``model/confidence.py``).
    estimate : dict or None
        The label-free estimate of the current metric (``model/estimate.py``).
    support : dict or None
        Rows and inputs outside the model's training support (``model/support.py``).
    artifact : ArtifactCheck or None
    golden : GoldenCheck or None
    replay_baseline : float or None
        The current metric as replayed with nothing changed (each cause's ``replay`` starts there).

    Examples
    --------
    >>> m = ModelFindings(artifact=ArtifactCheck("model.skops", "skops", 1.0, 1.0))
    >>> list(m.to_dict()), bool(ModelFindings())
    (['artifact'], False)
    """

    segments: list[dict[str, Any]] | None = None
    confidence: dict[str, Any] | None = None
    estimate: dict[str, Any] | None = None
    support: dict[str, Any] | None = None
    artifact: ArtifactCheck | None = None
    golden: GoldenCheck | None = None
    replay_baseline: float | None = None

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def to_dict(self) -> dict[str, Any]:
        """The ``model_aware`` JSON object of spec/diagnosis.md: the parts found, in this order."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value.to_dict() if hasattr(value, "to_dict") else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelFindings":
        """Read back what ``to_dict`` wrote."""
        typed = {"artifact": ArtifactCheck.from_dict, "golden": GoldenCheck.from_dict,
                 "replay_baseline": _float}
        names = {f.name for f in fields(cls)}
        return cls(**{k: typed.get(k, _same)(v) for k, v in data.items() if k in names and v is not None})


def _same(value: Any) -> Any:
    return value

