"""``CausalRCA``: fitted once, it answers every window as a one-call diagnosis does, saved or not."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from causal_rca import CausalRCA, ParameterError, diagnose
from causal_rca.reference_fit import reference_sample
from causal_rca.scenarios import generate, get_scenario
from causal_rca.windows.frames import node_samples

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def case():
    s = get_scenario("schema_change_coerced_nulls")
    windows = generate(s)
    rca = CausalRCA(s.graph_path, metric=s.metric, seed=s.seed).fit(windows["reference"])
    return s, windows, rca


def test_each_window_gets_the_one_call_answer(case) -> None:
    s, windows, rca = case
    current = windows["current"]
    for rows in (current.iloc[:4000], current.iloc[4000:], current):
        one_call = diagnose(s.graph_path, windows["reference"], rows, s.metric, seed=s.seed)
        assert rca.diagnose(rows).to_json() == one_call.to_json()


def test_a_query_leaves_the_fit_as_it_was(case) -> None:
    _s, windows, rca = case
    sample = rca.fitted_.sample.copy()
    first = rca.diagnose(windows["current"]).to_json()
    assert rca.diagnose(windows["current"]).to_json() == first
    pd.testing.assert_frame_equal(rca.fitted_.sample, sample)


def test_other_column_types_read_the_reference_again(case) -> None:
    """A current window can change how a column is typed: the reference sample then follows the new types."""
    _s, _windows, rca = case
    fit = rca.fitted_
    text = {n: ("categorical" if t == "numeric" else t) for n, t in fit.dtypes.items()}
    again, texts = reference_sample(fit, text, numbers_as_text=fit.numbers_as_text)
    expected, expected_texts = node_samples(fit.window, fit.graph, text, fit.sample_rows, fit.seed,
                                            numbers_as_text=fit.numbers_as_text)
    pd.testing.assert_frame_equal(again, expected)
    pd.testing.assert_frame_equal(texts, expected_texts)
    same, _ = reference_sample(fit, dict(fit.dtypes), numbers_as_text=fit.numbers_as_text)
    pd.testing.assert_frame_equal(same, fit.sample)
    assert same is not fit.sample  # a copy: a step may add columns to its sample


def test_a_saved_model_answers_alike_in_a_fresh_process(case, tmp_path: Path) -> None:
    s, windows, rca = case
    folder = rca.save(tmp_path / "model")
    current = tmp_path / "current.csv"  # its merchant codes mix numbers and text: a CSV keeps them as written
    windows["current"].to_csv(current, index=False)
    code = ("import sys\nfrom causal_rca import CausalRCA\n"
            "sys.stdout.write(CausalRCA.load(sys.argv[1]).diagnose(sys.argv[2]).to_json())")
    done = subprocess.run([sys.executable, "-c", code, str(folder), str(current)], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    expected = diagnose(s.graph_path, windows["reference"], str(current), s.metric, seed=s.seed).to_json()
    assert done.stdout == expected
    assert not any(p.suffix in (".pkl", ".pickle", ".joblib") for p in folder.iterdir())


def test_options_are_checked_when_made_and_queries_need_a_fit(case) -> None:
    s, windows, _rca = case
    with pytest.raises(ParameterError, match="jobs="):
        CausalRCA(s.graph_path, jobs=0)
    with pytest.raises(ParameterError, match="not fitted yet"):
        CausalRCA(s.graph_path, metric=s.metric).diagnose(windows["current"])
    with pytest.raises(ParameterError, match="current="):
        case[2].diagnose([1, 2, 3])


def test_the_attributions_reference_mechanisms_are_fitted_once(case, monkeypatch) -> None:
    """``fit`` learns them; a diagnosis through the attribution uses its players' and fits only the rest
    (the current side and the pooled windows), with the one-call answer."""
    import causal_rca.causal.attribution as attribution

    s, windows, rca = case
    assert rca.fitted_.attribution_fits
    fits = []
    real = attribution._fitted
    monkeypatch.setattr(attribution, "_fitted", lambda m, X, y: (fits.append(len(X)), real(m, X, y))[1])
    fitted = rca.diagnose(windows["current"])
    in_fitted = len(fits)
    one_call = diagnose(s.graph_path, windows["reference"], windows["current"], s.metric, seed=s.seed)
    assert fitted.causes[0].contribution and fitted.to_json() == one_call.to_json()
    assert in_fitted < len(fits) - in_fitted  # the one-call diagnosis fitted its players' reference mechanisms


def test_reference_mechanisms_of_other_rows_are_not_used(case) -> None:
    """A key names the exact reference rows: mechanisms fitted on other rows leave the answer as fitted afresh."""
    _s, windows, rca = case
    fit = rca.fitted_
    other = CausalRCA(fit.graph, metric=fit.target.node, seed=fit.seed).fit(windows["reference"].iloc[::-1])
    assert not set(other.fitted_.attribution_fits) & set(fit.attribution_fits)
    swapped = CausalRCA(fit.graph, metric=fit.target.node, seed=fit.seed).fit(windows["reference"])
    swapped.fitted_ = replace(swapped.fitted_, attribution_fits=other.fitted_.attribution_fits)
    assert swapped.diagnose(windows["current"]).to_json() == rca.diagnose(windows["current"]).to_json()


def test_diagnoses_leave_no_tables_behind(case, tmp_path: Path) -> None:
    """Each diagnosis loads its current window into the engine; a fitted model serving many (``watch``)
    must not keep them: the backend's temporary tables and views are those the fit left, after any number."""
    from causal_rca.windows.scope import temporary_objects

    s, windows, _rca = case
    reference, current = tmp_path / "reference.csv", tmp_path / "current.csv"
    windows["reference"].to_csv(reference, index=False)
    windows["current"].to_csv(current, index=False)
    rca = CausalRCA(s.graph_path, metric=s.metric, seed=s.seed).fit(str(reference))
    backend = rca.fitted_.backend
    after_fit = temporary_objects(backend)
    assert any(name.startswith("causal_rca_window_") for name, _kind in after_fit)  # the reference, loaded once
    first = rca.diagnose(str(current)).to_json()
    for window in (str(current), windows["current"], str(current)):
        assert rca.diagnose(window).to_json() == first
        assert temporary_objects(backend) == after_fit
    with pytest.raises(Exception):
        rca.diagnose(str(tmp_path / "missing.csv"))
    assert temporary_objects(backend) == after_fit


def test_reference_mechanisms_fitted_on_workers_give_the_same_bytes(case) -> None:
    """``fit`` with ``jobs=2`` fits the attribution's reference mechanisms on worker processes: the
    diagnoses that use them are the sequential ones, byte for byte."""
    s, windows, rca = case
    parallel = CausalRCA(s.graph_path, metric=s.metric, seed=s.seed, jobs=2).fit(windows["reference"])
    assert set(parallel.fitted_.attribution_fits) == set(rca.fitted_.attribution_fits)
    expected = diagnose(s.graph_path, windows["reference"], windows["current"], s.metric, seed=s.seed, jobs=2)
    assert parallel.diagnose(windows["current"]).to_json() == expected.to_json()
