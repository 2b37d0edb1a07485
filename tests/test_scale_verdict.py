"""The verdict on a scale signal (diagnosis/classify.py): when a unit change is a scale_change."""

from __future__ import annotations

import math

from causal_rca.causal.mechanism_result import MechanismResult
from causal_rca.diagnosis.classify import classify
from causal_rca.lineage import graph_from_dict
from causal_rca.signals.detect import Signal


def test_a_changed_form_vetoes_a_unit_change_at_a_source_and_at_a_computed_node() -> None:
    """A marginal scale signal naming a conversion is not `scale_change` when the node's mechanism
    changed its form, at a source as at a computed node: a population moved by a factor near a
    conversion is the commoner case (how-it-decides.md, held-out seeds 1010029 and 7310178)."""
    g = graph_from_dict({"version": 1, "name": "c", "nodes": {
        "tier": {"kind": "source", "column": "tier"},
        "age": {"kind": "source", "parents": ["tier"], "column": "age"},
        "f": {"kind": "feature", "parents": ["tier"], "column": "f"},
        "m": {"kind": "model", "parents": ["age", "f"], "column": "s"},
        "y": {"kind": "label", "parents": ["age"], "column": "y"},
        "r": {"kind": "metric", "parents": ["m", "y"], "metric": "recall"}}})
    other_form = {"rescale_form_p": 1e-12, "rescale_form_spread": 3.0}
    units = Signal("age", "scale", 1.0, 1000.0, 1e-9, 2.0, "scale", p_adjusted=1e-9, value="x1000")
    changed = MechanismResult("age", ("tier",), "regression", 1e-9, 0.3, "changed",
                              measures=other_form, p_adjusted=1e-9)
    assert classify(g, "age", [units], changed)[0] != "scale_change"
    kept = MechanismResult("age", ("tier",), "regression", 1e-9, 0.3, "changed", p_adjusted=1e-9,
                           measures={"rescale_form_p": 0.5, "rescale_form_spread": 1.0})
    assert classify(g, "age", [units], kept)[0] == "scale_change"
    normalised = Signal("f", "scale", 1.0, 1000.0, 1e-9, 2.0, "scale", p_adjusted=1e-9, value="x1000")
    changed_f = MechanismResult("f", ("tier",), "regression", 1e-9, 0.3, "changed",
                                measures=other_form, p_adjusted=1e-9)
    assert classify(g, "f", [normalised], changed_f)[0] != "scale_change"


def _source_graph():
    return graph_from_dict({"version": 1, "name": "c", "nodes": {
        "rating": {"kind": "source", "column": "rating"},
        "m": {"kind": "model", "parents": ["rating"], "column": "s"},
        "y": {"kind": "label", "parents": ["rating"], "column": "y"},
        "r": {"kind": "metric", "parents": ["m", "y"], "metric": "recall"}}})


def test_an_order_of_magnitude_at_a_source_is_a_rescaling_whatever_the_units_table_lists() -> None:
    """A 1-5 rating stored as a percentage (×20, here ×21.5 with the population drifting a little:
    blind development seed 1012285) keeps its shape at a factor no population moves by; a factor
    of 2.4 that no conversion matches is the population moving (the held-out families' shifts and
    controls reach about 3)."""
    g = _source_graph()
    for factor, expected in ((21.5, True), (0.00124, True), (1 / 14.0, True), (2.4, False), (6.0, False)):
        scale = Signal("rating", "scale", 1.0, factor, 1e-9, abs(math.log10(factor)), "scale", p_adjusted=1e-9)
        mode = classify(g, "rating", [scale], None)[0]
        assert (mode == "scale_change") is expected, (factor, mode)
