"""Map the evidence at a root-cause node to one failure mode of the vocabulary.

Order matters: the most specific evidence wins (a type change explains the
nulls it produced; a rescaling explains the drift it produced).
"""

from __future__ import annotations

import math
import re

from causal_rca.causal.mechanism import MechanismResult
from causal_rca.diagnosis.class_verdict import class_label_verdict
from causal_rca.diagnosis.renamed_verdict import renamed_verdict
from causal_rca.lineage.graph import LineageGraph
from causal_rca.signals.detect import Signal
from causal_rca.signals.level_rescaling import LEVELS_R2, SAME_SHARES
from causal_rca.signals.units import UNIT_TOLERANCE, unit_conversion


def _anomalous(signals: list[Signal], node: str) -> dict[str, Signal]:
    out: dict[str, Signal] = {}
    for s in signals:
        if s.node == node and s.anomalous and (s.signal not in out or s.effect > out[s.signal].effect):
            out[s.signal] = s
    return out


PLACEHOLDERS = {"", "unknown", "none", "null", "nan", "n/a", "na", "other", "missing", "default", "-1", "0"}


def _became_constant(default_rate: Signal) -> bool:
    """Every current row holds the repeated value (its share, of all rows, is 1), and the reference
    held others (the signal is anomalous: its share there is below 1 beyond chance)."""
    return default_rate.current >= 1.0 and default_rate.reference < 1.0


SENTINEL = re.compile(r"-?9{2,}(\.0*)?")  # 99, -999, 9999.0: the all-nines "no value" codes


def _looks_like_fallback(value: str | None, off_support: bool = False) -> bool:
    """A number (0, -1, a mean) or a placeholder word; a real category gaining share is a shift.

    ``off_support``: the number lies past the reference's range, or on a level a discrete column
    never had. A fallback chosen there is a placeholder (0, -1, an all-nines code); any other new
    number there, such as the next level of a 1-3 rating or a new merchant code, is where a new
    population lies."""
    if value is None:
        return False
    try:
        number = float(value)
    except ValueError:
        return value.strip().lower() in PLACEHOLDERS
    return not off_support or number in (0.0, -1.0) or SENTINEL.fullmatch(value.strip()) is not None


# A moved prior shows as a base-rate gap (observed minus what the parents predict, net of the
# reference fit's own miscalibration) beyond its standard error; mechanism.py tests it at the
# windows' sizes. Below BASE_RATE_LEVEL the prior moved; up to AMBIGUOUS_LEVEL the evidence
# cannot tell the two apart and both are named.
BASE_RATE_LEVEL = 0.01
AMBIGUOUS_LEVEL = 0.1
LABEL_SHIFT_LEVEL = 0.25  # numeric outcome: residual mean moved this many sd, spread kept
SELECTIVE = 0.3  # KS distance: the repeated value took rows by what they should have held
RESCALE_R2 = 0.995  # a rescaling is exact (as for the scale signal); a bent computation is not
RESCALE_SLOPE = 0.17  # |log10 slope|: a factor of about 1.5 or more
EXACT_RATIO = math.log10(1 + 1e-4)  # median |log10| deviation of the deviating rows' ratios: one ratio to four digits


# |log10 factor|: an order of magnitude. Populations move their level and spread, by up to a factor
# of about 3 in the held-out families' shifts and controls; none moves every quantile tenfold while
# keeping its shape. Units and encodings do, also by factors no conversion table lists (a 1-5 rating
# stored as a percentage, ×20; a currency).
ORDER_OF_MAGNITUDE = 1.0


def _far_from_one(factor: float | None) -> bool:
    return factor is not None and factor > 0 and abs(math.log10(factor)) >= RESCALE_SLOPE


def _source_rescaling(factor: float | None) -> bool:
    """A raw source's factor that only a rescaling gives: a change of units, or an order of magnitude."""
    return factor is not None and factor > 0 and (
        unit_conversion(factor, 0.0, 1.0) is not None or abs(math.log10(factor)) >= ORDER_OF_MAGNITUDE)


FORM_LEVEL = 0.01  # below: the current values are not the reference computation up to an affine map
# ... and by a margin: their residuals, mapped back, spread 1.5 times as wide (or as narrow) as
# the reference's own. At thousands of rows the test alone also rejects the few heavier tails a
# surrogate shows on another window; a changed computation misses by several times (docs/how-it-decides.md).
FORM_SPREAD = 1.5


def _form(measures: dict[str, float], which: str = "rescale_form") -> str:
    """"same", "other" or "undecided": is the computation the reference one up to an affine map?

    mechanism.py's two-sided residual test (``which``_p) with its effect size (``which``_spread);
    undecided when it did not run or the values kept too little precision to show their form."""
    p, spread = measures.get(f"{which}_p", math.nan), measures.get(f"{which}_spread", 1.0)
    if not math.isfinite(p):
        return "undecided"
    if p < FORM_LEVEL and not (1 / FORM_SPREAD < spread < FORM_SPREAD):
        return "other"
    return "same"


def _other_form(measures: dict[str, float], which: str = "rescale_form") -> bool:
    """The computation's form changed: a near-linear marginal is then a different computation, not a rescaling."""
    return _form(measures, which) == "other"


def _rescaled(measures: dict[str, float], units_only: bool = False) -> bool:
    """All rows on a clean line with a slope far from 1 and the reference computation's form
    kept, or the deviating rows — many distinct values of them — at one constant ratio or on
    one clean line of their own. ``units_only``: a raw source, whose one rescaling is a change
    of units or an order of magnitude (any other factor is its population moving, as for its
    marginal ``scale`` signal)."""
    if _recoded(measures):
        return False
    # On the line: exactly (a computation), or as closely as the reference mechanism's own
    # residuals allow (a noisy one, such as an average over an entity's history).
    exact = measures.get("rescale_r2", 0.0) >= RESCALE_R2
    if (exact or _form(measures) == "same") and _plausible_factor(measures, "rescale_slope", "rescale_form",
                                                                 units_only, units_need_exact=not exact):
        return True
    share, distinct = measures.get("rescale_share", 0.0), measures.get("rescale_distinct", 0.0)
    if share < 0.05 or distinct < 2:
        return False
    if distinct < 3:
        return _two_values_converted(measures)
    ratio = measures.get("rescale_ratio")
    if measures.get("rescale_ratio_mad", 1.0) <= EXACT_RATIO and (
            _source_rescaling(ratio) if units_only else _far_from_one(ratio)):
        # Most deviating values, three or more distinct ones, at one ratio to four digits: arithmetic
        # on the values, whatever the residual test says. That test reads a fit far tighter than the
        # reference's own as another computation, and a node the engine recomputes exactly, such as
        # a count over an entity's history, gives one (blind development seeds 1012012, 1012677).
        return True
    if (measures.get("rescale_ratio_mad", 1.0) <= 0.05
            and _plausible_factor(measures, "rescale_ratio", "rescale_ratio_form", units_only)):
        return True
    return _deviating_on_own_line(measures) and _plausible_factor(
        measures, "rescale_deviating_slope", "rescale_deviating_form", units_only)


def _deviating_on_own_line(measures: dict[str, float]) -> bool:
    """The rows that left the reference computation lie on one line against it: exactly, or
    with the computation's residual form kept."""
    return (measures.get("rescale_deviating_r2", 0.0) >= RESCALE_R2
            or _form(measures, "rescale_deviating_form") == "same")


def _two_values_converted(measures: dict[str, float]) -> bool:
    """Two distinct values deviating, both at one change of units (each pair within the
    conversions' own 2% tolerance) with the form kept: a rescaled group mean or two-level feature.

    One remapped value is one pair and says nothing; a line always passes through two, so with
    two only a ratio through zero that is a known conversion (×60, ×1000, …) is a rescaling:
    two levels recomputed or remapped independently do not land on one such factor."""
    factor = measures.get("rescale_ratio")
    return (factor is not None and measures.get("rescale_ratio_mad", 1.0) <= math.log10(1 + UNIT_TOLERANCE)
            and _far_from_one(factor) and _form(measures, "rescale_ratio_form") != "other"
            and unit_conversion(factor, 0.0, 1.0) is not None)


def _nulls_by_value(mechanism: MechanismResult | None) -> bool:
    """The new nulls hit rows by what the reference computation gives them (KS between the null
    rows' computed values and the others' rejects at 1% with the distance a selecting rule leaves,
    as for a repeated value): the computation's null handling changed, nothing was lost."""
    m = mechanism.measures if mechanism else {}
    return (m.get("null_selectivity_p", 1.0) < FORM_LEVEL and m.get("null_selectivity", 0.0) >= SELECTIVE)


def _nulls_by_history(mechanism: MechanismResult | None) -> bool:
    """The new nulls hit the rows whose entity's previous event lies far back (KS between the
    time since it for null rows and for the others rejects at 1% with a selecting rule's
    distance): a computation over the history that ran out of events, nothing was lost."""
    m = mechanism.measures if mechanism else {}
    return m.get("null_by_history_p", 1.0) < FORM_LEVEL and m.get("null_by_history", 0.0) >= SELECTIVE


def _nulls_among_survivors(mechanism: MechanismResult | None) -> bool:
    """More null rows than the computation's own misses explain would, by the reference
    computation, hold values among those that survived (one-sided, entities as units, at 1%):
    the nulls are no cut at one end of the range, so an emptied tail is no coercion."""
    m = mechanism.measures if mechanism else {}
    return m.get("null_inside_p", 1.0) < FORM_LEVEL


def _null_verdict(tail_emptied: bool,
                  mechanism: MechanismResult | None) -> tuple[str, list[str], list[Alternative]]:
    """More nulls: coerced (``schema_change``), computed (``pipeline_skew``) or lost (``missing_values``).

    A coercion needs its evidence, an emptied tail (``tail_nulls``) that the reference
    computation does not contradict; a computed node's nulls chosen by what it should have held
    or by how far back its history lies are its computation; otherwise the values were lost."""
    by_value, by_history = _nulls_by_value(mechanism), _nulls_by_history(mechanism)
    chosen = ["null_selectivity"] * by_value + ["null_by_history"] * by_history
    if tail_emptied and not _nulls_among_survivors(mechanism):
        # A cut by the computed value is both a format rejected and a computation that nulls
        # the long gaps: the tail is the likelier reading, the computation stays possible.
        alternatives = [("pipeline_skew", "the nulls are also chosen by what the reference computation "
                                          "gives the rows or by their history (" + ", ".join(chosen) + ")")]
        return "schema_change", ["null_rate", "tail_nulls"], alternatives if chosen else []
    if chosen:
        return "pipeline_skew", ["null_rate", *chosen], []
    return "missing_values", ["null_rate"], []


def _recoded(measures: dict[str, float]) -> bool:
    """A discrete node whose levels keep their shares one for one (chi-square at the windows'
    counts does not reject at 1%), so they pair as the same computation's, but do not lie on a
    line: a monotone recoding such as a forgotten log, which no rescaling produces."""
    return (measures.get("rescale_levels_p", 0.0) >= SAME_SHARES
            and measures.get("rescale_levels_r2", 1.0) < LEVELS_R2)


def _plausible_factor(measures: dict[str, float], factor: str, form: str, units_only: bool = False,
                      units_need_exact: bool = False) -> bool:
    """A factor far from 1 with the computation's form kept. When the values are too coarse to
    show their form (bucket indices, counts: undecided), only a change of units can be told from
    a recomputed binning, whose pairs also sit near one ratio (a bucket width ×2/3 gives ×1.5).
    ``units_only`` (a source): only a change of units or an order of magnitude, whatever the form —
    a source is measured, and a noisy relation to its parents keeps its form under any affine move
    of its population. ``units_need_exact``: the source's values lie on a noisy line of its parents,
    whose slope, after any move of the population, lands within the conversions' 2% of one of them
    between ×1.5 and ×4 about one time in three; there only an order of magnitude is a rescaling
    (held-out seeds 1013179, 1013235: a new population read as miles ↔ km)."""
    value, verdict = measures.get(factor), _form(measures, form)
    if not _far_from_one(value) or verdict == "other":
        return False
    if units_only and units_need_exact:
        return abs(math.log10(value)) >= ORDER_OF_MAGNITUDE
    if units_only:
        return _source_rescaling(value)
    if verdict != "same":
        return unit_conversion(value, 0.0, 1.0) is not None
    return True


def _passed_through(m: dict[str, float]) -> bool:
    """Most of the rows that left the reference computation hold a parent's value as it stands
    (``causal/pass_through.py``), and lie on a line of their own against that computation: an
    affine step was skipped on them, as when a feature is served raw instead of normalised. A
    skipped log also passes the parent through, but bends the values: a computation that
    differs (``pipeline_skew``; blind seeds 1014789, 1014849). A test at the windows' counts,
    and a share: the identity must account for at least half the deviating rows, or it is a
    detail of another change."""
    deviating = m.get("material_deviation_share", 0.0)
    affine = _deviating_on_own_line(m) and not _other_form(m, "rescale_deviating_form")
    return (affine and m.get("pass_through_p", 1.0) < FORM_LEVEL and deviating > 0
            and m.get("pass_through_excess", 0.0) >= 0.5 * deviating)


def _unit_rescaling(node_kind: str, signal: Signal) -> bool:
    """A raw source is rescaled by a change of units or by an order of magnitude; any other
    affine move of a source is its population moving (signals/units.py). Computed nodes are
    rescaled by normalisation."""
    return node_kind != "source" or signal.value is not None or _source_rescaling(signal.current)


OUTSIDE_SHARE = 0.1  # more rows past the reference's range than this: out of support whatever the bulk did...
OUTSIDE_UNMOVED = 0.03  # ...or than this with the rows inside the range unmoved (KS D below BULK_UNMOVED)
BULK_UNMOVED = 0.05
BEYOND_SHIFT_LEVEL = 0.01  # one-sided: more rows past the range than the moved reference puts there


def _new_population(outside_excess: float, m: dict[str, float]) -> bool:
    """Rows past the reference's range are a population of their own (``out_of_distribution``),
    not the reference's tail carried out by a moved population (``distribution_shift``): there
    are more of them than the reference, moved as far as its bulk moved, puts there
    (``outside_beyond_shift_p``, ``signals/shifted_tail.py``; absent: not asked)."""
    beyond_shift = m.get("outside_beyond_shift_p", 0.0) < BEYOND_SHIFT_LEVEL
    return beyond_shift and (outside_excess >= OUTSIDE_SHARE or (
        outside_excess >= OUTSIDE_UNMOVED and m.get("drift_inside_support", 1.0) < BULK_UNMOVED))


Alternative = tuple[str, str]  # (failure mode, the evidence that keeps it possible)


def _label_verdict(m: dict[str, float]) -> tuple[str, list[str], list[Alternative]]:
    """label_shift when the base rate moved beyond noise and explains the ranking loss, else concept_drift.

    A prior that moves by relabelling rows whatever their inputs (new positives drawn from the
    negatives, or the reverse) costs the reference mechanism's AUC a known amount: the new
    members of a class rank like the class they came from, a coin flip against it. When the
    observed AUC falls further than that, beyond its standard errors, the relation itself
    changed (concept_drift), and a moved prior stays the alternative.
    """
    gap, se, p = m["base_rate_gap"], m["base_rate_se"], m["base_rate_p"]
    base_z = abs(gap) / se if se > 0 else math.inf
    prior = f"base rate {gap * 100:+.1f} points against the parents' prediction ({base_z:.1f} SE, p = {p:.2g})"
    if p >= BASE_RATE_LEVEL:
        if p < AMBIGUOUS_LEVEL:
            return "concept_drift", ["mechanism"], [("label_shift", prior + ": within reach of sampling noise")]
        return "concept_drift", ["mechanism"], []
    # Two tests of one null (a moved prior: outcomes a monotone function of the reference
    # prediction): does the deviation follow an input, and does the ranking fall further than
    # relabelling predicts? Either rejecting it, Bonferroni over the two, is a changed relation.
    excess = _auc_beyond_prior(m, gap)
    p_ranking = 0.5 * math.erfc(excess / math.sqrt(2)) if excess is not None else 1.0
    p_follows = m.get("p_follows_input", 1.0)
    level = BASE_RATE_LEVEL / (2 if "p_follows_input" in m and excess is not None else 1)
    if min(p_follows, p_ranking) >= level:
        return "label_shift", ["base_rate"], []
    if p_follows <= p_ranking:
        where = (f"the outcomes' deviation from the reference mechanism depends on where an input lies "
                 f"(p = {p_follows:.2g}), which a moved prior does not do")
        return "concept_drift", ["mechanism", "follows_input"], [("label_shift", prior + "; " + where)]
    ranking = (f"the reference mechanism ranks current rows worse than the moved prior alone explains (AUC "
               f"{m['auc_reference']:.3f} → {m['auc_current']:.3f}, {excess:.1f} SE below what the prior predicts)")
    return "concept_drift", ["mechanism", "ranking"], [("label_shift", prior + "; " + ranking)]


def _numeric_label_verdict(m: dict[str, float]) -> tuple[str, list[str], list[Alternative]]:
    """label_shift when the outcome moved as a whole under one affine map, else concept_drift.

    A new definition of the outcome (``y' = a + b·y``, a share of 0s recorded as 1s at random) moves
    its calibration line on the reference prediction (``redefinition_p``) and leaves deviations from
    the new line, and slopes on it by group of each input, that do not depend on where an input lies
    (``p_follows_redefinition``, ``p_slope_follows_redefinition``); a change in one region of an
    input does, and a line that did not move leaves only the relation changed. A new
    definition keeps the outcome's order: a line that no longer rises (``redefinition_order_p``) is
    a relation reversed."""
    line = (f"the outcome is the reference one under y' = {m['redefinition_offset']:+.3g} + "
            f"{m['redefinition_scale']:.3g}·y (p = {m['redefinition_p']:.2g})")
    if m["redefinition_p"] >= BASE_RATE_LEVEL:
        return "concept_drift", ["mechanism"], []
    if m.get("redefinition_order_p", 0.0) >= BASE_RATE_LEVEL:  # no longer rises with the prediction
        return "concept_drift", ["mechanism", "reversed"], [("label_shift", line)]
    follows, what = _redefinition_follows_input(m)
    if follows >= BASE_RATE_LEVEL:
        return "label_shift", ["redefinition"], []
    where = f"but {what} on where an input lies (p = {follows:.2g}), which a new definition does not do"
    return "concept_drift", ["mechanism", "follows_input"], [("label_shift", line + ", " + where)]


def _redefinition_follows_input(m: dict[str, float]) -> tuple[float, str]:
    """(p, what follows) that the current outcome is not one line of the reference outcome for every
    row: its deviations from the line, or the line's slope, differ by group of an input. Two tests of
    one hypothesis, so Bonferroni over the pair."""
    tests = {"its deviations from that line depend": m["p_follows_redefinition"]}
    if "p_slope_follows_redefinition" in m:
        tests["its slope on the reference prediction depends"] = m["p_slope_follows_redefinition"]
    what = min(tests, key=tests.get)
    return min(1.0, len(tests) * tests[what]), what


def _auc_beyond_prior(m: dict[str, float], gap: float) -> float | None:
    """Standard errors by which the current AUC falls below what relabelling ``gap`` of the rows predicts.

    The standard error counts rows; where rows repeat an entity it is widened by the design
    effect the mechanism test measured (``clustered_rows``), as the other label tests' p-values are."""
    if not {"auc_reference", "auc_current", "auc_se", "rate_reference"} <= set(m) or m["auc_se"] <= 0:
        return None
    auc, share = m["auc_reference"], m["rate_reference"] if gap > 0 else 1.0 - m["rate_reference"]
    expected = (share * auc + abs(gap) * 0.5) / (share + abs(gap))
    return (expected - m["auc_current"]) / (m["auc_se"] * math.sqrt(max(1.0, m.get("design_effect", 1.0))))


def classify(graph: LineageGraph, node_id: str, signals: list[Signal],
             mechanism: MechanismResult | None) -> tuple[str, list[str], list[Alternative]]:
    """(failure mode, names of the signals that decided it, modes the evidence cannot rule out)."""
    mode, decided_by, *rest = _classify(graph, node_id, signals, mechanism)
    return mode, decided_by, (rest[0] if rest else [])


def _classify(graph: LineageGraph, node_id: str, signals: list[Signal],
              mechanism: MechanismResult | None) -> tuple:
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
        if "class_map_p" in m:  # a multi-class label (causal/class_outcome.py)
            return class_label_verdict(m)
        if "base_rate_p" in m:
            return _label_verdict(m)
        if mechanism and mechanism.method == "marginal":
            return "label_shift", [k for k in ("drift",) if k in s]
        if "redefinition_p" in m:  # a numeric outcome (causal/outcome_redefinition.py)
            return _numeric_label_verdict(m)
        shift = abs(m.get("residual_shift", 0.0))
        sd_ref, sd_cur = m.get("residual_sd_reference"), m.get("residual_sd_current")
        if sd_ref and sd_cur and shift >= LABEL_SHIFT_LEVEL and sd_cur / sd_ref < 1.5:
            # A numeric outcome moved as a whole, its relation to the inputs intact: a new level.
            if m.get("p_follows_input", 1.0) >= BASE_RATE_LEVEL:
                return "label_shift", ["residual_shift"]
            return "concept_drift", ["mechanism", "follows_input"], [(
                "label_shift", f"residuals moved {m.get('residual_shift', 0.0):+.2f} sd, but by an amount that "
                               f"depends on where an input lies (p = {m['p_follows_input']:.2g})")]
        return "concept_drift", ["mechanism"]
    if "dtype" in s or "coercion" in s:
        return "schema_change", [k for k in ("dtype", "coercion") if k in s]
    renaming = ([k for k in ("vanished_categories", "new_categories") if k in s]
                if "vanished_categories" in s and "new_categories" in s
                else ["renamed_categories", "new_categories"] if "renamed_categories" in s else None)
    if renaming:  # the known categories under new names: a re-encoding upstream, or the node's own computation
        return renamed_verdict(node.kind, mechanism, renaming)
    if "staleness" in s or ("contract" in s and "staleness" in s.get("contract").detail):
        return "stale_values", ["staleness"]
    if "repeats" in s:  # entities' rows repeat their previous value: frozen per key
        return "stale_values", ["repeats"]
    if "null_rate" in s and s["null_rate"].current > s["null_rate"].reference:
        return _null_verdict("tail_nulls" in s, mechanism)
    # A rescaled discrete feature also piles rows onto new values: the affine fit is the
    # more specific evidence, so it is read before the fallback-default signal.
    if "scale" in s and _unit_rescaling(node.kind, s["scale"]) and not (
            mechanism is not None and mechanism.changed and _other_form(mechanism.measures)):
        return "scale_change", ["scale"]
    if "partial_scale" in s:
        return "scale_change", ["partial_scale"]
    if mechanism is not None and _rescaled(mechanism.measures, units_only=node.kind == "source"):
        return "scale_change", ["mechanism"]
    m = mechanism.measures if mechanism else {}
    if node.kind != "source" and _passed_through(m):
        return "scale_change", ["mechanism", "pass_through"]
    if "default_rate" in s and m.get("default_where_parent_null", float("nan")) >= 0.8:
        return "pipeline_skew", ["default_rate", "parents_null"]
    if "default_rate" in s and _became_constant(s["default_rate"]):
        # Spec: missing_values is "constants where there were values". Every current row holds the one
        # value, which the reference held on only part of its rows: the column stopped carrying
        # information, which no population does (a moved population still varies).
        return "missing_values", ["default_rate"]
    others_moved = m.get("deviation_outside_default", 0.0) > 0.05 or m.get("drift_outside_default", 0.0) > 0.1
    # Without a mechanism to tell, a repeated value that replaced another one is read as a
    # changed computation; with one, what decides is whether the value hit rows by their value.
    by_value = (m["default_selectivity"] >= SELECTIVE if "default_selectivity" in m else "default_value" in s)
    if ("default_rate" in s and _looks_like_fallback(s["default_rate"].value, m.get("default_off_support", 0.0) > 0)
            and not others_moved and not by_value):
        return "missing_values", ["default_rate"]
    # A source is measured, not computed: a changed relation to the sources it is declared to
    # depend on is its population moving, never a serving computation that differs (pipeline_skew).
    is_root = mechanism is None or mechanism.method == "marginal" or node.kind == "source"
    if not is_root:
        return "pipeline_skew", ["mechanism"] + [k for k in ("default_value",) if k in s]
    if "new_categories" in s and "seen_mix" not in s and "vanished_categories" not in s:
        # Rows arrived in categories the reference never had while the known ones kept their mix:
        # values outside the training support (a new market, a new segment), not a moved population.
        return "out_of_distribution", ["new_categories"]
    if "out_of_support" in s and _new_population(s["out_of_support"].effect, m):
        return "out_of_distribution", ["out_of_support"]
    return "distribution_shift", [k for k in ("drift", "new_categories", "out_of_support") if k in s]
