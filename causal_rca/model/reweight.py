"""Replay of a population change: the current rows reweighted to the node's reference distribution.

A new population (a new market's currency, a new merchant category) has no
per-row "as it was": a yen transaction never had a dollar amount, and its
label belongs to the yen row. Reverting values row by row (``replay.py``)
keeps the new rows with the old rows' values and the new rows' labels, which
recovers little or nothing. The counterfactual "this node had its reference
distribution, everything else kept its current mechanism" is, for the joint
distribution of the graph,

    P_cf(v) = P_ref(x | pa(x)) · ∏_{other nodes} P_cur(v_i | pa_i)
            = P_cur(v) · w(x, pa(x)),   w = P_ref(x | pa(x)) / P_cur(x | pa(x)),

so the metric under it is the metric of the *current rows weighted by w*
(importance sampling). Each row keeps everything else it carries: siblings
that arrived with the population (the digital-goods merchants' small amounts),
its descendants, its label. That is why no sibling is reweighted with the node:
the rows hold their joint distribution with it already, and reweighting a
sibling or a descendant too would also undo changes that are not the node's.
A node whose distribution did not move gets weights ≈ 1 and recovers nothing.

The ratio is estimated by probabilistic classification (reference against
current): P(ref | x, pa) / P(cur | x, pa), divided by the same odds on pa
alone, is the conditional ratio up to a constant. The classifier is
gradient boosting fitted with log-loss and early stopping (probabilities, not
only a ranking), cross-fitted (each current row is scored by a fit that never
saw it, so it is not pulled towards "current" by memorisation), its
probabilities clipped, and rows whose value lies outside the reference
support get weight 0, as P_ref is 0 there. Weights are normalised to mean 1
and truncated at ``MAX_WEIGHT`` times the mean (bounded variance, small bias).

The interval: per fit, a bootstrap of the weighted metric over the rows (it
widens as the effective sample size (Σw)²/Σw² falls); three fits on
different fold splits combined by Rubin's rules, so the interval holds the
noise of the weights too. When the reweighted rows are too few
(``MIN_EFFECTIVE_ROWS``), the population cannot be rebuilt from the current
window and the row replay answers instead (its ``how`` says so).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from causal_rca.causal.encoding import effective_parents, encode_windows, support_mask
from causal_rca.errors import InputError
from causal_rca.metrics import BOOTSTRAP_RESAMPLES, encode_rows, metric_frame, metric_from_weighted
from causal_rca.model.replay import DRAWS, ReplayResult, current_labels, model_scores, baseline, replay, result
from causal_rca.model.replay_context import ReplayContext

How = Literal["rows", "population"]


def check_how(how: object) -> None:
    """``how`` names one of the two counterfactuals (the module docstring)."""
    if how not in ("rows", "population"):
        raise InputError(f"how must be 'rows' or 'population', got {how!r}")


POPULATION_MODES = frozenset({"distribution_shift", "out_of_distribution"})  # the vocabulary's population changes
FOLDS = 2  # cross-fitting folds of the current rows
PROBABILITY_CLIP = 1e-3  # P(reference | row) kept in [clip, 1 - clip]: odds within 1e-3..1e3
MAX_WEIGHT = 20.0  # weights truncated at this multiple of their mean
MIN_EFFECTIVE_ROWS = 100  # fewer effective rows than this: the current window cannot rebuild the population
MAX_CATEGORIES = 254  # categorical codes the boosting can split as categories (else read as ordered codes)


def _odds(ref_X: np.ndarray, cur_X: np.ndarray, categorical: np.ndarray, seed: int) -> np.ndarray:
    """Cross-fitted log odds of "reference" for every current row, the class sizes' odds removed."""
    rng = np.random.default_rng(seed)
    folds = rng.permutation(len(cur_X)) % FOLDS
    out = np.empty(len(cur_X))
    for k in range(FOLDS):
        held = folds == k
        X = np.vstack([ref_X, cur_X[~held]])
        y = np.r_[np.ones(len(ref_X)), np.zeros(int((~held).sum()))]
        clf = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, early_stopping=True,
                                             categorical_features=categorical, random_state=seed).fit(X, y)
        p = np.clip(clf.predict_proba(cur_X[held])[:, 1], PROBABILITY_CLIP, 1 - PROBABILITY_CLIP)
        out[held] = np.log(p / (1 - p)) - np.log(len(ref_X) / max(int((~held).sum()), 1))
    return out


def _conditioning(ctx: ReplayContext, nodes: tuple[str, ...]) -> tuple[str, ...]:
    """The nodes' observed parents outside the set: what the reference distribution is conditional on."""
    inside = set(nodes)
    return tuple(dict.fromkeys(p for n in nodes for p in effective_parents(ctx.graph, n)
                               if p not in inside and p in ctx.dtypes))


def population_weights(ctx: ReplayContext, nodes: tuple[str, ...], seed: int) -> np.ndarray:
    """w = P_ref(nodes | parents) / P_cur(nodes | parents) for each current row, mean 1, truncated."""
    parents = _conditioning(ctx, nodes)
    cols = [*nodes, *parents]
    enc = encode_windows(ctx.reference[cols], ctx.current[cols], {c: ctx.dtypes[c] for c in cols})
    ref_X, cur_X = enc.reference[cols].to_numpy(float), enc.current[cols].to_numpy(float)
    categorical = np.array([c in enc.categorical and np.nanmax(ref_X[:, i], initial=0) < MAX_CATEGORIES
                            for i, c in enumerate(cols)])
    log_w = _odds(ref_X, cur_X, categorical, seed)
    if parents:
        k = len(nodes)
        log_w -= _odds(ref_X[:, k:], cur_X[:, k:], categorical[k:], seed + 1)
    w = np.exp(log_w)
    for i, n in enumerate(nodes):  # P_ref is 0 where the reference has no data
        w[~support_mask(ref_X[:, i], cur_X[:, i], n in enc.categorical)] = 0.0
    if w.sum() <= 0:
        return w
    w = np.minimum(w / w.mean(), MAX_WEIGHT)
    return w / w.mean()


def effective_rows(weights: np.ndarray) -> float:
    """Kish's effective sample size (Σw)² / Σw²: how many unweighted rows the weighted ones are worth."""
    total = float(np.sum(weights ** 2))
    return float(np.sum(weights)) ** 2 / total if total > 0 else 0.0


def weighted_estimate(ctx: ReplayContext, scores: np.ndarray, labels: pd.Series, weights: np.ndarray,
                      seed: int) -> tuple[float, float]:
    """(value, standard error) of the metric on rows counted with ``weights``; the error from a bootstrap."""
    encoded = encode_rows(ctx.spec, metric_frame(ctx.spec, pd.Series(scores, index=labels.index), labels))
    used = ~np.isnan(encoded) & (weights > 0)
    u, w = encoded[used], weights[used]
    value = metric_from_weighted(ctx.spec, u, w)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(u), np.full(len(u), 1.0 / len(u)), size=BOOTSTRAP_RESAMPLES)
    boot = []
    for c in counts:
        try:
            boot.append(metric_from_weighted(ctx.spec, u, w * c))
        except InputError:  # a resample without one of the classes the metric needs
            continue
    return value, float(np.std(boot, ddof=1)) if len(boot) > 1 else 0.0


def reweighted(ctx: ReplayContext, nodes: tuple[str, ...], base: float | None = None) -> ReplayResult:
    """The metric of the current rows weighted so that ``nodes`` have their reference distribution."""
    base = baseline(ctx) if base is None else base
    scores, labels = model_scores(ctx, ctx.current), current_labels(ctx)
    parts: list[tuple[float, float]] = []
    n_eff, moved = [], []
    for draw in range(DRAWS):
        seed = ctx.seed + 7919 * (draw + 1)
        w = population_weights(ctx, nodes, seed)
        n_eff.append(effective_rows(w))
        if n_eff[-1] < MIN_EFFECTIVE_ROWS:
            res = replay(ctx, nodes, base)
            return ReplayResult(res.nodes, res.value, res.ci, res.baseline, res.reference, res.recovered_share,
                                res.gap_ci, res.rows_changed,
                                f"{res.how} (the reference population cannot be rebuilt from the current rows: "
                                f"{n_eff[-1]:.0f} effective rows)")
        moved.append(0.5 * float(np.mean(np.abs(w - 1.0))))  # total variation: the share of rows' mass moved
        parts.append(weighted_estimate(ctx, scores, labels, w, seed))
    given = " given its parents" if _conditioning(ctx, nodes) else ""
    how = (f"current rows reweighted to the reference distribution of {' and '.join(nodes)}{given} "
           f"(effective sample {np.mean(n_eff):.0f} of {len(ctx.current)} rows; {DRAWS} weight fits)")
    return result(ctx, nodes, parts, base, float(np.mean(moved)), how)


def counterfactual(ctx: ReplayContext, nodes: tuple[str, ...], base: float | None = None,
                   how: How = "rows") -> ReplayResult:
    """``rows``: each row put back as it was (``replay``); ``population``: the reference population (reweighted)."""
    if how == "population":
        return reweighted(ctx, nodes, base)
    return replay(ctx, nodes, base)


def how_for(failure_mode: str, nodes: tuple[str, ...]) -> How:
    """The counterfactual a ranked cause asks for: a population change reweights, any other fault replays rows."""
    return "population" if failure_mode in POPULATION_MODES and len(nodes) == 1 else "rows"
