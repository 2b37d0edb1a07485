"""Lost values drawn again: from the reference's ``P(node | other inputs, outcome)``, each outcome class apart.

Lost values are drawn, not predicted: numbers by predictive mean matching
against reference rows the fit never saw, codes as categories, and a null
that meant something in the reference drawn as a null.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from causal_rca.causal.encoding import is_discrete
from causal_rca.metrics.spec import REGRESSION
from causal_rca.model.replay_context import ReplayContext, fit_rows, node_codes
from causal_rca.model.replay_mechanisms import CategoricalMechanism, numeric_mechanism

MIN_STRATUM = 50  # reference rows of each outcome class needed to impute the classes apart
MAX_STRATA = 10
CODE_STEP = 10  # whole-number levels this far apart (median step) are codes, not counts
NATURAL_NULLS = 0.01  # a reference null share from which nulls are one of the node's values


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


def impute(ctx: ReplayContext, node: str, frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator,
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
    fit = fit_rows(len(ctx.reference), rng)
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


def identifier_codes(values: np.ndarray) -> bool:
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
    X_ref = node_codes(ctx, ref_fit, context)
    X_out = node_codes(ctx, rows, context)
    if categorical:
        return CategoricalMechanism(X_ref, ref_fit[node], seed).sample(X_out, rng)
    y = ref_fit[node].to_numpy(float)
    if identifier_codes(y):  # MCC 5411, 5812: a regression on the code means nothing
        values = CategoricalMechanism(X_ref, ref_fit[node], seed).sample(X_out, rng).astype(float)
    else:  # predictive mean matching draws among the values seen: a count stays whole
        values = numeric_mechanism(ctx, node, context, fit, seed, pool).draw(X_out, rng)
    if natural_nulls and np.isnan(y).mean() >= NATURAL_NULLS:
        # A null that means something ("no debt on record") is a value the reference had: draw it too.
        present = pd.Series(np.where(np.isnan(y), "null", "value"), index=ref_fit.index)
        values[CategoricalMechanism(X_ref, present, seed).sample(X_out, rng) == "null"] = np.nan
    return values
