"""Changes of units versus population shifts (signals/units.py), with property tests."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from causal_rca.signals.detect import _numeric_signals
from causal_rca.signals.units import CONVERSIONS, unit_conversion


@settings(max_examples=200, deadline=None)
@given(hs.sampled_from(CONVERSIONS), hs.floats(-0.01, 0.01), hs.floats(0.5, 1e4))
def test_every_conversion_is_recognised_within_estimation_error(conv, rel_error, spread) -> None:
    _name, factor, offset = conv
    assert unit_conversion(factor * (1 + rel_error), offset, spread) is not None


@settings(max_examples=200, deadline=None)
@given(hs.floats(-2.0, 2.0), hs.floats(0.5, 1e4))
def test_a_factor_far_from_every_conversion_is_not_one(log_factor, spread) -> None:
    factor = 10 ** log_factor
    if any(abs(factor / f - 1) <= 0.05 for _n, f, _o in CONVERSIONS):
        return
    assert unit_conversion(factor, 0.0, spread) is None


def test_an_offset_rules_out_a_multiplicative_conversion() -> None:
    assert unit_conversion(1 / 1.609344, 0.0, 10.0) is not None
    assert unit_conversion(1 / 1.609344, -12.0, 10.0) is None  # level moved too: a population
    assert unit_conversion(1.8, 32.0, 20.0) == "Celsius → Fahrenheit"
    assert unit_conversion(float("nan"), 0.0, 1.0) is None
    assert unit_conversion(-100.0, 0.0, 1.0) is None


def test_scale_signal_names_the_conversion_and_only_then() -> None:
    rng = np.random.default_rng(3)
    km = rng.gamma(4.0, 2.0, 4000)
    miles = _numeric_signals("d", km, rng.gamma(4.0, 2.0, 4000) / 1.609344)
    (scale,) = [s for s in miles if s.signal == "scale"]
    assert scale.value == "miles ↔ km" and "change of units" in scale.detail
    grown = _numeric_signals("d", km, rng.gamma(4.0, 2.0, 4000) * 1.3 + 0.0)
    assert all(s.value is None for s in grown if s.signal == "scale")
    assert math.isclose(scale.current, 1 / 1.609344, rel_tol=0.03)


def test_a_conversion_the_slope_misses_by_noise_is_still_found() -> None:
    """×100 on a skewed measurement: the quantile slope lands a few percent off, the converted window matches."""
    import numpy as np

    from causal_rca.signals.units import conversion_within_noise

    rng = np.random.default_rng(11)
    reference, current = rng.gamma(2.0, 0.05, 3600), 100 * rng.gamma(2.0, 0.05, 2400)
    found = conversion_within_noise(reference, current, 103.0)
    assert found is not None and found.startswith("×10^2 ")
    # A population 8% lower and of another shape is no conversion, though yards → metres (×0.9144) is near.
    moved = rng.gamma(3.0, 0.0307, 2400)
    assert conversion_within_noise(reference, moved, 0.92) is None
