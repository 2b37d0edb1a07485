"""Rows whose value is one of its parents' values as it stands: a transformation skipped.

The spec's first example of ``scale_change`` is "raw counts instead of normalised". A z-score
served un-normalised on some rows is its parent (say the log of a distance) passed through: on
those rows the value *equals* the parent's, which the reference computation never gives. Against
the reference computation those rows lie on a line whose slope is the parent's spread, which can
be anywhere, also near 1, where a scaler refitted on production data (``pipeline_skew``) lies too;
the identity is what tells the two apart.
"""

from __future__ import annotations

import numpy as np

from causal_rca.causal.rescaling import RoundingRule, apply_rounding_rule, rounding_rule
from causal_rca.signals.statistics import two_proportion


def pass_through_measures(node_ref: np.ndarray, parents_ref: np.ndarray, node_cur: np.ndarray,
                          parents_cur: np.ndarray) -> dict[str, float]:
    """For the parent whose value the node takes on most more rows now than in the reference:
    the current share of rows equal to it (``pass_through_share``), that share's excess over the
    reference's (``pass_through_excess``) and the two-proportion p-value (``pass_through_p``).
    Empty when no parent column is given.

    Equal means within half the rounding step the log applies to the node (read from the
    reference's values), so a parent logged at more decimals than the node still matches."""
    out: dict[str, float] = {}
    rule = rounding_rule(node_ref)
    for j in range(parents_ref.shape[1]):
        same_ref = _equal(node_ref, parents_ref[:, j], rule)
        same_cur = _equal(node_cur, parents_cur[:, j], rule)
        excess = float(same_cur.mean() - same_ref.mean())
        if not out or excess > out["pass_through_excess"]:
            out = {"pass_through_share": float(same_cur.mean()), "pass_through_excess": excess,
                   "pass_through_p": two_proportion(int(same_ref.sum()), len(same_ref),
                                                    int(same_cur.sum()), len(same_cur))}
    return out


def _equal(values: np.ndarray, parent: np.ndarray, rule: RoundingRule) -> np.ndarray:
    """Rows where ``values`` is ``parent`` as the log rounds the node (``rule``: read off its reference values)."""
    values, parent = np.asarray(values, dtype=float), np.asarray(parent, dtype=float)
    ok = np.isfinite(values) & np.isfinite(parent)
    allowance = apply_rounding_rule(parent, rule) + 1e-9 * np.maximum(1.0, np.abs(parent))
    with np.errstate(invalid="ignore"):
        return ok & (np.abs(values - parent) <= allowance)
