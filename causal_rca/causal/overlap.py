"""A model's residual test judged only where both windows have inputs (overlap weights).

A model node is a fixed function of its inputs, and its surrogate learnt that function from
the reference rows only: along the reference's own manifold, where the inputs move together
as they did then. When one input is computed differently at serving (a ratio no longer the
quotient of its siblings, a rescaled feature beside an unscaled one), the current rows leave
that manifold while each input stays inside its range and, in a dozen dimensions, near enough
reference rows for the neighbour check. The surrogate extrapolates there — it may have read
the skewed input through its siblings — so its residuals move although the served model did
not change, and the model outranked the feature that really changed (blind development cases
1001983: residual KS D = 0.39, p ≈ 1e-250; 1001990; 1002016).

The residuals can only testify about the model where reference rows with such inputs exist.
A classifier of current against reference rows on the model's inputs gives each row its
propensity e(x) of being current; weighting holdout rows by e and current rows by 1 − e
(overlap weights, Li, Morgan & Zaslavsky 2018) makes both windows describe the same inputs —
those both windows have — and drops, smoothly and without a cut-off, the rows only one window
has. Each side is then counted at its effective size (Σw)²/Σw², so a current window that
barely overlaps the reference gives little evidence either way. A changed model moves the
residuals on the shared inputs too (development case 1001987: D = 0.45, p ≈ 1e-92 weighted).
The weights are used only when the inputs detectably moved (the classifier tells held-out
current rows from the reference holdout, Mann–Whitney at 1%); otherwise the plain test stands.

A source with declared parents is judged the same way: measured, not computed, its relation
to its parents is a population's, learnt where the reference had rows, and a parent's
population shift crowds the current rows where the surrogate's errors differ (development
cases 1007207, 1001852: a child of the shifted ``age`` ranked above it).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from causal_rca.causal.covariate_shift import HoldoutWeights, loss_change, weighted_ks_test
from causal_rca.causal.fitting import trainable
from causal_rca.causal.mechanism_fits import Yardstick
from causal_rca.signals.sorted_ks import ks_sorted, sorted_sample

SHIFT_LEVEL = 0.01  # the inputs moved when the propensity classifier tells the windows apart at this level


def overlap_weights(X_train: np.ndarray, X_hold: np.ndarray, X_cur: np.ndarray, seed: int,
                    level: float = SHIFT_LEVEL) -> tuple[np.ndarray, np.ndarray] | None:
    """(holdout weights e(x), current weights 1 − e(x)); None when the inputs did not detectably move.

    Cross-fitted: the classifier learnt on one half of the current rows (against the surrogate's
    training rows) scores the other half, so no current row's weight comes from a classifier
    that saw it; the holdout's propensity is the two classifiers' mean. Both halves' two-sample
    tests (scores of the unseen half against the holdout's) are combined by Bonferroni."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    if len(X_cur) < 4 or len(X_hold) < 2:
        return None
    order = np.random.default_rng(seed).permutation(len(X_cur))
    halves = (order[: len(order) // 2], order[len(order) // 2:])
    e_cur, e_hold, p_values = np.empty(len(X_cur)), np.zeros(len(X_hold)), []
    for learn, judge in (halves, halves[::-1]):
        X = trainable(np.vstack([X_train, X_cur[learn]]))
        y = np.r_[np.zeros(len(X_train)), np.ones(len(learn))]
        clf = HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=15, min_samples_leaf=40,
                                             early_stopping=False, random_state=seed).fit(X, y)
        e_cur[judge] = clf.predict_proba(X_cur[judge])[:, 1]
        hold = clf.predict_proba(X_hold)[:, 1]
        e_hold += hold / 2
        p_values.append(stats.mannwhitneyu(e_cur[judge], hold, alternative="greater").pvalue)
    if min(1.0, 2 * min(p_values)) >= level:
        return None
    return e_hold, 1.0 - e_cur


def effective_rows(weights: np.ndarray) -> float:
    """Kish's effective sample size (Σw)²/Σw² (0 when every weight is 0)."""
    total = float(np.sum(weights ** 2))
    return float(np.sum(weights)) ** 2 / total if total > 0 else 0.0


def weighted_ks(a: np.ndarray, wa: np.ndarray, b: np.ndarray, wb: np.ndarray) -> tuple[float, float]:
    """(D, p) between two weighted samples, p at the two sides' effective sizes."""
    m, n = effective_rows(wa), effective_rows(wb)
    if m <= 0 or n <= 0:
        return 0.0, 1.0
    oa, ob = np.argsort(a, kind="stable"), np.argsort(b, kind="stable")
    a, wa, b, wb = a[oa], wa[oa], b[ob], wb[ob]
    grid = np.r_[a, b]
    fa = np.r_[0.0, np.cumsum(wa) / np.sum(wa)][np.searchsorted(a, grid, side="right")]
    fb = np.r_[0.0, np.cumsum(wb) / np.sum(wb)][np.searchsorted(b, grid, side="right")]
    d = float(np.max(np.abs(fa - fb)))
    en = max(1, round(m * n / (m + n)))
    return d, float(np.clip(stats.kstwo.sf(d, en), 0.0, 1.0))


def residual_ks(r0: np.ndarray, r1: np.ndarray, plain: Yardstick, inputs: tuple | None, seed: int,
                holdout: HoldoutWeights | None = None) -> tuple[float, float, float, float, dict[str, float]]:
    """(D signed, p signed, D absolute, p absolute, measures) of the current residuals ``r1``
    against the holdout's ``r0``.

    ``plain``: the holdout's residual yardstick (the unweighted test's); ``inputs``: (training rows, holdout rows, current rows) of the parents, for a model
    node (overlap-weighted when its inputs moved), None for any other node (plain test).
    ``holdout``: an outcome's holdout reweighted to the current inputs (``covariate_shift.py``), when they moved."""
    if holdout is not None:
        d_signed, p_signed = weighted_ks_test(r0, holdout, r1)
        d_abs, p_abs = weighted_ks_test(np.abs(r0), holdout, np.abs(r1))
        return d_signed, p_signed, d_abs, p_abs, {"holdout_effective_rows": holdout.effective_rows}
    ordered, absolute = plain.ordered, plain.absolute
    weights = overlap_weights(*inputs, seed) if inputs is not None else None
    if weights is None:
        d_signed, p_signed = ks_sorted(ordered, sorted_sample(r1))
        d_abs, p_abs = ks_sorted(absolute, sorted_sample(np.abs(r1)))
        return d_signed, p_signed, d_abs, p_abs, {}
    w0, w1 = weights
    d_signed, p_signed = weighted_ks(r0, w0, r1, w1)
    d_abs, p_abs = weighted_ks(np.abs(r0), w0, np.abs(r1), w1)
    return d_signed, p_signed, d_abs, p_abs, {"overlap_rows_reference": effective_rows(w0),
                                              "overlap_rows_current": effective_rows(w1)}


def weighted_mean_gap(a: np.ndarray, wa: np.ndarray, b: np.ndarray, wb: np.ndarray) -> tuple[float, float]:
    """(weighted mean of ``b`` less that of ``a``, its two-sided Welch p at the two sides' effective sizes);
    no gap and p = 1 when a side has at most one effective row."""
    m, n = effective_rows(wa), effective_rows(wb)
    if m <= 1 or n <= 1:
        return 0.0, 1.0
    mean_a, mean_b = float(np.average(a, weights=wa)), float(np.average(b, weights=wb))
    se2 = float(np.average((a - mean_a) ** 2, weights=wa)) / m + float(np.average((b - mean_b) ** 2, weights=wb)) / n
    gap = mean_b - mean_a
    return gap, (float(2 * stats.norm.sf(abs(gap) / np.sqrt(se2))) if se2 > 0 else (0.0 if gap else 1.0))


def overlap_loss_change(plain: Yardstick, loss1: np.ndarray, inputs: tuple,
                        seed: int) -> tuple[float, float, float, float]:
    """A categorical model's (or measured source's) per-row log-loss judged where both windows have
    inputs, as ``residual_ks`` judges a numeric one: (KS D, KS p, Welch p on the means, the loss the
    current rows would have at the reference's rate there); ``loss_change``'s plain test when the
    inputs did not detectably move. A multi-class model's predicted class is a fixed function of its
    inputs too, and its surrogate's log-loss grows where a moved population takes it off the
    reference's rows (spec family development case 3000167: ``account_mrr`` ×3, the unchanged model
    ranked first on log-loss 0.23 → 0.36). The last value is the current mean less the weighted gap,
    so that ``(mean - expected) / expected`` reads the gap where both windows have inputs."""
    weights = overlap_weights(*inputs, seed)
    if weights is None:
        return loss_change(plain, loss1, None)
    w0, w1 = weights
    d, p_ks = weighted_ks(plain.values, w0, loss1, w1)
    gap, p_mean = weighted_mean_gap(plain.values, w0, loss1, w1)
    return d, p_ks, p_mean, float(np.mean(loss1)) - gap
