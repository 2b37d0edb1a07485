"""Reference holdout rows reweighted to the current window's inputs (importance weights).

An outcome's mechanism test scores the reference holdout and the current rows with the
same reference fit and compares how well each is explained. When the inputs moved (a
population shift upstream, the mechanism unchanged), the current rows sit where the
reference had few rows, where the fit is worse: the comparison then reads the fit's own
regional errors as a changed mechanism, and the label is blamed for a shift above it.
Weighting each holdout row by how much likelier its inputs are now than then (a
classifier of current against reference rows on the parents, the usual density-ratio
estimate) makes the holdout describe the same inputs as the current rows; its effective
sample size ``(Σw)² / Σw²`` then says how much reference evidence those inputs have, so a
region the reference barely saw gives a wide interval, not a false alarm. When the inputs did
not detectably move (the classifier's own two-sample test), the holdout is left as it is:
weights learnt from noise would only blur a concept change the plain comparison sees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from causal_rca.causal.mechanism_fits import Yardstick
from causal_rca.signals.sorted_ks import ks_sorted, sorted_sample


@dataclass(frozen=True)
class HoldoutWeights:
    """One weight per holdout row (mean 1) and their effective sample size."""

    weights: np.ndarray
    effective_rows: float

    def mean(self, values: np.ndarray) -> float:
        return float(np.sum(self.weights * values) / np.sum(self.weights))

    def variance(self, values: np.ndarray) -> float:
        return float(np.sum(self.weights * (values - self.mean(values)) ** 2) / np.sum(self.weights))


def holdout_weights(X_train: np.ndarray, X_hold: np.ndarray, X_cur: np.ndarray, seed: int,
                    level: float = 0.01) -> HoldoutWeights | None:
    """Density ratio current / reference at each holdout row's inputs; None when the inputs
    did not detectably move (a weighted holdout would only add the classifier's noise).

    The classifier learns half of the current rows against the reference rows the surrogate
    was trained on; whether the inputs moved is its two-sample test: do its scores tell the
    holdout from the other half of the current rows (Mann-Whitney, at ``level``)? Both are
    rows it never saw, so the test is honest at their sizes, and so are the weights.
    Probabilities are kept within [1e-3, 1 - 1e-3] so that one row cannot take an infinite
    weight; a row that nearly alone carries the current inputs already drives the effective
    sample size down to a few rows."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    order = np.random.default_rng(seed).permutation(len(X_cur))
    learn, judge = X_cur[order[: len(order) // 2]], X_cur[order[len(order) // 2:]]
    X = np.vstack([X_train, learn])
    y = np.r_[np.zeros(len(X_train)), np.ones(len(learn))]
    clf = HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=15, min_samples_leaf=40,
                                         early_stopping=False, random_state=seed)
    clf.fit(X, y)
    p = np.clip(clf.predict_proba(X_hold)[:, 1], 1e-3, 1 - 1e-3)
    if stats.mannwhitneyu(clf.predict_proba(judge)[:, 1], p, alternative="greater").pvalue >= level:
        return None
    w = p / (1 - p)
    w = w / w.mean()
    return HoldoutWeights(w, float(w.sum() ** 2 / np.sum(w ** 2)))


def weighted_mean_test(hold: np.ndarray, weights: HoldoutWeights, current: np.ndarray) -> float:
    """Two-sided p that the current mean differs from the reweighted holdout's (Welch, effective sizes)."""
    se2 = weights.variance(hold) / weights.effective_rows + float(np.var(current, ddof=1)) / len(current)
    gap = float(np.mean(current)) - weights.mean(hold)
    if se2 <= 0:
        return 1.0 if gap == 0 else 0.0
    return float(2 * stats.norm.sf(abs(gap) / math.sqrt(se2)))


def weighted_ks_test(hold: np.ndarray, weights: HoldoutWeights, current: np.ndarray) -> tuple[float, float]:
    """(D, p) between the reweighted holdout's distribution and the current one, p at the
    effective holdout size."""
    order = np.argsort(hold, kind="stable")
    h, w = hold[order], weights.weights[order]
    cdf_h = np.cumsum(w) / np.sum(w)
    c = np.sort(current)
    grid = np.r_[h, c]
    f_h = np.r_[0.0, cdf_h][np.searchsorted(h, grid, side="right")]
    f_c = np.searchsorted(c, grid, side="right") / len(c)
    d = float(np.max(np.abs(f_h - f_c)))
    m, n = weights.effective_rows, float(len(c))
    en = max(1.0, round(m * n / (m + n)))
    return d, float(np.clip(stats.kstwo.sf(d, en), 0.0, 1.0))


def loss_change(reference: Yardstick, current: np.ndarray,
                weights: HoldoutWeights | None) -> tuple[float, float, float, float]:
    """(KS D, KS p, mean-test p, the loss expected at the current inputs) of the current rows'
    losses against the holdout's, reweighted when ``weights`` are given.

    A changed concept shows in the tail (positives now badly predicted), which KS on the whole
    loss distribution barely sees: the mean loss is tested too."""
    if weights is None:
        d, p_ks = ks_sorted(reference.ordered, sorted_sample(current))
        loss0 = reference.values
        p_mean = (float(stats.ttest_ind(loss0, current, equal_var=False).pvalue)
                  if np.ptp(np.r_[loss0, current]) > 0 else 1.0)
        return d, p_ks, p_mean, float(loss0.mean())
    d, p_ks = weighted_ks_test(reference.values, weights, current)
    return d, p_ks, weighted_mean_test(reference.values, weights, current), weights.mean(reference.values)
