"""Categories under new names: ``schema_change``, unless the node's own computation renamed them.

Upstream re-encodings (``schema_change``) and a serving computation that writes the same
categories differently (``pipeline_skew``: serving upper-cases every value, training did not)
both show as renamed categories. At a computed node whose mechanism given its parents changed,
``causal/category_function.py`` measures whether each parent value still maps to one child
value as purely as in the reference: it does when the node itself computes the new names (the
parents unchanged, every row of a parent value renamed), it does not when old and new names
arrive side by side for the same parent value (a share of the rows re-encoded upstream).
"""

from __future__ import annotations

from causal_rca.causal.mechanism_result import SIGNIFICANCE, MechanismResult


def renamed_verdict(kind: str, mechanism: MechanismResult | None,
                    renaming: list[str]) -> tuple[str, list[str], list[tuple[str, str]]]:
    """(failure mode, deciding signals, alternatives) for a node whose categories arrived renamed.

    A source is measured, not computed: its renamed categories are always the feed's. Without
    the purity measure (no parents whose values repeat in both windows) nothing tells the node's
    computation from its feed, and the renaming stays a ``schema_change``."""
    m = mechanism.measures if mechanism is not None else {}
    computed = (kind != "source" and mechanism is not None and mechanism.method != "marginal"
                and mechanism.changed and "category_mixed_p" in m)
    if not computed or m["category_mixed_p"] < SIGNIFICANCE:
        return "schema_change", renaming, []
    said = (f"the parents' values decide the new names as purely as they decided the old "
            f"({m['category_impurity_current']:.1%} of rows off their parent value's most common name against "
            f"{m['category_impurity_reference']:.1%}, one-sided p = {m['category_mixed_p']:.2g})")
    return "pipeline_skew", ["mechanism", "category_purity"], [(
        "schema_change", f"{', '.join(renaming)}: the same categories under new names, which a re-encoding of "
                         f"every row between the parents and the node would also give; {said}")]
