"""How sure a multi-class model is, in each window: evidence that the model itself changed.

A bad fine-tune rarely shows in the inputs; it shows in the model's own
probabilities: the winning class's probability falls, more rows sit near the
decision boundary (the two likeliest classes almost tied), and the spread over
classes (entropy) grows. Read from the model's ``scores`` columns over the
whole windows; without them there is no profile.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from causal_rca.diagnosis.model import Cause, Evidence

NEAR_BOUNDARY = 0.1  # the two likeliest classes' probabilities closer than this: near the decision boundary
Z95 = 1.959963984540054
MEASURES = (  # (JSON key, evidence test, how a reader names it)
    ("mean_max_probability", "max_probability", "mean probability of the predicted class"),
    ("near_boundary_share", "near_boundary", f"share of rows near the decision boundary (top two within "
                                             f"{NEAR_BOUNDARY:g})"),
    ("mean_entropy", "entropy", "mean entropy of the class probabilities (0: certain, 1: uniform)"),
)


def _per_row(frame: pd.DataFrame) -> dict[str, np.ndarray] | None:
    columns = [c for c in frame.columns if str(c).startswith("scores[")]
    if len(columns) < 2:
        return None
    p = frame[columns].to_numpy(dtype=float)
    p = np.clip(p[np.isfinite(p).all(axis=1)], 0.0, 1.0)
    if len(p) < 2:
        return None
    top = -np.sort(-p, axis=1)
    total = p.sum(axis=1, keepdims=True)
    q = np.divide(p, total, out=np.full_like(p, 1.0 / p.shape[1]), where=total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.nansum(np.where(q > 0, q * np.log(q), 0.0), axis=1) / math.log(p.shape[1])
    return {"mean_max_probability": top[:, 0], "near_boundary_share": (top[:, 0] - top[:, 1] < NEAR_BOUNDARY) * 1.0,
            "mean_entropy": entropy}


def _mean(values: np.ndarray) -> dict[str, Any]:
    m = float(values.mean())
    half = Z95 * float(values.std(ddof=1)) / math.sqrt(len(values))
    return {"value": m, "ci": [m - half, m + half]}


def confidence_profile(frames: list[pd.DataFrame]) -> dict[str, Any] | None:
    """Per measure: both windows' means with a 95% interval, the change and a Welch p-value."""
    rows = [_per_row(f) for f in frames]
    if rows[0] is None or rows[1] is None:
        return None
    out: dict[str, Any] = {"near_boundary_margin": NEAR_BOUNDARY,
                           "rows": {"reference": len(rows[0]["mean_entropy"]), "current": len(rows[1]["mean_entropy"])}}
    for key, _test, _words in MEASURES:
        a, b = rows[0][key], rows[1][key]
        p = float(stats.ttest_ind(a, b, equal_var=False).pvalue) if np.ptp(np.r_[a, b]) > 0 else 1.0
        out[key] = {"reference": _mean(a), "current": _mean(b), "change": float(b.mean() - a.mean()),
                    "p_value": p}
    return out


def confidence_evidence(profile: dict[str, Any]) -> list[Evidence]:
    """The profile as evidence lines, one per measure."""
    out = []
    for key, test, words in MEASURES:
        m = profile[key]
        ref, cur = m["reference"]["value"], m["current"]["value"]
        out.append(Evidence(test, ref, cur, m["p_value"], f"{words}: {ref:.3g} → {cur:.3g}"))
    return out


def with_confidence_evidence(causes: list[Cause], model_node: str | None,
                             profile: dict[str, Any] | None) -> list[Cause]:
    """A model_change at the metric's model carries the confidence profile among its evidence."""
    if profile is None or model_node is None:
        return causes
    return [replace(c, evidence=[*c.evidence, *confidence_evidence(profile)])
            if c.node == model_node and c.failure_mode == "model_change" else c for c in causes]
