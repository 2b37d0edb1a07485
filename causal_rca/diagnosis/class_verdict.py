"""label_shift or concept_drift for a multi-class label (measures from causal/class_outcome.py).

A new class in the labels, or labels that changed by class (re-weighted,
merged, partly re-annotated) in a way one class-to-class map explains, is
``label_shift`` (spec/diagnosis.md, "Multi-class targets"). Labels whose
change no class-level map explains changed with the inputs: ``concept_drift``.
"""

from __future__ import annotations

NEW_CLASS_SHARE = 0.01  # a new class on at least this share of current labels, beyond noise
LEVEL = 0.01
AMBIGUOUS_LEVEL = 0.1
MAP_EXCESS = 0.02  # log-loss after the class map at most 2% worse than the reference's: explained

Alternative = tuple[str, str]


def _map_explains(m: dict[str, float]) -> bool:
    """One class map, the same for every row, explains the new labels: the log-loss after the map
    is no worse than the reference's, or their deviations from the least-squares map do not depend
    on where an input lies (``p_map_follows_input``, class_outcome.py). Either suffices: mixing part
    of one class into another raises the log-loss under a perfect map, and a sharp, overconfident
    fit is no linear map of the true probabilities, so at thousands of rows the deviation test
    alone rejects a class merged whatever the inputs (scenario catalog_garden_folded_into_furniture)."""
    ref, cur = m["class_map_loss_reference"], m["class_map_loss_current"]
    return (m["class_map_p"] >= LEVEL or cur <= ref * (1 + MAP_EXCESS)
            or m.get("p_map_follows_input", 0.0) >= LEVEL)


def class_label_verdict(m: dict[str, float]) -> tuple[str, list[str], list[Alternative]]:
    """(failure mode, what decided it, modes the evidence cannot rule out)."""
    if m["new_class_share"] >= NEW_CLASS_SHARE and m["new_class_p"] < LEVEL:
        return "label_shift", ["new_class"], []
    mix = (f"the class mix moved against the parents' prediction (p = {m['class_prior_p']:.2g}, "
           f"{m['class_prior_shift']:.1%} of rows)")
    if m["class_prior_p"] < LEVEL and _map_explains(m):
        return "label_shift", ["class_prior", "class_map"], []
    if m["class_prior_p"] < AMBIGUOUS_LEVEL:
        unexplained = (f"; no single class-to-class map explains the new labels (log-loss after the map "
                       f"{m['class_map_loss_reference']:.3f} → {m['class_map_loss_current']:.3f}"
                       + (f"; what the map leaves depends on where an input lies, p = {m['p_map_follows_input']:.2g}"
                          if "p_map_follows_input" in m else "") + ")")
        return "concept_drift", ["mechanism", "class_map"], [("label_shift", mix + unexplained)]
    return "concept_drift", ["mechanism"], []
