"""Design matrices gradient boosting can always be fitted on.

scikit-learn's histogram boosting fails outright ("window shape cannot be
larger than input array shape") on a feature column with no value at all,
which happens in production: a parent entirely null in the current window (an
outage), or in the reference rows a fit happens to draw. Such a column carries
no information, so it is set to a constant for the fit: trees never split on a
constant, which is the same as leaving the feature out, and prediction needs
no change.
"""

from __future__ import annotations

import numpy as np

# Leaves per tree of the engine's surrogates (mechanism tests, attribution mechanisms; scikit-learn's
# default is 31). Their time goes into growing leaves one Python call at a time; at 15 the
# development cases (seeds 3000-3199, 4000-4199) were answered as well and 15% faster (docs/decisions.md).
TREE_LEAVES = 15
# Fewest rows a surrogate is fitted on or a test is run over.
MIN_ROWS = 30


def trainable(X: np.ndarray) -> np.ndarray:
    """``X`` with every column that holds no value (all NaN) set to 0; ``X`` itself when there is none."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or len(X) == 0:
        return X
    empty = np.isnan(X).all(axis=0)
    if not empty.any():
        return X
    out = X.copy()
    out[:, empty] = 0.0
    return out
