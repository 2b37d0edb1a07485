"""Fault injectors on real rows, the faulty window carried down to the score, and drills."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from causal_rca.errors import InputError
from causal_rca.lineage import load_graph
from causal_rca.prevention.drill import shifted, write_drill
from causal_rca.prevention.faults import applicable_modes, inject
from causal_rca.prevention.window import faulty_window, metric_change, prepare
from tests.conftest import TINY_GRAPH, run_cli, tiny_frame


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    base = tmp_path_factory.mktemp("faults")
    (base / "tiny.yaml").write_text(TINY_GRAPH)
    tiny_frame(3000, 1).to_csv(base / "ref.csv", index=False)
    return prepare(base / "tiny.yaml", base / "ref.csv", "recall", rows=2000, seed=0)


def test_modes_follow_the_node_kind_and_dtype(setup) -> None:
    g = setup.graph
    assert applicable_modes(g, "x", "numeric") == ("missing_values", "schema_change", "scale_change",
                                                   "out_of_distribution", "distribution_shift", "stale_values")
    assert "scale_change" not in applicable_modes(g, "cat", "categorical")
    assert applicable_modes(g, "fx", "numeric") == ("missing_values", "scale_change", "pipeline_skew", "stale_values")
    assert applicable_modes(g, "model", "numeric") == ("model_change",)
    assert applicable_modes(g, "y", "numeric") == ("concept_drift", "label_shift")
    assert applicable_modes(g, "recall", None) == ()


@settings(max_examples=25, deadline=None)
@given(strength=st.floats(0.05, 1.0), seed=st.integers(0, 10_000),
       mode=st.sampled_from(["missing_values", "schema_change", "scale_change", "out_of_distribution", "stale_values"]))
def test_an_injector_changes_only_its_column(setup, strength: float, seed: int, mode: str) -> None:
    out = inject(setup.graph, setup.rows, "x", mode, strength, np.random.default_rng(seed), "numeric")
    assert len(out.frame) == len(setup.rows)
    untouched = [c for c in setup.rows.columns if c != "x"]
    pd.testing.assert_frame_equal(out.frame[untouched], setup.rows[untouched])
    assert out.changed == ("x",)
    if mode == "missing_values":
        assert out.frame["x"].isna().to_numpy()[out.rows].all()
        assert abs(out.rows.mean() - strength) < 0.1


def test_missing_values_at_a_source_reach_the_score_only_on_hit_rows(setup) -> None:
    faulty, injected = faulty_window(setup, "x", "missing_values", 0.3, seed=1)
    hit = injected.rows
    assert faulty["x"].isna().to_numpy()[hit].all()
    changed = ~np.isclose(faulty["score"].to_numpy(), setup.rows["score"].to_numpy())
    assert changed[hit].mean() > 0.5  # the feature was recomputed and the model re-scored
    assert not changed[~hit].any()  # rows the fault missed keep their exact score
    assert not np.allclose(faulty["fx"].to_numpy()[hit], setup.rows["fx"].to_numpy()[hit])


def test_a_rescaled_feature_moves_recall_significantly(setup) -> None:
    faulty, _ = faulty_window(setup, "fx", "scale_change", 0.3, seed=0)
    cmp = metric_change(setup, faulty, 0)
    # ×7.9 pushes scores to the model's extremes: more positives flagged, so recall rises (precision pays)
    assert cmp.significant and abs(cmp.change) > 0.03


def test_label_and_model_faults_touch_their_own_column(setup) -> None:
    for node, mode in (("y", "concept_drift"), ("y", "label_shift"), ("model", "model_change")):
        faulty, injected = faulty_window(setup, node, mode, 0.3, seed=0)
        col = setup.graph.nodes[node].column
        assert not faulty[col].equals(setup.rows[col]), (node, mode)
        others = [c for c in setup.rows.columns if c != col]
        pd.testing.assert_frame_equal(faulty[others], setup.rows[others])


def test_a_service_outage_sets_its_fields_to_defaults_in_one_stretch(tmp_path) -> None:
    text = TINY_GRAPH.replace("  fx:\n    kind: feature\n    parents: [x]",
                              "  store:\n    kind: infra\n  fx:\n    kind: feature\n    parents: [x, store]")
    (tmp_path / "g.yaml").write_text(text)
    tiny_frame(1500, 2).to_csv(tmp_path / "ref.csv", index=False)
    s = prepare(tmp_path / "g.yaml", tmp_path / "ref.csv", rows=1500)
    faulty, injected = faulty_window(s, "store", "infrastructure", 0.2, seed=0)
    rows = np.flatnonzero(injected.rows)
    assert rows[-1] - rows[0] + 1 == len(rows)  # contiguous
    assert faulty["fx"].iloc[rows].nunique() == 1


def test_unknown_modes_and_nodes_are_input_errors(setup) -> None:
    with pytest.raises(InputError, match="no injector for failure mode 'scale_change'"):
        faulty_window(setup, "cat", "scale_change", 0.3, 0)
    with pytest.raises(InputError, match="no node 'nope' to break"):
        faulty_window(setup, "nope", "missing_values", 0.3, 0)
    with pytest.raises(InputError, match=r"must be in \(0, 1\]"):
        faulty_window(setup, "x", "missing_values", 1.5, 0)


def test_a_drill_window_follows_the_reference_in_time(setup, tmp_path) -> None:
    result = write_drill(setup, "fx", "missing_values", 0.3, tmp_path / "cur.csv", seed=0)
    cur = pd.read_csv(tmp_path / "cur.csv", parse_dates=["ts"])
    assert len(cur) == result.rows == len(setup.rows)
    assert cur["ts"].min() > pd.to_datetime(setup.rows["ts"]).max()
    assert cur["fx"].isna().mean() == pytest.approx(0.3, abs=0.05)
    assert shifted(setup, setup.rows)["ts"].iloc[0] > setup.rows["ts"].iloc[-1]


def test_drill_then_why_names_the_broken_node(tmp_path, capsys) -> None:
    """The drill is a rehearsal: the engine, shown the drilled window, must find what was broken."""
    (tmp_path / "tiny.yaml").write_text(TINY_GRAPH)
    tiny_frame(3000, 1).to_csv(tmp_path / "ref.csv", index=False)
    code, _out, err = run_cli(["drill", tmp_path / "tiny.yaml", "--reference", tmp_path / "ref.csv", "--node", "fx",
                               "--mode", "scale_change", "--out", tmp_path / "cur.parquet"], capsys)
    assert code == 0, err
    assert "scale_change at fx" in err and "recall on these rows" in err
    code, out, err = run_cli(["why", "recall", "--graph", tmp_path / "tiny.yaml", "--reference", tmp_path / "ref.csv",
                              "--current", tmp_path / "cur.parquet", "--format", "json", "--quiet"], capsys)
    assert code == 0, err
    import json

    d = json.loads(out)
    assert d["significant"] and d["causes"][0]["node"] == "fx"


def test_with_the_artifact_the_real_model_scores_the_faulty_rows(tmp_path) -> None:
    """A fault at a source reaches the real model: the scores are the artifact's on the recomputed inputs."""
    from causal_rca.model.inputs import scores_of
    from causal_rca.prevention.window import node_frame
    from causal_rca.scenarios import export_scenario

    files = export_scenario("schema_change_coerced_nulls", tmp_path, with_model=True)
    s = prepare(files["graph"], files["reference"], "recall", rows=2000)
    assert s.scored_by == "the model artifact (replayed)"
    faulty, injected = faulty_window(s, "merchant_category", "schema_change", 0.3, seed=0)
    assert metric_change(s, faulty, 0).change < -0.05  # codes that no longer parse: recall falls, as in the scenario
    hit = injected.rows
    typed = node_frame(s.graph, s.dtypes, faulty)
    rescored = s.score(typed.iloc[np.flatnonzero(hit)])
    assert np.allclose(faulty["score"].to_numpy()[hit], np.round(rescored, 6), atol=1e-6)
