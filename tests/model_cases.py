"""Scenarios with their real model: the model saved as skops next to a graph that names it.

Each case is written once per test session to a temporary folder (the model
is the one that served the scenario's current window, the golden set a
trusted labelled sample drawn like the reference), then diagnosed once with
the artifact and the golden set; the tests read the cached result.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from causal_rca.lineage import load_graph
from causal_rca.model.save import save_skops
from causal_rca.scenarios import generate_with_model, get_scenario, graph_with_artifact, load_truth


@dataclass
class ModelCase:
    name: str
    graph: Path
    metric: str
    seed: int
    frames: dict[str, pd.DataFrame]
    truth_node: str | None
    truth_mode: str | None


def model_node(graph_path: Path) -> str:
    g = load_graph(graph_path)
    return next(n for n, node in g.nodes.items() if node.kind == "model")


def write_case(name: str, root: Path) -> ModelCase:
    """The scenario's graph (with ``artifact: model.skops``), model and frames under ``root/name``."""
    scenario = get_scenario(name)
    frames, model = generate_with_model(scenario)
    out = root / name
    out.mkdir(parents=True, exist_ok=True)
    save_skops(model, out / "model.skops")
    text = graph_with_artifact(scenario.graph_path.read_text(), model_node(scenario.graph_path), "model.skops")
    (out / "graph.yaml").write_text(text)
    truth = load_truth(scenario)
    return ModelCase(name, out / "graph.yaml", scenario.metric, scenario.seed, frames, truth.node, truth.failure_mode)


class ModelDiagnoses:
    """Each case diagnosed once with its artifact and golden set (shared by the model tests)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cases: dict[str, ModelCase] = {}
        self.diagnoses: dict[str, object] = {}

    def case(self, name: str) -> ModelCase:
        if name not in self.cases:
            self.cases[name] = write_case(name, self.root)
        return self.cases[name]

    def diagnosis(self, name: str):
        from causal_rca.api import diagnose

        if name not in self.diagnoses:
            c = self.case(name)
            self.diagnoses[name] = diagnose(c.graph, c.frames["reference"], c.frames["current"], c.metric,
                                            seed=c.seed, golden=c.frames["golden"])
        return self.diagnoses[name]
