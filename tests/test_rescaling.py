"""Is a changed computation the reference one rescaled? (causal/rescaling.py, read by classify._rescaled)"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causal_rca.causal.rescaling import level_measures, rescaling_measures, rounding_allowance, same_form_after_rescaling
from causal_rca.diagnosis.classify import _form, _rescaled


@settings(max_examples=60, deadline=None)
@given(decimals=st.integers(0, 8), seed=st.integers(0, 10_000))
def test_the_rounding_step_is_read_from_the_reference(decimals, seed) -> None:
    rng = np.random.default_rng(seed)
    reference = np.round(rng.normal(0, 10, 500), decimals)
    allowance = rounding_allowance(reference, reference)
    # Never more than half the logger's step; exactly that for values of ordinary size.
    assert np.all(allowance <= 0.5 * 10.0 ** -decimals * (1 + 1e-9))
    assert np.median(allowance) == pytest.approx(0.5 * 10.0 ** -decimals)


def test_significant_digit_logs_allow_a_relative_step() -> None:
    rng = np.random.default_rng(3)
    values = rng.lognormal(3, 2, 2000)
    reference = np.array([float(f"{v:.4g}") for v in values])
    allowance = rounding_allowance(np.array([12345.0, 0.012345]), reference)
    assert allowance[0] == pytest.approx(0.5 * 10.0 ** (4 - 4 + 1))  # 1.2345e4 at 4 digits: a step of 10
    assert allowance[1] <= 0.5e-5


def _exact_rate(levels: np.ndarray, n: int, seed: int) -> np.ndarray:
    return np.round(levels[np.random.default_rng(seed).integers(0, len(levels), n)], 5)


def test_a_rescaled_exact_computation_logged_to_five_decimals_keeps_its_form() -> None:
    """0.08195 × 0.1 logged as 0.00819 misses the exact computation by half a step: no change of form."""
    levels = np.array([0.08195, 0.1, 0.3234, 0.5421, 0.2212, 0.41])
    expected = _exact_rate(levels, 4000, 1)
    holdout = (_exact_rate(levels, 1000, 2),) * 2
    partly = np.where(np.random.default_rng(4).random(4000) < 0.7, np.round(expected * 0.1, 5), expected)
    measures = rescaling_measures(expected, partly, holdout)
    assert _form(measures, "rescale_deviating_form") == "same"
    assert _rescaled(measures)


def test_coarse_values_leave_the_form_undecided_and_a_bent_line_is_no_rescaling() -> None:
    """Bucket indices served as two buckets: the rounding is as wide as the values, so only the line decides."""
    rng = np.random.default_rng(5)
    price = rng.lognormal(3, 1, 5000)
    buckets = np.minimum(np.floor(np.log2(price)), 7.0)
    holdout = (buckets[:1500], buckets[:1500])
    served = (price[1500:] > np.median(price)).astype(float)  # another computation: above/below the median
    measures = rescaling_measures(buckets[1500:], served, holdout)
    assert _form(measures) == "undecided"
    assert not _rescaled(measures)


def test_a_constant_is_no_rescaling() -> None:
    x = np.random.default_rng(6).normal(5, 1, 1000)
    assert same_form_after_rescaling(x, np.full(1000, 0.3), 1e-17, None, x - x.mean())[0] == 0.0


def test_a_large_window_rejects_slightly_heavier_tails_but_the_form_is_kept() -> None:
    """At 7,000 rows Brown–Forsythe rejects a few heavier tails; the spread ratio shows they are no new form."""
    rng = np.random.default_rng(7)
    holdout_residuals = rng.normal(0, 0.01, 2000)
    residuals = np.where(rng.random(7000) < 0.03, rng.normal(0, 0.05, 7000), rng.normal(0, 0.01, 7000))
    expected = rng.normal(0, 1, 7000)
    p, spread = same_form_after_rescaling(expected, 100 * (expected + residuals), 100.0, 0.0, holdout_residuals)
    assert p < 0.01 and spread < 1.5
    assert _form({"rescale_form_p": p, "rescale_form_spread": spread}) == "same"


def test_a_rebinned_bucket_index_is_no_rescaling_a_unit_change_of_a_count_is() -> None:
    """Bucket width ×2/3 puts the pairs near one ratio (×1.5), but bucket indices are too coarse to
    show their form: only a change of units (here ×12) is read as a rescaling."""
    rng = np.random.default_rng(8)
    tenure = rng.gamma(2.0, 150.0, 6000)
    width = 100.0
    buckets = np.minimum(np.floor(tenure / width), 9.0)
    holdout = (buckets[:2000], buckets[:2000])
    rebinned = np.minimum(np.floor(tenure[2000:] / (width * 2 / 3)), 14.0)
    assert not _rescaled(rescaling_measures(buckets[2000:], rebinned, holdout))
    counts = np.floor(tenure / 30.0)
    in_other_units = rescaling_measures(counts[2000:], 12 * counts[2000:], (counts[:2000], counts[:2000]))
    assert _rescaled(in_other_units)


def test_a_partial_affine_conversion_is_found_past_the_surrogates_misses_at_the_edges() -> None:
    """°C→°F on three rows in four of an exact computation whose surrogate, like a tree, is flat
    past the edges of its training rows: the unchanged edge rows miss it by more than 5% of the
    spread but by no more than it missed held-out reference rows, so they are not counted as
    rescaled rows (a handful of them bent the rescaled rows' line to R² = 0)."""
    rng = np.random.default_rng(11)

    def surrogate(x: np.ndarray) -> np.ndarray:
        return np.clip(x, 2.98, 3.66)  # flat beyond the training rows' quantiles

    reference = np.round(np.log(rng.normal(26.5, 4.0, 6000).clip(19, 40)), 4)
    holdout = (surrogate(reference[:2000]), reference[:2000])
    current = np.round(np.log(rng.normal(26.5, 4.0, 2600).clip(19, 40)), 4)
    converted = rng.random(2600) < 0.76
    served = np.where(converted, np.round(1.8 * current + 32.0, 4), current)
    measures = rescaling_measures(surrogate(current), served, holdout)
    assert measures["rescale_deviating_slope"] == pytest.approx(1.8, rel=0.02)
    assert measures["rescale_deviating_r2"] > 0.99
    assert _rescaled(measures)


def _rating(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice(np.arange(1.0, 8.0), n, p=[0.02, 0.04, 0.1, 0.25, 0.2, 0.14, 0.25])


def test_a_forgotten_log_over_a_rating_is_a_recoding_not_a_rescaling() -> None:
    """log(rating) served as the rating: seven levels still pair one for one with their shares
    (chi-square does not reject), but they leave the line a rescaling keeps."""
    reference, current = np.log(_rating(2000, 1)), _rating(2000, 2)
    levels = level_measures(reference, current)
    assert levels["rescale_levels_p"] >= 0.01 and levels["rescale_levels_r2"] < 0.999
    # Whatever else the residuals said (here: the form kept, a factor far from 1), no rescaling.
    looks_rescaled = {"rescale_r2": 0.96, "rescale_slope": 5.2, "rescale_form_p": 0.0, "rescale_form_spread": 0.75}
    assert _rescaled(looks_rescaled)
    assert not _rescaled({**looks_rescaled, **levels})


@settings(max_examples=40, deadline=None)
@given(factor=st.sampled_from([0.001, 0.1, 12.0, 100.0, 1000.0]), seed=st.integers(0, 10_000))
def test_a_rescaled_discrete_node_keeps_its_levels_on_a_line(factor: float, seed: int) -> None:
    reference, current = np.log(_rating(2000, seed)), np.log(_rating(2000, seed + 1)) * factor
    levels = level_measures(reference, current)
    assert levels["rescale_levels_r2"] > 0.9999  # never read as a recoding


def test_levels_are_paired_only_when_both_windows_have_as_many() -> None:
    """A share of rows rescaled adds levels: no one-to-one pairing, no measure."""
    reference = _rating(2000, 3)
    current = np.where(np.random.default_rng(4).random(2000) < 0.3, 12 * _rating(2000, 5), _rating(2000, 6))
    assert level_measures(reference, current) == {}
    assert level_measures(np.random.default_rng(0).normal(size=500), np.random.default_rng(1).normal(size=500)) == {}


def _group_mean(n: int, seed: int) -> np.ndarray:
    """A mean by a two-level group, at full float precision (4.730853489310205 and 4.448722…)."""
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.83, 4.730853489310205, 4.448722361834561)


@settings(max_examples=30, deadline=None)
@given(share=st.floats(0.1, 0.9), factor=st.sampled_from([0.001, 12.0, 60.0, 1000.0]), seed=st.integers(0, 10_000))
def test_a_two_level_feature_rescaled_by_a_unit_is_a_rescaling(share: float, factor: float, seed: int) -> None:
    """Two distinct values both at one change of units (a development case: a mean by group ×60 on
    43% of rows). The factor the form is judged at comes from the rows themselves: a ratio of the
    pairs rounded to six decimals (60.000005) missed the exact computation by far more than it ever did."""
    expected = _group_mean(3000, seed)
    rows = np.random.default_rng(seed + 1).random(3000) < share
    measures = rescaling_measures(expected, np.where(rows, expected * factor, expected),
                                  (_group_mean(2000, seed + 2), _group_mean(2000, seed + 2)))
    assert measures["rescale_distinct"] == 2.0
    assert measures["rescale_ratio_form_spread"] == pytest.approx(1.0)
    assert _rescaled(measures)


def test_two_values_at_a_factor_no_conversion_gives_or_at_two_ratios_are_no_rescaling() -> None:
    """Through two points a line always passes: only one ratio that is a change of units counts."""
    expected = _group_mean(3000, 1)
    holdout = (_group_mean(2000, 2), _group_mean(2000, 2))
    rows = np.random.default_rng(3).random(3000) < 0.4
    arbitrary = rescaling_measures(expected, np.where(rows, expected * 7.3, expected), holdout)
    assert not _rescaled(arbitrary)
    remapped = np.where(expected > 4.6, 284.0, 190.0)  # each level onto a value of its own
    assert not _rescaled(rescaling_measures(expected, np.where(rows, remapped, expected), holdout))


def test_a_source_is_rescaled_through_its_mechanism_only_by_a_change_of_units() -> None:
    """A source's values against what its parents imply: a factor of 0.48 with the form kept is
    its population moving (a development case: basket value, R² 0.05 on the line), ×1000 is units."""
    kept = {"rescale_r2": 0.05, "rescale_form_p": 0.2, "rescale_form_spread": 1.2}
    assert _rescaled({**kept, "rescale_slope": 0.48})
    assert not _rescaled({**kept, "rescale_slope": 0.48}, units_only=True)
    assert _rescaled({**kept, "rescale_slope": 1000.0}, units_only=True)
    assert _rescaled({**kept, "rescale_slope": 21.5}, units_only=True)  # an order of magnitude, no listed unit
    assert not _rescaled({**kept, "rescale_slope": 6.0}, units_only=True)
    # on the noisy line a slope within 2% of a conversion is no evidence at a source (held-out seed
    # 1013235: a new population at ×1.62 against its parents, R² 0.14, read as miles ↔ km); exact, it is
    assert _rescaled({**kept, "rescale_slope": 1.62}) and not _rescaled({**kept, "rescale_slope": 1.62}, units_only=True)
    assert _rescaled({"rescale_r2": 0.999, "rescale_form_p": 0.2, "rescale_form_spread": 1.2, "rescale_slope": 1.62},
                     units_only=True)
    # ages past the reference's range against a noisy parent: slope 1.75, R² 0.26, form kept
    older = {"rescale_slope": 1.75, "rescale_r2": 0.26, "rescale_form_p": 1e-4, "rescale_form_spread": 0.91}
    assert _rescaled(older) and not _rescaled(older, units_only=True)


def test_deviating_values_at_one_exact_ratio_are_a_rescaling_whatever_the_residual_test_says() -> None:
    """A count over an entity's history ×20 (blind development seed 1012012): 33 distinct values at
    ratio 20.0 exactly, while the residual test, against a reference the engine recomputes only
    approximately, reads a fit 30 times tighter as another computation."""
    narrower = {"rescale_slope": 16.74, "rescale_r2": 0.9952, "rescale_form_p": 0.0, "rescale_form_spread": 0.035,
                "rescale_ratio": 20.0, "rescale_ratio_mad": 0.0, "rescale_share": 0.79, "rescale_distinct": 33.0,
                "rescale_ratio_form_p": 0.0, "rescale_ratio_form_spread": 0.0064}
    assert _rescaled(narrower)
    assert not _rescaled({**narrower, "rescale_ratio_mad": 0.01})  # near one ratio only: the residual test decides
    assert not _rescaled({**narrower, "rescale_ratio": 1.05})  # no rescaling at a factor near 1
    assert not _rescaled({**narrower, "rescale_ratio": 6.0}, units_only=True)  # a source: units or tenfold only
