"""Statistical process control: limits from the baseline buckets, and which buckets leave them.

An individuals (Shewhart) chart: the centre is the baseline buckets' mean and sigma
is estimated from their average moving range (MR̄ / 1.128), which follows day-to-day
noise without being inflated by a slow trend. Sigma never falls below the sampling
error of the bucket itself, so a baseline that happened to be flat cannot make every
later wobble look like an incident.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

D2 = 1.128  # E[moving range] / sigma for pairs of normal values


@dataclass(frozen=True)
class Limits:
    centre: float
    sigma: float
    width: float  # limits at centre ± width · sigma

    @property
    def lower(self) -> float:
        return self.centre - self.width * self.sigma

    @property
    def upper(self) -> float:
        return self.centre + self.width * self.sigma

    def outside(self, value: float, floor_sigma: float = 0.0) -> int:
        """-1 below the lower limit, +1 above the upper one, 0 inside (or no value)."""
        if not np.isfinite(value):
            return 0
        sigma = max(self.sigma, floor_sigma)
        if value < self.centre - self.width * sigma:
            return -1
        if value > self.centre + self.width * sigma:
            return 1
        return 0


def control_limits(baseline: np.ndarray, width: float = 3.0, floor_sigma: float = 0.0) -> Limits:
    """Individuals-chart limits from the baseline values (NaNs ignored)."""
    v = np.asarray(baseline, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return Limits(float("nan"), float("nan"), width)
    sigma = float(np.mean(np.abs(np.diff(v)))) / D2 if len(v) > 1 else 0.0
    return Limits(float(v.mean()), max(sigma, floor_sigma), width)
