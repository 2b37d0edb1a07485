"""A multi-class outcome given its parents: did the labels change as classes, or as a relation?

The binary label test asks whether the base rate moved beyond what the
parents predict (mechanism.py). With more than two classes a label can change
in three ways that the failure modes tell apart:

- a class the reference never had appears (a new product type, a new
  document type): ``label_shift``;
- the labels changed *by class*, whatever the inputs: a class re-weighted, two
  classes merged, part of one class now annotated as another. The current
  labels then follow the reference mechanism passed through one class-to-class
  map ``T(new | old)``, the same for every row: ``label_shift``;
- the labels changed with the inputs (rows of one region now belong to another
  class): no class-level map explains them: ``concept_drift``.

The map is fitted on the current rows (``T[y, y'] ∝ Σ P_ref(y | x_i)·[y'_i]``)
and, to cancel the fit's own advantage, on the reference holdout too; what is
compared is the per-row log-loss after the map in both windows.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from causal_rca.causal.outcome_tests import deviation_follows_input
from causal_rca.signals import statistics as st

FLOOR = 1e-4  # probability of a class the mechanism gives none (as mechanism.py clips)


def _onehot(labels: np.ndarray, vocabulary: np.ndarray) -> np.ndarray:
    onehot = np.zeros((len(labels), len(vocabulary)))
    onehot[np.arange(len(labels)), np.searchsorted(vocabulary, labels)] = 1.0
    return onehot


def _class_map(p: np.ndarray, labels: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the class-to-class map that fits these rows best — expected old class × observed new
    class — over the vocabulary ``known`` ∪ ``labels``, the labels one-hot over that vocabulary)."""
    onehot = _onehot(labels, np.union1d(known, labels))
    counts = p.T @ onehot
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1e-12), onehot


def _mapped_loss(p: np.ndarray, labels: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Per-row log-loss of ``labels`` under ``p`` (rows × ``known`` classes) passed through the
    class-to-class map that fits these rows best."""
    transition, onehot = _class_map(p, labels, known)
    q = ((p @ transition) * onehot).sum(axis=1)
    return -np.log(np.clip(q, FLOOR, 1.0))


def map_follows_input(known: np.ndarray, p_hold: np.ndarray, y_hold: np.ndarray, X_hold: np.ndarray,
                      p_cur: np.ndarray, y_cur: np.ndarray, X_cur: np.ndarray) -> float:
    """p-value (Bonferroni over classes) that the current labels' deviations from the reference
    mechanism passed through one class map depend on where an input lies.

    A new annotation policy relabels by class, whatever the inputs: ``E[y' | x] = E[y | x]·T``, one
    map ``T`` for every row, so the current labels are linear in the reference probabilities. The
    map is the least-squares one (unbiased for that linear model, where the soft counts above blur
    it by the fit's own uncertainty), on each window: ``T0`` on the holdout (the fit's own
    miscalibration), ``T1`` now, ``T = T0⁻¹·T1``. Each class's deviation from ``p·T1`` then has,
    per group of an input, the mean the holdout's deviations from ``p·T0`` mapped by ``T`` have
    there, as for a numeric outcome's line (outcome_redefinition.py); labels that changed in one
    region of an input leave group means no map fits. The entropy an honest relabelling adds
    (two classes mixed) raises the log-loss, not this."""
    seen = np.isin(y_hold, known)  # a holdout class too rare to reach the fit's training rows has no column
    p_hold, y_hold, X_hold = p_hold[seen], y_hold[seen], X_hold[seen]
    onehot_hold, onehot_cur = _onehot(y_hold, known), _onehot(y_cur, np.union1d(known, y_cur))
    map_hold = np.linalg.lstsq(p_hold, onehot_hold, rcond=None)[0]
    map_cur = np.linalg.lstsq(p_cur, onehot_cur, rcond=None)[0]
    expected_hold = (onehot_hold - p_hold @ map_hold) @ np.linalg.lstsq(map_hold, map_cur, rcond=None)[0]
    observed_cur = onehot_cur - p_cur @ map_cur
    columns = [c for c in range(onehot_cur.shape[1]) if np.ptp(observed_cur[:, c]) > 0]
    p_values = [deviation_follows_input(expected_hold[:, c], X_hold, observed_cur[:, c], X_cur) for c in columns]
    return min(1.0, min(p_values) * len(p_values)) if p_values else 1.0


def class_outcome_measures(known: np.ndarray, p_hold: np.ndarray, y_hold: np.ndarray, p_cur: np.ndarray,
                           y_cur: np.ndarray, X_hold: np.ndarray | None = None,
                           X_cur: np.ndarray | None = None, hold_weights: np.ndarray | None = None) -> dict[str, float]:
    """Measures of a multi-class label's change given its parents (codes as floats).

    ``known``: the classes the reference fit knows (``classes_``), ``p_hold``/``p_cur``: its
    probabilities on the reference holdout and the current rows, ``y_hold``/``y_cur``: their labels.
    ``hold_weights``: the holdout reweighted to the current inputs (``covariate_shift.py``), when they
    moved: the fit's own miscalibration is then the one where the current rows lie, counted at the
    holdout's effective size.
    """
    new = ~np.isin(y_cur, known)
    k_new, n_cur, n_ref = int(new.sum()), len(y_cur), len(y_hold)
    out = {"new_class_share": k_new / n_cur if n_cur else 0.0,
           "new_class_p": st.two_proportion(0, n_ref, k_new, n_cur) if k_new else 1.0}
    # Class mix against what the parents predict, net of the holdout's own miscalibration.
    observed_cur = np.array([np.mean(y_cur == c) for c in known])
    w = np.ones(n_ref) if hold_weights is None else hold_weights / hold_weights.sum() * n_ref
    observed_hold = np.array([np.mean(w * (y_hold == c)) for c in known])
    gap = (observed_cur - p_cur.mean(axis=0)) - (observed_hold - (w[:, None] * p_hold).mean(axis=0))
    var = (p_cur * (1 - p_cur)).sum(axis=0) / n_cur ** 2 + (w[:, None] ** 2 * p_hold * (1 - p_hold)).sum(axis=0) / n_ref ** 2
    z2 = np.divide(gap ** 2, var, out=np.zeros_like(gap), where=var > 0)
    # The class shares sum to one: k - 1 free gaps.
    out["class_prior_p"] = float(stats.chi2.sf(z2.sum(), max(1, len(known) - 1)))
    out["class_prior_shift"] = float(0.5 * np.abs(gap).sum() + 0.5 * out["new_class_share"])
    loss_hold = _mapped_loss(p_hold, y_hold, known)
    loss_cur = _mapped_loss(p_cur, y_cur, known)
    out["class_map_loss_reference"] = float(loss_hold.mean())
    out["class_map_loss_current"] = float(loss_cur.mean())
    if np.ptp(np.r_[loss_hold, loss_cur]) > 0:
        t = stats.ttest_ind(loss_cur, loss_hold, equal_var=False)
        out["class_map_p"] = float(t.pvalue / 2 if t.statistic > 0 else 1 - t.pvalue / 2)  # one-sided: worse now
    else:
        out["class_map_p"] = 1.0
    if X_hold is not None and X_cur is not None:
        out["p_map_follows_input"] = map_follows_input(known, p_hold, y_hold, X_hold, p_cur, y_cur, X_cur)
    return out
