"""How a log rounds its numbers: the decimals each value needs, and the log's own rule.

Kept apart from ``signals.statistics`` (which loads statsmodels) because the mechanism tests'
rescaling measures read it too, and the attribution's import must stay light.
"""

from __future__ import annotations

import numpy as np

MAX_DECIMALS = 15


def fewest_decimals(values: np.ndarray) -> np.ndarray:
    """Fewest decimals each value is exact at (MAX_DECIMALS for a full-precision float)."""
    found = np.full(len(values), MAX_DECIMALS)
    undecided = np.isfinite(values)
    tolerance = 1e-12 * np.maximum(1.0, np.abs(np.where(undecided, values, 0.0)))
    for decimals in range(MAX_DECIMALS + 1):
        hit = undecided & (np.abs(np.round(values, decimals) - values) <= tolerance)
        found[hit] = decimals
        undecided &= ~hit
        if not undecided.any():
            break
    return found


LOGGED_DECIMALS = 9  # more than this: logged at full precision


def logged_decimals(values: np.ndarray) -> int | None:
    """The decimals the log rounds ``values`` to (what nine in ten of them are exact at), None at
    full precision: a rescaled copy of the reference is compared as the log rounded it."""
    values = values[np.isfinite(values)][:5000]
    if len(values) == 0:
        return None
    decimals = int(np.quantile(fewest_decimals(values), 0.9))
    return decimals if decimals <= LOGGED_DECIMALS else None
