"""Reweighting the current rows to a node's reference distribution (model/reweight.py).

Small synthetic windows whose reweighted metric is known: a new category the
reference never had (its rows must drop out, the others take the reference
mix), a numeric source whose distribution moved (the known density ratio
gives the answer), and a node that did not move (nothing recovered).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from threadpoolctl import threadpool_limits

from causal_rca.lineage.loader import graph_from_dict
from causal_rca.metrics import (
    MetricSpec, compute_metric, encode_rows, metric_frame, metric_from_encoded, metric_from_weighted,
)
from causal_rca.model.replay_context import ReplayContext
from causal_rca.model.reweight import counterfactual, effective_rows, how_for, population_weights

SPEC = MetricSpec(name="accuracy", threshold=0.5, positive=1)
GRAPH = graph_from_dict({
    "version": 1, "name": "toy",
    "nodes": {
        "segment": {"kind": "source", "column": "segment"},
        "x": {"kind": "source", "column": "x"},
        "hour": {"kind": "source", "column": "hour"},
        "model": {"kind": "model", "parents": ["segment", "x", "hour"], "column": "score"},
        "y": {"kind": "label", "parents": ["segment", "x"], "column": "y"},
        "accuracy": {"kind": "metric", "parents": ["model", "y"], "metric": "accuracy", "threshold": 0.5,
                     "positive": 1},
    },
})
DTYPES = {"segment": "categorical", "x": "numeric", "hour": "numeric", "model": "numeric", "y": "numeric"}


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """As ``diagnose`` and ``what_if_fixed`` run the fits (many small ones: threads only contend)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _segment_rows(shares: dict[str, float], positive: dict[str, float], n: int) -> pd.DataFrame:
    """Exactly ``shares`` of the rows per segment, exactly ``positive`` of each segment labelled 1."""
    parts = []
    for seg, share in shares.items():
        k = int(round(share * n))
        ones = int(round(positive[seg] * k))
        parts.append(pd.DataFrame({"segment": seg, "y": [1] * ones + [0] * (k - ones)}))
    return pd.concat(parts, ignore_index=True)


def _context(ref: pd.DataFrame, cur: pd.DataFrame, seed: int = 3) -> ReplayContext:
    """Every row is predicted positive (score 1): accuracy is the share of positive labels."""
    rng = np.random.default_rng(seed)
    for frame in (ref, cur):
        frame["hour"] = rng.integers(0, 24, len(frame)).astype(float)  # the same distribution in both windows
        frame["model"] = 1.0
        if "x" not in frame:
            frame["x"] = rng.normal(size=len(frame))
    value = compute_metric(SPEC, metric_frame(SPEC, ref["model"], ref["y"]))
    half = 1.96 * np.sqrt(value * (1 - value) / len(ref))
    return ReplayContext(GRAPH, SPEC, DTYPES, ref, cur.sample(frac=1.0, random_state=seed).reset_index(drop=True),
                         "model", "y", ("segment", "x", "hour"), lambda frame: frame["model"].to_numpy(float),
                         value, (value - half, value + half), seed)


@pytest.fixture(scope="module")
def new_category() -> ReplayContext:
    # Reference: a and b half and half. Current: a and b at 1:2, and a new segment c (40%) the model gets wrong.
    positive = {"a": 0.9, "b": 0.6, "c": 0.2}
    ref = _segment_rows({"a": 0.5, "b": 0.5}, positive, 4000)
    cur = _segment_rows({"a": 0.2, "b": 0.4, "c": 0.4}, positive, 4000)
    return _context(ref, cur)


def test_weights_of_one_and_repeated_rows_give_the_plain_metric() -> None:
    rng = np.random.default_rng(0)
    scores, labels = rng.random(300), (rng.random(300) < 0.4).astype(int)
    copies = rng.integers(0, 4, 300)
    for name in ("accuracy", "recall", "precision", "f1", "roc_auc", "log_loss"):
        spec = MetricSpec(name=name, threshold=0.5, positive=1)
        encoded = encode_rows(spec, metric_frame(spec, pd.Series(scores), pd.Series(labels)))
        assert metric_from_weighted(spec, encoded, np.ones(300)) == pytest.approx(metric_from_encoded(spec, encoded))
        repeated = np.repeat(encoded, copies)
        assert metric_from_weighted(spec, encoded, copies) == pytest.approx(metric_from_encoded(spec, repeated))


def test_a_new_category_drops_out_and_the_rest_take_the_reference_mix(new_category) -> None:
    w = population_weights(new_category, ("segment",), 11)
    seg = new_category.current["segment"].to_numpy()
    assert np.all(w[seg == "c"] == 0.0)  # the reference never had c: P_ref(c) = 0
    # a was 20% of the rows and b 40%; the reference has them half and half: a rows weigh twice b rows.
    assert np.mean(w[seg == "a"]) / np.mean(w[seg == "b"]) == pytest.approx(2.0, rel=0.1)
    # Kish: (0.2·2 + 0.4·1)² / (0.2·4 + 0.4·1) = 0.533 of the rows.
    assert effective_rows(w) == pytest.approx(0.64 / 1.2 * len(seg), rel=0.05)


def test_the_reweighted_metric_is_the_reference_mix_of_the_current_rows(new_category) -> None:
    res = counterfactual(new_category, ("segment",), how="population")
    # Known: 0.5 * 0.9 + 0.5 * 0.6 = 0.75 (dropping c alone would give 0.70; the current window is 0.50).
    assert res.baseline == pytest.approx(0.50)
    assert res.ci[0] <= 0.75 <= res.ci[1] and res.value == pytest.approx(0.75, abs=0.01), res
    assert res.matches_reference and res.recovered_share == pytest.approx(1.0, abs=0.05)
    assert res.rows_changed == pytest.approx(0.4, abs=0.03)  # the mass moved: c's 40% of the rows
    assert "reweighted" in res.how


def test_a_node_that_did_not_move_recovers_nothing(new_category) -> None:
    res = counterfactual(new_category, ("hour",), how="population")
    assert abs(res.recovered_share) < 0.05 and not res.matches_reference, res
    assert res.rows_changed < 0.05


def test_a_moved_numeric_source_is_weighted_by_its_density_ratio() -> None:
    # Reference x ~ N(0, 1), current x ~ N(0.8, 1); y = 1 when x < 0. The true ratio is
    # N(x; 0, 1) / N(x; 0.8, 1), and the current rows weighted by it have accuracy ≈ P_ref(x < 0) = 0.5.
    rng = np.random.default_rng(5)
    x_ref, x_cur = rng.normal(0.0, 1.0, 6000), rng.normal(0.8, 1.0, 6000)
    ref = pd.DataFrame({"segment": "a", "x": x_ref, "y": (x_ref < 0).astype(int)})
    cur = pd.DataFrame({"segment": "a", "x": x_cur, "y": (x_cur < 0).astype(int)})
    ctx = _context(ref, cur)
    x = ctx.current["x"].to_numpy()
    true_w = stats.norm.pdf(x, 0.0, 1.0) / stats.norm.pdf(x, 0.8, 1.0)
    y = ctx.current["y"].to_numpy()
    known = float(np.sum(true_w * y) / np.sum(true_w))
    w = population_weights(ctx, ("x",), 11)
    inside = w > 0  # zero only beyond the reference's range, where the true ratio is small too
    assert np.mean(inside) > 0.99 and np.all(true_w[~inside] < 0.1 * true_w.mean())
    error = np.abs(np.log(w[inside] / (true_w[inside] / true_w.mean())))
    assert np.median(error) < 0.2, np.median(error)
    res = counterfactual(ctx, ("x",), how="population")
    assert res.value == pytest.approx(known, abs=0.03) and res.ci[0] <= known <= res.ci[1], (known, res)
    assert res.baseline == pytest.approx(np.mean(y)) and res.recovered_share > 0.85


def test_only_population_modes_are_reweighted() -> None:
    assert how_for("distribution_shift", ("a",)) == how_for("out_of_distribution", ("a",)) == "population"
    assert {how_for(m, ("a",)) for m in ("missing_values", "scale_change", "schema_change", "stale_values",
                                          "pipeline_skew", "concept_drift", "label_shift", "model_change")} == {"rows"}
    assert how_for("distribution_shift", ("a", "b")) == "rows"  # a service's children: put back row by row
