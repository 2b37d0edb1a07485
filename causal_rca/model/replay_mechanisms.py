"""The reference's mechanisms a replay draws from: ``node ~ parents`` for a number, ``P(node | parents)`` for a category.

Fitted on the reference window only, so a value they give is what the node
would have been had it behaved as it did then.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import KFold, cross_val_predict

from causal_rca.model.replay_context import ReplayContext, node_codes

HELD_OUT = 4000  # reference rows outside the fit: a mechanism's donors
HELD_OUT_MIN = 500  # fewer held-out rows than this: the donors come from two folds of the fit rows
DONORS = 10  # predictive mean matching draws among this many nearest reference predictions
COMPUTED = 0.05  # reference residual spread below this share of the node's spread: a computed node


def _regressor(seed: int) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(max_iter=60, learning_rate=0.2, random_state=seed)


class NumericMechanism:
    """Reference ``node ~ parents`` for a numeric node: its prediction, and values drawn around it.

    A value is drawn by predictive mean matching (as multiple imputation by
    chained equations does): the observed value of a reference row whose
    prediction is among the nearest. The draw keeps the node's own shape (a
    skewed amount stays positive, a count stays whole, a noisy node keeps its
    noise where it has it) where an additive residual would not. The donors are
    reference rows the fit never saw: in-sample, a flexible fit explains its
    rows far too well (residuals of 41 against 72 points for a bureau score),
    and values drawn that way are too well explained by the other inputs and
    the outcome, so a replay would beat the reference. Without held-out rows,
    two folds of the fit rows give the donors. The tolerance a kept value must
    meet stays in-sample, the stricter of the two: a healthy value redrawn
    costs a little noise, a broken value kept would bias the replay.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, seed: int,
                 held_out: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        ok = np.isfinite(y)
        X, y = X[ok], y[ok]
        self.constant = float(np.median(y)) if len(y) else 0.0
        self.model = None
        if X.shape[1] and len(y) >= 30:
            self.model = _regressor(seed).fit(X, y)
        fitted = self.predict(X)
        residuals = y - fitted
        spread = float(np.std(y)) or 1.0
        self.computed = float(np.std(residuals)) < COMPUTED * spread
        self.tolerance = float(np.quantile(np.abs(residuals), 0.995)) + 1e-9 * spread if len(y) else 0.0
        donor_pred, donor_y = fitted, y
        if self.model is not None and not self.computed:
            X_out, y_out = held_out if held_out is not None else (X[:0], y[:0])
            keep = np.isfinite(y_out)
            if keep.sum() >= HELD_OUT_MIN:
                donor_pred, donor_y = self.predict(X_out[keep]), y_out[keep]
            else:
                folds = KFold(2, shuffle=True, random_state=seed)
                donor_pred = cross_val_predict(_regressor(seed), X, y, cv=folds)
        order = np.argsort(donor_pred, kind="stable")
        self.donor_pred, self.donor_y = donor_pred[order], donor_y[order]

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.model is None:
            return np.full(len(X), self.constant)
        return self.model.predict(X)

    def draw(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Values for rows ``X``: a computed node's value, else a donor's among the nearest predictions."""
        predicted = self.predict(X)
        if self.computed or len(self.donor_y) == 0:
            return predicted
        # Donors tied with the prediction (a tree predicts in steps) all count, and the nearest around them.
        m = len(self.donor_y)
        lo = np.clip(np.searchsorted(self.donor_pred, predicted, "left") - DONORS // 2, 0, m - 1)
        hi = np.clip(np.searchsorted(self.donor_pred, predicted, "right") + DONORS // 2, lo + 1, m)
        return self.donor_y[lo + (rng.random(len(X)) * (hi - lo)).astype(int)]


def numeric_mechanism(ctx: ReplayContext, node: str, features: tuple[str, ...], fit: np.ndarray, seed: int,
             pool: np.ndarray | None = None) -> NumericMechanism:
    """The reference's ``node ~ features`` fitted on rows ``fit``, its donors the other rows of ``pool``."""
    key = (node, features, seed, fit.tobytes(), None if pool is None else pool.tobytes())
    if key not in ctx.mechanisms:
        ctx.mechanisms[key] = _fit_numeric(ctx, node, features, fit, seed, pool)
    return ctx.mechanisms[key]


def _fit_numeric(ctx: ReplayContext, node: str, features: tuple[str, ...], fit: np.ndarray, seed: int,
                 pool: np.ndarray | None) -> NumericMechanism:
    rest = np.setdiff1d(np.arange(len(ctx.reference)) if pool is None else pool, fit)
    if len(rest) > HELD_OUT:
        rest = np.sort(np.random.default_rng(seed).choice(rest, HELD_OUT, replace=False))
    ref_fit, ref_out = ctx.reference.iloc[fit], ctx.reference.iloc[rest]
    held_out = (node_codes(ctx, ref_out, features), ref_out[node].to_numpy(float))
    return NumericMechanism(node_codes(ctx, ref_fit, features), ref_fit[node].to_numpy(float), seed,
                    held_out)


class CategoricalMechanism:
    """Reference ``P(node | parents)`` for a categorical node, over the reference's values."""

    def __init__(self, X: np.ndarray, values: pd.Series, seed: int) -> None:
        ok = values.notna().to_numpy()
        self.levels = np.array(sorted(values[ok].astype(str).unique()), dtype=object)
        self.originals = {str(v): v for v in values[ok]}
        y = pd.Series(values[ok].astype(str)).map({v: i for i, v in enumerate(self.levels)}).to_numpy()
        self.prior = np.bincount(y, minlength=len(self.levels)) / max(len(y), 1)
        self.model = None
        if X.shape[1] and len(self.levels) > 1 and len(y) >= 30:
            self.model = HistGradientBoostingClassifier(max_iter=40, learning_rate=0.2,
                                                        random_state=seed).fit(X[ok], y)

    def sample(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if len(X) == 0:
            return np.array([], dtype=object)
        p = self.model.predict_proba(X) if self.model is not None else np.tile(self.prior, (len(X), 1))
        cdf = np.cumsum(p, axis=1)
        idx = np.minimum((rng.random((len(X), 1)) > cdf).sum(axis=1), len(self.levels) - 1)
        return np.array([self.originals[v] for v in self.levels[idx]], dtype=object)
