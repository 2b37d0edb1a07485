"""Per-node anomaly signals: what moved between the windows, not why.

Each signal compares one property of one observed node across the windows
and carries a p-value and an effect size. All p-values are adjusted together
(Benjamini–Hochberg) because a pipeline of 40 nodes runs hundreds of tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from causal_rca.lineage.graph import LineageGraph
from causal_rca.signals import statistics as st
from causal_rca.signals.baselines import Baselines, NumericBaseline, baseline_for, numeric_baseline
from causal_rca.signals.level_rescaling import (LEVELS_R2, SAME_SHARES, LevelRescaling, on_conversion_line,
                                                partial_level_rescaling, relocated_levels)
from causal_rca.signals.levels import reference_levels
from causal_rca.signals.renaming import Renaming, renamed_categories
from causal_rca.signals.sorted_ks import ks_sorted, sorted_sample
from causal_rca.signals.units import (MIXTURE_FITS, conversion_within_noise, partial_conversion, thin_ordered,
                                      unit_conversion, value_spread)
from causal_rca.windows.frames import KEY, TIME, freshness_key, version_key
from causal_rca.windows.counts import ColumnCounts
from causal_rca.windows.stats import ColumnProfile, logical_dtype

SIGNIFICANCE = 0.01
# A discrete column is rescaled when its levels map onto an exact line (LEVELS_R2, as exact as a
# change of units is) and a chi-square test cannot tell the level shares apart (SAME_SHARES,
# st.level_affine_fit), or when its rows moved onto new levels on such a line (level_rescaling).
# Smallest effect worth calling an anomaly, per signal (shares, KS D, TVD, …).
MIN_EFFECT = {
    "null_rate": 0.02,
    "coercion": 0.01,
    "dtype": 0.5,
    "default_rate": 0.03,
    "default_value": 0.03,
    "drift": 0.05,
    "new_categories": 0.01,
    "seen_mix": 0.05,
    "vanished_categories": 0.02,
    "renamed_categories": 0.01,
    "scale": 0.17,
    "partial_scale": 0.05,
    "out_of_support": 0.02,
    "tail_nulls": 0.02,
    "staleness": 0.1,
    "repeats": 0.1,
    "contract": 0.01,
    "version": 0.01,
}


@dataclass(frozen=True)
class Signal:
    node: str
    signal: str
    reference: Any
    current: Any
    p_value: float
    effect: float
    detail: str
    p_adjusted: float = 1.0
    value: str | None = None  # the value a signal is about (the repeated default), as text
    z: float | None = None  # |z| of a z-test: its p at an effective sample size, past p's underflow

    @property
    def anomalous(self) -> bool:
        return self.p_adjusted < SIGNIFICANCE and self.effect >= MIN_EFFECT.get(self.signal, 0.05)


@dataclass(frozen=True)
class NodeProfiles:
    reference: ColumnProfile
    current: ColumnProfile


def format_share(x: float) -> str:
    if x == 0:
        return "0%"
    if abs(x) < 0.01:
        return f"{x * 100:.1f}%"
    return f"{x * 100:.0f}%"


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _rate_signals(node: str, ref: ColumnProfile, cur: ColumnProfile) -> list[Signal]:
    out: list[Signal] = []
    p_null, z_null = st.two_proportion_test(ref.nulls, ref.rows, cur.nulls, cur.rows)
    out.append(
        Signal(
            node, "null_rate", ref.null_rate, cur.null_rate, p_null, abs(cur.null_rate - ref.null_rate),
            f"null rate {format_share(ref.null_rate)} → {format_share(cur.null_rate)}", z=z_null,
        )
    )
    ref_nonnull = ref.rows - ref.raw_nulls
    cur_nonnull = cur.rows - cur.raw_nulls
    if cur.uncastable or ref.uncastable:
        r = ref.uncastable / ref_nonnull if ref_nonnull else 0.0
        c = cur.uncastable / cur_nonnull if cur_nonnull else 0.0
        out.append(
            Signal(
                node, "coercion", r, c, st.two_proportion(ref.uncastable, ref_nonnull, cur.uncastable, cur_nonnull),
                abs(c - r), f"{format_share(c)} of values no longer parse as the reference type (reference {format_share(r)})",
            )
        )
    ref_kind, cur_kind = logical_dtype(ref.raw_type), logical_dtype(cur.raw_type)
    # A window without one value has no type of its own (a reader types an all-null column NULL, or
    # text): that is the null rate's finding, not a type changed upstream.
    if ref_kind != cur_kind and ref_nonnull > 0 and cur_nonnull > 0:
        out.append(
            Signal(node, "dtype", ref.raw_type, cur.raw_type, 0.0, 1.0,
                   f"column type changed from {ref.raw_type} to {cur.raw_type}")
        )
    return out


def _default_signals(node: str, ref_counts: ColumnCounts, cur_counts: ColumnCounts) -> list[Signal]:
    """A jump in one repeated value (a fallback default, a constant) or a change of which value it is."""
    ref, cur = ref_counts.profile, cur_counts.profile
    if cur.mode is None or ref.mode is None:
        return []
    out: list[Signal] = []
    # The fallback need not become the most frequent value: look at the top few.
    jumps = []
    for value, count in cur_counts.top(3).items():
        ref_share = ref_counts.share(value)
        jumps.append((count / cur.rows - ref_share, value, count, ref_share))
    delta, value, count, ref_share = max(jumps)
    if delta > 0:
        out.append(
            Signal(node, "default_rate", ref_share, count / cur.rows,
                   st.two_proportion(round(ref_share * ref.rows), ref.rows, count, cur.rows), delta,
                   f"value {value!r} in {format_share(ref_share)} → {format_share(count / cur.rows)} of rows", value=value)
        )
    ref_share_of_cur_mode = ref_counts.share(cur.mode)
    delta = cur.mode_share - ref_share_of_cur_mode
    similar_share = abs(cur.mode_share - ref.mode_share) < 0.5 * max(cur.mode_share, ref.mode_share)
    if cur.mode != ref.mode and ref.mode_share >= 0.05 and cur.mode_share >= 0.05 and similar_share:
        cur_share_of_ref_mode = cur_counts.share(ref.mode)
        p, lost = st.old_value_replaced(ref.mode_count, ref.rows, round(ref_share_of_cur_mode * ref.rows),
                                        round(cur_share_of_ref_mode * cur.rows), cur.rows, cur.mode_count)
        out.append(
            Signal(node, "default_value", ref.mode, cur.mode, p, lost,
                   f"the repeated value changed from {ref.mode!r} ({format_share(ref.mode_share)} of rows) to "
                   f"{cur.mode!r} ({format_share(cur.mode_share)})")
        )
    return out


def _numeric_signals(node: str, ref: np.ndarray, cur: np.ndarray, baseline: NumericBaseline | None = None,
                     design_effect: float = 1.0) -> list[Signal]:
    """``baseline``: what is read of ``ref`` alone, when a fitted model has it (``signals/baselines.py``).
    ``design_effect``: the node's (``signals/clustering.py``), which the tests of a change of units run at."""
    ref = ref[np.isfinite(ref)]
    cur = cur[np.isfinite(cur)]
    if len(ref) < 10 or len(cur) < 10:
        return []
    base = baseline or numeric_baseline(ref)
    out: list[Signal] = []
    cur_sorted = sorted_sample(cur)
    d, p = ks_sorted(base.sample, cur_sorted)
    cur_median = np.median(cur)
    out.append(Signal(node, "drift", float(base.median), float(cur_median), p, d,
                      f"distribution moved (KS D={d:.2f}); median {_fmt(base.median)} → {_fmt(cur_median)}"))
    scale, shift, r2 = st.affine_fit(ref, cur, ref_quantiles=base.quantiles)
    how = f"quantiles on a line, R²={r2:.3f}"
    # Asked of any discrete column (its sample has few levels), whatever the quantiles do: they can
    # fit a line by chance at a factor no conversion has; only the levels then tell.
    relocated = relocated_levels(ref, cur) if reference_levels(base.sample.values) is not None else None
    levels = st.level_affine_fit(ref, cur) if r2 < 0.995 and relocated is None else None
    levels = (relocated.scale, relocated.shift, relocated.r2, relocated.p_shares) if relocated else levels
    if levels is not None and levels[2] >= LEVELS_R2 and (
            levels[3] >= SAME_SHARES or on_conversion_line(levels, cur) or relocated is not None):
        # Evenly spaced levels paired in order stay at slope 1 whatever the population does;
        # levels landing exactly on a conversion's line, or every row moved onto new levels on a
        # line, are a rescaling even when the population also moved (signals/level_rescaling.py).
        scale, shift, r2, p_shares = levels
        how = (f"each level moved to a line, R²={r2:.4f}, level shares "
               + (f"unchanged (p={p_shares:.2g})" if p_shares >= SAME_SHARES else f"moved too (p={p_shares:.2g})"))
    if r2 >= 0.995 and scale > 0:  # a change of units is exact; a population shift is not
        effect = abs(math.log10(scale))
        units = unit_conversion(scale, shift, value_spread(cur)) or conversion_within_noise(
            ref, cur, scale, (base.thinned, thin_ordered(cur_sorted.values, len(cur))), design_effect)
        moved = None if units or relocated is None else "every row on new levels, the old ones' image"
        out.append(Signal(node, "scale", 1.0, scale, p, effect,
                          f"values rescaled ×{scale:.3g} ({how})"
                          + (f", as a change of units: {units}" if units else f", {moved}" if moved else ""),
                          value=units or moved))
    elif p < SIGNIFICANCE:
        partial = partial_level_rescaling(ref, cur)
        out += [_partial_levels_signal(node, partial, p)] if partial else _partial_unit_change(node, ref, cur, p)
    out.append(_support_signal(node, base, cur))
    return out


def _support_signal(node: str, base: NumericBaseline, cur: np.ndarray) -> Signal:
    """Current values outside the reference's support, against the reference's own share.

    A continuous column's support is its 0.1–99.9% range. A discrete one's is its levels: a
    population tilted toward a rare top level the reference held (a count clipped at its
    maximum) moved, it did not leave the support, so only rows past the range *on levels the
    reference never had* count, and the reference, on its own levels by definition, has none."""
    lo, hi = base.bounds  # st.support_bounds(ref, margin=0.0), tight: a skewed variable's tail must not widen it
    outside = (cur < lo) | (cur > hi)
    levels = reference_levels(base.sample.values)
    r_out, n_ref = base.outside, len(base.sample.values)
    where = f"outside the reference range [{_fmt(lo)}, {_fmt(hi)}]"
    if levels is not None:
        outside &= ~np.isin(cur, levels)
        r_out, where = 0, where + " on levels it never had"
    c_out = int(outside.sum())
    rs, cs = r_out / n_ref, c_out / len(cur)
    p_out, z_out = st.two_proportion_test(r_out, n_ref, c_out, len(cur))
    return Signal(node, "out_of_support", rs, cs, p_out, max(0.0, cs - rs),
                  f"{format_share(cs)} of values {where} (reference {format_share(rs)})", z=z_out)


def _partial_unit_change(node: str, ref: np.ndarray, cur: np.ndarray, p_drift: float) -> list[Signal]:
    """A share of rows in other units (one serving version, one region's feed): ``units.partial_conversion``."""
    found = partial_conversion(ref, cur)
    if found is None:
        return []
    factor, share, p_fit, units = found
    rest = ("the other rows as before (mixture fits" if p_fit >= MIXTURE_FITS else
            "the new values on the reference's own values times it, the other rows moved too (mixture")
    return [Signal(node, "partial_scale", 1.0, factor, p_drift, share, f"values on {format_share(share)} of rows "
                   f"rescaled ×{factor:.3g} as a change of units ({units}); {rest}, KS p = {p_fit:.2g})", value=units)]


def _partial_levels_signal(node: str, found: LevelRescaling, p_drift: float) -> Signal:
    """A share of a discrete column's rows on new levels, a rescaled copy of the reference's."""
    how = (f"as a change of units ({found.units})" if found.units
           else f"a copy of the reference's levels (shares p = {found.p_shares:.2g})")
    shift = f" {found.shift:+.3g}" if abs(found.shift) > 1e-9 * max(1.0, found.scale) else ""
    return Signal(node, "partial_scale", 1.0, found.scale, p_drift, found.share,
                  f"values on {format_share(found.share)} of rows moved to new levels ×{found.scale:.3g}{shift}, "
                  f"{how}; the other rows on the reference's levels", value=found.units or how)


def _tail_null_signals(node: str, ref: np.ndarray, cur: np.ndarray) -> list[Signal]:
    """Coercion nulls: a parser that rejects one format ("1,234", "12 kg") nulls the values
    written in it, which are the large (or the small) ones, so one end of the surviving
    distribution is empty. Values lost at random (an outage, a dropped join) leave the
    survivors distributed as before.

    Under random loss the current survivors are draws from the reference distribution, and
    the chance that none of n of them lands in a tail of reference share u is (1 - u)^n
    (doubled: either tail). The tail must also be about as large as the share lost.
    """
    ref_ok, cur_ok = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    null_ref, null_cur = 1.0 - len(ref_ok) / max(len(ref), 1), 1.0 - len(cur_ok) / max(len(cur), 1)
    if len(ref_ok) < 30 or len(cur_ok) < 10 or null_cur - null_ref < MIN_EFFECT["null_rate"]:
        return []
    lost = (null_cur - null_ref) / (1.0 - null_ref)  # share of once-present values now null
    above, below = float((ref_ok > cur_ok.max()).mean()), float((ref_ok < cur_ok.min()).mean())
    tail, side = max((above, "above"), (below, "below"))
    edge = cur_ok.max() if side == "above" else cur_ok.min()
    p = min(1.0, 2.0 * (1.0 - tail) ** len(cur_ok))
    effect = tail if tail >= 0.5 * lost else 0.0
    return [Signal(node, "tail_nulls", 0.0, tail, p, effect,
                   f"the new nulls took the values {side} {_fmt(edge)} ({format_share(tail)} of reference values lie "
                   f"there, none of {len(cur_ok)} current values do): a format the parser rejects, not random loss")]


def _renaming_detail(renaming: Renaming, ref_counts: dict[str, int], new: dict[str, int], n_ref: int, k_new: int) -> str:
    shown = ", ".join(f"{r!r} → {n!r}" for r, n in renaming.pairs[:3])
    if renaming.by in ("names", "tag"):
        same = "up to case and punctuation" if renaming.by == "names" else "under one added tag"
        return f"the unseen categories are the reference's written anew ({shown}): same names {same}"
    shares = ", ".join(f"{format_share(ref_counts[r] / n_ref)} → {format_share(new[n] / k_new)}" for r, n in renaming.pairs[:3])
    return (f"the unseen categories reproduce the reference's share profile one for one ({shown}; shares {shares}; "
            f"chi-square p = {renaming.p_profile:.2g}): the same categories under new names")


def _categorical_signals(node: str, ref_counts: dict[str, int], cur_counts: dict[str, int]) -> list[Signal]:
    if not ref_counts or not cur_counts:
        return []
    out: list[Signal] = []
    tvd, p = st.chi_square_counts(ref_counts, cur_counts)
    out.append(Signal(node, "drift", len(ref_counts), len(cur_counts), p, tvd,
                      f"category frequencies moved (total variation {tvd:.2f})"))
    n_ref, n_cur = sum(ref_counts.values()), sum(cur_counts.values())
    new = {k: v for k, v in cur_counts.items() if k not in ref_counts}
    k_new = sum(new.values())
    if k_new:
        names = ", ".join(repr(k) for k in list(new)[:3])
        p_new, z_new = st.two_proportion_test(0, n_ref, k_new, n_cur)
        out.append(Signal(node, "new_categories", 0.0, k_new / n_cur, p_new, k_new / n_cur,
                          f"{format_share(k_new / n_cur)} of rows in {len(new)} unseen categories ({names})", z=z_new))
        renaming = renamed_categories(ref_counts, new)
        if renaming is not None:
            out.append(Signal(node, "renamed_categories", len(ref_counts), len(new), p_new, k_new / n_cur,
                              _renaming_detail(renaming, ref_counts, new, n_ref, k_new), z=z_new))
        # Did the known categories' mix move too, or only rows outside the reference support arrive?
        seen_cur = {k: v for k, v in cur_counts.items() if k in ref_counts}
        if seen_cur:
            tvd_seen, p_seen = st.chi_square_counts(ref_counts, seen_cur)
            out.append(Signal(node, "seen_mix", len(ref_counts), len(seen_cur), p_seen, tvd_seen,
                              f"known categories' shares among themselves moved (total variation {tvd_seen:.2f})"))
    gone = {k: v for k, v in ref_counts.items() if k not in cur_counts}
    k_gone = sum(gone.values())
    if k_gone:
        p_gone, z_gone = st.two_proportion_test(k_gone, n_ref, 0, n_cur)
        out.append(Signal(node, "vanished_categories", k_gone / n_ref, 0.0, p_gone, k_gone / n_ref,
                          f"{len(gone)} categories covering {format_share(k_gone / n_ref)} of reference rows vanished",
                          z=z_gone))
    return out


def _staleness_signals(node: str, ref: pd.DataFrame, cur: pd.DataFrame, max_staleness: float | None) -> list[Signal]:
    key = freshness_key(node)
    if TIME not in ref or key not in ref:
        return []
    rs = (ref[TIME] - ref[key]).to_numpy(dtype=float)
    cs = (cur[TIME] - cur[key]).to_numpy(dtype=float)
    rs, cs = rs[np.isfinite(rs)], cs[np.isfinite(cs)]
    if len(rs) < 10 or len(cs) < 10:
        return []
    r_med, c_med = float(np.median(rs)), float(np.median(cs))
    effect = min(1.0, abs(math.log2((c_med + 60.0) / (r_med + 60.0))) / 3.0)
    out = [Signal(node, "staleness", r_med, c_med, st.mann_whitney(rs, cs), effect,
                  f"median staleness {_duration(r_med)} → {_duration(c_med)}")]
    if max_staleness is not None:
        r_v, c_v = int((rs > max_staleness).sum()), int((cs > max_staleness).sum())
        out.append(Signal(node, "contract", r_v / len(rs), c_v / len(cs),
                          st.two_proportion(r_v, len(rs), c_v, len(cs)), max(0.0, c_v / len(cs) - r_v / len(rs)),
                          f"{format_share(c_v / len(cs))} of rows staler than the contract's {_duration(max_staleness)}"))
    return out


def _duration(seconds: float) -> str:
    s = abs(seconds)
    if s < 120:
        return f"{seconds:.0f}s"
    if s < 7200:
        return f"{seconds / 60:.0f}m"
    if s < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _repeat_signals(node: str, ref: pd.DataFrame, cur: pd.DataFrame) -> list[Signal]:
    """A value an entity's next row repeats, more often than before: a cache or aggregate frozen per key.

    Rows are ordered by entity (the graph's ``key_column``) and time; a row repeats when it holds
    its entity's previous value. Rows at the window's most common value are left out, so one
    fallback default written everywhere reads as a default (``default_rate``), not as staleness;
    a frozen cache repeats each entity's own last value, many values at once.
    """
    if KEY not in ref or TIME not in ref:
        return []
    rates = [_repeat_rate(frame[[KEY, TIME, node]]) for frame in (ref, cur)]
    if any(r is None for r in rates):
        return []
    (r_rep, r_n), (c_rep, c_n) = rates
    rr, cr = r_rep / r_n, c_rep / c_n
    return [Signal(node, "repeats", rr, cr, st.two_proportion(r_rep, r_n, c_rep, c_n), max(0.0, cr - rr),
                   f"{format_share(cr)} of rows repeat their entity's previous value (reference {format_share(rr)})")]


def _repeat_rate(frame: pd.DataFrame) -> tuple[int, int] | None:
    """(rows repeating their entity's previous value, rows that have a previous one), off the modal value."""
    frame = frame.dropna().sort_values([KEY, TIME], kind="stable")
    values = frame.iloc[:, 2]
    same_key = frame[KEY].to_numpy()[1:] == frame[KEY].to_numpy()[:-1]
    if same_key.sum() < 30 or values.nunique() < 3:
        return None
    off_mode = (values != values.mode().iloc[0]).to_numpy()[1:]
    eligible = same_key & off_mode
    repeated = eligible & (values.to_numpy()[1:] == values.to_numpy()[:-1])
    return int(repeated.sum()), max(int(eligible.sum()), 1)


def _contract_signals(node_id: str, graph: LineageGraph, ref: pd.Series, cur: pd.Series, dtype: str) -> list[Signal]:
    contract = graph.nodes[node_id].contract
    if contract is None:
        return []

    def violations(values: pd.Series) -> np.ndarray:
        bad = np.zeros(len(values), dtype=bool)
        if dtype == "numeric":
            v = values.to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                if contract.min is not None:
                    bad |= v < contract.min
                if contract.max is not None:
                    bad |= v > contract.max
        if contract.allowed is not None:
            allowed = {str(a) for a in contract.allowed}
            bad |= values.notna().to_numpy() & ~values.astype(str).isin(allowed).to_numpy()
        return bad

    if contract.min is None and contract.max is None and contract.allowed is None:
        return []
    r, c = violations(ref), violations(cur)
    rr, cr = r.mean() if len(r) else 0.0, c.mean() if len(c) else 0.0
    return [Signal(node_id, "contract", float(rr), float(cr), st.two_proportion(int(r.sum()), len(r), int(c.sum()), len(c)),
                   max(0.0, float(cr - rr)), f"{format_share(cr)} of rows break the contract's range or allowed values "
                                             f"(reference {format_share(rr)})")]


def _version_signals(node: str, ref: pd.DataFrame, cur: pd.DataFrame) -> list[Signal]:
    key = version_key(node)
    if key not in ref:
        return []
    seen = set(ref[key].dropna().astype(str))
    cur_v = cur[key].dropna().astype(str)
    if len(cur_v) == 0:
        return []
    new_share = float((~cur_v.isin(seen)).mean())
    new_versions = sorted(set(cur_v) - seen)
    p = st.two_proportion(0, len(ref), int(round(new_share * len(cur_v))), len(cur_v))
    detail = (f"{format_share(new_share)} of rows served by model version(s) not seen in the reference: "
              f"{', '.join(new_versions[:3])}") if new_versions else "same model versions as the reference"
    return [Signal(node, "version", ",".join(sorted(seen)[:3]), ",".join(sorted(set(cur_v))[:3]), p, new_share, detail)]


def measure_signals(
    graph: LineageGraph,
    ref_counts: dict[str, ColumnCounts],
    cur_counts: dict[str, ColumnCounts],
    dtypes: dict[str, str],
    ref_sample: pd.DataFrame,
    cur_sample: pd.DataFrame,
    baselines: Baselines | None = None,
    design_effects: dict[str, float] | None = None,
) -> tuple[list[Signal], dict[str, NodeProfiles]]:
    """All signals for all observed nodes, with BH-adjusted p-values.

    Counts and rates come from the engine's exact counts (``windows.counts``);
    distribution tests from the seeded samples. ``baselines``: the reference sample's numeric
    columns as a fitted model read them (used for the columns they were read from).
    ``design_effects``: node -> its design effect where rows repeat entities (``signals/clustering.py``).
    """
    signals: list[Signal] = []
    profiles: dict[str, NodeProfiles] = {}
    for node_id, dtype in dtypes.items():
        ref_c, cur_c = ref_counts[node_id], cur_counts[node_id]
        ref_p, cur_p = ref_c.profile, cur_c.profile
        profiles[node_id] = NodeProfiles(ref_p, cur_p)
        signals += _rate_signals(node_id, ref_p, cur_p)
        signals += _default_signals(node_id, ref_c, cur_c)
        if dtype in ("numeric", "boolean", "datetime"):
            ref_values = ref_sample[node_id].to_numpy(float)
            signals += _numeric_signals(node_id, ref_values, cur_sample[node_id].to_numpy(float),
                                        baseline_for(baselines, node_id, ref_values),
                                        (design_effects or {}).get(node_id, 1.0))
            signals += _tail_null_signals(node_id, ref_sample[node_id].to_numpy(float),
                                          cur_sample[node_id].to_numpy(float))
        else:
            signals += _categorical_signals(node_id, ref_c.categories, cur_c.categories)
        contract = graph.nodes[node_id].contract
        signals += _staleness_signals(node_id, ref_sample, cur_sample,
                                      contract.max_staleness_seconds if contract else None)
        signals += _contract_signals(node_id, graph, ref_sample[node_id], cur_sample[node_id], dtype)
        if graph.nodes[node_id].kind == "feature":
            signals += _repeat_signals(node_id, ref_sample, cur_sample)
        signals += _version_signals(node_id, ref_sample, cur_sample)
    adjusted = st.benjamini_hochberg([s.p_value for s in signals])
    signals = [replace(s, p_adjusted=a) for s, a in zip(signals, adjusted)]
    return signals, profiles


def null_contract_violations(graph: LineageGraph, profiles: dict[str, NodeProfiles]) -> list[Signal]:
    """Nodes whose current null rate breaks their contract's ``max_null_rate``, tested at the window's size.

    A contract is a bound on the window, not a comparison of two windows: a null rate of 48% breaks
    ``max_null_rate: 0.3`` whatever the reference had. The exact one-sided binomial test asks whether
    the current count could come from a rate at the bound. These are reported (data quality), not
    ranked: ``measure_signals`` leaves them out, so causes and failure modes do not depend on them.
    """
    out = []
    for node_id, prof in profiles.items():
        contract = graph.nodes[node_id].contract
        bound = None if contract is None else contract.max_null_rate
        cur, ref = prof.current, prof.reference
        if bound is None or not cur.rows or cur.null_rate <= bound:
            continue
        p = st.above_rate(cur.nulls, cur.rows, bound)
        out.append(Signal(node_id, "contract", ref.null_rate, cur.null_rate, p, cur.null_rate - bound,
                          f"{format_share(cur.null_rate)} of rows null, above the contract's max_null_rate "
                          f"{format_share(bound)} (reference {format_share(ref.null_rate)})"))
    adjusted = st.benjamini_hochberg([s.p_value for s in out])
    return [v for v in (replace(s, p_adjusted=a) for s, a in zip(out, adjusted)) if v.anomalous]


def strongest(signals: list[Signal], node: str) -> Signal | None:
    """The node's most telling anomalous signal (largest effect relative to its threshold)."""
    own = [s for s in signals if s.node == node and s.anomalous]
    if not own:
        return None
    return max(own, key=lambda s: (s.effect / MIN_EFFECT.get(s.signal, 0.05), s.signal))
