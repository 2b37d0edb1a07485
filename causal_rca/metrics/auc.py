"""roc_auc from scores: the binary Mann-Whitney statistic, and one-vs-rest over classes.

Ties count one half, as in scikit-learn's ``roc_auc_score``. A binary row is
encoded as ``2 * is_positive + score`` (``auc_parts`` splits it back); a
one-vs-rest row as its true class index and every class's probability.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import rankdata

from causal_rca.errors import InputError
from causal_rca.metrics.spec import MetricSpec


def auc_parts(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores of positive and negative rows from the roc_auc encoding, rounded alike so ties survive."""
    pos = v > 1.5
    return v[pos] - 2.0, (v[~pos] + 2.0) - 2.0


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Mann-Whitney U / (P·N): ties count one half, as in sklearn's roc_auc_score."""
    ranks = rankdata(np.concatenate([pos, neg]))
    p, n = len(pos), len(neg)
    return float((ranks[:p].sum() - p * (p + 1) / 2.0) / (p * n))


def auc_from_counts(cp: np.ndarray, cn: np.ndarray, n_pos: int, n_neg: int) -> np.ndarray:
    """AUC per row of level counts (levels in increasing score order); ties count one half."""
    below = np.cumsum(cn, axis=-1) - cn
    return (cp * (below + 0.5 * cn)).sum(axis=-1) / (n_pos * n_neg)


def ovr_auc_of(spec: MetricSpec, u: np.ndarray) -> Callable[[np.ndarray | None], float]:
    """One-vs-rest roc_auc of encoded rows ``u`` as a function of row weights (None: each row once).

    Each class's probability against "this class or not", ties counting one
    half; macro averages the classes present in the labels, weighted weighs
    them by their label count, micro pools every (row, class) pair. Sorting
    is the costly part, so it happens once here and a bootstrap resample only
    changes the weights.
    """
    t, s = u[:, 0], u[:, 1:]
    k = s.shape[1]
    if spec.average == "micro":
        parts = [((t[:, None] == np.arange(k)[None, :]).ravel(), s.ravel(), k)]
    else:
        parts = [(t == c, s[:, c], 1) for c in range(k)]
    prepared = []
    for y, score, repeat in parts:
        levels, inverse = np.unique(score, return_inverse=True)
        prepared.append((y, inverse[y], inverse[~y], len(levels), repeat))

    def value(weights: np.ndarray | None = None) -> float:
        w = np.ones(len(u)) if weights is None else np.asarray(weights, dtype=float)
        aucs, sizes = [], []
        for y, pos, neg, levels, repeat in prepared:
            wy = np.repeat(w, repeat) if repeat > 1 else w
            cp = np.bincount(pos, weights=wy[y], minlength=levels)
            cn = np.bincount(neg, weights=wy[~y], minlength=levels)
            n_pos, n_neg = float(cp.sum()), float(cn.sum())
            if n_pos == 0:
                continue  # a class absent from the labels has no comparison
            if n_neg == 0:
                raise InputError("only one class among the scored rows: roc_auc needs both classes of each "
                                 "one-vs-rest comparison")
            aucs.append(float(auc_from_counts(cp, cn, n_pos, n_neg)))
            sizes.append(n_pos)
        if not aucs:
            raise InputError("no row of a class with a probability column: roc_auc is undefined")
        if spec.average == "weighted":
            return float(np.dot(aucs, sizes) / np.sum(sizes))
        return float(np.mean(aucs))

    return value
