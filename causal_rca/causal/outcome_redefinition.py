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

Four tests at the windows' own sizes:

- ``redefinition_p``: the calibration line of the current outcome on the reference prediction differs
  from the holdout's own line (Wald, heteroscedasticity-robust, 2 df): the outcome moved as a whole;
- ``redefinition_order_p``: one-sided, the current outcome does not rise with the reference
  prediction (slope ≤ 0). A new definition keeps the outcome's order — a rescaling by a positive
  factor, an offset, a share of one class recorded as the other (slope ``1 - q``) — while an effect
  reversed over the whole range leaves an outcome that falls where it rose: the relation changed;
- ``p_follows_redefinition``: the deviations from the current line, per group of each input, against
  the holdout's deviations from its line scaled by ``b`` (``outcome_tests.deviation_follows_input``);
- ``p_slope_follows_redefinition``: the line's slope within each group of each input, against the
  holdout's slope there scaled by ``b``. One map for every row scales each group's slope alike; outcomes
  decoupled from the inputs in one region lose their slope there only, which a single line can absorb
  into its mean deviations (a flatter line that passes through both regions' means).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from causal_rca.causal.outcome_tests import deviation_by_input, deviation_follows_input, input_groups


def _line(pred: np.ndarray, y: np.ndarray, small_sample: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(intercept and slope, their heteroscedasticity-robust covariance, residuals) of y on pred by
    least squares: HC0, or HC3 (each residual inflated by its leverage) for ``small_sample`` fits such
    as one group's, where HC0 is too small and a test on it rejects too often."""
    design = np.column_stack([np.ones_like(pred), pred])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coef
    bread = np.linalg.pinv(design.T @ design)
    weighted = residuals
    if small_sample:
        leverage = np.einsum("ij,jk,ik->i", design, bread, design)
        weighted = residuals / np.clip(1.0 - leverage, 1e-6, None)
    meat = (design * weighted[:, None] ** 2).T @ design
    return coef, bread @ meat @ bread, residuals


def _group_slopes(pred: np.ndarray, y: np.ndarray, groups: np.ndarray, codes: np.ndarray,
                  min_group: int) -> dict[int, tuple[float, float]]:
    """(slope, its HC3 variance) of y on pred within each group that has the rows and a spread of pred."""
    slopes = {}
    for code in codes:
        rows = groups == code
        if rows.sum() >= min_group and np.ptp(pred[rows]) > 0:
            coef, cov, _residuals = _line(pred[rows], y[rows], small_sample=True)
            slopes[int(code)] = (float(coef[1]), float(cov[1, 1]))
    return slopes


def slope_follows_input(pred_hold: np.ndarray, y_hold: np.ndarray, X_hold: np.ndarray, pred_cur: np.ndarray,
                        y_cur: np.ndarray, X_cur: np.ndarray, scale: float, min_group: int = 20) -> float:
    """p-value (Bonferroni over inputs) that the current outcome's slope on the reference prediction
    differs between groups of an input by more than ``scale`` times the holdout's slopes there do.

    Under one map ``y' = a + b·y`` every group's slope is ``b`` times its holdout slope (the fit's own
    bends there cancel); each group's difference ``slope now - b·slope then`` is compared with their
    precision-weighted mean, summed as a chi-square with one degree of freedom fewer than groups."""
    p_values = []
    for j in range(X_cur.shape[1]):
        g_hold, g_cur = input_groups(X_hold[:, j], X_cur[:, j])
        codes = np.unique(g_hold[g_hold != -2])
        then = _group_slopes(pred_hold, y_hold, g_hold, codes, min_group)
        now = _group_slopes(pred_cur, y_cur, g_cur, codes, min_group)
        pairs = [(now[c][0] - scale * then[c][0], now[c][1] + scale ** 2 * then[c][1])
                 for c in codes if c in then and c in now]
        pairs = [(d, v) for d, v in pairs if v > 0]
        if len(pairs) >= 2:
            diff, var = np.array(pairs).T
            weight = 1.0 / var
            centre = float(np.sum(weight * diff) / np.sum(weight))
            p_values.append(float(stats.chi2.sf(float(np.sum(weight * (diff - centre) ** 2)), len(pairs) - 1)))
    return min(1.0, min(p_values) * len(p_values)) if p_values else 1.0


def outcome_line_measures(pred_hold: np.ndarray, y_hold: np.ndarray, X_hold: np.ndarray,
                          pred_cur: np.ndarray, y_cur: np.ndarray, X_cur: np.ndarray,
                          hold_weights: np.ndarray | None = None) -> dict[str, float]:
    """What a numeric outcome's verdict reads: ``p_follows_input`` (its residuals from the reference
    mechanism, net of their overall level, by group of each input; the holdout reweighted to the
    current inputs when ``hold_weights`` are given), how far they moved (``follows_input_shift``, in
    holdout standard deviations) and the redefinition measures."""
    p_follows, shift = deviation_by_input(y_hold - pred_hold, X_hold, y_cur - pred_cur, X_cur,
                                          hold_weights=hold_weights)
    return {"p_follows_input": p_follows, "follows_input_shift": shift,
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
            "p_follows_redefinition": deviation_follows_input(scale * e0, X_hold, e1, X_cur),
            "p_slope_follows_redefinition": slope_follows_input(pred_hold, y_hold, X_hold, pred_cur, y_cur, X_cur,
                                                                scale)}


def relation_effect(measures: dict[str, float], level: float) -> float:
    """A numeric outcome's deviations that moved by group of an input, as the effect of its mechanism
    test: the two-sample KS distance of two normal laws that far apart, ``2·Φ(δ/2) - 1`` for a move of
    ``δ`` standard deviations, so it weighs on the scale of the residual KS tests beside it. Counted
    only when the move is there at ``level`` (a size read off groups of noise is noise)."""
    if measures.get("p_follows_input", 1.0) >= level:
        return 0.0
    return float(2.0 * stats.norm.cdf(measures["follows_input_shift"] / 2.0) - 1.0)


def relation_detail(measures: dict[str, float], effect: float, level: float) -> str | None:
    """The mechanism test's one line when the move by group of an input is what decided it."""
    size = relation_effect(measures, level)
    if size <= 0.0 or size < effect:  # not found, or the residual KS tests weigh more
        return None
    return (f"given its parents, outcomes no longer follow the reference mechanism where an input lies (residuals "
            f"moved {measures['follows_input_shift']:.2f} sd by group of an input, p = {measures['p_follows_input']:.2g})")
