"""Is a node linear in its parents? The test that decides whether its mechanism needs boosting.

A boosting surrogate costs about 0.2 s per node (40 rounds of trees on up to
6,000 rows, then its predictions); a least-squares line costs milliseconds.
Where the node *is* a line in its parents (z-scores, weighted indices, the
features of a wide generated pipeline), boosting only approximates that line
by steps and the linear fit is kept anyway (``mechanism_fits.fit_surrogate``
compares the two on the holdout). So boosting is fitted only when the
reference rows show that the parents explain the node beyond a line: a nested
least-squares F-test of the line against the line plus a flexible basis — each
parent piecewise-linear in its normal scores (a square, a step, a hump, a
saturation), a categorical parent's level indicators, and the products of every
two parents (interactions) — on the training rows, at ``LENIENT_SIGNIFICANCE``.

Why no cause is lost: the rule reads the reference alone (a fitted model and a
one-call diagnosis decide alike), and a node skips boosting only where no
curvature is found at the sample's own size, i.e. where boosting has nothing
to add to the line. A mechanism that is not a line (a square of a column that
was then swapped for another of the same distribution, which no marginal sees)
is found curved here and gets boosting as before. Wrong "curved" verdicts
(5% of linear nodes) only cost the fit they always cost.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from causal_rca.causal.graph_baseline import basis_columns
from causal_rca.causal.mechanism_result import LENIENT_SIGNIFICANCE


def _rss_rank(A: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Residual sum of squares of ``y`` ~ [1, A] by least squares, and that design's rank.

    Solved through the columns' Gram matrix (columns scaled to unit norm first), a few dozen
    square: a least-squares solver on the 6,000-row design costs 15× more, and under a loaded
    machine its threads made it the largest item of a 500-node diagnosis."""
    design = np.column_stack([np.ones(len(A)), A])
    norms = np.sqrt((design ** 2).sum(axis=0))
    design = design / np.where(norms > 0, norms, 1.0)
    coef, _res, rank, _sv = np.linalg.lstsq(design.T @ design, design.T @ y, rcond=1e-10)
    residual = y - design @ coef
    return float(residual @ residual), int(rank)


def curvature_p(line: np.ndarray, X: np.ndarray, y: np.ndarray, categorical: np.ndarray) -> float:
    """p-value of "``y`` depends on the parents ``X`` beyond the linear design ``line``" (F-test).

    ``line``: the linear fit's own design (imputed parents and their missing indicators);
    ``categorical``: which columns of ``X`` are category codes (tested by their levels)."""
    flexible = [basis_columns(X[:, j], bool(c)) for j, c in enumerate(categorical)]
    present = ~np.isnan(X)
    means = np.where(present, X, 0.0).sum(axis=0) / np.maximum(present.sum(axis=0), 1)
    filled = np.where(present, X, means)
    scale = filled.std(axis=0)
    z = (filled - filled.mean(axis=0)) / np.where(scale > 0, scale, 1.0)
    products = [z[:, i] * z[:, j] for i in range(X.shape[1]) for j in range(i + 1, X.shape[1])]
    full = np.column_stack([line, *flexible, *products]) if flexible or products else line
    rss0, p0 = _rss_rank(line, y)
    rss1, p1 = _rss_rank(full, y)
    extra, room = p1 - p0, len(y) - p1
    if extra <= 0 or room <= 0:
        return 1.0
    if rss1 <= 1e-12 * max(rss0, 1e-300):
        return 0.0 if rss0 > 1e-12 else 1.0
    f = ((rss0 - rss1) / extra) / (rss1 / room)
    return float(stats.f.sf(max(f, 0.0), extra, room))


def is_linear(line: np.ndarray, X: np.ndarray, y: np.ndarray, categorical: np.ndarray) -> bool:
    """No evidence at ``LENIENT_SIGNIFICANCE`` that ``y`` is curved in ``X``: a line is its mechanism."""
    return curvature_p(line, X, y, categorical) >= LENIENT_SIGNIFICANCE
