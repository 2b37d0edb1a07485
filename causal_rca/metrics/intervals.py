"""The metric of one window with its 95% interval, and the change between two windows.

Metrics that are a mean over rows get closed-form intervals (Wilson, or
normal; fast on millions of rows); the others get a seeded percentile
bootstrap (metrics/bootstrap.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from causal_rca.errors import InputError
from causal_rca.metrics.bootstrap import bootstrap
from causal_rca.metrics.checks import checked_encoding
from causal_rca.metrics.encoding import used_rows, value_of_used
from causal_rca.metrics.spec import MetricSpec

Z95 = 1.959963984540054  # two-sided 95% normal quantile


@dataclass(frozen=True)
class MetricEstimate:
    """The metric in one window with its 95% interval."""

    value: float
    ci: tuple[float, float]
    rows: int  # rows in the window
    used_rows: int  # rows that entered the metric (e.g. positives for recall)


@dataclass(frozen=True)
class MetricComparison:
    """Reference against current: is the move bigger than sampling noise?"""

    reference: MetricEstimate
    current: MetricEstimate
    change: float  # current - reference
    change_ci: tuple[float, float]
    p_value: float
    significant: bool  # change_ci excludes 0


def _rng(seed: int, stream: int) -> np.random.Generator:
    """Independent, reproducible streams per window from one user seed."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.default_rng([int(seed), stream])


def _wilson(p: float, n: int) -> tuple[float, float]:
    z2 = Z95 * Z95
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = Z95 * math.sqrt(max(p * (1 - p), 0.0) / n + z2 / (4 * n * n)) / denom
    return min(max(centre - half, 0.0), p), max(min(centre + half, 1.0), p)


def _mean_se(u: np.ndarray) -> float:
    return float(np.std(u, ddof=1) / math.sqrt(len(u))) if len(u) > 1 else 0.0


def _percentile_ci(stats: np.ndarray, point: float) -> tuple[float, float]:
    """Percentile interval, widened to hold the point: tiny or skewed samples can miss it otherwise."""
    lo, hi = np.percentile(stats, [2.5, 97.5])
    return min(float(lo), point), max(float(hi), point)


@dataclass(frozen=True)
class _Window:
    estimate: MetricEstimate
    used: np.ndarray  # encoded values of the rows that enter the metric
    boot: np.ndarray | None  # bootstrap replicates (bootstrap metrics only)


def _window(spec: MetricSpec, frame: pd.DataFrame, rng: np.random.Generator, window: str | None) -> _Window:
    enc = checked_encoding(spec, frame, window)
    u = used_rows(spec, enc)
    value = value_of_used(spec, u)
    boot = None
    if len(u) == 0:  # no row enters (a current window where nothing was flagged): the value is a convention
        ci = (value, value)
    elif spec.form == "proportion":
        ci = _wilson(value, len(u))
    elif spec.form == "mean":
        half = Z95 * _mean_se(u)
        lo = value - half
        if spec.name != "mean":
            lo = max(lo, 0.0)  # losses and errors are never negative
        ci = (min(lo, value), value + half)
    else:
        boot = bootstrap(spec, u, rng)
        ci = _percentile_ci(boot, value)
    return _Window(MetricEstimate(float(value), (float(ci[0]), float(ci[1])), int(len(frame)), int(len(u))),
                   u, boot)


def estimate_metric(spec: MetricSpec, frame: pd.DataFrame, seed: int, *, window: str | None = None) -> MetricEstimate:
    """The metric of one window with its 95% interval (Wilson, normal, or seeded bootstrap)."""
    return _window(spec, frame, _rng(seed, 0), window).estimate


def _two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def compare_windows(
    spec: MetricSpec,
    reference_frame: pd.DataFrame,
    current_frame: pd.DataFrame,
    seed: int,
) -> MetricComparison:
    """Current minus reference, with a 95% interval and p-value for the change.

    Mean-type metrics use a normal approximation of the difference
    (Agresti-Caffo-adjusted two-proportion standard error, or Welch); the
    others (f1, roc_auc, rmse, r2, balanced accuracy, macro and weighted
    averages) bootstrap both windows independently.
    """
    ref = _window(spec, reference_frame, _rng(seed, 0), "reference")
    cur = _window(spec, current_frame, _rng(seed, 1), "current")
    change = cur.estimate.value - ref.estimate.value
    if ref.boot is not None and cur.boot is not None:
        diff = cur.boot - ref.boot
        change_ci = _percentile_ci(diff, change)
        share = min(float(np.mean(diff <= 0)), float(np.mean(diff >= 0)))
        p_value = min(1.0, max(2.0 * share, 1.0 / (len(diff) + 1)))
    else:
        if spec.form == "proportion":
            # Add one success and one failure per window: the standard error stays
            # honest when a window is all 0s or all 1s (Agresti & Caffo 2000).
            def var(w: _Window) -> float:
                n = len(w.used)
                if n == 0:  # the value is a convention (metrics/encoding.NO_FLAGS_PRECISION), not a sample
                    return 0.0
                p = (float(w.used.sum()) + 1.0) / (n + 2.0)
                return p * (1.0 - p) / (n + 2.0)
        else:
            def var(w: _Window) -> float:
                return _mean_se(w.used) ** 2
        se = math.sqrt(var(ref) + var(cur))
        if se > 0:
            change_ci = (change - Z95 * se, change + Z95 * se)
            p_value = _two_sided_p(change / se)
        else:  # both windows constant: the change is exact
            change_ci = (change, change)
            p_value = 1.0 if change == 0 else 0.0
    lo, hi = float(change_ci[0]), float(change_ci[1])
    return MetricComparison(
        reference=ref.estimate,
        current=cur.estimate,
        change=float(change),
        change_ci=(lo, hi),
        p_value=float(p_value),
        significant=bool(lo > 0 or hi < 0),
    )
