"""One observed node put back to its reference behaviour, and the rows whose value of a node looks lost.

A node with observed parents gets its reference mechanism (rows that agree
with it keep their value); a root keeps what lies inside the reference
support, is quantile-mapped when its whole distribution moved, and has the
rest imputed (``replay_impute``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from causal_rca.causal.encoding import effective_parents, encode_windows, support_mask
from causal_rca.model.replay_context import ReplayContext, fit_rows, node_codes
from causal_rca.model.replay_impute import impute
from causal_rca.model.replay_mechanisms import numeric_mechanism
from causal_rca.windows.frames import freshness_key, staler_than_reference

SAME_DISTRIBUTION = 0.1  # KS / total-variation distance below which in-support rows "look like the reference"


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


def _spiked_values(ref: np.ndarray, cur: np.ndarray) -> list[float]:
    """Values that became far more frequent (a fallback default), numeric codes."""
    r = pd.Series(ref[np.isfinite(ref)]).value_counts(normalize=True)
    c = pd.Series(cur[np.isfinite(cur)]).value_counts(normalize=True)
    gained = c.sub(r, fill_value=0.0)
    return [v for v, g in gained.items() if g > 0.02 and c[v] > 1.5 * r.get(v, 0.0)]


def revert_node(ctx: ReplayContext, node: str, frame: pd.DataFrame, rng: np.random.Generator, seed: int,
            pending: frozenset[str] = frozenset()) -> tuple[pd.Series, bool, str]:
    """(values of ``node`` put back, whether that was random, how) on the rows of ``frame``."""
    dtype = ctx.dtypes[node]
    categorical = dtype not in ("numeric", "boolean", "datetime")
    parents = effective_parents(ctx.graph, node)
    ref_vals, cur_vals = ctx.reference[node], frame[node]
    fit = fit_rows(len(ctx.reference), rng)
    ref_fit = ctx.reference.iloc[fit]
    if parents:
        if categorical:
            levels = set(ref_fit[node].dropna().astype(str))
            known = cur_vals.astype(str).isin(levels).to_numpy() & cur_vals.notna().to_numpy()
            # Rows holding a value the reference knows keep it; nulls and unseen values are redrawn.
            out = cur_vals.astype(object).copy()
            if (~known).any():
                out[~known] = impute(ctx, node, frame, ~known, rng, seed, True, pending)
            return out, True, "reference values (unknown values imputed from the other inputs and the outcome)"
        mech = numeric_mechanism(ctx, node, parents, fit, seed)
        expected = mech.predict(node_codes(ctx, frame, parents))
        observed = cur_vals.to_numpy(float)
        with np.errstate(invalid="ignore"):
            agrees = np.isfinite(observed) & (np.abs(observed - expected) <= mech.tolerance)
        agrees &= (~np.isin(observed, _spiked_values(ref_vals.to_numpy(float), observed))
                   & ~staler_than_reference(ctx.reference, frame, node))
        if mech.computed:  # a computed feature: the reference computation gives the value back exactly
            values = np.where(agrees, observed, expected)
            return pd.Series(values, index=frame.index), False, "reference mechanism given its parents"
        values = observed.copy()
        if (~agrees).any():
            values[~agrees] = impute(ctx, node, frame, ~agrees, rng, seed, False, pending)
        return pd.Series(values, index=frame.index), True, ("reference mechanism given its parents (lost values "
                                                            "imputed from the other inputs and the outcome)")
    # A root: keep what lies inside the reference support, impute the rest from the other inputs.
    # A number's fallback defaults, stale values and extra nulls are lost values too.
    inside = ~lost_rows(ctx, node, frame, support_only=categorical, missing_time=False)[1]
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
    drawn = impute(ctx, node, frame, ~inside, rng, seed, categorical, pending)
    out = base.copy()
    if categorical:
        out = out.astype(object)
    out[~inside] = drawn
    return out, True, how


def lost_rows(ctx: ReplayContext, node: str, frame: pd.DataFrame, *, support_only: bool = False,
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
    lost_ref |= staler_than_reference(ctx.reference, ref, node)
    lost_cur |= staler_than_reference(ctx.reference, cur, node)
    key = freshness_key(node)
    if missing_time and key in ref and key in cur and cur[key].isna().mean() > ref[key].isna().mean() + 0.01:
        lost_ref |= ref[key].isna().to_numpy()
        lost_cur |= cur[key].isna().to_numpy()
    return lost_ref, lost_cur
