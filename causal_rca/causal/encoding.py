"""Numeric encodings of node values for the causal models.

Both windows are encoded with the *reference's* vocabulary, so that a value
the reference never saw is visible as such (code -1) instead of silently
getting a new code that a model would read as ordinary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from causal_rca.lineage.graph import LineageGraph
from causal_rca.metrics import MetricSpec, is_positive
from causal_rca.windows.frames import KEY

UNSEEN = -1.0


@dataclass(frozen=True)
class EncodedWindows:
    reference: pd.DataFrame  # float columns, one per observed node
    current: pd.DataFrame
    categorical: frozenset[str]  # nodes whose codes are categories, not magnitudes
    # Each row's entity (codes of the graph's key_column shared by both windows, -1 for none); None without one.
    reference_keys: np.ndarray | None = None
    current_keys: np.ndarray | None = None


def effective_parents(graph: LineageGraph, node_id: str) -> tuple[str, ...]:
    """Observed parents, looking through unobserved nodes to their observed ancestors.

    A feature read from an unobserved feature store still depends on what
    the store was fed; conditioning on that keeps the test honest.
    """
    out: list[str] = []
    stack = list(graph.nodes[node_id].parents)
    seen: set[str] = set()
    while stack:
        p = stack.pop(0)
        if p in seen:
            continue
        seen.add(p)
        if graph.nodes[p].observed:
            out.append(p)
        else:
            stack.extend(graph.nodes[p].parents)
    return tuple(out)


def category_vocabulary(values: pd.Series) -> dict[str, int]:
    """A category's code: its rank by reference frequency (ties by name), so codes mean the same in both windows."""
    counts = values.dropna().astype(str).value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {k: i for i, (k, _) in enumerate(ordered)}


def category_codes(values: pd.Series, vocabulary: dict[str, int]) -> np.ndarray:
    """Codes of ``values`` (null stays null, a value the vocabulary lacks is ``UNSEEN``)."""
    out = np.full(len(values), np.nan)
    mask = values.notna().to_numpy()
    keys = values[mask].astype(str)
    out[mask] = keys.map(vocabulary).fillna(UNSEEN).to_numpy(dtype=float)
    return out


def column_matrix(frame: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """``frame[list(names)].to_numpy(dtype=float)``, without building the sub-frame (a tenth of its time).

    Stacked from the columns and transposed, the matrix is laid out as pandas lays it out (each
    column contiguous), so reductions down its columns add in the same order: the same bytes.
    """
    if not names:
        return frame[list(names)].to_numpy(dtype=float)
    return np.vstack([frame[name].to_numpy(dtype=float) for name in names]).T


MAX_MAGNITUDE = 1e100  # no measurement is larger; sums and squares of thousands of these stay finite


def finite_or_nan(values: np.ndarray) -> np.ndarray:
    """±inf (a division by zero upstream) carries no magnitude a model can use: it is read as missing.

    Values beyond ±1e100 (a sentinel such as 1.8e308) are clipped there: they keep
    their order, but means, squares and least squares over them no longer
    overflow. The signals still see the raw values; only the causal models,
    which cannot take an infinity, read them this way.
    """
    return np.clip(np.where(np.isinf(values), np.nan, values), -MAX_MAGNITUDE, MAX_MAGNITUDE)


def encode_windows(
    ref: pd.DataFrame,
    cur: pd.DataFrame,
    dtypes: dict[str, str],
    binary_overrides: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> EncodedWindows:
    """Floats for every observed node; categories coded by reference frequency.

    ``binary_overrides`` replaces a node's encoding (the label becomes
    "is positive" 0/1, which is what the metric reads).
    """
    ref_out: dict[str, np.ndarray] = {}
    cur_out: dict[str, np.ndarray] = {}
    categorical: set[str] = set()
    for node_id, dtype in dtypes.items():
        if binary_overrides and node_id in binary_overrides:
            ref_out[node_id], cur_out[node_id] = binary_overrides[node_id]
            categorical.add(node_id)
        elif dtype in ("numeric", "boolean", "datetime"):
            ref_out[node_id] = finite_or_nan(ref[node_id].to_numpy(dtype=float))
            cur_out[node_id] = finite_or_nan(cur[node_id].to_numpy(dtype=float))
            if dtype == "boolean":
                categorical.add(node_id)
        else:
            vocabulary = category_vocabulary(ref[node_id])
            ref_out[node_id] = category_codes(ref[node_id], vocabulary)
            cur_out[node_id] = category_codes(cur[node_id], vocabulary)
            categorical.add(node_id)
    keys = (None, None)
    if KEY in cur and KEY in ref:
        codes = pd.factorize(pd.concat([ref[KEY], cur[KEY]], ignore_index=True))[0]
        keys = (codes[:len(ref)], codes[len(ref):])
    return EncodedWindows(pd.DataFrame(ref_out), pd.DataFrame(cur_out), frozenset(categorical), *keys)


def label_overrides(graph: LineageGraph, metric_id: str, spec: MetricSpec, ref: pd.DataFrame,
                    cur: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Binary metrics read the label as "is positive": so do the causal models. A multi-class label
    stays a category, also for one class's metric (a new class in the labels is a finding)."""
    if spec.name == "mean":
        return _two_valued_label(graph, metric_id, ref, cur)
    if spec.is_regression or spec.multiclass:
        return {}
    _, label = graph.metric_inputs(metric_id)
    return {label: (is_positive(ref[label], spec.positive), is_positive(cur[label], spec.positive))}


def _two_valued_label(graph: LineageGraph, metric_id: str, ref: pd.DataFrame,
                      cur: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A business metric's label that holds two numbers in the reference (churned 0/1) is an outcome of
    two classes (spec: a label of two classes is binary), tested as one: "is the higher value", its
    prior and its relation to the inputs, not a magnitude whose residuals a regression reads. Read off
    the reference alone, so a fitted model and a one-call diagnosis encode it alike; a current value
    the reference never held is missing, which the null rate reports."""
    _, label = graph.metric_inputs(metric_id)
    if label is None or label not in ref or label not in cur or not pd.api.types.is_numeric_dtype(ref[label]):
        return {}
    values = np.unique(finite_or_nan(ref[label].to_numpy(dtype=float)))
    values = values[~np.isnan(values)]
    if len(values) != 2:
        return {}

    def higher(series: pd.Series) -> np.ndarray:
        v = finite_or_nan(pd.to_numeric(series, errors="coerce").to_numpy(dtype=float))
        return np.where(np.isin(v, values), (v == values[1]).astype(float), np.nan)

    return {label: (higher(ref[label]), higher(cur[label]))}


def support_space(X: np.ndarray, centre: np.ndarray, scale: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """Coordinates where "near" means "seen together": numbers in robust units, a null far
    from every number, and categories so far apart that only the same category is near."""
    with np.errstate(over="ignore", invalid="ignore"):
        Z = (X - centre) / scale
    Z[:, categorical] = X[:, categorical] * 50.0
    with np.errstate(over="ignore", invalid="ignore"):
        Z = np.where(np.isnan(Z), -50.0, Z)
    return np.clip(Z, -1e6, 1e6)  # values near the float limit overflow to inf in robust units


# Relative margin within which two exact k-NN searches' distances could disagree (they sum the
# squares in different orders: a few units in the last place apart, far below this).
SAME_DISTANCE = 1e-9


@dataclass(frozen=True)
class SupportIndex:
    """The reference side of ``joint_support_mask``: learnt once per reference, asked per window."""

    centre: np.ndarray
    scale: np.ndarray
    categorical: np.ndarray
    neighbours: object  # sklearn NearestNeighbors over the reference rows in support space
    own: np.ndarray  # each reference row's distance to its k-th neighbour
    k: int
    tree: object  # scipy cKDTree over the same rows: the fast path of ``inside``

    def inside(self, X_cur: np.ndarray) -> np.ndarray:
        """Rows of ``X_cur`` whose k-th nearest reference row is within three local spacings.

        The answer is sklearn's (``neighbours``), which ``own`` was measured with. SciPy's KD-tree
        finds the same neighbours faster, and its answer is taken for a row only where it cannot
        differ: the k nearest rows are a unique set (the (k+1)-th is farther by more than
        ``SAME_DISTANCE``) and the k-th distance is not within that margin of the threshold. The
        other rows (ties among reference rows, a distance on the edge) are asked of sklearn.
        """
        Zc = support_space(X_cur, self.centre, self.scale, self.categorical)
        dist, idx = self.tree.query(Zc, k=self.k + 1)
        kth, beyond = dist[:, self.k - 1], dist[:, self.k]
        out, threshold = self._inside(dist[:, :self.k], idx[:, :self.k], with_threshold=True)
        unsure = (beyond - kth <= SAME_DISTANCE * beyond) | (np.abs(kth - threshold) <= SAME_DISTANCE * threshold)
        if unsure.any():
            out[unsure] = self._inside(*self.neighbours.kneighbors(Zc[unsure], n_neighbors=self.k,
                                                                   return_distance=True))
        return out

    def _inside(self, dist: np.ndarray, idx: np.ndarray, with_threshold: bool = False):
        # Local, like LOF: a reference that lies on a thin curve is dense along it and empty beside it.
        local = np.median(self.own[idx], axis=1)
        floor = 0.05  # robust units: rows this close are inside whatever the local density
        threshold = np.maximum(3.0 * local, floor)
        out = dist[:, self.k - 1] <= threshold
        return (out, threshold) if with_threshold else out


def support_index(X_ref: np.ndarray, categorical: np.ndarray, seed: int, k: int = 5,
                  max_reference: int = 3000) -> SupportIndex | None:
    """The reference's neighbour index for ``joint_support_mask`` (None: every combination is inside)."""
    from scipy.spatial import cKDTree
    from sklearn.neighbors import NearestNeighbors

    if X_ref.shape[1] < 2 or len(X_ref) <= k + 1:
        return None
    rng = np.random.default_rng(seed)
    ref = X_ref[rng.choice(len(X_ref), max_reference, replace=False)] if len(X_ref) > max_reference else X_ref
    centre = np.nanmedian(ref, axis=0)
    q75, q25 = np.nanpercentile(ref, 75, axis=0), np.nanpercentile(ref, 25, axis=0)
    scale = (q75 - q25) / 1.349
    sd = np.nanstd(ref, axis=0)
    scale = np.where(scale > 0, scale, np.where(sd > 0, sd, 1.0))
    scale = np.nan_to_num(scale, nan=1.0)
    centre = np.nan_to_num(centre, nan=0.0)
    Zr = support_space(ref, centre, scale, categorical)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(Zr)
    own = nn.kneighbors(Zr, return_distance=True)[0][:, k]  # column 0 is the row itself
    return SupportIndex(centre, scale, np.asarray(categorical), nn, own, k, cKDTree(Zr))


def joint_support_mask(X_ref: np.ndarray, X_cur: np.ndarray, categorical: np.ndarray, seed: int,
                       k: int = 5, max_reference: int = 3000) -> np.ndarray:
    """Rows of ``X_cur`` whose parent *combination* lies where reference rows are.

    Each parent can be inside its own range while the combination never
    occurred (a feature rescaled while its sibling was not); a mechanism fitted
    on the reference cannot be judged there. A current row is inside when its
    k-th nearest reference neighbour is no farther than three times what
    those neighbours see among themselves.
    """
    index = support_index(X_ref, categorical, seed, k, max_reference)
    return np.ones(len(X_cur), dtype=bool) if index is None else index.inside(X_cur)


DISCRETE_LEVELS = 50


def is_discrete(ref: np.ndarray) -> bool:
    """A numeric node seen only at a few levels (a code, a bucket, a count), each of them often."""
    levels = np.unique(ref[~np.isnan(ref)])
    return len(levels) <= DISCRETE_LEVELS and len(ref) >= 20 * len(levels)


@dataclass(frozen=True)
class ColumnSupport:
    """The reference side of ``support_mask`` for one column, read once (a fitted model keeps it per parent)."""

    categorical: bool
    null_ok: bool  # the reference has nulls (1% or more): a current null is inside
    levels: np.ndarray | None  # a discrete column's levels: only these are inside
    bounds: tuple[float, float] | None  # a continuous column's support (``support_bounds``)

    def mask(self, cur: np.ndarray) -> np.ndarray:
        """Rows of ``cur`` whose value lies where the reference has data."""
        isnan = np.isnan(cur)
        if self.categorical:
            inside = ~isnan & (cur != UNSEEN)
        elif self.levels is not None:
            inside = ~isnan & np.isin(cur, self.levels)
        else:
            lo, hi = self.bounds
            with np.errstate(invalid="ignore"):
                inside = ~isnan & (cur >= lo) & (cur <= hi)
        return inside | (isnan & self.null_ok)


def column_support(ref: np.ndarray, categorical: bool) -> ColumnSupport:
    """What ``support_mask`` reads of a reference column."""
    from causal_rca.signals.statistics import support_bounds

    ref_null_share = float(np.isnan(ref).mean()) if len(ref) else 0.0
    if categorical:
        return ColumnSupport(True, ref_null_share >= 0.01, None, None)
    levels = np.unique(ref[~np.isnan(ref)])
    if len(levels) <= DISCRETE_LEVELS and len(ref) >= 20 * len(levels):  # is_discrete
        return ColumnSupport(False, ref_null_share >= 0.01, levels, None)
    return ColumnSupport(False, ref_null_share >= 0.01, None, support_bounds(ref))


def support_mask(ref: np.ndarray, cur: np.ndarray, categorical: bool) -> np.ndarray:
    """Rows of ``cur`` whose value lies where the reference has data.

    A mechanism can only be judged where it was seen: a model never shown a
    null must not be blamed for what it does with one. A categorical column is
    inside unless null or unseen; a discrete feature (a bucket, a category's
    rate) was only seen at its levels, so a value between them (a fallback
    prior, a new bucket) is as new to a model as an unseen category; a
    continuous one must lie within the reference's support.
    """
    return column_support(ref, categorical).mask(cur)
