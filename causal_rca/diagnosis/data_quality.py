"""Data-quality findings: broken contracts and integrity faults, reported whether or not the metric moved.

A null rate that doubles at a feature the model barely uses, or a contract the
data now breaks, may leave the metric inside its noise: no cause of a metric
change, yet a real fault its owner must hear about before it grows. These are
the anomalous signals (already tested, Benjamini-Hochberg adjusted, above their
minimum effect) whose kind says the data itself is wrong, not that the world
moved: plain ``drift`` is left out, and so is a model ``version`` change. The
list is not a cause ranking and never makes a diagnosis significant.
"""

from __future__ import annotations

from typing import Any, Iterable

#: What the reports say of the section, so a reader does not take it for causes.
DATA_QUALITY_NOTE = "found whether or not the metric moved: not a cause ranking"

#: Signals that say a value is broken, missing, mistyped, stale, rescaled or outside the support.
INTEGRITY_SIGNALS = ("contract", "null_rate", "coercion", "dtype", "default_rate", "default_value",
                     "new_categories", "vanished_categories", "renamed_categories", "staleness", "scale", "partial_scale",
                     "out_of_support")


def data_quality_findings(anomalies: Iterable[Any]) -> list[Any]:
    """The anomalies that are data-quality findings, contract violations first, then by p-value."""
    found = [a for a in anomalies if a.signal in INTEGRITY_SIGNALS]
    return sorted(found, key=lambda a: (a.signal != "contract", a.p_value, a.node, a.signal))


def finding_kind(signal: str) -> str:
    return "contract" if signal == "contract" else "integrity"
