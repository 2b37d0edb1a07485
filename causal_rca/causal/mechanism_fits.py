"""The reference-only half of a node's mechanism test, fitted once and kept by ``CausalRCA.fit``.

A mechanism test (``mechanism.conditional_test``) fits node ~ parents on a
reference train split, predicts the reference holdout (the yardstick), fits
"is missing" ~ parents, and indexes the parents' joint support; only then does
it score the current window. What it reads of the holdout (the residuals or
log-losses sorted for the KS tests, the rescaling test's holdout line) and each
parent's own support are kept with the fits. None of that reads the current window, so a
fitted model learns it once (``fit_mechanisms``) and each diagnosis looks it
up by a key made of everything those fits read: the node, its parents, which
of them are categories, the seed, and the bytes of the encoded reference
columns. A key that does not match (other types agreed with the current
window, an unlabelled current window, another seed) is fitted again, exactly
as the one-call diagnosis fits it, so the answer is the same bytes either way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression

from causal_rca.causal.encoding import ColumnSupport, SupportIndex, column_matrix, column_support, support_index
from causal_rca.causal.fitting import MIN_ROWS, TREE_LEAVES, trainable
from causal_rca.causal.linearity import is_linear
from causal_rca.causal.rescaling import Holdout, holdout
from causal_rca.causal.workers import run_calls
from causal_rca.signals.sorted_ks import SortedSample, sorted_sample

MAX_FIT_ROWS = 6000
FitKey = tuple


def split_rows(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Train on 70% (at most MAX_FIT_ROWS), hold out every other row: the holdout is the
    yardstick the current window is compared with, so it should be as large as we can afford."""
    idx = rng.permutation(n)
    cut = min(int(n * 0.7), MAX_FIT_ROWS)
    return np.sort(idx[:cut]), np.sort(idx[cut:])


@dataclass(frozen=True)
class Surrogate:
    """node ~ parents for a numeric node: a constant, a linear fit (missing values as indicators), or boosting."""

    constant: float | None = None
    linear: LinearRegression | None = None
    means: np.ndarray | None = None
    boost: HistGradientBoostingRegressor | None = None

    def predict(self, A: np.ndarray) -> np.ndarray:
        """Predictions for parent rows ``A``."""
        if self.constant is not None:
            return np.full(len(A), self.constant)
        if self.boost is not None:
            return self.boost.predict(A)
        return self.linear.predict(_design(A, self.means))


def _design(A: np.ndarray, means: np.ndarray) -> np.ndarray:
    return np.c_[np.where(np.isnan(A), means, A), np.isnan(A).astype(float)]


def linear_surrogate(X: np.ndarray, y: np.ndarray) -> Surrogate:
    """node ~ parents by least squares, a missing parent value as its reference mean plus an indicator."""
    means = np.nanmean(X, axis=0) if len(X) else np.zeros(X.shape[1])
    means = np.where(np.isfinite(means), means, 0.0)
    return Surrogate(linear=LinearRegression().fit(_design(X, means), y), means=means)


def is_line(surrogate: Surrogate, X: np.ndarray, y: np.ndarray, parent_categorical: np.ndarray) -> bool:
    """Does ``surrogate`` (``linear_surrogate(X, y)``) leave no curvature in ``X`` to find (``linearity``)?"""
    return is_linear(_design(X, surrogate.means), X, y, parent_categorical)


def fit_surrogate(X: np.ndarray, y: np.ndarray, X_hold: np.ndarray, y_hold: np.ndarray, seed: int,
                  parent_categorical: np.ndarray) -> tuple[Surrogate, np.ndarray]:
    """(surrogate, its predictions of the holdout) for node ~ parents: a linear fit when it predicts
    the holdout as well as or better than gradient boosting, else boosting. Many features are
    linear in their parents (z-scores, weighted risk indices); trees approximate a line by steps,
    coarsely where the reference is sparse, and a population that moves into those regions then
    looks like a broken mechanism. An exact line (holdout R² ≥ 0.999) needs no boosting at all,
    nor does a node whose training rows show no curvature beyond the line (``linearity.is_linear``:
    boosting would only approximate that line). ``parent_categorical``: which parents are category codes.
    The holdout's predictions come back with the fit: they decided between the two."""
    linear = linear_surrogate(X, y)
    linear_hold = linear.predict(X_hold)
    linear_err = float(np.mean((linear_hold - y_hold) ** 2))
    if linear_err <= 0.001 * float(np.var(y_hold)) or is_line(linear, X, y, parent_categorical):
        return linear, linear_hold
    boost = HistGradientBoostingRegressor(max_iter=40, learning_rate=0.2, max_leaf_nodes=TREE_LEAVES,
                                          random_state=seed).fit(trainable(X), y)
    boost_hold = boost.predict(X_hold)
    if linear_err < float(np.mean((boost_hold - y_hold) ** 2)):
        return linear, linear_hold
    return Surrogate(boost=boost), boost_hold


@dataclass(frozen=True)
class Yardstick:
    """A sample of the reference's per-row misfit (holdout residuals or log-losses) and what every
    test reads of it, computed once: the current rows' misfit is compared with it."""

    values: np.ndarray  # in holdout order: means and spreads are summed in that order
    tail: float  # the 99.5th percentile of ``np.abs(values)`` (``values`` for a loss)
    ordered: SortedSample  # for the KS tests
    absolute: SortedSample | None  # |values|, for residuals


def yardstick(values: np.ndarray, signed: bool) -> Yardstick:
    """``values``' summary; ``signed``: residuals (their absolute values are tested too), not losses."""
    magnitude = np.abs(values) if signed else values
    return Yardstick(values, np.quantile(magnitude, 0.995), sorted_sample(values),
                     sorted_sample(magnitude) if signed else None)


@dataclass(frozen=True)
class RegressionFit:
    """A numeric node's reference fit: its split, surrogate and holdout predictions, and what the
    tests read of the holdout (its residuals, the line and rounding ``rescaling_measures`` needs)."""

    train: np.ndarray
    hold: np.ndarray
    surrogate: Surrogate
    pred_hold: np.ndarray
    residuals: Yardstick
    holdout: Holdout


@dataclass(frozen=True)
class ClassificationFit:
    """A categorical node's reference fit: its split, classes, classifier (None: one class) and holdout
    probabilities, with each holdout row's probability of its own class and its log-loss."""

    train: np.ndarray
    hold: np.ndarray
    classes: np.ndarray
    model: HistGradientBoostingClassifier | None
    proba_hold: np.ndarray | None
    prob_hold: np.ndarray
    losses: Yardstick


def classification_fit(train: np.ndarray, hold: np.ndarray, classes: np.ndarray, x_hold: np.ndarray,
                       model: HistGradientBoostingClassifier | None,
                       proba_hold: np.ndarray | None) -> ClassificationFit:
    """The fit with its holdout yardstick: each holdout row's probability of its own class (1e-4
    for a class the model never saw; 1 when there is one class) and the log-losses they give."""
    if model is None:
        prob_hold = np.ones(len(hold))
    else:
        col = {c: i for i, c in enumerate(model.classes_)}
        prob_hold = np.array([proba_hold[i, col[c]] if c in col else 1e-4 for i, c in enumerate(x_hold)])
    return ClassificationFit(train, hold, classes, model, proba_hold, prob_hold,
                             yardstick(-np.log(np.clip(prob_hold, 1e-4, 1.0)), signed=False))


@dataclass(frozen=True)
class IndicatorFit:
    """P(event | parents) on the reference: a classifier, or a constant rate when the event is too rare or common."""

    model: HistGradientBoostingClassifier | None
    rate: float

    def expected(self, X_cur: np.ndarray) -> np.ndarray:
        """Each current row's probability of the event."""
        return np.full(len(X_cur), self.rate) if self.model is None else self.model.predict_proba(X_cur)[:, 1]

    def excess(self, y_cur: np.ndarray, X_cur: np.ndarray) -> tuple[float, float, float, float]:
        """(p, effect, expected rate, observed rate) for "the event happens more often than the parents explain".

        Used for "is missing" and "holds the fallback default": an outage that fills a typical
        value is invisible in residuals but plain in how often the value occurs."""
        expected = self.expected(X_cur)
        obs, exp = float(y_cur.sum()), float(expected.sum())
        var = float((expected * (1 - expected)).sum())
        if var <= 0:
            return 1.0, 0.0, exp / len(y_cur), obs / len(y_cur)
        z = (obs - exp) / np.sqrt(var)
        return float(2 * stats.norm.sf(abs(z))), abs(obs - exp) / len(y_cur), exp / len(y_cur), obs / len(y_cur)


def fit_indicator(y_ref: np.ndarray, X_ref: np.ndarray, seed: int) -> IndicatorFit:
    """The reference's model of how often an event (missing, the fallback value) happens given the parents."""
    k = int(y_ref.sum())
    if k < 20 or k > len(y_ref) - 20:
        return IndicatorFit(None, (k + 0.5) / (len(y_ref) + 1.0))
    clf = HistGradientBoostingClassifier(max_iter=20, learning_rate=0.2, max_leaf_nodes=TREE_LEAVES, random_state=seed)
    clf.fit(trainable(X_ref), y_ref)
    return IndicatorFit(clf, float("nan"))


def fit_values(x_ref: np.ndarray, X_ref: np.ndarray, seed: int, categorical: bool,
               parent_categorical: np.ndarray) -> RegressionFit | ClassificationFit | None:
    """The value model of a node on its non-missing reference rows (None: too few rows to fit).
    ``categorical``: the node is a category; ``parent_categorical``: which parents are."""
    ref_idx = np.flatnonzero(~np.isnan(x_ref))
    if len(ref_idx) < MIN_ROWS * 2:
        return None
    train, hold = split_rows(len(ref_idx), np.random.default_rng(seed))
    train, hold = ref_idx[train], ref_idx[hold]
    if categorical:
        classes = np.unique(x_ref[train])
        if len(classes) < 2:
            return classification_fit(train, hold, classes, x_ref[hold], None, None)
        clf = HistGradientBoostingClassifier(max_iter=30, learning_rate=0.2, max_leaf_nodes=TREE_LEAVES,
                                             random_state=seed)
        clf.fit(trainable(X_ref[train]), x_ref[train])
        return classification_fit(train, hold, classes, x_ref[hold], clf, clf.predict_proba(X_ref[hold]))
    if np.ptp(x_ref[train]) == 0:
        constant = x_ref[train][0]
        surrogate, pred_hold = Surrogate(constant=constant), np.full(len(hold), constant)
    else:
        surrogate, pred_hold = fit_surrogate(X_ref[train], x_ref[train], X_ref[hold], x_ref[hold], seed,
                                                  parent_categorical)
    residuals = yardstick(x_ref[hold] - pred_hold, signed=True)
    return RegressionFit(train, hold, surrogate, pred_hold, residuals, holdout(pred_hold, x_ref[hold], residuals.values))


@dataclass(frozen=True)
class MechanismFit:
    """Everything a node's conditional test learns from the reference alone."""

    support: SupportIndex | None
    nulls: IndicatorFit
    values: RegressionFit | ClassificationFit | None
    parent_supports: tuple[ColumnSupport, ...] = ()  # each parent's own support (``encoding.support_mask``)


def fit_mechanism(x_ref: np.ndarray, X_ref: np.ndarray, parent_categorical: np.ndarray, seed: int,
                  categorical: bool) -> MechanismFit:
    """The reference-only parts of ``mechanism.conditional_test`` for one node, in the order it fits them."""
    supports = tuple(column_support(X_ref[:, j], bool(c)) for j, c in enumerate(parent_categorical))
    return MechanismFit(support_index(X_ref, parent_categorical, seed), fit_indicator(np.isnan(x_ref), X_ref, seed),
                        fit_values(x_ref, X_ref, seed, categorical, parent_categorical), supports)


def column_digests(reference: pd.DataFrame) -> dict[str, str]:
    """A digest of each encoded reference column's bytes: the part of a fit key that names the exact rows."""
    return {c: hashlib.blake2b(np.ascontiguousarray(reference[c].to_numpy(dtype=float)).tobytes(),
                               digest_size=16).hexdigest() for c in reference.columns}


def fit_key(node_id: str, parents: tuple[str, ...], categorical: frozenset[str], seed: int,
            digests: dict[str, str]) -> FitKey:
    """What a node's reference fit depends on: node, parents, their kinds, seed, the encoded reference rows."""
    columns = (node_id, *parents)
    return (columns, tuple(c in categorical for c in columns), seed, tuple(digests.get(c) for c in columns))


MechanismFits = dict  # FitKey -> MechanismFit, read-only once ``fit_mechanisms`` made it


def fit_mechanisms(reference: pd.DataFrame, categorical: frozenset[str], tests: list[tuple[str, tuple[str, ...], int]],
                   workers: int = 1) -> MechanismFits:
    """The reference fits of ``tests`` (node, parents, seed) on the encoded reference, keyed by ``fit_key``."""
    digests = column_digests(reference)
    tests = [(n, parents, s) for n, parents, s in tests if all(c in reference.columns for c in (n, *parents))]
    calls = (((reference[n].to_numpy(dtype=float), column_matrix(reference, parents),
               np.array([p in categorical for p in parents]), s, n in categorical), {}) for n, parents, s in tests)
    done = run_calls(fit_mechanism, calls, workers)
    return {fit_key(n, parents, categorical, s, digests): fitted for (n, parents, s), fitted in zip(tests, done)}

