"""Map the evidence at a root-cause node to one failure mode of the vocabulary.

Order matters: the most specific evidence wins (a type change explains the
nulls it produced; a rescaling explains the drift it produced).
"""

from __future__ import annotations

import math

from causal_rca.causal.mechanism import MechanismResult
from causal_rca.lineage.graph import LineageGraph
from causal_rca.signals.detect import Signal


def _anomalous(signals: list[Signal], node: str) -> dict[str, Signal]:
    out: dict[str, Signal] = {}
    for s in signals:
        if s.node == node and s.anomalous and (s.signal not in out or s.effect > out[s.signal].effect):
            out[s.signal] = s
    return out


PLACEHOLDERS = {"", "unknown", "none", "null", "nan", "n/a", "na", "other", "missing", "default", "-1", "0"}


def _looks_like_fallback(value: str | None) -> bool:
    """A number (0, -1, a mean) or a placeholder word; a real category gaining share is a shift."""
    if value is None:
        return False
    try:
        float(value)
        return True
    except ValueError:
        return value.strip().lower() in PLACEHOLDERS


def _rescaled(measures: dict[str, float]) -> bool:
    """All rows on a clean line with a slope far from 1, or the deviating rows at one constant ratio."""
    slope, r2 = measures.get("rescale_slope"), measures.get("rescale_r2")
    if slope is not None and r2 is not None and slope > 0 and r2 >= 0.95 and abs(math.log10(slope)) >= 0.17:
        return True
    ratio, mad, share = (measures.get(k) for k in ("rescale_ratio", "rescale_ratio_mad", "rescale_share"))
    return (ratio is not None and mad is not None and share is not None and share >= 0.05 and mad <= 0.05
            and abs(math.log10(ratio)) >= 0.17)


def classify(graph: LineageGraph, node_id: str, signals: list[Signal],
             mechanism: MechanismResult | None) -> tuple[str, list[str]]:
    """(failure mode, names of the signals that decided it)."""
    node = graph.nodes[node_id]
    if not node.observed:
        return "infrastructure", []
    if node.kind == "infra":
        return "infrastructure", []
    s = _anomalous(signals, node_id)
    if node.kind == "model":
        return "model_change", [k for k in ("version",) if k in s]
    if node.kind == "label":
        # Spec: label_shift = the prior moved beyond what the parents explain; concept_drift =
        # the relation changed while the base rate and the inputs held.
        m = mechanism.measures if mechanism else {}
        rate_cur, rate_exp = m.get("rate_current"), m.get("rate_expected")
        if rate_cur is not None and rate_exp is not None:
            gap = abs(rate_cur - rate_exp)
            if gap > max(0.02, 0.15 * rate_exp):
                return "label_shift", ["base_rate"]
            return "concept_drift", ["mechanism"]
        if mechanism and mechanism.method == "marginal":
            return "label_shift", [k for k in ("drift",) if k in s]
        shift = abs(m.get("residual_shift", 0.0))
        sd_ref, sd_cur = m.get("residual_sd_reference"), m.get("residual_sd_current")
        if sd_ref and sd_cur and shift >= 0.5 and sd_cur / sd_ref < 1.5:
            # A numeric outcome moved as a whole, its relation to the inputs intact: a new level.
            return "label_shift", ["residual_shift"]
        return "concept_drift", ["mechanism"]
    if "dtype" in s or "coercion" in s:
        return "schema_change", [k for k in ("dtype", "coercion") if k in s]
    if "vanished_categories" in s and "new_categories" in s:
        return "schema_change", ["vanished_categories", "new_categories"]
    if "staleness" in s or ("contract" in s and "staleness" in s.get("contract").detail):
        return "stale_values", ["staleness"]
    if "null_rate" in s and s["null_rate"].current > s["null_rate"].reference:
        return "missing_values", ["null_rate"]
    # A rescaled discrete feature also piles rows onto new values: the affine fit is the
    # more specific evidence, so it is read before the fallback-default signal.
    if "scale" in s:
        return "scale_change", ["scale"]
    if mechanism is not None and _rescaled(mechanism.measures):
        return "scale_change", ["mechanism"]
    where_null = (mechanism.measures.get("default_where_parent_null", float("nan")) if mechanism else float("nan"))
    if "default_rate" in s and where_null >= 0.8:
        return "pipeline_skew", ["default_rate", "parents_null"]
    others_moved = (mechanism.measures.get("deviation_outside_default", 0.0) if mechanism else 0.0) > 0.05
    if ("default_rate" in s and "default_value" not in s and _looks_like_fallback(s["default_rate"].value)
            and not others_moved):
        return "missing_values", ["default_rate"]
    is_root = mechanism is None or mechanism.method == "marginal"
    if not is_root:
        return "pipeline_skew", ["mechanism"] + [k for k in ("default_value",) if k in s]
    if "out_of_support" in s and s["out_of_support"].effect >= 0.1:
        return "out_of_distribution", ["out_of_support"]
    return "distribution_shift", [k for k in ("drift", "new_categories", "out_of_support") if k in s]
