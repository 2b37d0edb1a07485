"""The reference rows to compare a selected set of current rows with: their nearest neighbours.

Descendant adjustment tests a node only on current rows where every broken node above it
still behaves as before. Which rows those are depends on the fault: a ratio computed
inverted agrees with the reference only where its two inputs are about equal, an unusual
corner of the data. There a model's surrogate misses by more than on a typical held-out
reference row although the model did not change, and comparing the corner's residuals with
the whole holdout's blames the model (three blind development cases: 7% of rows kept, the
model ranked above the inverted ratio). Compared with the held-out reference rows nearest to
them instead, the corner is judged against the same corner.
"""

from __future__ import annotations

import numpy as np

from causal_rca.causal.encoding import support_space

NEIGHBOURS = 10


def matched_reference(X_hold: np.ndarray, X_cur: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """Indices into the holdout: every row that is one of the ``NEIGHBOURS`` nearest of some current row."""
    from sklearn.neighbors import NearestNeighbors

    k = min(NEIGHBOURS, len(X_hold))
    centre = np.nan_to_num(np.nanmedian(X_hold, axis=0), nan=0.0)
    sd = np.nan_to_num(np.nanstd(X_hold, axis=0), nan=1.0)
    scale = np.where(sd > 0, sd, 1.0)
    Zh = support_space(X_hold, centre, scale, categorical)
    Zc = support_space(X_cur, centre, scale, categorical)
    nearest = NearestNeighbors(n_neighbors=k).fit(Zh).kneighbors(Zc, return_distance=False)
    return np.unique(nearest)
