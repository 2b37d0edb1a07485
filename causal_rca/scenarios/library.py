"""The scenario library: failure scenarios with known ground truth.

Each scenario is a folder of the repository's top-level ``scenarios/``
directory (or of ``$CAUSAL_RCA_SCENARIOS``)::

    scenario.yaml   name, title, description (symptoms only), metric, seed
    graph.yaml      the lineage graph: the only thing the engine is shown, with the data
    truth.yaml      metric, significant, node, failure_mode: never shown to the engine
    generate.py     def generate(seed: int) -> dict[str, pd.DataFrame]

The truth lives in its own file and is read only by ``load_truth``, so nothing
that feeds the engine (``generate``, ``export_scenario``) can leak it.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

import causal_rca
from causal_rca.errors import InputError

ENV_VAR = "CAUSAL_RCA_SCENARIOS"

#: The failure-mode vocabulary of ``spec/diagnosis.md``.
FAILURE_MODES = (
    "distribution_shift",
    "scale_change",
    "missing_values",
    "schema_change",
    "stale_values",
    "pipeline_skew",
    "concept_drift",
    "label_shift",
    "model_change",
    "out_of_distribution",
    "infrastructure",
)

_SCENARIO_KEYS = ("name", "title", "description", "metric", "seed")


@dataclass(frozen=True)
class Scenario:
    """One failure scenario as a user would report it (no ground truth here)."""

    name: str
    title: str
    description: str
    directory: Path
    graph_path: Path
    metric: str
    seed: int


@dataclass(frozen=True)
class Truth:
    """What really happened: the node whose mechanism broke and how, or no drop at all."""

    metric: str
    significant: bool
    node: str | None
    failure_mode: str | None
    # A silent fault (the metric did not move): (node, signal) the data-quality section must list.
    data_quality: tuple[str, str] | None = None


def scenarios_dir() -> Path:
    """``$CAUSAL_RCA_SCENARIOS`` if set, else the repository's ``scenarios/`` folder."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    return Path(causal_rca.__file__).resolve().parent.parent / "scenarios"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level")
    return data


def _load_scenario(directory: Path) -> Scenario:
    path = directory / "scenario.yaml"
    data = _read_yaml(path)
    missing = [k for k in _SCENARIO_KEYS if k not in data]
    if missing:
        raise InputError(f"{path}: missing key(s) {', '.join(missing)}")
    if str(data["name"]) != directory.name:
        raise InputError(f"{path}: name '{data['name']}' does not match its folder '{directory.name}'")
    if not isinstance(data["seed"], int) or isinstance(data["seed"], bool):
        raise InputError(f"{path}: 'seed' must be an integer")
    graph_path = directory / "graph.yaml"
    if not graph_path.is_file():
        raise InputError(f"{directory}: no graph.yaml")
    return Scenario(
        name=str(data["name"]),
        title=str(data["title"]),
        description=" ".join(str(data["description"]).split()),
        directory=directory,
        graph_path=graph_path,
        metric=str(data["metric"]),
        seed=int(data["seed"]),
    )


def list_scenarios() -> list[Scenario]:
    """Every folder with a ``scenario.yaml``, sorted by name."""
    root = scenarios_dir()
    if not root.is_dir():
        return []
    found = [_load_scenario(d) for d in sorted(root.iterdir()) if (d / "scenario.yaml").is_file()]
    return sorted(found, key=lambda s: s.name)


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; an unknown name lists the ones that exist."""
    scenarios = list_scenarios()
    for scenario in scenarios:
        if scenario.name == name:
            return scenario
    available = ", ".join(s.name for s in scenarios) or "none"
    raise InputError(f"unknown scenario '{name}' (available: {available})")


def _resolve(scenario: Scenario | str) -> Scenario:
    return get_scenario(scenario) if isinstance(scenario, str) else scenario


def scenario_module(scenario: Scenario | str):
    """The scenario's ``generate.py``, imported by path (its fault functions are reusable)."""
    scenario = _resolve(scenario)
    path = scenario.directory / "generate.py"
    if not path.is_file():
        raise InputError(f"{scenario.directory}: no generate.py")
    module_name = f"_causal_rca_scenario_{scenario.name.replace('-', '_').replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise InputError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _generator(scenario: Scenario):
    """The ``generate`` function of a scenario's ``generate.py``."""
    module = scenario_module(scenario)
    if not callable(getattr(module, "generate", None)):
        raise InputError(f"{scenario.directory / 'generate.py'}: defines no generate(seed) function")
    return module.generate


def _checked(frames: Any, scenario: Scenario) -> dict[str, Any]:
    if not isinstance(frames, dict) or not {"reference", "current"} <= set(frames):
        raise InputError(f"{scenario.directory / 'generate.py'}: generate() must return a dict with 'reference' "
                         f"and 'current' frames")
    return frames


def generate(scenario: Scenario | str, seed: int | None = None) -> dict[str, pd.DataFrame]:
    """Run the scenario's ``generate.py`` (imported by path) for ``seed`` (default: the scenario's).

    Returns at least ``reference`` and ``current`` frames, optionally ``training``.
    """
    scenario = _resolve(scenario)
    return _checked(_generator(scenario)(scenario.seed if seed is None else int(seed)), scenario)


def has_model(scenario: Scenario | str) -> bool:
    """Whether the scenario can hand over the model that served its current window."""
    scenario = _resolve(scenario)
    return "with_model" in inspect.signature(_generator(scenario)).parameters


def generate_with_model(scenario: Scenario | str, seed: int | None = None) -> tuple[dict[str, pd.DataFrame], Any]:
    """The frames (plus a ``golden`` set) and the fitted model that served the current window.

    Only scenarios whose ``generate`` takes ``with_model`` have one (``has_model``).
    """
    scenario = _resolve(scenario)
    if not has_model(scenario):
        raise InputError(f"scenario '{scenario.name}' has no model artifact")
    frames = _checked(_generator(scenario)(scenario.seed if seed is None else int(seed), with_model=True), scenario)
    model = frames.pop("model")
    return frames, model


def graph_with_artifact(graph_text: str, model_node: str, artifact: str) -> str:
    """The graph's YAML text with ``artifact:`` added to the model node (comments and layout kept)."""
    lines = graph_text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.strip() == f"{model_node}:":
            indent = len(line) - len(line.lstrip()) + 2
            for j in range(i + 1, len(lines)):
                if lines[j].strip():
                    indent = len(lines[j]) - len(lines[j].lstrip())
                    break
            lines.insert(i + 1, " " * indent + f"artifact: {artifact}\n")
            return "".join(lines)
    raise InputError(f"graph has no node '{model_node}' to attach the artifact to")


def load_truth(scenario: Scenario | str) -> Truth:
    """The ground truth of a scenario (for tests and ``scenarios run`` only, never the engine)."""
    scenario = _resolve(scenario)
    path = scenario.directory / "truth.yaml"
    data = _read_yaml(path)
    for key in ("metric", "significant"):
        if key not in data:
            raise InputError(f"{path}: missing key '{key}'")
    significant = data["significant"]
    if not isinstance(significant, bool):
        raise InputError(f"{path}: 'significant' must be true or false")
    node = data.get("node")
    mode = data.get("failure_mode")
    if significant and (not node or not mode):
        raise InputError(f"{path}: a significant drop needs 'node' and 'failure_mode'")
    if mode is not None and mode not in FAILURE_MODES:
        raise InputError(f"{path}: unknown failure_mode '{mode}' (one of {', '.join(FAILURE_MODES)})")
    quality = data.get("data_quality")
    if quality is not None and not (isinstance(quality, dict) and set(quality) == {"node", "signal"}):
        raise InputError(f"{path}: 'data_quality' must be a mapping with 'node' and 'signal'")
    return Truth(
        metric=str(data["metric"]),
        significant=significant,
        node=None if node is None else str(node),
        failure_mode=None if mode is None else str(mode),
        data_quality=None if quality is None else (str(quality["node"]), str(quality["signal"])),
    )


def export_scenario(scenario: Scenario | str, out_dir: str | Path, seed: int | None = None, *,
                    with_model: bool = False) -> dict[str, Path]:
    """Write what a user would hand the engine: ``graph.yaml``, ``reference.csv``, ``current.csv``.

    A ``training.csv`` is written too when the scenario has a training split.
    ``with_model`` (for a scenario that has one) adds ``model.skops`` (the model
    that served the current window, named as the model node's ``artifact`` in
    the written graph) and ``golden.csv`` (a trusted labelled set). The truth is
    not exported.
    """
    scenario = _resolve(scenario)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {"graph": out / "graph.yaml"}
    if with_model:
        from causal_rca.lineage import load_graph
        from causal_rca.model.save import save_skops

        frames, model = generate_with_model(scenario, seed)
        graph = load_graph(scenario.graph_path)
        model_node = next(n for n, node in graph.nodes.items() if node.kind == "model")
        written["model"] = save_skops(model, out / "model.skops")
        text = graph_with_artifact(scenario.graph_path.read_text(encoding="utf-8"), model_node, "model.skops")
        written["graph"].write_text(text, encoding="utf-8")
    else:
        frames = generate(scenario, seed)
        shutil.copyfile(scenario.graph_path, written["graph"])
    for key in ("reference", "current", "training", "golden"):
        if key in frames:
            path = out / f"{key}.csv"
            frames[key].to_csv(path, index=False)
            written[key] = path
    return written
