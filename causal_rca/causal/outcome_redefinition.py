"""Was a numeric outcome redefined (``label_shift``) or did its relation to the inputs change (``concept_drift``)?

spec/diagnosis.md: label_shift is "the outcome's base rate or definition changed (new business rule,
new annotation policy)", not explained by its parents; concept_drift is "the relation between inputs
and the true outcome changed". A new definition applied to every row alike — a target rescaled, an
offset added, a share of 0s recorded as 1s whatever the inputs — is an affine map of the whole outcome,
``y' = a + b·y``. Then the current outcome is the reference mechanism's prediction passed through one
calibration line, and what the line leaves is the reference's own noise scaled by ``b``: it does not
depend on where an input lies. A change confined to one region of an input (an effect reversed there,
outcomes decoupled there) leaves deviations from any one line that do.

For a 0/1 outcome relabelled at random (a share ``q`` of negatives now positive) the expected outcome
is ``q + (1 - q)·p(x)``: affine in the reference prediction too, so one test serves both.

Three tests at the windows' own sizes:

- ``redefinition_p``: the calibration line of the current outcome on the reference prediction differs
  from the holdout's own line (Wald, heteroscedasticity-robust, 2 df): the outcome moved as a whole;
- ``redefinition_order_p``: one-sided, the current outcome does not rise with the reference
  prediction (slope ≤ 0). A new definition keeps the outcome's order — a rescaling by a positive
  factor, an offset, a share of one class recorded as the other (slope ``1 - q``) — while an effect
  reversed over the whole range leaves an outcome that falls where it rose: the relation changed;
- ``p_follows_redefinition``: the deviations from the current line, per group of each input, against
  the holdout's deviations from its line scaled by ``b`` (``outcome_tests.deviation_follows_input``).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from causal_rca.causal.outcome_tests import deviation_follows_input


def _line(pred: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(intercept and slope, their HC0 covariance, residuals) of y on pred by least squares."""
    design = np.column_stack([np.ones_like(pred), pred])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coef
    bread = np.linalg.pinv(design.T @ design)
    meat = (design * residuals[:, None] ** 2).T @ design
    return coef, bread @ meat @ bread, residuals


def outcome_line_measures(pred_hold: np.ndarray, y_hold: np.ndarray, X_hold: np.ndarray,
                          pred_cur: np.ndarray, y_cur: np.ndarray, X_cur: np.ndarray) -> dict[str, float]:
    """What a numeric outcome's verdict reads: ``p_follows_input`` (its residuals from the reference
    mechanism, net of their overall level, by group of each input) and the redefinition measures."""
    return {"p_follows_input": deviation_follows_input(y_hold - pred_hold, X_hold, y_cur - pred_cur, X_cur),
            **redefinition_measures(pred_hold, y_hold, X_hold, pred_cur, y_cur, X_cur)}


def redefinition_measures(pred_hold: np.ndarray, y_hold: np.ndarray, X_hold: np.ndarray,
                          pred_cur: np.ndarray, y_cur: np.ndarray, X_cur: np.ndarray) -> dict[str, float]:
    """Measures of "the current outcome is the reference one under one affine map" (see the module).

    ``pred_*``: the reference fit's predictions, ``y_*``: the outcomes, ``X_*``: the inputs, on the
    reference holdout and the current rows. Empty when the prediction does not vary (no line)."""
    if np.ptp(pred_hold) <= 0 or np.ptp(pred_cur) <= 0 or len(y_hold) < 3 or len(y_cur) < 3:
        return {}
    coef0, cov0, e0 = _line(pred_hold, y_hold)
    coef1, cov1, e1 = _line(pred_cur, y_cur)
    diff = coef1 - coef0
    wald = float(diff @ np.linalg.pinv(cov0 + cov1) @ diff)
    scale = float(coef1[1] / coef0[1]) if abs(coef0[1]) > 1e-12 else 1.0
    slope_se = float(np.sqrt(max(cov1[1, 1], 0.0)))
    return {"redefinition_scale": scale,
            "redefinition_order_p": float(stats.norm.sf(coef1[1] / slope_se)) if slope_se > 0 else float(coef1[1] <= 0),
            "redefinition_offset": float(coef1[0] - scale * coef0[0]),
            "redefinition_p": float(stats.chi2.sf(wald, 2)),
            "p_follows_redefinition": deviation_follows_input(scale * e0, X_hold, e1, X_cur)}
