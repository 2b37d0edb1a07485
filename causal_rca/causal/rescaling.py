"""Is a changed node's computation the reference one rescaled (new units, raw for normalised)?

Current values against the reference mechanism's predictions: a rescaling puts them on a line
(all rows, or the deviating rows at one ratio) whose residuals, mapped back, miss the surrogate
exactly as the reference did. classify.py reads these measures for ``scale_change``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from causal_rca.causal.fitting import MIN_ROWS
from causal_rca.signals.levels import MAX_LEVELS
from causal_rca.signals.rounding import fewest_decimals


def line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, R²) of the least-squares line y ≈ slope · x + intercept (nan when no line fits).

    Values near 1e100 (a sentinel) overflow the sums of squares: the line is then
    fitted in units of the largest value."""
    fit = _plainline_fit(x, y)
    sx, sy = float(np.max(np.abs(x))) or 1.0, float(np.max(np.abs(y))) or 1.0
    if fit is None and (sx > 1e6 or sy > 1e6):
        scaled = _plainline_fit(x / sx, y / sy)
        fit = None if scaled is None else (scaled[0] * sy / sx, scaled[1])
    return fit if fit is not None else (np.nan, np.nan)


def _plainline_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float] | None:
    with np.errstate(all="ignore"):
        try:
            slope, intercept = np.polyfit(x, y, 1)
        except np.linalg.LinAlgError:
            return None
        ss_tot = float(((y - y.mean()) ** 2).sum())
        r2 = 1.0 - float(((y - slope * x - intercept) ** 2).sum()) / ss_tot if ss_tot > 0 else 0.0
    return (float(slope), r2) if np.isfinite([slope, r2]).all() else None


@dataclass(frozen=True)
class Holdout:
    """What ``rescaling_measures`` reads of the reference holdout, computed once per fit (``holdout``)."""

    k: float  # the line of the holdout's values on the surrogate's predictions: slope, intercept
    m: float
    calibrated: np.ndarray = field(repr=False)  # values net of that line
    residuals: np.ndarray = field(repr=False)  # values - predictions
    rule: RoundingRule
    step: float  # median rounding allowance of the holdout values
    spread: float  # their standard deviation


def holdout(pred_hold: np.ndarray, y_hold: np.ndarray, residuals: np.ndarray | None = None) -> Holdout:
    """The reference side of ``rescaling_measures``: the holdout's own line, residuals and rounding.

    ``residuals``: ``y_hold - pred_hold`` when the caller has them (kept once, not twice)."""
    k, m = (1.0, 0.0)
    if len(pred_hold) >= MIN_ROWS and np.ptp(pred_hold) > 0:
        k, m = (float(v) for v in np.polyfit(pred_hold, y_hold, 1))
    if not (np.isfinite([k, m]).all() and k > 0):
        k, m = 1.0, 0.0
    rule = rounding_rule(y_hold)
    return Holdout(k, m, y_hold - (k * pred_hold + m), y_hold - pred_hold if residuals is None else residuals, rule,
                   float(np.median(apply_rounding_rule(y_hold, rule))), float(np.std(y_hold)))


def rescaling_measures(expected: np.ndarray, observed: np.ndarray,
                       reference: Holdout | tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    """Current values against what the reference mechanism gives: a rescaled computation
    (raw counts for normalised ones, new units) lies on a line with a slope far from 1.

    ``reference`` is the reference holdout (``holdout``, or the surrogate's predictions and the
    values on it). A surrogate of a noisy mechanism is shrunk towards the mean, so the line of
    current values on its predictions has slope c·k for a rescaling by c, k being the same line's
    slope in the reference: the factor is read net of k, and the residuals are compared net of it too.
    """
    if len(expected) < MIN_ROWS or np.ptp(expected) == 0:
        return {}
    slope, r2 = line_fit(expected, observed)
    if not np.isfinite([slope, r2]).all():
        return {}
    ref = reference if isinstance(reference, Holdout) else holdout(*reference)
    k, calibrated, holdout_residuals = ref.k, ref.calibrated, ref.residuals
    # Logged values are rounded: a rescaled exact computation misses the surrogate by up to half
    # the stored step, which is no change of form.
    rounding = {"observed_step": float(np.median(apply_rounding_rule(observed, ref.rule))),
                "holdout_step": ref.step, "reference_spread": ref.spread}

    def same_form(rows: np.ndarray, slope: float, intercept: float | None, residuals: np.ndarray,
                  calibration: float = 1.0) -> tuple[float, float]:
        return same_form_after_rescaling(expected[rows], observed[rows], slope, intercept, residuals, calibration,
                                         **rounding)

    everything = np.ones(len(expected), dtype=bool)
    out = {"rescale_slope": slope / k, "rescale_r2": r2}
    _record_form(out, "rescale_form", same_form(everything, slope, None, calibrated, k))
    # Only part of the rows may be rescaled (one serving version): among rows that deviate,
    # a constant ratio observed/expected is the signature.
    scale = float(np.std(expected))
    # A row deviates when it misses by more than the surrogate ever missed a held-out reference
    # row: at the edges of the support a surrogate misses unchanged rows by more than 5% of the
    # spread, and a handful of those bends the least-squares line of the rescaled rows.
    worst_reference_miss = float(np.max(np.abs(holdout_residuals))) if len(holdout_residuals) else 0.0
    deviating = ((np.abs(observed - expected) > max(0.05 * scale, worst_reference_miss))
                 & (np.abs(expected) > 0.05 * scale))
    # Distinct (expected, observed) pairs, not rows: a discrete feature whose commonest level
    # was remapped would otherwise show one ratio in most rows. A rescaling shows one ratio
    # across many distinct values; one remapped category is one pair.
    first, second = distinct_pairs(np.round(expected[deviating], 6), np.round(observed[deviating], 6))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = second / first
    positive = np.isfinite(ratio) & (ratio > 0)
    if deviating.sum() >= MIN_ROWS and positive.any():
        logs = np.log10(ratio[positive])
        centre = float(np.median(logs))
        out.update({"rescale_ratio": float(10 ** centre), "rescale_ratio_mad": float(np.median(np.abs(logs - centre))),
                    "rescale_share": float(deviating.mean()),
                    "rescale_distinct": float(len(np.unique(first[positive])))})
        _record_form(out, "rescale_ratio_form",
                     same_form(deviating, _row_ratio(expected[deviating], observed[deviating], centre), 0.0,
                               holdout_residuals))
    exp_dev, obs_dev = expected[deviating], observed[deviating]
    if len(exp_dev) >= MIN_ROWS and np.ptp(exp_dev) > 0:
        # The deviating rows on a line of their own: a partial rescaling with an offset
        # (raw values served for standardised ones on one serving version).
        d_slope, d_r2 = line_fit(exp_dev, obs_dev)
        if np.isfinite([d_slope, d_r2]).all():
            out.update({"rescale_deviating_slope": d_slope / k, "rescale_deviating_r2": d_r2})
            _record_form(out, "rescale_deviating_form", same_form(deviating, d_slope, None, calibrated, k))
    return out


def _row_ratio(expected: np.ndarray, observed: np.ndarray, centre: float) -> float:
    """The ratio the form test maps the rows back with: the median of the rows' own ratios.

    The pairs are told apart at six decimals, and a ratio of rounded values misses an exact
    factor by up to a part in 10^6 of the smaller value (283.851209 / 4.730853 = 60.000005):
    mapped back, that is a residual far above an exact computation's. ``centre`` (log10 of the
    pairs' median ratio) is kept when no row has a positive ratio."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = observed / expected
    ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
    return float(10 ** np.median(np.log10(ratio))) if len(ratio) else float(10 ** centre)


def level_measures(reference: np.ndarray, current: np.ndarray) -> dict[str, float]:
    """A discrete node with as many distinct values now as before, its levels paired in value
    order: the R² of their line and the chi-square p that each pair keeps its share.

    A rescaling maps every level onto one line. When the shares match pair for pair at the
    windows' counts, the pairing is the computation's own, and levels off a line are a monotone
    recoding (a forgotten log over a rating), not a rescaling, whatever the residuals' spread.
    Every level is paired, rare ones too: a share floor drops a rare level in one window only
    and shifts the pairing by one."""
    (rv, rn), (cv, cn) = (np.unique(v[np.isfinite(v)], return_counts=True) for v in (reference, current))
    if not 3 <= len(rv) <= MAX_LEVELS or len(cv) != len(rv):
        return {}
    _slope, r2 = line_fit(rv, cv)
    if not math.isfinite(r2):
        return {}
    _, p, _, _ = stats.chi2_contingency(np.array([rn, cn]), correction=False)
    return {"rescale_levels_r2": r2, "rescale_levels_p": float(p)}


def distinct_pairs(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (first, second) pairs of finite values, in lexicographic order.

    What ``np.unique(np.c_[first, second], axis=0)`` gives, read as one complex number per pair:
    a plain sort instead of a sort of records (twice as fast at a few thousand rows)."""
    paired = np.empty(len(first), dtype=complex)
    paired.real, paired.imag = first, second
    distinct = np.unique(paired)
    return distinct.real, distinct.imag


def _record_form(out: dict[str, float], key: str, verdict: tuple[float, float]) -> None:
    """An undecided form test (nan) leaves no measure: readers take a missing one as undecided."""
    p, spread = verdict
    if math.isfinite(p):
        out[f"{key}_p"], out[f"{key}_spread"] = p, spread


def same_form_after_rescaling(expected: np.ndarray, observed: np.ndarray, slope: float,
                               intercept: float | None, holdout_residuals: np.ndarray,
                               calibration: float = 1.0, *, observed_step: float = 0.0, holdout_step: float = 0.0,
                               reference_spread: float | None = None) -> tuple[float, float]:
    """(p, spread ratio): are the current values the reference computation up to an affine map?

    Mapped back through the fitted line, a rescaled computation misses the reference surrogate
    exactly as the reference itself did on its holdout (``intercept`` None: the least-squares
    line's; 0: a pure ratio; ``calibration``: the reference's own slope of values on
    predictions, which the holdout residuals are net of); a different computation that happens to
    be nearly linear over a narrow range (a forgotten log) misses it by more, or — when serving
    emits the very form the surrogate approximates — by less. Brown–Forsythe test of equal
    spread: KS on the residuals' shape is too sharp for an exact computation, whose residuals
    are a fixed curve that a line refitted on other rows bends slightly.

    Residuals within the arithmetic's resolution and the log's rounding (``*_step``: half the
    rounding step of the current values and of the reference's, see :func:`rounding_allowance`)
    count as zero on both sides. When the rounding, mapped back, is a tenth of the reference
    values' spread or more (``reference_spread``), the rescaled values kept too little precision
    to show their form: (nan, nan), undecided.
    """
    if slope == 0 or not np.isfinite(slope) or len(holdout_residuals) < MIN_ROWS:
        return 1.0, 1.0
    if np.ptp(observed) == 0:  # a constant is no rescaling of a varying computation
        return 0.0, math.inf
    if intercept is None:  # the least-squares line's
        intercept = float(np.mean(observed) - slope * np.mean(expected))
    mapped = (observed - slope * expected - intercept) * calibration / slope
    resolution = 1e-9 * (float(np.std(expected)) + float(np.max(np.abs(expected))))
    rounding = observed_step * abs(calibration / slope) + holdout_step
    if reference_spread is not None and rounding >= 0.1 * reference_spread:
        return math.nan, math.nan
    zero = resolution + rounding
    a = np.where(np.abs(holdout_residuals) <= zero, 0.0, holdout_residuals)
    b = np.where(np.abs(mapped) <= zero, 0.0, mapped)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < MIN_ROWS or len(b) < MIN_ROWS or np.ptp(np.r_[a, b]) == 0:
        return 1.0, 1.0
    p = float(stats.levene(a, b, center="median").pvalue)
    # Brown–Forsythe's own statistic as an effect size: mean distance from the median, current over reference.
    spread_a, spread_b = (float(np.mean(np.abs(v - np.median(v)))) for v in (a, b))
    ratio = spread_b / spread_a if spread_a > 0 else (1.0 if spread_b == 0 else math.inf)
    return (p if math.isfinite(p) else 0.0), ratio


RoundingRule = tuple[str, int]  # ("none", 0), ("decimals", d) or ("significant", s)


def rounding_rule(reference: np.ndarray) -> RoundingRule:
    """How the log rounds, read from the reference (see ``rounding_allowance``)."""
    reference = np.asarray(reference, dtype=float)
    reference = reference[np.isfinite(reference) & (reference != 0)]
    if len(reference) == 0:
        return ("none", 0)
    decimals = fewest_decimals(reference)
    significant = decimals + np.floor(np.log10(np.abs(reference))) + 1
    rule_decimals, rule_significant = (int(np.quantile(v, 0.9)) for v in (decimals, significant))
    if np.mean(significant == rule_significant) <= np.mean(decimals == rule_decimals):
        return ("decimals", rule_decimals)
    return ("significant", rule_significant)


def apply_rounding_rule(values: np.ndarray, rule: RoundingRule) -> np.ndarray:
    """Half the rounding step ``rule`` applies to each of ``values``."""
    values = np.asarray(values, dtype=float)
    kind, digits = rule
    if kind == "none":
        return np.zeros(len(values))
    if kind == "decimals":
        return np.full(len(values), 0.5 * 10.0 ** -digits)
    with np.errstate(divide="ignore"):
        magnitude = np.floor(np.log10(np.abs(values)))
    return np.where(np.isfinite(magnitude), 0.5 * 10.0 ** (magnitude - digits + 1), 0.0)


def rounding_allowance(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Half the rounding step the log applies to each of ``values``, read from the reference.

    A logger rounds to a number of decimals or of significant digits; the reference shows which:
    the one that most of its values need exactly (read at the 90th percentile: a value that
    needs fewer merely ends in zeros, and a few values that bypassed the rounding, such as an
    unrounded fallback, do not move it). Decimals win a tie, as when all values share one
    decade. The step comes from the reference, not from the values themselves, so a computation
    that now rounds more coarsely is still a change of form."""
    return apply_rounding_rule(values, rounding_rule(reference))
