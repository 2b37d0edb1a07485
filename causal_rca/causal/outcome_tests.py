"""Tests over a node's reference fit and its current scores: base rates, strata, AUC, where deviations lie.

Each compares the current window with the reference holdout as scored by the
same reference fit (``mechanism.conditional_test``), so the fit's own errors
cancel; they read arrays only, not the windows.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from causal_rca.causal.fitting import MIN_ROWS
from causal_rca.causal.overlap import effective_rows
from causal_rca.signals import statistics as st


def default_selectivity(expected: np.ndarray, observed: np.ndarray, value: float, tol: float) -> dict[str, float]:
    """Which rows took the repeated value? A fallback (an outage, a timeout) hits rows whatever
    they should have held; a computation that changed (clipping, a remapped category) hits rows
    *by* what they should have held. KS distance between the expected values of rows that took
    the value without the reference computation giving it and of rows that kept their own."""
    took = (observed == value) & (np.abs(expected - value) > tol)
    kept = observed != value
    if took.sum() < MIN_ROWS or kept.sum() < MIN_ROWS:
        return {}
    d, _p = st.ks_two_sample(expected[took], expected[kept])
    return {"default_selectivity": d}


def input_groups(x_hold: np.ndarray, x_cur: np.ndarray, bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Group codes for one input: its levels when it has few, else deciles of the reference; nulls
    form a group of their own."""
    known = x_hold[~np.isnan(x_hold)]
    if len(np.unique(known)) <= 2 * bins:
        levels = np.unique(known)
        code = lambda x: np.where(np.isnan(x), -1, np.where(np.isin(x, levels), np.searchsorted(levels, np.nan_to_num(x)), -2))  # noqa: E731
    else:
        edges = np.unique(np.quantile(known, np.linspace(0, 1, bins + 1)[1:-1]))
        code = lambda x: np.where(np.isnan(x), -1, np.searchsorted(edges, np.nan_to_num(x)))  # noqa: E731
    return code(x_hold), code(x_cur)


def deviation_follows_input(dev_hold: np.ndarray, X_hold: np.ndarray, dev_cur: np.ndarray, X_cur: np.ndarray,
                             min_group: int = 20) -> float:
    """p-value (Bonferroni over inputs) that the outcome's deviation from the reference mechanism
    now depends on where an input lies (``deviation_by_input``)."""
    return deviation_by_input(dev_hold, X_hold, dev_cur, X_cur, min_group)[0]


def deviation_by_input(dev_hold: np.ndarray, X_hold: np.ndarray, dev_cur: np.ndarray, X_cur: np.ndarray,
                       min_group: int = 20, hold_weights: np.ndarray | None = None) -> tuple[float, float]:
    """(p-value, Bonferroni over inputs, that the outcome's deviation from the reference mechanism
    now depends on where an input lies; the largest such move, in holdout standard deviations).

    A moved prior moves every row's outcome alike, once the deviations are taken net of their
    overall level; a changed relation moves the rows of one region of an input (a segment, a
    range). Per input, each group's mean deviation now is compared with the same group's on
    the reference holdout (the fit's own errors there cancel), summed as a chi-square. The move
    is the root mean square of the groups' changes, weighted by their current rows: its size,
    where the p-value says whether it is there at all. ``hold_weights``: the holdout reweighted
    to the current inputs (``covariate_shift.py``): within a group of one input the others moved
    too, and the fit's errors differ where they went; each group's holdout mean is then the
    weighted one, its variance Σw²(a - ā)²/(Σw)² (a few heavy rows count with their own spread).
    The overall level is then no longer known exactly (a weighted holdout of a hundred effective
    rows is a noisy yardstick): the groups' changes are compared with their own precision-weighted
    mean (a chi-square of heterogeneity), not with the difference of two overall means.
    """
    weighted = hold_weights is not None
    w = hold_weights if weighted else np.ones(len(dev_hold))
    mean = (lambda v, wv: float(np.average(v, weights=wv))) if weighted else (lambda v, wv: float(v.mean()))
    dev_hold, dev_cur = dev_hold - mean(dev_hold, w), dev_cur - dev_cur.mean()
    # A group whose outcomes the mechanism fixes exactly has no spread to judge by (float dust).
    negligible = 1e-9 * (float(np.var(np.r_[dev_hold, dev_cur])) + 1e-12)
    unit = float(np.sqrt(mean(dev_hold ** 2, w)) if weighted else np.std(dev_hold)) or 1.0
    p_values, largest = [], 0.0
    for j in range(X_cur.shape[1]):
        g_hold, g_cur = input_groups(X_hold[:, j], X_cur[:, j])
        changes, variances, rows = [], [], []
        for g in np.unique(g_hold[g_hold != -2]):
            a, wa, b = dev_hold[g_hold == g], w[g_hold == g], dev_cur[g_cur == g]
            n_a = effective_rows(wa)
            if n_a < min_group or len(b) < min_group:
                continue
            mean_a = mean(a, wa)
            # The weighted mean's variance by linearisation, Σw²(a - ā)² / (Σw)²: with unit weights
            # the usual s²/n (but for n - 1); with a few heavy rows, their own spread counts.
            var_mean_a = (float(np.sum(wa ** 2 * (a - mean_a) ** 2) / wa.sum() ** 2) * n_a / (n_a - 1)
                          if weighted else float(a.var(ddof=1)) / len(a))
            se2 = var_mean_a + b.var(ddof=1) / len(b)
            if se2 > negligible:
                changes.append(b.mean() - mean_a)
                variances.append(se2)
                rows.append(len(b))
        if len(changes) >= 2:
            if weighted:
                level = sum(d / v for d, v in zip(changes, variances)) / sum(1 / v for v in variances)
                changes = [d - level for d in changes]
            statistic = sum(d ** 2 / v for d, v in zip(changes, variances))
            p_values.append(float(stats.chi2.sf(statistic, len(changes) - 1)))
            squares = sum(n * d ** 2 for n, d in zip(rows, changes))
            largest = max(largest, float(np.sqrt(squares / sum(rows))) / unit)
    return (min(1.0, min(p_values) * len(p_values)) if p_values else 1.0), largest


def recalibrated(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The outcome rate as a monotone function of the reference prediction, fitted on these rows:
    whatever form a moved prior takes (relabelling at random, a changed odds), it is monotone in
    the prediction, so what it leaves is a deviation no input explains."""
    from sklearn.isotonic import IsotonicRegression

    return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(p, y).predict(p)


def base_rate_test(p_ref: np.ndarray, y_ref: np.ndarray, p_cur: np.ndarray, y_cur: np.ndarray,
                   weights: np.ndarray | None = None) -> dict[str, float]:
    """Did the outcome's base rate move beyond what the parents predict, beyond sampling noise?

    The reference fit predicts each current row's probability of the positive class; with no
    change of prior, the current positives are a sum of those Bernoulli draws. Its own
    miscalibration is measured on the reference holdout and subtracted, so the gap is
    (observed - predicted) now minus (observed - predicted) then, with the standard error of
    both Poisson-binomial sums: a test at the windows' own sizes, not a fixed gap. ``weights``
    (``covariate_shift.holdout_weights``) measure the miscalibration where the current inputs lie.
    """
    if weights is None:
        then, then_var = y_ref.mean() - p_ref.mean(), float(np.sum(p_ref * (1 - p_ref))) / len(p_ref) ** 2
    else:
        w = weights / np.sum(weights)
        then, then_var = float(np.sum(w * (y_ref - p_ref))), float(np.sum(w ** 2 * p_ref * (1 - p_ref)))
    gap = (y_cur.mean() - p_cur.mean()) - then
    se = math.sqrt(float(np.sum(p_cur * (1 - p_cur))) / len(p_cur) ** 2 + then_var)
    p = float(2 * stats.norm.sf(abs(gap) / se)) if se > 0 else (0.0 if gap else 1.0)
    return {"base_rate_gap": float(gap), "base_rate_se": se, "base_rate_p": p}


def auc_se(auc: float, y: np.ndarray) -> float:
    """Hanley and McNeil's standard error of an AUC from its positives and negatives."""
    n1, n0 = float(y.sum()), float(len(y) - y.sum())
    q1, q2 = auc / (2 - auc), 2 * auc ** 2 / (1 + auc)
    return math.sqrt(max(auc * (1 - auc) + (n1 - 1) * (q1 - auc ** 2) + (n0 - 1) * (q2 - auc ** 2), 0.0) / (n1 * n0))


def stratified_rate_test(p_ref: np.ndarray, y_ref: np.ndarray, p_cur: np.ndarray, y_cur: np.ndarray,
                          bins: int = 10, weights: np.ndarray | None = None) -> float:
    """Does the outcome rate differ between windows among rows the reference mechanism scores alike?

    One 2×2 chi-square per decile of the predicted probability, summed (df = strata). Both windows
    are scored by the same reference fit, so its own miscalibration cancels out. ``weights``: the
    reference rows reweighted to the current inputs, each stratum counted at its effective size.
    """
    edges = np.unique(np.quantile(p_ref, np.linspace(0, 1, bins + 1)[1:-1]))
    b_ref, b_cur = np.digitize(p_ref, edges), np.digitize(p_cur, edges)
    statistic, df = 0.0, 0
    for b in range(len(edges) + 1):
        r, c = y_ref[b_ref == b], y_cur[b_cur == b]
        if weights is None:
            n_ref, positives = float(len(r)), float(r.sum())
        else:
            wr = weights[b_ref == b]
            n_ref = float(wr.sum() ** 2 / np.sum(wr ** 2)) if len(wr) else 0.0
            positives = float(np.sum(wr * r) / np.sum(wr)) * n_ref if len(wr) else 0.0
        if n_ref < 20 or len(c) < 20:
            continue
        table = np.array([[positives, n_ref - positives], [c.sum(), len(c) - c.sum()]], dtype=float)
        if (table.sum(axis=0) == 0).any():
            continue
        statistic += stats.chi2_contingency(table, correction=False)[0]
        df += 1
    return float(stats.chi2.sf(statistic, df)) if df else 1.0
