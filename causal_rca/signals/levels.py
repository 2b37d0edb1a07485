"""Discrete columns: which are, and their levels.

Its own module, with NumPy alone, because the causal layer's rescaling test reads it too and the
attribution's import path must not pull in the signals' statistics (statsmodels)."""

from __future__ import annotations

import numpy as np

# A column of at most this many distinct values is discrete: banded, a count, a rating.
MAX_LEVELS = 50


def reference_levels(sorted_values: np.ndarray, max_levels: int = MAX_LEVELS) -> np.ndarray | None:
    """The distinct values of a discrete reference sample (sorted), or ``None`` when it is not discrete.

    A discrete column's support is its set of levels: a level the reference holds, however
    rarely, is inside it even when it lies past the 0.1–99.9% range that stands in for a
    continuous column's support."""
    if len(sorted_values) == 0:
        return None
    levels = sorted_values[np.r_[True, sorted_values[1:] != sorted_values[:-1]]]
    return levels if len(levels) <= max_levels else None
