"""A mechanism test at the entities' sample size, judged by what the test compares row by row.

Rows that repeat an entity count once between them only as far as the *compared quantity*
repeats (``signals/clustering.py``). A node's values may cluster by customer while its test does
not: a filled feature deviates from its reference computation on each customer's first event,
one row per customer, and deflating that test by how strongly the feature's *values* cluster
(a customer's average: a design effect of 21) hides a changed imputation in noise. So each part
of a conditional test is judged by its own per-row quantity:

- a share of rows (a computed value or category that is not what the reference computation
  gives) by a two-proportion test whose variance is the entities' own (cluster-robust: the
  spread of each entity's count around the pooled share), so that a hundred customers whose
  first event was zero-filled weigh as a hundred, and one customer's hundred rows as one;
- "is missing", "holds the default", and the residuals or losses that the KS tests compare, by
  Kish's design effect of that quantity (``row_design_effect``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from causal_rca.causal.mechanism_result import CLUSTERED_MEASURES
from causal_rca.signals.clustering import deflated_p, row_design_effect


@dataclass(frozen=True)
class Shares:
    """A share test's rows: which reference holdout rows (``hold``) and current rows with a value deviate."""

    reference: np.ndarray
    hold: np.ndarray
    current: np.ndarray


def clustered_two_proportion(dev0: np.ndarray, keys0: np.ndarray, dev1: np.ndarray, keys1: np.ndarray) -> float:
    """Two-sided p of "the share of deviating rows differs", entities as the independent units.

    Each window's variance is the cluster-robust one of a ratio estimator, taken around the pooled
    share (the null hypothesis): m/(m-1) · Σ_e (k_e - p·n_e)² / N², over its m entities."""
    n0, n1 = len(dev0), len(dev1)
    if n0 == 0 or n1 == 0:
        return 1.0
    pooled = (float(dev0.sum()) + float(dev1.sum())) / (n0 + n1)
    if pooled <= 0.0 or pooled >= 1.0:
        return 1.0
    variance = _robust_variance(dev0, keys0, pooled) + _robust_variance(dev1, keys1, pooled)
    if variance <= 0.0:
        return 1.0
    z = abs(dev1.mean() - dev0.mean()) / math.sqrt(variance)
    return float(2 * stats.norm.sf(z))


def clustered_share_above(dev0: np.ndarray, keys0: np.ndarray, dev1: np.ndarray, keys1: np.ndarray) -> float:
    """One-sided p of "the current share of deviating rows (``dev1``) is the larger", entities as units."""
    if len(dev0) == 0 or len(dev1) == 0:
        return 0.5  # nothing to compare: neither direction
    two_sided = clustered_two_proportion(dev0, keys0, dev1, keys1)
    return two_sided / 2 if dev1.mean() > dev0.mean() else 1.0 - two_sided / 2


def _robust_variance(dev: np.ndarray, keys: np.ndarray, share: float) -> float:
    _, groups = np.unique(keys, return_inverse=True)
    m = int(groups.max()) + 1 if len(groups) else 0
    if m < 2:  # one entity: no spread between entities to measure; the rows' own binomial variance
        return share * (1 - share) / len(dev)
    residual = np.bincount(groups, weights=dev.astype(float) - share)
    return m / (m - 1) * float((residual ** 2).sum()) / len(dev) ** 2


def clustered_parts(reference_keys: np.ndarray, keys: np.ndarray, x_cur: np.ndarray, default_value: float | None,
                    p_values: tuple[float, float, float], compared: Shares | list[np.ndarray] | None,
                    measures: dict[str, float]) -> tuple[float, float, float, dict[str, float]]:
    """(p null, p default, p value, measures) at each part's effective sample size.

    ``keys``: the tested current rows' entities (``reference_keys``: every reference row's);
    ``compared``: the value test's rows, a share test's (``Shares``) or the per-row quantities a
    distribution test compared, one entry per current row with a value; None when the value
    test's p is already at the entities' sample size (a history feature's)."""
    p_null, p_def, p_val = p_values
    p_null = deflated_p(p_null, row_design_effect(np.isnan(x_cur).astype(float), keys))
    if default_value is not None:
        p_def = deflated_p(p_def, row_design_effect((x_cur == default_value).astype(float), keys))
    if compared is None:
        return p_null, p_def, p_val, measures
    valued = keys[~np.isnan(x_cur)]
    if isinstance(compared, Shares):
        p_val = clustered_two_proportion(compared.reference, reference_keys[compared.hold], compared.current, valued)
        return p_null, p_def, p_val, measures
    deff = max((row_design_effect(np.asarray(q, dtype=float), valued) for q in compared), default=1.0)
    measures = {k: (deflated_p(v, deff) if k in CLUSTERED_MEASURES else v) for k, v in measures.items()}
    return p_null, p_def, deflated_p(p_val, deff), {**measures, "design_effect": deff}
