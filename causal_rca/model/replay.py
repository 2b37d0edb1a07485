"""Counterfactual replay: "what would the metric be had this node stayed as it was?"

With the real model as the model node's mechanism, each current row is
replayed with one node (or, for an unobserved service, every field it sends)
put back to its *reference* behaviour, the change carried down the graph to
the model's inputs, the model re-run and the metric recomputed on the
current labels. The answer is "fixing X would bring recall to 0.88 ± 0.02".

How a node is put back (all fitted on the reference window only):

- a node with observed parents: its reference mechanism (``node ~ parents``).
  Rows where the observed value agrees with what that mechanism gives (within
  the reference's own residuals) keep their value; the others get the
  mechanism's value when the node is a computation, a draw from the
  reference's ``P(node | other inputs, outcome)`` when it is noisy;
- a root node: rows inside the reference support keep their value when those
  rows look like the reference; rows outside it (nulls, unseen categories,
  values out of range) are imputed from the reference's ``P(node | other
  inputs)``; a numeric root whose whole distribution moved is mapped quantile
  to quantile onto the reference (a change of units maps back exactly);
- the model node: a surrogate of the reference scores given the inputs (the
  reference model is not at hand, only the artifact now serving);
- the label: labels drawn from the reference's ``P(label | parents)``;
- an unobserved service: all its fields, redrawn jointly on the rows whose
  call failed (found by how many of its fields a row lost, against the
  reference), kept on the others.

Lost values are drawn, not predicted: numbers by predictive mean matching
against reference rows the fit never saw, each outcome class from its own
rows, codes as categories (``_Numeric``, ``_impute``).

Descendants between the node and the model keep their own row noise
(abduction: the observed value minus what their reference mechanism gives for
the observed parents), so only the reverted change travels. Imputation is
random: the replay is repeated and combined by Rubin's rules, so its interval
holds both sampling and imputation uncertainty.

This is the counterfactual for a broken pipeline, where each row had a value
that the fault destroyed or bent. A *new population* (a cause classified
``distribution_shift`` or ``out_of_distribution``) has no per-row "as it was":
its rows carry their own labels, so putting values back row by row keeps the
new rows and recovers little. Those causes are answered by reweighting the
current rows to the node's reference distribution instead (``reweight.py``,
which picks between the two; ``result`` below is shared).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import KFold, cross_val_predict

from causal_rca.causal.encoding import (category_codes, category_vocabulary, effective_parents, encode_windows,
                                       finite_or_nan, is_discrete, support_mask)
from causal_rca.diagnosis.findings import Replay as ReplayResult  # the record a replay makes
from causal_rca.lineage import LineageGraph
from causal_rca.metrics import MetricSpec, estimate_metric, metric_frame
from causal_rca.metrics.spec import REGRESSION
from causal_rca.metrics.intervals import Z95
from causal_rca.windows.frames import TIME, freshness_key

DRAWS = 3  # replays per reverted node when imputation is random (Rubin's rules combine them)
FIT_ROWS = 6000
HELD_OUT = 4000  # reference rows outside the fit: a mechanism's donors
HELD_OUT_MIN = 500  # fewer held-out rows than this: the donors come from two folds of the fit rows
DONORS = 10  # predictive mean matching draws among this many nearest reference predictions
MIN_STRATUM = 50  # reference rows of each outcome class needed to impute the classes apart
MAX_STRATA = 10
CODE_STEP = 10  # whole-number levels this far apart (median step) are codes, not counts
COMPUTED = 0.05  # reference residual spread below this share of the node's spread: a computed node
SAME_DISTRIBUTION = 0.1  # KS / total-variation distance below which in-support rows "look like the reference"
NATURAL_NULLS = 0.01  # a reference null share from which nulls are one of the node's values
HIT = 2.0  # rows with so many lost fields are this many times more common than in the reference: a failed call


@dataclass(frozen=True)
class ReplayContext:
    """Everything a replay reads: the graph, both windows' node-keyed samples and the model."""

    graph: LineageGraph
    spec: MetricSpec
    dtypes: dict[str, str]
    reference: pd.DataFrame
    current: pd.DataFrame
    model_node: str
    label_node: str | None
    inputs: tuple[str, ...]
    score: object  # callable: node-keyed frame -> scores (the artifact through model.inputs)
    reference_value: float
    reference_ci: tuple[float, float]
    seed: int
    vocabularies: dict[str, dict[str, int]] = field(default_factory=dict, compare=False, repr=False)  # a cache
    # Fitted numeric mechanisms by (node, inputs, rows, seed): one context replayed or injected many times
    # (prevention/window.py) fits each only once.
    mechanisms: dict[tuple, "_Numeric"] = field(default_factory=dict, compare=False, repr=False)


# --------------------------------------------------------------------------- fitted reference mechanisms


def _codes(ctx: ReplayContext, frame: pd.DataFrame, nodes: tuple[str, ...]) -> np.ndarray:
    """Numeric codes of ``nodes`` in ``frame`` with the reference's vocabulary (unseen → -1).

    The same as ``encode_windows`` gives, without re-encoding the reference for every fit."""
    if not nodes:
        return np.zeros((len(frame), 0))
    columns = []
    for n in nodes:
        if ctx.dtypes[n] in ("numeric", "boolean", "datetime"):
            columns.append(finite_or_nan(frame[n].to_numpy(dtype=float)))
        else:
            if n not in ctx.vocabularies:
                ctx.vocabularies[n] = category_vocabulary(ctx.reference[n])
            columns.append(category_codes(frame[n], ctx.vocabularies[n]))
    return np.column_stack(columns)


def _fit_rows(n: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, FIT_ROWS, replace=False)) if n > FIT_ROWS else np.arange(n)


def _regressor(seed: int) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(max_iter=60, learning_rate=0.2, random_state=seed)


class _Numeric:
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


def _numeric(ctx: ReplayContext, node: str, features: tuple[str, ...], fit: np.ndarray, seed: int,
             pool: np.ndarray | None = None) -> _Numeric:
    """The reference's ``node ~ features`` fitted on rows ``fit``, its donors the other rows of ``pool``."""
    key = (node, features, seed, fit.tobytes(), None if pool is None else pool.tobytes())
    if key not in ctx.mechanisms:
        ctx.mechanisms[key] = _fit_numeric(ctx, node, features, fit, seed, pool)
    return ctx.mechanisms[key]


def _fit_numeric(ctx: ReplayContext, node: str, features: tuple[str, ...], fit: np.ndarray, seed: int,
                 pool: np.ndarray | None) -> _Numeric:
    rest = np.setdiff1d(np.arange(len(ctx.reference)) if pool is None else pool, fit)
    if len(rest) > HELD_OUT:
        rest = np.sort(np.random.default_rng(seed).choice(rest, HELD_OUT, replace=False))
    ref_fit, ref_out = ctx.reference.iloc[fit], ctx.reference.iloc[rest]
    held_out = (_codes(ctx, ref_out, features), ref_out[node].to_numpy(float))
    return _Numeric(_codes(ctx, ref_fit, features), ref_fit[node].to_numpy(float), seed,
                    held_out)


class _Categorical:
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


# --------------------------------------------------------------------------- putting one node back


def _same_distribution(ref: pd.Series, cur: pd.Series, categorical: bool) -> bool:
    ref, cur = ref.dropna(), cur.dropna()
    if len(ref) < 30 or len(cur) < 30:
        return False
    if categorical:
        a, b = ref.astype(str).value_counts(normalize=True), cur.astype(str).value_counts(normalize=True)
        tv = 0.5 * float(a.sub(b, fill_value=0.0).abs().sum())
        return tv < SAME_DISTRIBUTION
    return float(stats.ks_2samp(ref.to_numpy(float), cur.to_numpy(float)).statistic) < SAME_DISTRIBUTION


def _quantile_map(ref: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Each current value to the reference value at the same rank (nulls stay null)."""
    out = np.full(len(cur), np.nan)
    ok = np.isfinite(cur)
    ranks = stats.rankdata(cur[ok]) / (ok.sum() + 1)
    out[ok] = np.quantile(ref[np.isfinite(ref)], ranks)
    return out


def _context_nodes(ctx: ReplayContext, node: str, pending: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """What a lost value is imputed from: the observed non-descendants of the node, and the outcome.

    The outcome belongs in the imputation model (as in multiple imputation of
    missing predictors): values drawn from P(node | others, outcome) have the
    joint distribution the real values had, so the replayed metric is unbiased;
    drawn without it, the replay would blame the model for information the
    imputation threw away.
    """
    skip = ctx.graph.descendants(node) | {node, ctx.model_node} | set(pending)
    relevant = set(ctx.inputs).union(*(ctx.graph.ancestors(i) for i in ctx.inputs))
    out = [n for n in ctx.graph.topological_order()
           if n in relevant and n in ctx.dtypes and n not in skip and ctx.graph.nodes[n].kind != "metric"]
    if ctx.label_node and ctx.label_node in ctx.dtypes and ctx.label_node != node:
        out.append(ctx.label_node)
    return tuple(out)


def _spiked_values(ref: np.ndarray, cur: np.ndarray) -> list[float]:
    """Values that became far more frequent (a fallback default), numeric codes."""
    r = pd.Series(ref[np.isfinite(ref)]).value_counts(normalize=True)
    c = pd.Series(cur[np.isfinite(cur)]).value_counts(normalize=True)
    gained = c.sub(r, fill_value=0.0)
    return [v for v, g in gained.items() if g > 0.02 and c[v] > 1.5 * r.get(v, 0.0)]


def _stale(ctx: ReplayContext, node: str, frame: pd.DataFrame) -> np.ndarray:
    """Rows whose value was computed longer before the event than any reference row's (``freshness``)."""
    key = freshness_key(node)
    if key not in frame or TIME not in frame or key not in ctx.reference:
        return np.zeros(len(frame), dtype=bool)
    ref_age = (ctx.reference[TIME] - ctx.reference[key]).to_numpy(dtype=float)
    age = (frame[TIME] - frame[key]).to_numpy(dtype=float)
    ref_age = ref_age[np.isfinite(ref_age)]
    if len(ref_age) == 0:
        return np.zeros(len(frame), dtype=bool)
    with np.errstate(invalid="ignore"):
        return age > np.quantile(ref_age, 0.995)


def _impute(ctx: ReplayContext, node: str, frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator,
            seed: int, categorical: bool, pending: frozenset[str] = frozenset(),
            natural_nulls: bool = False) -> np.ndarray:
    """Values for ``rows`` drawn from the reference's P(node | context, outcome).

    ``pending``: other nodes being put back and not yet replaced, whose broken
    values must not inform the imputation. ``natural_nulls``: the reference's
    own nulls are values to draw as well (a whole row is redrawn, not only its
    broken values).

    With a class label, each outcome class is imputed from its own reference
    rows: a fitted model smooths a rare class (fraud is 1 row in 40) into the
    rest, and values drawn for its rows would lose the very link to the
    outcome the metric measures."""
    context = _context_nodes(ctx, node, pending)
    fit = _fit_rows(len(ctx.reference), rng)
    targets = np.flatnonzero(rows)
    out = np.empty(len(targets), dtype=object if categorical else float)
    for pool, members in _outcome_strata(ctx, node, frame, targets):
        part = np.intersect1d(fit, pool)
        out[members] = _draw(ctx, node, context, part, pool, frame.iloc[targets[members]], rng, seed, categorical,
                             natural_nulls)
    return out


def _outcome_strata(ctx: ReplayContext, node: str, frame: pd.DataFrame,
                    targets: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(reference rows, positions among ``targets``) per outcome class; one stratum when classes are few or small."""
    everything = [(np.arange(len(ctx.reference)), np.arange(len(targets)))]
    label = ctx.label_node
    if label is None or label == node or label not in ctx.dtypes or ctx.spec.name in REGRESSION:
        return everything
    ref_labels = ctx.reference[label].astype(str).to_numpy()
    cur_labels = frame[label].iloc[targets].astype(str).to_numpy()
    classes, counts = np.unique(ref_labels[ctx.reference[label].notna().to_numpy()], return_counts=True)
    if not 2 <= len(classes) <= MAX_STRATA or counts.min() < MIN_STRATUM or not np.isin(cur_labels, classes).all():
        return everything
    return [(np.flatnonzero(ref_labels == c), np.flatnonzero(cur_labels == c)) for c in classes]


def _identifier_codes(values: np.ndarray) -> bool:
    """A numeric node that is a set of codes (a merchant category, a zip code), not a quantity.

    Discrete, whole numbers, and far apart (the median step between levels is
    at least ``CODE_STEP``), where counts and buckets step by one or by a
    regular bin: such a node is drawn as a category.
    """
    if not is_discrete(values):
        return False
    levels = np.unique(values[np.isfinite(values)])
    whole = bool(np.all(levels == np.round(levels)))
    return whole and len(levels) > 2 and float(np.median(np.diff(levels))) >= CODE_STEP


def _draw(ctx: ReplayContext, node: str, context: tuple[str, ...], fit: np.ndarray, pool: np.ndarray,
          rows: pd.DataFrame, rng: np.random.Generator, seed: int, categorical: bool,
          natural_nulls: bool) -> np.ndarray:
    """Values of ``node`` for ``rows`` from a model of the reference rows ``fit`` (donors from the rest of ``pool``)."""
    ref_fit = ctx.reference.iloc[fit]
    X_ref = _codes(ctx, ref_fit, context)
    X_out = _codes(ctx, rows, context)
    if categorical:
        return _Categorical(X_ref, ref_fit[node], seed).sample(X_out, rng)
    y = ref_fit[node].to_numpy(float)
    if _identifier_codes(y):  # MCC 5411, 5812: a regression on the code means nothing
        values = _Categorical(X_ref, ref_fit[node], seed).sample(X_out, rng).astype(float)
    else:  # predictive mean matching draws among the values seen: a count stays whole
        values = _numeric(ctx, node, context, fit, seed, pool).draw(X_out, rng)
    if natural_nulls and np.isnan(y).mean() >= NATURAL_NULLS:
        # A null that means something ("no debt on record") is a value the reference had: draw it too.
        present = pd.Series(np.where(np.isnan(y), "null", "value"), index=ref_fit.index)
        values[_Categorical(X_ref, present, seed).sample(X_out, rng) == "null"] = np.nan
    return values


def _revert(ctx: ReplayContext, node: str, frame: pd.DataFrame, rng: np.random.Generator, seed: int,
            pending: frozenset[str] = frozenset()) -> tuple[pd.Series, bool, str]:
    """(values of ``node`` put back, whether that was random, how) on the rows of ``frame``."""
    dtype = ctx.dtypes[node]
    categorical = dtype not in ("numeric", "boolean", "datetime")
    parents = effective_parents(ctx.graph, node)
    ref_vals, cur_vals = ctx.reference[node], frame[node]
    fit = _fit_rows(len(ctx.reference), rng)
    ref_fit = ctx.reference.iloc[fit]
    if parents:
        if categorical:
            levels = set(ref_fit[node].dropna().astype(str))
            known = cur_vals.astype(str).isin(levels).to_numpy() & cur_vals.notna().to_numpy()
            # Rows holding a value the reference knows keep it; nulls and unseen values are redrawn.
            out = cur_vals.astype(object).copy()
            if (~known).any():
                out[~known] = _impute(ctx, node, frame, ~known, rng, seed, True, pending)
            return out, True, "reference values (unknown values imputed from the other inputs and the outcome)"
        mech = _numeric(ctx, node, parents, fit, seed)
        expected = mech.predict(_codes(ctx, frame, parents))
        observed = cur_vals.to_numpy(float)
        with np.errstate(invalid="ignore"):
            agrees = np.isfinite(observed) & (np.abs(observed - expected) <= mech.tolerance)
        agrees &= ~np.isin(observed, _spiked_values(ref_vals.to_numpy(float), observed)) & ~_stale(ctx, node, frame)
        if mech.computed:  # a computed feature: the reference computation gives the value back exactly
            values = np.where(agrees, observed, expected)
            return pd.Series(values, index=frame.index), False, "reference mechanism given its parents"
        values = observed.copy()
        if (~agrees).any():
            values[~agrees] = _impute(ctx, node, frame, ~agrees, rng, seed, False, pending)
        return pd.Series(values, index=frame.index), True, ("reference mechanism given its parents (lost values "
                                                            "imputed from the other inputs and the outcome)")
    # A root: keep what lies inside the reference support, impute the rest from the other inputs.
    # A number's fallback defaults, stale values and extra nulls are lost values too.
    inside = ~_lost(ctx, node, frame, support_only=categorical, missing_time=False)[1]
    if not categorical and not _same_distribution(ref_vals, cur_vals[inside], False):
        mapped = _quantile_map(ref_vals.to_numpy(float), cur_vals.to_numpy(float))
        inside = np.isfinite(mapped) & ~np.isnan(cur_vals.to_numpy(float))
        base = pd.Series(mapped, index=frame.index)
        how = "reference distribution (quantile map; rows without a value imputed)"
    elif categorical and not _same_distribution(ref_vals, cur_vals[inside], True):
        inside = np.zeros(len(frame), dtype=bool)
        base = cur_vals.astype(object)
        how = "reference distribution given the other inputs (every row redrawn)"
    else:
        base = cur_vals.astype(object) if categorical else cur_vals.astype(float)
        how = "reference distribution (rows outside the reference support imputed)"
    if inside.all():
        return base, False, how
    drawn = _impute(ctx, node, frame, ~inside, rng, seed, categorical, pending)
    out = base.copy()
    if categorical:
        out = out.astype(object)
    out[~inside] = drawn
    return out, True, how


def _lost(ctx: ReplayContext, node: str, frame: pd.DataFrame, *, support_only: bool = False,
          missing_time: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(reference rows, ``frame`` rows) whose value of ``node`` looks lost, by one rule for both windows.

    Lost: outside the reference support, a value that became far more
    frequent (a fallback default), extra nulls, a stale or (``missing_time``)
    missing computation time. The reference rows show how often the rule
    fires on healthy rows. ``support_only``: the support alone decides.
    """
    dtype = ctx.dtypes[node]
    categorical = dtype not in ("numeric", "boolean", "datetime")
    ref, cur = ctx.reference, frame
    enc = encode_windows(ref[[node]], cur[[node]], {node: dtype})
    ref_codes, cur_codes = enc.reference[node].to_numpy(float), enc.current[node].to_numpy(float)
    lost_ref = ~support_mask(ref_codes, ref_codes, categorical)
    lost_cur = ~support_mask(ref_codes, cur_codes, categorical)
    if support_only:
        return lost_ref, lost_cur
    ref_v, cur_v = (ref_codes, cur_codes) if categorical else (ref[node].to_numpy(float), cur[node].to_numpy(float))
    spiked_values = _spiked_values(ref_v, cur_v)
    lost_ref |= np.isin(ref_v, spiked_values)
    lost_cur |= np.isin(cur_v, spiked_values)
    if np.isnan(cur_v).mean() > np.isnan(ref_v).mean() + 0.01:
        lost_ref |= np.isnan(ref_v)
        lost_cur |= np.isnan(cur_v)
    lost_ref |= _stale(ctx, node, ref)
    lost_cur |= _stale(ctx, node, cur)
    key = freshness_key(node)
    if missing_time and key in ref and key in cur and cur[key].isna().mean() > ref[key].isna().mean() + 0.01:
        lost_ref |= ref[key].isna().to_numpy()
        lost_cur |= cur[key].isna().to_numpy()
    return lost_ref, lost_cur


def _service_hits(ctx: ReplayContext, nodes: tuple[str, ...], frame: pd.DataFrame) -> np.ndarray:
    """Rows on which a service failed: they lost so many of its fields that healthy rows rarely do.

    A timeout hits every field of a call at once, some of them with defaults a
    healthy answer also gives (no delinquencies, no open accounts); per field
    those are invisible, per row they are not. The count of lost fields per row
    is compared with the same count on the reference: counts at least ``HIT``
    times more common now mark the failed calls, and a healthy row's natural
    null or zero stays as it was.
    """
    flags = [_lost(ctx, n, frame) for n in nodes]
    ref_count = np.sum([r for r, _ in flags], axis=0)
    cur_count = np.sum([c for _, c in flags], axis=0)
    hits = np.zeros(len(frame), dtype=bool)
    for level in range(1, len(nodes) + 1):
        now = (cur_count == level).mean()
        before = ((ref_count == level).sum() + 1) / (len(ref_count) + 1)
        if now > HIT * before:
            hits |= cur_count == level
    return hits


def replayed_nodes(graph: LineageGraph, node: str, observed: set[str] | dict) -> tuple[str, ...]:
    """What putting ``node`` back means in the logs: the node, or for an unobserved service, all its fields.

    "Had the bureau answered" restores every field the bureau sends, not only
    the ones whose change was large enough to be evidence."""
    if node in observed:
        return (node,)
    return tuple(sorted(c for c in graph.children(node) if c in observed))


def _one_service(ctx: ReplayContext, nodes: tuple[str, ...]) -> bool:
    """Several fields fed by one unobserved node (a service's answer): they failed together, row by row."""
    if len(nodes) < 2:
        return False
    shared = set.intersection(*(set(ctx.graph.parents(n)) for n in nodes))
    return any(not ctx.graph.nodes[p].observed for p in shared)


def _revert_service(ctx: ReplayContext, nodes: tuple[str, ...], frame: pd.DataFrame, rng: np.random.Generator,
                    seed: int) -> tuple[pd.DataFrame, bool, str]:
    """The fields of one failed service put back together, on the rows whose call failed.

    Each field of a hit row is drawn in turn from the reference's P(field |
    the other inputs, the fields drawn before it, the outcome): a joint draw of
    the whole answer the service would have given. Other rows keep every field.
    """
    order = sorted(nodes, key=ctx.graph.topological_order().index)
    hits = _service_hits(ctx, tuple(order), frame)
    how = "the service's fields redrawn jointly on the rows its calls failed"
    if not hits.any():
        return frame, False, how
    for i, node in enumerate(order):
        categorical = ctx.dtypes[node] not in ("numeric", "boolean", "datetime")
        col = frame[node].astype(object) if categorical else frame[node].astype(float)
        col[hits] = _impute(ctx, node, frame, hits, rng, seed, categorical, frozenset(order[i + 1:]),
                            natural_nulls=True)
        frame[node] = col
    return frame, True, how


def propagate(ctx: ReplayContext, frame: pd.DataFrame, changed: set[str], rng: np.random.Generator,
               seed: int) -> pd.DataFrame:
    """Carry reverted values down to the model's inputs, keeping each descendant's own row noise."""
    needed = set(ctx.inputs).union(*(ctx.graph.ancestors(i) for i in ctx.inputs))
    downstream = set().union(*(ctx.graph.descendants(n) for n in changed)) & needed
    for node in ctx.graph.topological_order():
        if node not in downstream or node in changed or node not in ctx.dtypes:
            continue
        parents = effective_parents(ctx.graph, node)
        touched = [p for p in parents if p in changed]
        if not touched:
            continue
        fit = _fit_rows(len(ctx.reference), rng)
        X_obs = _codes(ctx, ctx.current, parents)
        X_cf = _codes(ctx, frame, parents)
        moved = np.any(~np.isclose(np.nan_to_num(X_obs, nan=-9e9), np.nan_to_num(X_cf, nan=-9e9)), axis=1)
        if ctx.dtypes[node] in ("numeric", "boolean", "datetime"):
            mech = _numeric(ctx, node, parents, fit, seed)
            observed = ctx.current[node].to_numpy(float)
            # Abduction only where the observed parents were ones the reference knows.
            known = np.ones(len(frame), dtype=bool)
            enc = encode_windows(ctx.reference[list(parents)], ctx.current[list(parents)],
                                 {p: ctx.dtypes[p] for p in parents})
            for p in parents:
                categorical = ctx.dtypes[p] not in ("numeric", "boolean", "datetime")
                known &= support_mask(enc.reference[p].to_numpy(float), enc.current[p].to_numpy(float), categorical)
            residual = observed - mech.predict(X_obs)
            abduced = known & np.isfinite(residual)
            cf = np.where(abduced, mech.predict(X_cf) + np.where(abduced, residual, 0.0), mech.draw(X_cf, rng))
            values = np.where(moved, cf, observed)
            frame[node] = values
        else:
            ref_fit = ctx.reference.iloc[fit]
            mech = _Categorical(_codes(ctx, ref_fit, parents), ref_fit[node], seed)
            drawn = pd.Series(mech.sample(X_cf[moved], rng), index=frame.index[moved], dtype=object)
            col = frame[node].astype(object)
            col[moved] = drawn
            frame[node] = col
        changed = changed | {node}
    return frame


# --------------------------------------------------------------------------- the metric of a replay


def _metric(ctx: ReplayContext, scores: np.ndarray, labels: pd.Series, seed: int) -> tuple[float, float]:
    """(value, standard error) of the metric on replayed scores and labels."""
    frame = metric_frame(ctx.spec, pd.Series(scores, index=labels.index), labels)
    est = estimate_metric(ctx.spec, frame, seed)
    return est.value, max(est.ci[1] - est.value, est.value - est.ci[0]) / Z95


def _rubin(parts: list[tuple[float, float]]) -> tuple[float, tuple[float, float]]:
    values = np.array([v for v, _ in parts])
    within = float(np.mean([se ** 2 for _, se in parts]))
    between = float(np.var(values, ddof=1)) if len(parts) > 1 else 0.0
    se = math.sqrt(within + (1 + 1 / len(parts)) * between)
    value = float(values.mean())
    return value, (value - Z95 * se, value + Z95 * se)


def current_labels(ctx: ReplayContext) -> pd.Series:
    return ctx.current[ctx.label_node] if ctx.label_node else pd.Series(np.nan, index=ctx.current.index)


def model_scores(ctx: ReplayContext, frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(ctx.score(frame), dtype=float)


def baseline(ctx: ReplayContext) -> float:
    """The metric of the current rows as the artifact scores them, nothing changed."""
    return _metric(ctx, model_scores(ctx, ctx.current), current_labels(ctx), ctx.seed)[0]


def model_surrogate(ctx: ReplayContext, seed: int):
    """The model's reference behaviour learned from the reference logs: scores ~ inputs."""
    rng = np.random.default_rng(seed)
    mech = _numeric(ctx, ctx.model_node, ctx.inputs, _fit_rows(len(ctx.reference), rng), seed)
    return lambda frame: mech.predict(_codes(ctx, frame, ctx.inputs))


def _revert_label(ctx: ReplayContext, rng: np.random.Generator, seed: int) -> pd.Series:
    parents = effective_parents(ctx.graph, ctx.label_node)
    fit = _fit_rows(len(ctx.reference), rng)
    ref_fit = ctx.reference.iloc[fit]
    X_ref = _codes(ctx, ref_fit, parents)
    X_cur = _codes(ctx, ctx.current, parents)
    if ctx.dtypes[ctx.label_node] in ("numeric",) and ctx.spec.name in REGRESSION:
        mech = _numeric(ctx, ctx.label_node, parents, fit, seed)
        return pd.Series(mech.draw(X_cur, rng), index=ctx.current.index)
    return pd.Series(_Categorical(X_ref, ref_fit[ctx.label_node], seed).sample(X_cur, rng), index=ctx.current.index)


def replay(ctx: ReplayContext, nodes: tuple[str, ...], base: float | None = None) -> ReplayResult:
    """The metric on the current rows with ``nodes`` put back to their reference behaviour."""
    base = baseline(ctx) if base is None else base
    parts: list[tuple[float, float]] = []
    changed_rows = 0.0
    how = ""
    draws = DRAWS
    for draw in range(DRAWS):
        seed = ctx.seed + 7919 * (draw + 1)
        rng = np.random.default_rng(seed)
        labels = current_labels(ctx)
        if ctx.model_node in nodes:
            scores = model_surrogate(ctx, seed)(ctx.current)
            random, how = False, "the model's reference behaviour, learned from the reference logs"
            changed_rows = float(np.mean(~np.isclose(scores, ctx.current[ctx.model_node].to_numpy(float), atol=1e-3)))
        elif ctx.label_node in nodes:
            labels = _revert_label(ctx, rng, seed)
            scores = model_scores(ctx, ctx.current)
            random, how = True, "labels drawn from the reference's P(label | parents)"
            changed_rows = float(np.mean(labels.astype(str).to_numpy() != current_labels(ctx).astype(str).to_numpy()))
        else:
            frame = ctx.current.copy()
            random = False
            if _one_service(ctx, nodes):
                frame, random, how = _revert_service(ctx, nodes, frame, rng, seed)
            else:
                order = sorted(nodes, key=ctx.graph.topological_order().index)
                for i, node in enumerate(order):
                    values, was_random, how = _revert(ctx, node, frame, rng, seed, frozenset(order[i + 1:]))
                    frame[node] = values
                    random |= was_random
            frame = propagate(ctx, frame, set(nodes), rng, seed)
            scores = model_scores(ctx, frame)
            X_obs = _codes(ctx, ctx.current, ctx.inputs)
            X_cf = _codes(ctx, frame, ctx.inputs)
            changed_rows = float(np.mean(np.any(~np.isclose(np.nan_to_num(X_obs, nan=-9e9),
                                                            np.nan_to_num(X_cf, nan=-9e9)), axis=1)))
        parts.append(_metric(ctx, scores, labels, seed))
        if not random:
            draws = 1
            break
    return result(ctx, nodes, parts, base, changed_rows, how + (f"; {draws} imputations" if draws > 1 else ""))


def result(ctx: ReplayContext, nodes: tuple[str, ...], parts: list[tuple[float, float]], base: float,
           changed_rows: float, how: str) -> ReplayResult:
    """The replay's answer from its draws' (value, standard error), combined by Rubin's rules."""
    value, ci = _rubin(parts)
    gap = ctx.reference_value - base
    share = (value - base) / gap if gap != 0 else 0.0
    se = math.hypot((ci[1] - ci[0]) / (2 * Z95), (ctx.reference_ci[1] - ctx.reference_ci[0]) / (2 * Z95))
    diff = value - ctx.reference_value
    return ReplayResult(tuple(nodes), value, ci, base, ctx.reference_value, float(share),
                        (diff - Z95 * se, diff + Z95 * se), changed_rows, how)
