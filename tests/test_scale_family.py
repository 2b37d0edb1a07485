"""The scale family's faults must move the metric at every size, or the scale benchmark times a case with no cause.

Before the fault was chosen on a pilot draw, the input with the largest weight was served missing: at
200 nodes that raised recall (+0.006) and at 2,000 it lowered it by 0.007, inside the noise of two
100k-row windows, so the engine rightly answered "no significant change" and the benchmark read it as
a miss. The skew and the concept change are placed the same way; each must also be the fault it says
it is (a skew changes its node's relation to its parents and nothing above it; a concept change moves
the label alone, its base rate kept).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from benchmarks.cases.scale_family import FAULT_SHARE, FAULTS, _chunk, scale_pipeline, skew_candidates

ROWS = 50_000
# two 100k-row windows' recall CI is about ±0.007 on its change; a fault must clear it with room
LEAST_DROP = 0.015


def _recall(values: dict[str, np.ndarray]) -> float:
    positives = values["label"] == 1
    return float((values["score"][positives] >= 0.5).mean())


def _windows(nodes: int, fault: str) -> tuple:
    p = scale_pipeline(nodes, 7, fault)
    # the same rows with and without the fault (a window seed the pilot draw does not use)
    clean = _chunk(p, np.random.default_rng([7, 2, 0]), ROWS, faulty=False)
    faulty = _chunk(p, np.random.default_rng([7, 2, 0]), ROWS, faulty=True)
    return p, clean, faulty


def _changed(clean: dict, faulty: dict) -> set[str]:
    return {k for k, v in clean.items() if v.dtype == object and not np.array_equal(v, faulty[k])
            or v.dtype != object and not np.array_equal(v, faulty[k], equal_nan=True)}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("nodes", [15, 50, 200, 1000, 2000])
def test_the_fault_lowers_recall_beyond_window_noise(nodes: int, fault: str) -> None:
    _, clean, faulty = _windows(nodes, fault)
    assert _recall(clean) - _recall(faulty) >= LEAST_DROP


@pytest.mark.parametrize("nodes", [15, 500])
def test_nulls_lose_one_model_input(nodes: int) -> None:
    p, clean, faulty = _windows(nodes, "nulls")
    assert p.fault in p.model_inputs and p.truth == f"{p.fault}/missing_values"
    assert abs(float(np.isnan(faulty[p.fault]).mean()) - FAULT_SHARE) < 0.01
    assert _changed(clean, faulty) == {p.fault, "score"}


@pytest.mark.parametrize("nodes", [15, 200])
def test_a_skew_changes_its_node_and_what_lies_below_it_only(nodes: int) -> None:
    p, clean, faulty = _windows(nodes, "skew")
    assert p.truth == f"{p.fault}/pipeline_skew" and p.fault not in p.model_inputs
    node = next(n for n in p.nodes if n.name == p.fault)
    assert p.detail in node.parents and len(node.parents) > 1
    changed = _changed(clean, faulty)
    below = {p.fault}
    for n in p.nodes:  # the skewed node's descendants, in the order they are computed
        if below & set(n.parents):
            below.add(n.name)
    assert changed == below | {"score"}
    assert changed & set(p.model_inputs), "the skew must reach the model"


@pytest.mark.parametrize("nodes", [15, 500])
def test_the_label_hangs_from_the_sources_its_values_come_from(nodes: int) -> None:
    """The label is drawn from the model inputs' true values, which a skew leaves alone: its graph
    parents are the sources above the inputs, none of which a skew changes (with the served inputs
    as its parents, a skew changed P(label | parents) too, and the label was blamed)."""
    p, clean, faulty = _windows(nodes, "skew")
    parents = p.graph()["nodes"]["label"]["parents"]
    g = nx.DiGraph([(q, n.name) for n in p.nodes for q in n.parents])
    sources = {n.name for n in p.nodes if n.kind == "source"}
    assert parents and set(parents) <= sources
    assert set(parents) == set().union(*(nx.ancestors(g, x) for x in p.model_inputs)) & sources
    assert not _changed(clean, faulty) & (set(parents) | {"label"})


@pytest.mark.parametrize("nodes", [15, 50])
def test_a_skew_is_three_layers_above_the_model(nodes: int) -> None:
    p = scale_pipeline(nodes, 7)
    g = nx.DiGraph([(q, n.name) for n in p.nodes for q in n.parents] + [(x, "model") for x in p.model_inputs])
    candidates = skew_candidates(p)
    assert candidates
    for c in candidates:
        assert c.fault not in p.model_inputs
        assert nx.shortest_path_length(g, c.fault, "model") in (2, 3)
        assert any(len(path) >= 4 for path in nx.all_simple_paths(g, c.fault, "model"))


@pytest.mark.parametrize("nodes", [15, 500, 2000])
def test_a_concept_change_moves_the_label_alone_and_keeps_its_base_rate(nodes: int) -> None:
    p, clean, faulty = _windows(nodes, "concept")
    assert p.truth == "label/concept_drift" and p.detail in p.model_inputs
    assert _changed(clean, faulty) == {"label"}
    assert abs(float(clean["label"].mean()) - float(faulty["label"].mean())) < 0.02


@pytest.mark.parametrize("fault", list(FAULTS))
def test_the_choice_is_deterministic(fault: str) -> None:
    assert scale_pipeline(200, 7, fault) == scale_pipeline(200, 7, fault)


def test_an_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="fault must be one of"):
        scale_pipeline(50, 7, "gremlins")
