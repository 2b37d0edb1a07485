"""Did a node's own mechanism change? P(node | parents), reference vs current.

A node that moved only because its parents moved is a messenger. For each
observed node with observed parents we learn node ~ parents on the
reference (gradient boosting, which handles missing values natively), then
ask whether current rows — restricted to parent values the reference
covers — follow that learned mechanism as well as held-out reference rows
do (regression residuals, or per-row log-loss for categories). Root nodes
have no parents: their marginal signals are their mechanism test.
What a test learns from the reference alone is ``mechanism_fits.py``'s, which
``CausalRCA.fit`` learns once and a diagnosis looks up by its key.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable

import numpy as np
from sklearn.metrics import roc_auc_score

from causal_rca.causal.class_outcome import class_outcome_measures
from causal_rca.causal.clustered_rows import Shares, clustered_parts
from causal_rca.causal.covariate_shift import holdout_weights, loss_change
from causal_rca.causal.encoding import (UNSEEN, EncodedWindows, column_matrix, column_support, effective_parents,
                                        support_index)
from causal_rca.causal.fitting import MIN_ROWS
from causal_rca.causal.mechanism_fits import (MechanismFit, MechanismFits, column_digests,
                                              fit_indicator, fit_key, fit_values)
from causal_rca.causal.history import HistoryCheck
from causal_rca.causal.marginal_measures import drift_inside_support, drift_outside_default, root_consistency
from causal_rca.causal.mechanism_waves import in_waves, nodes_below
from causal_rca.causal.mechanism_result import (  # noqa: F401 (the verdict and its levels are imported from here too)
    CLUSTERED_MEASURES, LENIENT_SIGNIFICANCE, MIN_EFFECT, MIN_EFFECT_OUTCOME, SIGNIFICANCE, MechanismResult,
)
from causal_rca.causal.outcome_redefinition import outcome_line_measures, relation_detail, relation_effect
from causal_rca.causal.overlap import overlap_loss_change, residual_ks
from causal_rca.causal.outcome_tests import (
    auc_se, base_rate_test, default_selectivity, deviation_follows_input, recalibrated, stratified_rate_test,
)
from causal_rca.causal.pass_through import pass_through_measures
from causal_rca.causal.rescaling import level_measures, rescaling_measures
from causal_rca.causal.sources import measured_inputs, sources_given_each_other
from causal_rca.causal.workers import run_calls, worker_count
from causal_rca.lineage.graph import LineageGraph
from causal_rca.signals import statistics as st
from causal_rca.signals.detect import Signal


# The reference's value model of a node, fitted only when a test gets that far (``mechanism_fits.fit_values``).
ValuesFit = Callable[[], "RegressionFit | ClassificationFit | None"]
DETERMINISTIC = 0.05  # reference residuals below this share of the node's spread: a computed node
MATERIAL = 0.2  # a deviation this large (share of spread) is a different value, not surrogate error
# Signals that describe a root node's marginal (its mechanism, when it has no parents).
MARGINAL_SIGNALS = (
    "null_rate", "coercion", "dtype", "default_rate", "default_value", "drift", "new_categories",
    "vanished_categories", "renamed_categories", "scale", "partial_scale", "out_of_support", "staleness", "contract",
)


def _regression_part(x_ref, X_ref, x_cur, X_cur, values: ValuesFit, row_ok: np.ndarray, outcome: bool = False,
                     default_value: float | None = None, seed: int = 0,
                     model: bool = False) -> tuple[float, float, dict, list]:
    """Residual test; marks in ``row_ok`` the current rows whose residual is not typical of the reference.
    Last: what the test compares, per current row with a value (``clustered_rows``). ``model``: a model node,
    judged where both windows have inputs (``overlap``)."""
    ok_ref = ~np.isnan(x_ref)
    ok_cur = ~np.isnan(x_cur)
    if int(ok_ref.sum()) < MIN_ROWS * 2 or ok_cur.sum() < MIN_ROWS:
        return 1.0, 0.0, {}, []
    fit = values()
    hold = fit.hold
    pred_cur = fit.surrogate.predict(X_cur[ok_cur])
    r0 = fit.residuals.values  # x_ref[hold] - fit.pred_hold, with its summaries (mechanism_fits.yardstick)
    r1 = x_cur[ok_cur] - pred_cur
    spread = float(np.std(x_ref[ok_ref])) or 1.0
    scale = float(np.std(r0)) or 1e-12
    measures = {
        "residual_sd_reference": float(np.std(r0)), "residual_sd_current": float(np.std(r1)),
        "residual_shift": float((np.mean(r1) - np.mean(r0)) / scale) if scale > 1e-9 else 0.0,
        **rescaling_measures(pred_cur, x_cur[ok_cur], fit.holdout),
        **level_measures(x_ref[ok_ref], x_cur[ok_cur]),
    }
    if default_value is not None:
        measures.update(default_selectivity(pred_cur, x_cur[ok_cur], default_value, MATERIAL * spread))
    if float(np.sqrt(np.mean(r0 ** 2))) < DETERMINISTIC * spread:
        # A computed feature or a model score: the parents fix the value. Scale-free tests would
        # flag the surrogate's own small errors off the reference manifold; what matters is the
        # share of rows whose value is materially not what the parents imply.
        tol = MATERIAL * spread
        # Rows below keep only values the reference computation gives as exactly as on its own
        # holdout: a value off by less than ``tol`` is not counted as a change here, but it still
        # changes what a model downstream is given.
        row_ok[np.flatnonzero(ok_cur)[np.abs(r1) > min(tol, fit.residuals.tail)]] = False
        dev0, dev1 = np.abs(r0) > tol, np.abs(r1) > tol
        excess = dev1.mean() - dev0.mean()
        measures.update(material_deviation_share=float(dev1.mean()),
                        **pass_through_measures(x_ref[ok_ref], X_ref[ok_ref], x_cur[ok_cur], X_cur[ok_cur]))
        effect = min(1.0, max(0.0, 3.0 * excess))
        # An imputation computed differently changes only the rows it fills: their share of all
        # rows may be small, but among rows with a missing parent the computation changed outright.
        null0, null1 = np.isnan(X_ref[hold]).any(axis=1), np.isnan(X_cur[ok_cur]).any(axis=1)
        if null1.sum() >= MIN_ROWS:
            filled = float(dev1[null1].mean() - (dev0[null0].mean() if null0.any() else 0.0))
            measures["deviation_where_parent_null"] = float(dev1[null1].mean())
            effect = max(effect, min(1.0, filled))
        return (st.two_proportion(int(dev0.sum()), len(r0), int(dev1.sum()), len(r1)), effect, measures,
                Shares(dev0, hold, dev1))
    # Signed residuals catch shifts; absolute ones catch rescalings, whose residuals stay
    # centred on zero (signed KS then tops out near 0.5).
    row_ok[np.flatnonzero(ok_cur)[np.abs(r1) > fit.residuals.tail]] = False
    inputs = (X_ref[fit.train], X_ref[hold], X_cur[ok_cur]) if model else None
    # An outcome's holdout is reweighted to the current inputs, as a binary one's (covariate_shift.py).
    weights = holdout_weights(X_ref[fit.train], X_ref[hold], X_cur[ok_cur], seed, SIGNIFICANCE) if outcome else None
    d_signed, p_signed, d_abs, p_abs, overlap = residual_ks(r0, r1, fit.residuals, inputs, seed, weights)
    measures.update(overlap)
    # An outcome's growing noise (a loosened concept) moves its spread most; other nodes' heavy tails make it jumpy.
    spread_change = abs(float(np.log((np.std(r1) + 1e-12) / (np.std(r0) + 1e-12)))) if outcome else 0.0
    p_tests, effect = [p_signed, p_abs], max(d_signed, d_abs, spread_change)
    if outcome:  # where inputs lie, as a 0/1 outcome is tested within strata (outcome_redefinition.py)
        measures.update(outcome_line_measures(fit.pred_hold, x_ref[hold], X_ref[hold], pred_cur, x_cur[ok_cur],
                                              X_cur[ok_cur], None if weights is None else weights.weights))
        p_tests, effect = p_tests + [measures["p_follows_input"]], max(effect, relation_effect(measures, SIGNIFICANCE))
    return min(1.0, len(p_tests) * min(p_tests)), min(1.0, effect), measures, [r1, np.abs(r1)]


def _classification_part(x_ref, X_ref, x_cur, X_cur, values: ValuesFit, row_ok: np.ndarray,
                         outcome: bool = False, seed: int = 0, model: bool = False) -> tuple[float, float, dict, list]:
    ok_ref = ~np.isnan(x_ref)
    ok_cur = ~np.isnan(x_cur)
    if int(ok_ref.sum()) < MIN_ROWS * 2 or ok_cur.sum() < MIN_ROWS:
        return 1.0, 0.0, {}, []
    fit = values()
    hold, classes = fit.hold, fit.classes
    y_cur = x_cur[ok_cur]
    prob_hold = fit.prob_hold  # each holdout row's probability of its own class
    if len(classes) < 2:
        prob_cur = np.where(y_cur == classes[0], 1.0, 1e-4)
        p_pos_hold = p_pos_cur = None
    else:
        clf, ph = fit.model, fit.proba_hold
        col = {c: i for i, c in enumerate(clf.classes_)}
        pc = clf.predict_proba(X_cur[ok_cur])
        prob_cur = np.array([pc[i, col[c]] if c in col else 1e-4 for i, c in enumerate(y_cur)])
        p_pos_hold = ph[:, -1] if len(classes) == 2 else None
        p_pos_cur = pc[:, -1] if len(classes) == 2 else None
        if not outcome:
            wrong_hold = clf.classes_[ph.argmax(axis=1)] != x_ref[hold]
            if wrong_hold.mean() < DETERMINISTIC:
                measures = {"unseen_share": float((y_cur == UNSEEN).mean())}
                return _computed_category(wrong_hold, clf.classes_[pc.argmax(axis=1)] != y_cur,
                                          prob_hold, prob_cur, ok_cur, row_ok, measures, hold)
    loss0 = fit.losses.values
    loss1 = -np.log(np.clip(prob_cur, 1e-4, 1.0))
    row_ok[np.flatnonzero(ok_cur)[loss1 > fit.losses.tail]] = False
    # An outcome's holdout is reweighted to the current inputs (covariate_shift.py), a model's judged where both
    # windows have inputs (overlap.py): a population that moved to where the fit is weaker is no changed mechanism.
    inputs = (X_ref[fit.train], X_ref[hold], X_cur[ok_cur])
    weights = holdout_weights(*inputs, seed, SIGNIFICANCE) if outcome and len(classes) > 1 else None
    d, p_ks, p_mean, expected_loss = (overlap_loss_change(fit.losses, loss1, inputs, seed) if model
                                      else loss_change(fit.losses, loss1, weights))
    rel_increase = (loss1.mean() - expected_loss) / max(expected_loss, 1e-3)
    # A 3.3% worse log-loss, when significant, is a real change of concept (a churn AUC of
    # 0.75 → 0.72 shows as +4.7%): it weighs like D = 0.1.
    d = max(d, min(1.0, max(0.0, 3.0 * float(rel_increase))))
    measures = {"log_loss_reference": float(loss0.mean()), "log_loss_current": float(loss1.mean()),
                "unseen_share": float((y_cur == UNSEEN).mean())}
    if weights is not None:
        measures.update({"log_loss_expected": expected_loss, "holdout_effective_rows": weights.effective_rows})
    if p_pos_hold is not None:
        y_hold = x_ref[hold] == classes[-1]
        y_c = y_cur == classes[-1]
        hold_w = None if weights is None else weights.weights
        measures["rate_reference"] = float(y_hold.mean())
        measures["rate_current"] = float(y_c.mean())
        measures["rate_expected"] = float(p_pos_cur.mean())
        measures.update(base_rate_test(p_pos_hold, y_hold, p_pos_cur, y_c, hold_w))
        # A base rate moving away from what the parents predict is a change even when it
        # makes outcomes easier to predict (fewer positives: log-loss falls).
        gap = abs(measures["rate_current"] - measures["rate_expected"]) / max(measures["rate_expected"], 0.02)
        d = max(d, min(1.0, gap))
        if 0 < y_hold.sum() < len(y_hold) and 0 < y_c.sum() < len(y_c):
            measures["auc_reference"] = float(roc_auc_score(y_hold, p_pos_hold))
            measures["auc_current"] = float(roc_auc_score(y_c, p_pos_cur))
            measures["auc_se"] = math.hypot(auc_se(measures["auc_reference"], y_hold),
                                            auc_se(measures["auc_current"], y_c))
            p_strata = stratified_rate_test(p_pos_hold, y_hold, p_pos_cur, y_c, weights=hold_w)
            measures["p_within_strata"] = p_strata
            measures["p_follows_input"] = deviation_follows_input(
                y_hold - recalibrated(p_pos_hold, y_hold), X_ref[hold],
                y_c - recalibrated(p_pos_cur, y_c), X_cur[ok_cur])
            return min(1.0, 3 * min(p_ks, p_mean, p_strata)), d, measures, [loss1]
    elif outcome and len(classes) > 2:  # a multi-class label: new classes, class mix, class-level map
        measures.update(class_outcome_measures(clf.classes_, ph, x_ref[hold], pc, y_cur, X_ref[hold], X_cur[ok_cur],
                                               None if weights is None else weights.weights))
        d = max(d, min(1.0, 3.0 * measures["class_prior_shift"]))
        return min(1.0, 3 * min(p_ks, p_mean, measures["class_prior_p"])), d, measures, [loss1]
    return min(1.0, 2 * min(p_ks, p_mean)), d, measures, [loss1]


def _computed_category(wrong_hold: np.ndarray, wrong_cur: np.ndarray, prob_hold: np.ndarray, prob_cur: np.ndarray,
                       ok_cur: np.ndarray, row_ok: np.ndarray, measures: dict[str, float],
                       hold: np.ndarray) -> tuple[float, float, dict, Shares]:
    """A computed category (a band, a bucket, a code): its parents fix the value, so what matters
    is the share of rows whose category is not the one the reference computation gives. The
    log-loss of such a fit is near zero everywhere but at the band edges, and a population that
    moves towards or away from the edges changes it although nothing was computed differently."""
    row_ok[np.flatnonzero(ok_cur)[wrong_cur]] = False
    k0, k1 = int(wrong_hold.sum()), int(wrong_cur.sum())
    excess = k1 / len(wrong_cur) - k0 / len(wrong_hold)
    loss0 = -np.log(np.clip(prob_hold, 1e-4, 1.0))
    loss1 = -np.log(np.clip(prob_cur, 1e-4, 1.0))
    measures = {**measures, "material_deviation_share": k1 / len(wrong_cur),
                "log_loss_reference": float(loss0.mean()), "log_loss_current": float(loss1.mean())}
    return (st.two_proportion(k0, len(wrong_hold), k1, len(wrong_cur)), min(1.0, max(0.0, 3.0 * excess)), measures,
            Shares(wrong_hold, hold, wrong_cur))


def conditional_test(node_id: str, parents: tuple[str, ...], enc: EncodedWindows, seed: int,
                      default_value: float | None = None, extra_rows: np.ndarray | None = None,
                      outcome: bool = False, fitted: MechanismFit | None = None,
                      history: HistoryCheck | None = None, model: bool = False) -> MechanismResult:
    """``history``: a feature over its entity's history, tested against it (``history.py``): that
    test replaces the same-row value test; "is missing" and "holds a default" are still asked.
    ``extra_rows`` restricts the test to rows where the node's broken parents still behave
    as before: what remains of the node's change is its own, not inherited (descendant adjustment).
    ``fitted``: the reference-only parts, learnt by ``CausalRCA.fit`` (``mechanism_fits``) for
    these very reference rows and seed; fitted here when not given, as they were fitted there. ``model``: a model
    node or a source (a population's relation): residuals judged where both windows have parents (``overlap``)."""
    X_ref, X_cur = column_matrix(enc.reference, parents), column_matrix(enc.current, parents)
    inside = np.ones(len(X_cur), dtype=bool)
    supports = (fitted.parent_supports if fitted is not None
                else [column_support(X_ref[:, j], p in enc.categorical) for j, p in enumerate(parents)])
    for j, parent_support in enumerate(supports):
        inside &= parent_support.mask(X_cur[:, j])
    if extra_rows is not None:
        inside &= extra_rows
    categorical = np.array([p in enc.categorical for p in parents])
    support = fitted.support if fitted is not None else support_index(X_ref, categorical, seed)
    rows = np.flatnonzero(inside)
    if support is not None and len(rows):  # only rows still in question need their neighbours
        inside[rows] = support.inside(X_cur[rows])
    x_ref = enc.reference[node_id].to_numpy(dtype=float)
    x_cur_full = enc.current[node_id].to_numpy(dtype=float)
    if inside.sum() < MIN_ROWS:
        if history is not None:  # its own test reads the rows' history, not the parents' support
            return history.result(node_id, parents, inside)
        return MechanismResult(node_id, parents, "skipped", 1.0, 0.0,
                               "too few current rows with parent values the reference covers",
                               consistent=np.zeros(len(x_cur_full), dtype=bool))
    X_cur, x_cur = X_cur[inside], x_cur_full[inside]
    row_ok = np.ones(len(x_cur), dtype=bool)
    nulls = fitted.nulls if fitted is not None else fit_indicator(np.isnan(x_ref), X_ref, seed)
    p_null, e_null, exp_rate, obs_rate = nulls.excess(np.isnan(x_cur), X_cur)
    p_def, e_def, exp_def, obs_def = 1.0, 0.0, 0.0, 0.0
    if node_id in enc.categorical:
        default_value = None
    parent_null_share = float("nan")
    if default_value is not None:
        with np.errstate(invalid="ignore"):
            p_def, e_def, exp_def, obs_def = fit_indicator(x_ref == default_value, X_ref, seed).excess(
                x_cur == default_value, X_cur)
            defaulted = x_cur == default_value
        if defaulted.any():
            # Defaults exactly where a parent is null: the null handling changed (skew);
            # defaults where the parents had values: the value was lost (outage).
            parent_null_share = float(np.isnan(X_cur[defaulted]).any(axis=1).mean())
    is_category = node_id in enc.categorical
    values = ((lambda: fitted.values) if fitted is not None
              else (lambda: fit_values(x_ref, X_ref, seed, is_category, categorical)))
    if history is not None:
        checked = history.result(node_id, parents, inside)
        method, p_val, e_val, compared = "history", checked.p_value, checked.effect, None
        measures = dict(checked.measures)
        row_ok &= checked.consistent[inside]
    elif is_category:
        method = "classification"
        p_val, e_val, measures, compared = _classification_part(x_ref, X_ref, x_cur, X_cur, values, row_ok, outcome,
                                                                seed, model)
    else:
        method = "regression"
        p_val, e_val, measures, compared = _regression_part(x_ref, X_ref, x_cur, X_cur, values, row_ok, outcome,
                                                            default_value, seed, model)
    if enc.current_keys is not None:  # rows repeat entities: each part at its own effective sample size
        p_null, p_def, p_val, measures = clustered_parts(enc.reference_keys, enc.current_keys[inside], x_cur,
                                                         default_value, (p_null, p_def, p_val), compared, measures)
    if p_null < SIGNIFICANCE and np.isnan(x_ref).mean() < 0.01:
        row_ok &= ~np.isnan(x_cur)
    if p_def < SIGNIFICANCE and default_value is not None:
        row_ok &= x_cur != default_value
    if default_value is not None:
        others = x_cur != default_value
        # A fallback leaves the other rows as they were; a skewed computation does not.
        measures["deviation_outside_default"] = float((~row_ok[others]).mean()) if others.any() else 0.0
    consistent = np.zeros(len(x_cur_full), dtype=bool)
    consistent[np.flatnonzero(inside)] = row_ok
    measures = {**measures, "null_rate_expected": exp_rate, "null_rate_observed": obs_rate,
                "rows_in_support": float(inside.mean())}
    if default_value is not None:
        measures.update({"default_value": float(default_value), "default_rate_expected": exp_def,
                         "default_rate_observed": obs_def, "default_where_parent_null": parent_null_share})
    # Bonferroni over the parts that were informative keeps one p-value per node for the FDR step.
    parts = 1 + int(np.isnan(x_ref).any() or np.isnan(x_cur).any()) + int(default_value is not None)
    p = min(1.0, parts * min(p_null, p_def, p_val))
    # A 2% unexplained share of nulls or defaults weighs like KS D = 0.1.
    effect = max(e_null * 5.0, e_def * 5.0, e_val)
    if effect < 0.01:
        detail = "no change given its parents"
    elif e_def * 5.0 >= max(e_val, e_null * 5.0) and e_def > 0:
        detail = (f"holds the value {default_value:g} in {obs_def:.0%} of rows where its parents predict "
                  f"{exp_def:.0%}")
    elif e_null * 5.0 >= e_val:
        detail = f"missing in {obs_rate:.0%} of rows where its parents predict {exp_rate:.0%}"
    elif method == "history":
        detail = checked.detail
    elif "material_deviation_share" in measures:
        detail = (f"given its parents, {measures['material_deviation_share']:.0%} of values are not what the "
                  f"reference computation gives"
                  + (f" ({measures['deviation_where_parent_null']:.0%} of rows with a missing parent)"
                     if measures.get("deviation_where_parent_null", 0.0) >= 0.5 else "")
                  + (f" (shift {measures['residual_shift']:+.2g} sd)" if "residual_shift" in measures else ""))
    elif method == "regression":
        detail = relation_detail(measures, e_val, SIGNIFICANCE) or (f"given its parents, values no longer follow the "
                  f"reference mechanism (residual KS D={e_val:.2f}, shift {measures.get('residual_shift', 0.0):+.2f} sd)")
    else:
        detail = (f"given its parents, outcomes no longer follow the reference mechanism (log-loss "
                  f"{measures.get('log_loss_reference', 0):.3f} → {measures.get('log_loss_current', 0):.3f})")
    return MechanismResult(node_id, parents, method, p, effect, detail, measures, consistent=consistent)


def _marginal_result(node_id: str, signals: list[Signal]) -> MechanismResult:
    own = [s for s in signals if s.node == node_id and s.signal in MARGINAL_SIGNALS]
    anomalous = [s for s in own if s.anomalous]
    if not anomalous:
        p = min((s.p_value for s in own), default=1.0)
        return MechanismResult(node_id, (), "marginal", p, 0.0, "no marginal change")
    best = max(anomalous, key=lambda s: s.effect)
    p = min(s.p_value for s in anomalous)
    return MechanismResult(node_id, (), "marginal", p, max(MIN_EFFECT, min(1.0, best.effect)), best.detail)


def fallback_value(node_id: str, signals: list[Signal]) -> float | None:
    """The numeric value whose share jumped at this node (a fallback default), if any."""
    for sig in signals:
        if sig.node == node_id and sig.signal == "default_rate" and sig.anomalous and sig.value is not None:
            try:
                return float(sig.value)
            except ValueError:
                return None
    return None


def _stale_signal(node_id: str, signals: list[Signal]) -> Signal | None:
    return next((s for s in signals if s.node == node_id and s.signal == "staleness" and s.anomalous), None)


def _with_staleness(result: MechanismResult, signals: list[Signal]) -> MechanismResult:
    """A value computed from older data is the node's own fault even when it barely moves."""
    stale = _stale_signal(result.node, signals)
    if stale is None or result.method == "marginal" or stale.effect <= result.effect:
        return result
    return replace(result, p_value=min(result.p_value, stale.p_value), effect=min(1.0, stale.effect),
                   detail=stale.detail)


def _narrow(enc: EncodedWindows, columns: tuple[str, ...]) -> EncodedWindows:
    """The encoded columns one test reads: what a worker process is sent instead of every node."""
    cols = list(dict.fromkeys(columns))
    return replace(enc, reference=enc.reference[cols], current=enc.current[cols],
                   categorical=enc.categorical & frozenset(cols))


def _speculative_tests(graph: LineageGraph, enc: EncodedWindows, signals: list[Signal], seed: int,
                       order: list[str], parents_of: dict[str, tuple[str, ...]],
                       workers: int, fitted: Callable[[str, int], MechanismFit | None],
                       histories: dict[str, HistoryCheck]) -> dict[str, MechanismResult]:
    """Every node's conditional test as if none of its parents broke, on ``workers`` processes.

    Which parents broke is only known in topological order, but it is rare: the
    tests run in parallel on that assumption and the caller reruns the few nodes
    whose parents did break. The result is the sequential one. A node below one
    with an anomalous signal is not tried ahead: that node usually broke, and the
    answer would be thrown away (at 2,000 nodes, 1,420 of 1,498 tests sat below
    the one faulty input and ran twice).
    """
    suspects = {s.node for s in signals if s.anomalous}
    below = nodes_below(order, parents_of, suspects)
    tested = [(i, node_id, parents_of[node_id]) for i, node_id in enumerate(order)
              if parents_of[node_id] and node_id not in below]
    calls = (((node_id, parents, _narrow(enc, (node_id, *parents)), seed + i, fallback_value(node_id, signals),
               None), {"outcome": graph.nodes[node_id].kind == "label",
                       "model": graph.nodes[node_id].kind in ("model", "source"),
                       "fitted": fitted(node_id, i), "history": histories.get(node_id)})
             for i, node_id, parents in tested)
    done = run_calls(conditional_test, calls, workers)
    return {node_id: result for (_i, node_id, _parents), result in zip(tested, done)}


def assess_mechanisms(graph: LineageGraph, enc: EncodedWindows, signals: list[Signal], seed: int,
                      nodes: list[str] | None = None, jobs: int | None = None,
                      design_effects: dict[str, float] | None = None, fits: MechanismFits | None = None,
                      histories: dict[str, HistoryCheck] | None = None,
                      stale_rows: dict[str, np.ndarray] | None = None) -> dict[str, MechanismResult]:
    """One result per observed node (in topological order), p-values adjusted together (BH).

    A node below a broken node is tested only on rows where every broken node above it still
    behaves as its reference mechanism says, so that it is not blamed for what it inherited.
    ``jobs``: worker processes for the conditional tests (see ``workers.worker_count``).
    ``fits``: reference fits learnt by ``CausalRCA.fit``; a test whose key matches uses its fit
    (the current rows a test keeps never change what was fitted on the reference).
    ``stale_rows``: per node, the current rows whose value was computed from older data than the
    reference's (``frames.staler_than_reference``); a node that broke and went stale is not its
    reference mechanism on them, whatever its values look like, so they leave the tests below it.
    ``histories``: history features' checks (``history.history_checks``), which replace their
    same-row value tests; ``design_effects``: the nodes' (for sources tested given each other).
    """
    order = nodes if nodes is not None else graph.observed_nodes()
    provisional = SIGNIFICANCE / max(1, len(order))  # before BH: Bonferroni decides what "broke"
    parents_of = {node_id: effective_parents(graph, node_id) for node_id in order}
    workers = worker_count(sum(1 for parents in parents_of.values() if parents), jobs)
    digests = column_digests(enc.reference) if fits else {}
    index = {node_id: i for i, node_id in enumerate(order)}

    def fitted(node_id: str, i: int) -> MechanismFit | None:
        return fits.get(fit_key(node_id, parents_of[node_id], enc.categorical, seed + i, digests)) if fits else None

    histories = histories or {}
    ahead = (_speculative_tests(graph, enc, signals, seed, order, parents_of, workers, fitted, histories)
             if workers > 1 else {})
    results: dict[str, MechanismResult] = {}
    # Rows where the node and everything above it behave as the reference says (None: all rows).
    clean: dict[str, np.ndarray | None] = {}

    def upstream(node_id: str) -> tuple[list[np.ndarray], np.ndarray | None]:
        inherited = [clean[p] for p in parents_of[node_id] if clean.get(p) is not None]
        return inherited, (np.logical_and.reduce(inherited) if inherited else None)

    def test_call(node_id: str, upstream_ok: np.ndarray | None) -> tuple[tuple, dict]:
        i, parents = index[node_id], parents_of[node_id]
        return ((node_id, parents, _narrow(enc, (node_id, *parents)) if workers > 1 else enc, seed + i,
                 fallback_value(node_id, signals), upstream_ok),
                {"outcome": graph.nodes[node_id].kind == "label",
                 "model": graph.nodes[node_id].kind in ("model", "source"),
                 "fitted": fitted(node_id, i), "history": histories.get(node_id)})

    def finish(node_id: str, result: MechanismResult | None) -> None:
        """The node's result as the sequential pass records it (``result``: its conditional test, if it has parents)."""
        parents = parents_of[node_id]
        fallback = fallback_value(node_id, signals)
        inherited, upstream_ok = upstream(node_id)
        if not parents:
            result = replace(_marginal_result(node_id, signals),
                             consistent=root_consistency(node_id, enc, fallback))
            extra = drift_inside_support(node_id, enc)
            if fallback is not None:
                extra.update(drift_outside_default(node_id, enc, fallback))
            result = replace(result, measures={**result.measures, **extra})
        else:
            if upstream_ok is not None:
                result = replace(result, measures={**result.measures, "adjusted_for": float(len(inherited))})
            if fallback is not None:  # did the rows beside the repeated value move too? (classify.py)
                result = replace(result, measures={**result.measures,
                                                   **drift_outside_default(node_id, enc, fallback, SIGNIFICANCE, design_effects)})
        results[node_id] = _with_staleness(result, signals)
        broke = (results[node_id].effect >= MIN_EFFECT and results[node_id].p_value < provisional
                 and results[node_id].consistent is not None)
        # A broken node's odd rows stay odd downstream: a ratio over a feature that fell back to 0
        # is not judged on those rows even though the imputation between them passed it on unchanged.
        own = results[node_id].consistent if broke else None
        if own is not None and _stale_signal(node_id, signals) and node_id in (stale_rows or {}):
            own = own & ~stale_rows[node_id]
        clean[node_id] = upstream_ok if own is None else (own if upstream_ok is None else upstream_ok & own)

    if workers > 1:
        in_waves(order, parents_of, ahead, upstream, test_call, finish, workers, conditional_test)
    else:
        for node_id in order:
            result = None
            if parents_of[node_id]:
                args, kwargs = test_call(node_id, upstream(node_id)[1])
                result = conditional_test(*args, **kwargs)
            finish(node_id, result)
    results = {node_id: results[node_id] for node_id in order}
    results = sources_given_each_other(graph, enc, signals, results, measured_inputs(graph, order, parents_of),
                                        seed, provisional, design_effects)
    adjusted = st.benjamini_hochberg([r.p_value for r in results.values()])
    return {k: replace(r, p_adjusted=a) for (k, r), a in zip(results.items(), adjusted)}


def lenient_mechanisms(results: dict[str, MechanismResult]) -> dict[str, MechanismResult]:
    """The same results judged one node at a time (unadjusted p < LENIENT_SIGNIFICANCE).

    Used only when the metric changed significantly and no node passed the adjusted test:
    a weak lead is more use in a post-mortem than "nothing found", and the diagnosis says
    that its causes passed only this test.
    """
    return {k: replace(r, lenient=True) for k, r in results.items()}
