"""Reference fits learnt once (causal/mechanism_fits.py): used when their key matches, refitted otherwise,
and the mechanism results are the same either way."""

from __future__ import annotations

import numpy as np
import pytest

import causal_rca.causal.mechanism as mechanism
from causal_rca.causal.encoding import effective_parents, encode_windows
from causal_rca.causal.mechanism import assess_mechanisms
from causal_rca.causal.mechanism_fits import fit_mechanisms
from tests.test_causal import DTYPES, GRAPH, world


def _fits(enc, seed: int = 0):
    order = GRAPH.observed_nodes()
    tests = [(n, effective_parents(GRAPH, n), seed + i) for i, n in enumerate(order) if effective_parents(GRAPH, n)]
    return fit_mechanisms(enc.reference, enc.categorical, tests)


def _same(a: dict, b: dict) -> bool:
    return a == b and all(np.array_equal(a[n].consistent, b[n].consistent) for n in a
                          if a[n].consistent is not None)


@pytest.fixture
def value_fits(monkeypatch) -> list:
    """Counts the value-model fits a mechanism test makes itself."""
    calls: list = []
    original = mechanism.fit_values
    monkeypatch.setattr(mechanism, "fit_values", lambda *a, **k: calls.append(a) or original(*a, **k))
    return calls


def test_cached_fits_are_used_and_give_the_same_results(value_fits) -> None:
    # f2 defaults in 30% of rows: the model is rerun on its parents' consistent rows, from the same fits
    ref, cur = world(4000, 1), world(4000, 2, f2_default=0.3)
    enc = encode_windows(ref, cur, DTYPES)
    fresh = assess_mechanisms(GRAPH, enc, [], seed=0)
    fitted_here = len(value_fits)
    assert fitted_here > 0
    cached = assess_mechanisms(GRAPH, enc, [], seed=0, fits=_fits(enc))
    assert len(value_fits) == fitted_here  # no value model fitted again
    assert "adjusted_for" in cached["model"].measures
    assert _same(cached, fresh)
    pooled = assess_mechanisms(GRAPH, enc, [], seed=0, jobs=2, fits=_fits(enc))
    assert _same(pooled, fresh)


def test_fits_of_other_reference_rows_or_seeds_are_not_used(value_fits) -> None:
    ref, cur = world(4000, 1), world(4000, 2, f1_mult=1.5)
    enc = encode_windows(ref, cur, DTYPES)
    other = encode_windows(world(4000, 3), cur, DTYPES)
    fresh = assess_mechanisms(GRAPH, enc, [], seed=0)
    fitted_here = len(value_fits)
    for fits in (_fits(other), _fits(enc, seed=1)):
        assert _same(assess_mechanisms(GRAPH, enc, [], seed=0, fits=fits), fresh)
    assert len(value_fits) == 3 * fitted_here  # every test fitted its own: no key matched


def test_a_fitted_model_learns_the_mechanism_fits() -> None:
    from causal_rca.fitted import CausalRCA
    from causal_rca.scenarios import generate, get_scenario

    s = get_scenario("card_distance_history_zero_fill")
    frames = generate(s, s.seed)
    rca = CausalRCA(s.graph_path, s.metric, seed=s.seed).fit(frames["reference"])
    assert rca.fitted_.mechanism_fits
    assert all(fit.values is not None for fit in rca.fitted_.mechanism_fits.values())
