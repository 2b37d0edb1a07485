"""Seeded bootstrap replicates of the metrics that are not a mean over rows.

f1, rmse, roc_auc, r2, balanced accuracy and the macro and weighted
averages get a percentile interval from these replicates. Each form draws
what a resample changes (a count, a cell's share, a score level's count)
rather than the rows themselves where it can, and windows beyond
``_EXACT_ROWS`` rows use bounded-cost approximations, so a million-row
window stays fast.
"""

from __future__ import annotations

import math

import numpy as np

from causal_rca.metrics.auc import auc, auc_from_counts, auc_parts, ovr_auc_of
from causal_rca.metrics.confusion import cell_counts, confusion_metric
from causal_rca.metrics.regression import r2_of
from causal_rca.metrics.spec import MetricSpec

BOOTSTRAP_RESAMPLES = 400
_CHUNK_ELEMENTS = 1 << 22  # bound on the index matrix of one vectorised bootstrap chunk
_EXACT_ROWS = 200_000  # above this, bootstraps switch to bounded-cost approximations
_AUC_LEVELS = 2048  # score levels kept in a roc_auc bootstrap of a large window


def _chunks(resamples: int, per_resample: int):
    size = max(1, min(resamples, _CHUNK_ELEMENTS // max(per_resample, 1)))
    for start in range(0, resamples, size):
        yield min(size, resamples - start)


def _resampled_counts(rng: np.random.Generator, levels: np.ndarray, k: int, c: int) -> np.ndarray:
    """Counts per level in ``c`` bootstrap resamples of the rows whose level is ``levels``."""
    n = len(levels)
    drawn = levels[rng.integers(0, n, size=(c, n))]
    drawn += (np.arange(c) * k)[:, None]
    return np.bincount(drawn.ravel(), minlength=c * k).reshape(c, k)


def _bootstrap_auc(u: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Stratified bootstrap of roc_auc: classes keep their sizes, so every resample has both.

    A resample only changes how many rows sit at each score level, so the
    counts are drawn directly (multinomial): exact, and cheap when there are
    few levels. Large windows with many distinct scores are binned into
    ``_AUC_LEVELS`` quantile levels and the replicates shifted by the
    exact-minus-binned AUC; the binning moves each row's rank by under
    1/_AUC_LEVELS, far below the sampling noise at that size.
    """
    pos, neg = auc_parts(u)
    n_pos, n_neg = len(pos), len(neg)
    pooled = np.concatenate([pos, neg])
    levels, inverse = np.unique(pooled, return_inverse=True)
    k = len(levels)
    shift = 0.0
    if k > _AUC_LEVELS and len(u) <= _EXACT_ROWS:
        out = np.empty(resamples)
        done = 0
        for c in _chunks(resamples, len(u) + 2 * k):
            cp = _resampled_counts(rng, inverse[:n_pos], k, c)
            cn = _resampled_counts(rng, inverse[n_pos:], k, c)
            out[done:done + c] = auc_from_counts(cp, cn, n_pos, n_neg)
            done += c
        return out
    if k > _AUC_LEVELS:
        edges = np.unique(np.quantile(pooled, np.linspace(0.0, 1.0, _AUC_LEVELS + 1)[1:-1]))
        inverse = np.searchsorted(edges, pooled, side="right")
        k = len(edges) + 1
    cp0 = np.bincount(inverse[:n_pos], minlength=k)
    cn0 = np.bincount(inverse[n_pos:], minlength=k)
    if k < len(levels):
        shift = auc(pos, neg) - float(auc_from_counts(cp0, cn0, n_pos, n_neg))
    cp = rng.multinomial(n_pos, cp0 / n_pos, size=resamples)
    cn = rng.multinomial(n_neg, cn0 / n_neg, size=resamples)
    return auc_from_counts(cp, cn, n_pos, n_neg) + shift


def _shrunk(out: np.ndarray, centre: float, m: int, n: int) -> np.ndarray:
    """Replicates of ``m``-row resamples rescaled to the spread of ``n``-row ones (m-out-of-n bootstrap)."""
    return out if m >= n else centre + (out - centre) * math.sqrt(m / n)


def _bootstrap_mean(u: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Bootstrap replicates of the mean of ``u``.

    Up to ``_EXACT_ROWS`` rows: the ordinary bootstrap. Beyond, resamples of
    ``_EXACT_ROWS`` rows rescaled by sqrt(m/n) (m-out-of-n bootstrap): the
    same variance at a bounded cost, so a million-row window stays fast.
    """
    n = len(u)
    m = min(n, _EXACT_ROWS)
    out = np.empty(resamples)
    done = 0
    for c in _chunks(resamples, m):
        out[done:done + c] = u[rng.integers(0, n, size=(c, m))].mean(axis=1)
        done += c
    return _shrunk(out, float(np.mean(u)), m, n)


def _bootstrap_r2(u: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Bootstrap replicates of r2: resampled (label, prediction) rows, m-out-of-n beyond ``_EXACT_ROWS``."""
    n = len(u)
    m = min(n, _EXACT_ROWS)
    y, err2 = u[:, 0] - float(np.mean(u[:, 0])), (u[:, 0] - u[:, 1]) ** 2
    out = np.empty(resamples)
    done = 0
    for c in _chunks(resamples, 2 * m):
        idx = rng.integers(0, n, size=(c, m))
        ys = y[idx]
        sst = ((ys - ys.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        sse = err2[idx].sum(axis=1)
        flat = sst <= 0.0
        out[done:done + c] = np.where(flat, np.where(sse == 0.0, 1.0, 0.0), 1.0 - sse / np.where(flat, 1.0, sst))
        done += c
    return _shrunk(out, r2_of(u), m, n)


def _bootstrap_ovr_auc(spec: MetricSpec, u: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Stratified bootstrap of one-vs-rest roc_auc: each true class keeps its share, so every resample
    has every comparison; a resample is a weight per row. m-out-of-n beyond ``_EXACT_ROWS`` rows."""
    n = len(u)
    m = min(n, _EXACT_ROWS)
    value = ovr_auc_of(spec, u)
    strata = [np.flatnonzero(u[:, 0] == c) for c in np.unique(u[:, 0])]
    sizes = [max(1, round(len(rows) * m / n)) for rows in strata]
    out = np.empty(resamples)
    for r in range(resamples):
        drawn = np.concatenate([rows[rng.integers(0, len(rows), size=size)] for rows, size in zip(strata, sizes)])
        out[r] = value(np.bincount(drawn, minlength=n))
    return _shrunk(out, value(), m, n)


def bootstrap(spec: MetricSpec, u: np.ndarray, rng: np.random.Generator,
               resamples: int = BOOTSTRAP_RESAMPLES) -> np.ndarray:
    """The metric over ``resamples`` bootstrap resamples of the rows that enter it."""
    form = spec.form
    if form == "f1":
        # Rows are 0/1, so the count of ones in a resample is binomial: exact and instant.
        m = len(u)
        j = rng.binomial(m, float(np.mean(u)), size=resamples) / m
        return 2.0 * j / (1.0 + j)
    if form == "rmse":
        return np.sqrt(np.maximum(_bootstrap_mean(u, rng, resamples), 0.0))
    if form == "confusion":
        # A resample only changes how many rows fall in each cell: multinomial counts, exact and fast.
        cells, counts = cell_counts(u)
        return np.concatenate([confusion_metric(spec, cells, rng.multinomial(len(u), counts / counts.sum(), size=c))
                               for c in _chunks(resamples, 4 * len(cells))])
    if form == "r2":
        return _bootstrap_r2(u, rng, resamples)
    if form == "ovr_auc":
        return _bootstrap_ovr_auc(spec, u, rng, resamples)
    return _bootstrap_auc(u, rng, resamples)
