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

from causal_rca.signals import statistics as st

FLOOR = 1e-4  # probability of a class the mechanism gives none (as mechanism.py clips)


def _mapped_loss(p: np.ndarray, labels: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Per-row log-loss of ``labels`` under ``p`` (rows × ``known`` classes) passed through the
    class-to-class map that fits these rows best (expected old class × observed new class)."""
    vocabulary = np.union1d(known, labels)
    columns = np.searchsorted(vocabulary, labels)
    onehot = np.zeros((len(labels), len(vocabulary)))
    onehot[np.arange(len(labels)), columns] = 1.0
    counts = p.T @ onehot
    transition = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1e-12)
    q = (p @ transition)[np.arange(len(labels)), columns]
    return -np.log(np.clip(q, FLOOR, 1.0))


def class_outcome_measures(known: np.ndarray, p_hold: np.ndarray, y_hold: np.ndarray, p_cur: np.ndarray,
                           y_cur: np.ndarray) -> dict[str, float]:
    """Measures of a multi-class label's change given its parents (codes as floats).

    ``known``: the classes the reference fit knows (``classes_``), ``p_hold``/``p_cur``: its
    probabilities on the reference holdout and the current rows, ``y_hold``/``y_cur``: their labels.
    """
    new = ~np.isin(y_cur, known)
    k_new, n_cur, n_ref = int(new.sum()), len(y_cur), len(y_hold)
    out = {"new_class_share": k_new / n_cur if n_cur else 0.0,
           "new_class_p": st.two_proportion(0, n_ref, k_new, n_cur) if k_new else 1.0}
    # Class mix against what the parents predict, net of the holdout's own miscalibration.
    observed_cur = np.array([np.mean(y_cur == c) for c in known])
    observed_hold = np.array([np.mean(y_hold == c) for c in known])
    gap = (observed_cur - p_cur.mean(axis=0)) - (observed_hold - p_hold.mean(axis=0))
    var = (p_cur * (1 - p_cur)).sum(axis=0) / n_cur ** 2 + (p_hold * (1 - p_hold)).sum(axis=0) / n_ref ** 2
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
    return out
