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
rows, codes as categories (``replay_mechanisms``, ``replay_impute``).

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

The steps live in their own modules: ``replay_context`` (what a replay reads),
``replay_mechanisms`` (the reference's fitted mechanisms), ``replay_revert``
(one observed node put back), ``replay_service`` (an unobserved service's
fields), ``replay_impute`` (lost values drawn again), ``replay_propagate``
(the change carried down to the model); this module runs them and measures
the metric.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from causal_rca.causal.encoding import effective_parents
from causal_rca.diagnosis.findings import Replay as ReplayResult  # the record a replay makes
from causal_rca.metrics import estimate_metric, metric_frame
from causal_rca.metrics.intervals import Z95
from causal_rca.metrics.spec import REGRESSION
from causal_rca.model.replay_context import ReplayContext, fit_rows, node_codes
from causal_rca.model.replay_mechanisms import CategoricalMechanism, numeric_mechanism
from causal_rca.model.replay_propagate import propagate
from causal_rca.model.replay_revert import revert_node
from causal_rca.model.replay_service import one_service, revert_service

DRAWS = 3  # replays per reverted node when imputation is random (Rubin's rules combine them)


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
    mech = numeric_mechanism(ctx, ctx.model_node, ctx.inputs, fit_rows(len(ctx.reference), rng), seed)
    return lambda frame: mech.predict(node_codes(ctx, frame, ctx.inputs))


def _revert_label(ctx: ReplayContext, rng: np.random.Generator, seed: int) -> pd.Series:
    parents = effective_parents(ctx.graph, ctx.label_node)
    fit = fit_rows(len(ctx.reference), rng)
    ref_fit = ctx.reference.iloc[fit]
    X_ref = node_codes(ctx, ref_fit, parents)
    X_cur = node_codes(ctx, ctx.current, parents)
    if ctx.dtypes[ctx.label_node] in ("numeric",) and ctx.spec.name in REGRESSION:
        mech = numeric_mechanism(ctx, ctx.label_node, parents, fit, seed)
        return pd.Series(mech.draw(X_cur, rng), index=ctx.current.index)
    return pd.Series(CategoricalMechanism(X_ref, ref_fit[ctx.label_node], seed).sample(X_cur, rng), index=ctx.current.index)


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
            if one_service(ctx, nodes):
                frame, random, how = revert_service(ctx, nodes, frame, rng, seed)
            else:
                order = sorted(nodes, key=ctx.graph.topological_order().index)
                for i, node in enumerate(order):
                    values, was_random, how = revert_node(ctx, node, frame, rng, seed, frozenset(order[i + 1:]))
                    frame[node] = values
                    random |= was_random
            frame = propagate(ctx, frame, set(nodes), rng, seed)
            scores = model_scores(ctx, frame)
            X_obs = node_codes(ctx, ctx.current, ctx.inputs)
            X_cf = node_codes(ctx, frame, ctx.inputs)
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
