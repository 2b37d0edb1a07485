"""Hand-built diagnoses for the rendering tests: no engine run needed.

``hostile_case`` puts markup, Markdown, rich markup and mathtext into every
user-supplied string (node id, description, owner, category values), to
check that each format shows them as text. The loader would refuse such an
id; the renderers must be safe anyway.
"""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pandas as pd

from causal_rca.diagnosis.model import Anomaly, Cause, Diagnosis, Evidence, MechanismSummary, WindowMetric
from causal_rca.lineage.graph import LineageGraph, Node

HOSTILE_ID = "<script>alert(1)</script>"
HOSTILE_DESCRIPTION = '"><img src=x onerror=alert(2)> **bold** [link](javascript:alert(3))'
HOSTILE_OWNER = "[red]team[/red] <b>owner</b> & $x^2$"
HOSTILE_VALUE = "<img src=y onerror=alert(4)>"


def hostile_graph() -> LineageGraph:
    nodes = {
        HOSTILE_ID: Node(HOSTILE_ID, "source", column="c1", category="Data", owner=HOSTILE_OWNER,
                         description=HOSTILE_DESCRIPTION),
        "store": Node("store", "infra", category="Infrastructure", description=HOSTILE_DESCRIPTION),
        "f": Node("f", "feature", parents=(HOSTILE_ID, "store"), column="c2", category="Features"),
        "m": Node("m", "model", parents=("f",), column="score", category="Model"),
        "y": Node("y", "label", parents=(HOSTILE_ID,), column="label", category="Labels"),
        "recall": Node("recall", "metric", parents=("m", "y"), metric="recall"),
    }
    return LineageGraph(name="hostile", nodes=nodes, description=HOSTILE_DESCRIPTION)


HOSTILE_CLASSES = (HOSTILE_VALUE, "$x^2$", "**bold**", "plain")


def hostile_class_findings() -> dict:
    """Class-level findings whose class names are hostile, as diagnosis/classes.py builds them."""
    from causal_rca.diagnosis.classes import class_findings
    from causal_rca.metrics import MetricSpec

    rng = np.random.default_rng(0)
    frames = []
    for confuse in (0.05, 0.5):
        y = rng.choice(HOSTILE_CLASSES, 2000)
        pred = np.where((y == HOSTILE_VALUE) & (rng.random(2000) < confuse), "plain", y)
        frames.append(pd.DataFrame({"prediction": pred, "label": y}))
    frames[1].loc[:199, "label"] = "<b>new</b>"
    return class_findings(MetricSpec("f1", multiclass=True), frames, seed=0)


def hostile_diagnosis(graph: LineageGraph | None = None) -> Diagnosis:
    graph = graph or hostile_graph()
    detail = f"value {HOSTILE_VALUE!r} in 0% → 30% of rows"
    cause = Cause(
        rank=1, node=HOSTILE_ID, failure_mode="missing_values", category="Data", score=0.9, contribution=-0.2,
        p_value=1e-30,
        evidence=[Evidence("mechanism", None, None, 1e-30, f"{HOSTILE_ID} no longer follows its parents"),
                  Evidence("null_rate", 0.0, 0.3, 1e-40, "null rate 0% → 30%"),
                  Evidence("default_value", 0.0, 0.3, 1e-20, detail),
                  Evidence("attribution", None, -0.2, None, "explains -0.2 of the -0.25 change (80%)")],
        why=["recall fell from 0.9 to 0.65", "because m scored fewer positive cases at or above 0.5",
             "because f changed: null rate 0% → 30%", f"because {HOSTILE_ID}: null rate 0% → 30%",
             f"because {HOSTILE_ID} became unavailable (nulls or fallback defaults where there were values)"],
        mitigation="fix the feature computation or the upstream outage; handle nulls explicitly",
        path=[HOSTILE_ID, "f", "m", "recall"], owner=HOSTILE_OWNER,
    )
    second = Cause(
        rank=2, node="store", failure_mode="infrastructure", category="Infrastructure", score=0.2,
        contribution=-0.03, p_value=1e-5,
        evidence=[Evidence("mechanism", None, None, 1e-5, "f: given its parents, values moved")],
        why=["recall fell from 0.9 to 0.65", "because m scored fewer positive cases at or above 0.5",
             "because f changed: null rate 0% → 30%",
             "because store degraded, and several of its outputs changed together"],
        mitigation="fix capacity or timeouts; add circuit breakers and load shedding",
        path=["store", "f", "m", "recall"], children=["f"],
    )
    anomalies = [Anomaly(HOSTILE_ID, "null_rate", 0.0, 0.3, 1e-40, "null rate 0% → 30%"),
                 Anomaly(HOSTILE_ID, "default_value", 0.0, 0.3, 1e-20, detail),
                 Anomaly("f", "null_rate", 0.0, 0.3, 1e-38, "null rate 0% → 30%"),
                 Anomaly("m", "drift", 0.4, 0.3, 1e-9, "distribution moved (KS D=0.12); median 0.4 → 0.3")]
    distributions = {
        HOSTILE_ID: {"kind": "categorical", "categories": [HOSTILE_VALUE, "$x^2$", "plain"],
                     "reference": {"rows": 1000, "null": 0.0, "shares": [0.5, 0.3, 0.2]},
                     "current": {"rows": 1000, "null": 0.3, "shares": [0.3, 0.2, 0.2]}},
        "f": {"kind": "numeric", "edges": [0.0, 1.0, 2.0, 3.0],
              "reference": {"rows": 1000, "null": 0.0, "shares": [0.2, 0.5, 0.3]},
              "current": {"rows": 1000, "null": 0.3, "shares": [0.1, 0.4, 0.2]}},
    }
    return Diagnosis(
        graph=graph.name, target="recall", metric="recall",
        reference=WindowMetric(0.9, (0.88, 0.92), 1000), current=WindowMetric(0.65, (0.62, 0.68), 1000),
        change=-0.25, change_ci=(-0.29, -0.21), significant=True, causes=[cause, second], anomalies=anomalies,
        summary=f"recall fell 0.25; most likely cause: missing_values at {HOSTILE_ID}",
        mechanisms=[MechanismSummary(HOSTILE_ID, "marginal", True, 1e-30, 0.3, "null rate 0% → 30%"),
                    MechanismSummary("f", "regression", True, 1e-5, 0.2, "given its parents, values moved"),
                    MechanismSummary("y", "classifier", False, 0.5, 0.0, "no change given its parents")],
        checked_clear=["y"], warnings=[f"node '{HOSTILE_ID}' is odd"], seed=0, sample_rows=1000,
        description=graph.description, distributions=distributions, lineage=graph,
        class_findings=hostile_class_findings(),
        decision_drivers=hostile_drivers(),
    )


def hostile_drivers() -> dict:
    """A ``decision_drivers`` block (model/drivers.py) whose input and model sentence are hostile strings."""
    def change(value: float, p: float) -> dict:
        return {"change": value, "ci": [value - 0.01, value + 0.01], "p_value": p, "significant": p < 0.05}

    inputs = [{"node": node, "reference": {"mean_abs": ref, "ci": [ref - 0.02, ref + 0.02]},
               "current": {"mean_abs": cur, "ci": [cur - 0.02, cur + 0.02]},
               "logic_change": change(cur - ref, p), "input_effect": change(0.0, 1.0)}
              for node, ref, cur, p in ((HOSTILE_ID, 0.4, 0.1, 1e-9), ("f", 0.2, 0.21, 0.8))]
    return {"models": f"surrogates of {HOSTILE_VALUE}", "method": "TreeExplainer",
            "rows": {"reference": 400, "current": 400}, "background_rows": None, "same_model": False,
            "inputs": inputs, "logic_changed": [HOSTILE_ID], "input_effect_changed": []}


class TagCollector(HTMLParser):
    """Every start tag with its attributes, and the page's text, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(page: str) -> TagCollector:
    parser = TagCollector()
    parser.feed(page)
    parser.close()
    return parser


def assert_no_active_markup(page: str) -> TagCollector:
    """No script, no event handler, no javascript: URL, nothing fetched from elsewhere."""
    parsed = parse_html(page)
    for tag, attrs in parsed.tags:
        assert tag not in ("script", "iframe", "object", "embed", "img"), f"<{tag}> in the page"
        for name, value in attrs.items():
            assert not name.lower().startswith("on"), f"event handler {name} on <{tag}>"
            if name.lower() in ("href", "src", "xlink:href"):
                assert (value or "").startswith(("#", "data:")), f"{name}={value!r} on <{tag}> fetches"
    return parsed
